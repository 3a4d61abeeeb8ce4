"""The verbs every door performs, once: the CLI, the MCP server and the indexer call these and
only format the answer.

Each takes a loaded `StitchWorkspace` and `now`, and returns a plain record or raises
`Refused` with the reason a person (or an agent) reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from stitch_ls.core.drafts import write_draft
from stitch_ls.core.errors import Refused
from stitch_ls.core.model import Draft
from stitch_ls.core.workspace import StitchWorkspace


@dataclass(frozen=True)
class Added:
    id: str
    file: Path
    gate: str  # what the gate says of it now (quiet hours aside): actionable, parked, ...
    reason: str | None


def decided(ws: StitchWorkspace, draft_id: str) -> str | None:
    """What became of a draft id for good ("applied", "rejected"), from this engineer's
    outcomes or the team's shared source log; None while it is free or pending."""
    outcome = ws.state.outcomes.get(draft_id)
    if outcome is not None:
        return outcome.outcome
    from stitch_ls.core.sourcelog import read_entries

    entries, _ = read_entries(ws.paths.source_log)
    return "applied" if any(e.draft == draft_id for e in entries) else None


def add_draft(ws: StitchWorkspace, draft: Draft, now: datetime, *, replace: bool = False) -> Added:
    """Write a validated draft for a human. Ids are forever: one that was applied or
    rejected is refused, whoever asks; a pending one is replaced only when asked to."""
    outcome = decided(ws, draft.id)
    if outcome is not None:
        raise Refused(f"draft id {draft.id!r} was already {outcome}; ids are never reused")
    ws.scan_drafts(now)
    if draft.id in ws.drafts.by_id and not replace:
        raise Refused(f"a draft with id {draft.id!r} is pending (replace it explicitly)")
    target = write_draft(ws.paths.drafts, draft)
    ws.scan_drafts(now)
    record = ws.drafts.by_id.get(draft.id)
    if record is None:  # written, then gone (an agent removed it): say so, never guess
        raise Refused(f"draft {draft.id!r} was written but is no longer there")
    ctx = ws.gate_context(now, ignore_quiet=True)
    decision = ws.evaluate_all([record], ctx, {})[0].decision
    return Added(draft.id, target, decision.gate.value, decision.reason)
