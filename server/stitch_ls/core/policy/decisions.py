"""A person's decisions: who made each, through which door, and whether anyone can check it.

Every decision only a person may take (apply, reject, vouch, answer, sign-off, read-only off,
focus, approving the team file) records its door: `terminal` (the CLI, at an interactive
terminal, after a typed confirmation) or `editor` (the language server, on the engineer's
click). Turning read-only *on* is open to anyone: through MCP or the guard its door is `agent`.

Where the team signs (`[stitch_points] signing = "ssh"`), vouches, prompt answers, sign-offs
and read-only off also carry an SSH signature made with the engineer's git signing key
(`core.vcs.signing`), each kind in its own namespace so one cannot stand in for another. A
record counts as the person's only when it can be checked:

- its signature verifies for that person against the allowed signers in force (the team file
  version a person approved, never the working copy's), or
- this user's own state, outside the repository, holds a receipt of it: it was made here,
  through a human door.

Anything else (a line an agent wrote into `.stitch/signoffs.jsonl`, an answer written into a
prompt file) is shown as "claimed by …, not verified", never as fact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from stitch_ls.core.workspace import StitchWorkspace

Door = Literal["terminal", "editor", "agent"]
TERMINAL: Door = "terminal"
EDITOR: Door = "editor"
AGENT: Door = "agent"

# one namespace per kind of decision: a signed sign-off is not a signed vouch
Kind = Literal["sign-off", "vouch", "answer", "read-only off"]
NAMESPACES: dict[Kind, str] = {
    "sign-off": "stitch-signoff",
    "vouch": "stitch-vouch",
    "answer": "stitch-answer",
    "read-only off": "stitch-read-only",
}
MAX_RECEIPTS = 2000


class Check(NamedTuple):
    """Whether a record is the person's: `verified`, and in words how or why not."""

    verified: bool
    how: str  # "SSH-signed", "made on this machine"; or why not ("not signed")


def signs(ws: StitchWorkspace) -> bool:
    """Whether the team signs people's decisions."""
    return ws.team.stitch_points.signing == "ssh"


def signer(ws: StitchWorkspace, kind: Kind) -> Callable[[dict[str, Any]], str] | None:
    """How a record of `kind` is signed where the team signs (`signing.sign`, raising
    `SigningError` with one clear line when it cannot), else None."""
    if not signs(ws):
        return None
    # start-up: the guard and --help load decisions; only signing needs this
    from stitch_ls.core.vcs.signing import sign

    namespace = NAMESPACES[kind]
    return lambda entry: sign(ws.root, entry, namespace)


def signed(ws: StitchWorkspace, kind: Kind, body: dict[str, Any]) -> str | None:
    """The signature of `body` where the team signs, else None."""
    sign = signer(ws, kind)
    return sign(body) if sign is not None else None


def receipt(kind: Kind, body: dict[str, Any]) -> str:
    """The key a decision is remembered by in the person's own state (its signed payload)."""
    # start-up: the guard and --help load decisions; only signing needs this
    from stitch_ls.core.vcs.signing import payload

    return hashlib.sha256(NAMESPACES[kind].encode() + b"\0" + payload(body)).hexdigest()


def check(ws: StitchWorkspace, kind: Kind, body: dict[str, Any], who: str) -> Check:
    """Whether `body` (with its `signature`, if any) is `who`'s decision."""
    if receipt(kind, body) in ws.state.receipts:
        return Check(True, "made on this machine")
    if not signs(ws):
        return Check(False, "the team does not sign decisions")
    # start-up: the guard and --help load decisions; only signing needs this
    from stitch_ls.core.vcs.signing import Verifier

    why = Verifier(ws.team_source.signers).why_not(body, who, NAMESPACES[kind])
    return Check(why is None, why or "SSH-signed")


def said(verb: str, who: str, found: Check, door: object = None) -> str:
    """How the log for people tells it: `signed off by lead@… through the terminal
    (SSH-signed)`, or `claimed by lead@…, not verified (not signed)`."""
    if not found.verified:
        return f"claimed by {who}, not verified ({found.how})"
    through = f" through the {door}" if door in (TERMINAL, EDITOR) else ""
    return f"{verb} by {who}{through} ({found.how})"


def remember(state: Any, kind: Kind, body: dict[str, Any], door: Door) -> None:
    """Keep a receipt of a decision made here (inside an `update_state` change)."""
    state.receipts[receipt(kind, body)] = door
    while len(state.receipts) > MAX_RECEIPTS:
        del state.receipts[next(iter(state.receipts))]
