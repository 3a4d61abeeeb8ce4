"""The gate: what the editor shows for a draft, first matching rule wins (DESIGN.md's table)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING

from stitch_ls.core.files.paths import glob_match
from stitch_ls.core.safetext import one_line

if TYPE_CHECKING:
    from stitch_ls.core.drafts.model import Draft
    from stitch_ls.core.drafts.sources import SourceReport


class Gate(StrEnum):
    QUIET = "quiet"
    INVALID = "invalid"
    STALE = "stale"
    READ_ONLY = "read_only"
    BLOCKED = "blocked"
    PARKED = "parked"
    BELOW_FLOOR = "below_floor"
    ACTIONABLE = "actionable"


@dataclass(frozen=True)
class ReadOnly:
    on: bool
    by: str | None = None
    since: datetime | None = None
    reason: str | None = None
    zone: tzinfo | None = None  # the workspace's, for `since` as people read it

    def describe(self) -> str:
        # start-up: the language server loads the gate before its first answer
        from stitch_ls.core.timefmt import human_time

        since = human_time(self.since, self.zone) or "unknown time"
        return (
            f"agents are read-only: {self.reason or 'no reason given'}, "
            f"since {since}, by {self.by or 'unknown'}"
        )


@dataclass(frozen=True)
class GateContext:
    """Everything outside the draft that the decision depends on, at one moment."""

    quiet: bool
    read_only: ReadOnly
    floor: float
    floor_from: str
    irreversible_paths: tuple[str, ...] = ()
    # `[agents] irreversible_requires = "verified"`: claimed evidence is not enough there
    requires_verified: bool = False
    # the engineer's own verification runs: (draft id, draft digest, "passed" | "failed")
    verified: frozenset[tuple[str, str, str]] = frozenset()
    # streams past their feature's cap: (stream name, why), from `StreamSet.beyond_cap`
    beyond_cap: frozenset[tuple[str, str]] = frozenset()
    # the engineer's vouches for parked drafts: (draft id, draft digest), from `State.vouches`
    vouched: frozenset[tuple[str, str]] = frozenset()
    # agents past their own trust budget: (agent, raised floor, where it came from)
    agent_floors: tuple[tuple[str, float, str], ...] = ()
    # agents past their own trust budget where the team turns them read-only: (agent, why)
    agents_read_only: tuple[tuple[str, str], ...] = ()

    def floor_for(self, agent: str) -> tuple[float, str]:
        """The floor an agent's drafts meet: raised when that agent is past its budget."""
        for name, floor, why in self.agent_floors:
            if name == agent and floor > self.floor:
                return floor, why
        return self.floor, self.floor_from

    def agent_read_only(self, agent: str) -> str | None:
        return next((why for name, why in self.agents_read_only if name == agent), None)

    def vouched_for(self, draft: Draft) -> bool:
        """Whether the engineer vouched for this very draft (same content)."""
        return bool(self.vouched) and (draft.id, draft_digest(draft)) in self.vouched

    def verification(self, draft: Draft) -> str | None:
        """ "passed" or "failed" when this very draft (same content) was verified here."""
        if not self.verified:
            return None
        digest = draft_digest(draft)
        found = [o for i, d, o in self.verified if i == draft.id and d == digest]
        return found[0] if found else None


@dataclass(frozen=True)
class Decision:
    gate: Gate
    reason: str | None = None
    irreversible: bool = False  # whatever the gate: people want to know before they look

    @property
    def actionable(self) -> bool:
        return self.gate is Gate.ACTIONABLE


def is_irreversible(draft: Draft, irreversible_paths: tuple[str, ...]) -> bool:
    if draft.irreversible:
        return True
    return any(glob_match(path, pattern) for path in draft.paths for pattern in irreversible_paths)


def has_passing_evidence(draft: Draft, sources: SourceReport | None = None) -> bool:
    """Claimed evidence that passed, and none that failed: a claim about a test that does
    not exist (`sources.evidence`, as checked) counts for nothing, as a missing source does."""
    statuses = {item.status for item in draft.evidence}
    if statuses & {"failed", "error"}:
        return False
    missing = set(sources.evidence_missing) if sources is not None else set()
    return any(item.status == "passed" for n, item in enumerate(draft.evidence) if n not in missing)


def missing_tests(draft: Draft, sources: SourceReport | None) -> list[str]:
    """The refs of the evidence whose test does not exist."""
    if sources is None:
        return []
    return [draft.evidence[n].ref for n in sources.evidence_missing if n < len(draft.evidence)]


def failed_evidence(draft: Draft) -> str | None:
    """The ref of the first evidence the draft itself says failed (or errored)."""
    return next((e.ref for e in draft.evidence if e.status in ("failed", "error")), None)


def draft_digest(draft: Draft) -> str:
    """What a verification is bound to: the draft's whole content (an agent that changes its
    draft after it was verified loses the verification)."""
    return hashlib.sha256(draft.to_json().encode()).hexdigest()[:32]


