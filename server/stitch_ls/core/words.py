"""One word per state, the same through every door (CLI, MCP, the editors' messages).

The keys are the states as the data carries them (`Gate` values, outcomes, the list's
`unsaved`); the values are what a person reads. Doors show `state_word(state)` instead of
re-spelling a key (`below_floor`, `below-floor`); the VS Code client keeps the same table
(`GATE_WORDS` in client-vscode/src/drafts.ts) and the Neovim plugin its copy
(`STATE_WORDS` in client-nvim/lua/stitch/init.lua).
"""

from __future__ import annotations

STATE_WORDS: dict[str, str] = {
    # what the gate says of a pending draft
    "actionable": "actionable",
    "parked": "parked",
    "blocked": "blocked",
    "below_floor": "below the floor",
    "read_only": "read-only",
    "quiet": "quiet hours",
    "stale": "stale",
    "invalid": "invalid",
    # what became of it
    "unsaved": "waiting to be saved",
    "applied": "applied",
    "rejected": "rejected",
    "withdrawn": "withdrawn",
    "not kept": "not kept",
}


def state_word(state: str) -> str:
    """The word people read for `state` (a state this table does not know, as it is)."""
    return STATE_WORDS.get(state, state.replace("_", " "))