def decide(
    draft: Draft | None,
    ctx: GateContext,
    *,
    stale: str | None = None,
    invalid: str | None = None,
    sources: SourceReport | None = None,
) -> Decision:
    """Apply the rules in order; `stale`/`invalid` carry what anchoring or parsing found,
    `sources` what checking the draft's sources found (None: not checked)."""
    if ctx.quiet:
        return Decision(Gate.QUIET, "quiet hours: shown when they end")
    if draft is None or invalid:
        return Decision(Gate.INVALID, f"invalid draft: {invalid or 'unreadable'}")
    decision = _decide_valid(draft, ctx, stale, sources)
    if is_irreversible(draft, ctx.irreversible_paths):
        return Decision(decision.gate, decision.reason, irreversible=True)
    return decision


def _decide_valid(
    draft: Draft, ctx: GateContext, stale: str | None, sources: SourceReport | None
) -> Decision:
    if stale:
        return Decision(Gate.STALE, f"stale: {stale}")
    if ctx.read_only.on:
        return Decision(Gate.READ_ONLY, ctx.read_only.describe())
    agent_read_only = ctx.agent_read_only(draft.agent)
    if agent_read_only is not None:
        return Decision(Gate.READ_ONLY, agent_read_only)
    failed = failed_evidence(draft)
    verification = ctx.verification(draft)
    if failed is None and verification == "failed":
        failed = "verification run (stitch-ls verify)"
    if failed is not None:
        return Decision(Gate.BLOCKED, f"its own evidence failed: {agent_text(failed)}")
    over = next((why for name, why in ctx.beyond_cap if name == draft.stream), None)
    if over is not None:
        return Decision(Gate.BLOCKED, agent_text(over))
    # start-up: the language server loads the gate before its first answer
    from stitch_ls.core.drafts.sources import agent_sources

    # a `human` source in the draft itself is an agent's claim: only a vouch counts
    cited = agent_sources(draft, sources)
    missing_count = sum(1 for _, c in cited if c is not None and c.status == "missing")
    all_missing = bool(cited) and missing_count == len(cited)
    vouched = (not cited or all_missing) and ctx.vouched_for(draft)
    if is_irreversible(draft, ctx.irreversible_paths):
        missing = []
        if (not cited or all_missing) and not vouched:
            missing.append("sources")
        if ctx.requires_verified:
            if verification != "passed":
                missing.append("verified passing test evidence (run stitch-ls verify)")
        elif not has_passing_evidence(draft, sources):
            absent = missing_tests(draft, sources)
            missing.append(
                "passing test evidence"
                + (
                    f" (no such test: {', '.join(agent_text(r) for r in absent[:3])})"
                    if absent
                    else ""
                )
            )
        if missing:
            return Decision(
                Gate.BLOCKED, f"blocked: an irreversible change needs {' and '.join(missing)}"
            )
    # vouched for: on to the floor like any other
    if not vouched and not cited:
        return Decision(Gate.PARKED, "parked for a human: the draft cites no sources")
    if not vouched and all_missing:
        return Decision(
            Gate.PARKED,
            f"parked: all {len(cited)} sources missing"
            if len(cited) != 1
            else "parked: its only source is missing",
        )
    floor, floor_from = ctx.floor_for(draft.agent)
    if draft.confidence < floor:
        note = "" if floor_from == "team file" else f" (from {agent_text(floor_from)})"
        shown, shown_floor = _apart(draft.confidence, floor)
        return Decision(Gate.BELOW_FLOOR, f"{shown} < floor {shown_floor}{note}")
    return Decision(Gate.ACTIONABLE)


def bare_reason(gate: str, reason: str | None) -> str | None:
    """The reason without the state word it starts with ("stale: …", "parked for a human: …"),
    for a line that shows the state word beside it."""
    if not reason:
        return reason
    words = re.escape(gate.replace("_", " ")) + "|" + re.escape(gate)
    return re.sub(rf"^(?:{words})(?: for a human)?:\s*", "", reason, flags=re.IGNORECASE)


def action_title(draft: Draft, sources: SourceReport | None = None) -> str:
    """`Apply draft: <title> — 0.82 · 3 sources (1 missing) · <stream>/<agent>`."""
    if sources is not None:
        counted = sources.summary()
    else:
        count = len(draft.sources)
        counted = f"{count} {'source' if count == 1 else 'sources'}"
    return (
        f"Apply draft: {agent_text(draft.title)} — {draft.confidence:.2f} · {counted} · "
        f"{agent_text(draft.stream)}/{agent_text(draft.agent)}"
    )


def agent_text(text: str) -> str:
    """An agent's words in a line Stitch composes: one line, no controls, and without the
    separators of Stitch's own suffix (" — 0.82 · 3 sources"), so a title cannot forge it."""
    return one_line(text).replace("—", "-").replace("·", ".")


def _apart(low: float, high: float) -> tuple[str, str]:
    """`low` and `high` (low < high) written with two decimals, or as many more as it takes
    for the written numbers to differ the same way (0.649 under 0.65 is not "0.65 < 0.65")."""
    for digits in (*range(2, 18), 330):  # 330: enough for the smallest float there is
        a, b = f"{low:.{digits}f}", f"{high:.{digits}f}"
        if float(a) < float(b):
            return a, b
    return f"{low:.330f}", f"{high:.330f}"
