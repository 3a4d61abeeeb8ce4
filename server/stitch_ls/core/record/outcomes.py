"""The outcome report and what became of a draft, gathered once for every door.

`report` builds what `stitch-ls report` shows (survival of the AI lines, the field report's
outcome tests, the drafts' tallies, durability, stitch points, the trust budget, the guard's
denials); `draft_outcome` answers what became of one draft, whichever door asks (MCP's
`get_draft_outcome`). The doors only parse their arguments and format these answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.guard.rules import denial_counts
from stitch_ls.core.operations import look_at_git, scan_all
from stitch_ls.core.record import durability, ledger, signals, survival
from stitch_ls.core.record.binding import applied_drafts
from stitch_ls.core.record.report import DraftFact, Report, build
from stitch_ls.core.record.signals import merged_branch
from stitch_ls.core.record.sourcelog import read_entries, read_log
from stitch_ls.core.vcs.gitrun import open_repo
from stitch_ls.core.vcs.streams import pattern_regex, stream_name
from stitch_ls.core.workspace import StitchWorkspace


def report(
    ws: StitchWorkspace, now: datetime, since: datetime | None, signals_file: str | None = None
) -> tuple[Report, list[str]]:
    """The outcome report as of `now` (drafts scanned first), and warnings for the door to
    say (a signals file's bad lines). ValueError when the signals file cannot be read."""
    ws.scan_drafts(now)
    points = {"signed": 0, "open": 0}
    for point in look_at_git(ws, now).points:
        points["signed" if point.signed else "open"] += 1
    lines, result = survival_of(ws, since, now)
    built = build(
        draft_facts(ws, now),
        since,
        points,
        ws.trust_status(),
        durability=durability_of(ws, since, now),
        workspace=ws.root.name,
        generated=now,
    )
    built.survival = lines
    warnings: list[str] = []
    if signals_file is not None:
        built.signals = signals_of(ws, signals_file, result, now)
        warnings += built.signals["problems"]
    built.guard = denial_counts(ws.root, since)
    return built, warnings


def draft_facts(ws: StitchWorkspace, now: datetime) -> list[DraftFact]:
    """Every draft the workspace knows of and its outcome: the (shared) source log for what was
    applied (and applies that were not kept), the local state for rejections and for applies
    waiting to be saved, the gate for what is still pending. A vouched draft is unsourced: a
    person's word stood in for the sources it did not cite."""
    facts: dict[str, DraftFact] = {}
    log = read_log(ws.paths.source_log)
    for e in log.accepted:
        facts[e.draft] = DraftFact(
            e.draft,
            e.stream,
            e.agent,
            e.confidence,
            e.vouched is None and any(s.kind != "human" for s in e.sources),
            "applied",
            e.at,
            irreversible=e.irreversible,
            vouched=e.vouched is not None,
        )
    for draft_id, o in ws.state.outcomes.items():
        if draft_id not in facts:
            facts[draft_id] = DraftFact(
                draft_id,
                o.stream,
                o.agent,
                o.confidence,
                o.sourced,
                o.outcome,
                o.at,
                vouched=draft_id in ws.state.vouches,
            )
    for draft_id, waiting in ws.state.unsaved.items():
        if draft_id not in facts:
            record = ws.drafts.by_id.get(draft_id)
            draft = record.draft if record is not None else None
            facts[draft_id] = DraftFact(
                draft_id,
                waiting.stream,
                waiting.agent,
                draft.confidence if draft is not None else None,
                record is not None and not record.unsourced and draft_id not in ws.state.vouches,
                "unsaved",
                waiting.at,
                vouched=draft_id in ws.state.vouches,
            )
    ctx = ws.gate_context(now, ignore_quiet=True)
    for record in ws.pending_records():
        draft = record.draft
        if draft is None or record.id in facts:
            continue
        gate = ws.evaluate(record, ctx, ws.read_disk, ws.find_symbol_on_disk).decision.gate.value
        outcome = gate if gate in ("parked", "stale") else "pending"
        vouched = record.id in ws.state.vouches
        facts[record.id] = DraftFact(
            draft.id,
            draft.stream,
            draft.agent,
            draft.confidence,
            not record.unsourced and not vouched,
            outcome,
            draft.created,
            vouched=vouched,
        )
    not_kept = [
        DraftFact(n.draft, n.stream, n.agent, None, True, "not kept", n.at) for n in log.not_kept
    ]
    return [*facts.values(), *not_kept]


def durability_of(ws: StitchWorkspace, since: datetime | None, now: datetime) -> dict[str, Any]:
    """Whether the applied drafts' lines still stand, were rewritten or reverted (git)."""
    entries, _ = read_entries(ws.paths.source_log)
    entries = [e for e in entries if since is None or e.at >= since]
    return durability.as_dict(durability.assess(open_repo(ws.root), entries, now))


def survival_of(
    ws: StitchWorkspace, since: datetime | None, now: datetime
) -> tuple[dict[str, Any], Any]:
    """Of the AI lines that reached the branch, what share still stands 1, 7, 30 days on."""
    repo = open_repo(ws.root)
    if repo is None:
        return {}, None
    merged = merged_stream(ws)
    result = survival.assess(
        repo,
        ledger.read_notes(repo),
        applied_drafts(ws.root, datetime(1970, 1, 1, tzinfo=UTC)),
        now,
        since,
        merged_stream=merged,
    )
    features = {name: list(f.paths) for name, f in ws.team.features.items()}
    return result.as_dict(survival.feature_namer(features, result.authors)), result


def merged_stream(ws: StitchWorkspace) -> Callable[[str], str | None]:
    """The stream a merge commit's subject names, by the team's branch pattern."""
    regex = pattern_regex(ws.team.streams.branch_pattern)

    def name(subject: str) -> str | None:
        branch = merged_branch(subject)
        return stream_name(regex, branch) if branch else None

    return name


def signals_of(ws: StitchWorkspace, file: str, result: Any, now: datetime) -> dict[str, Any]:
    """`report --signals FILE`: per merged stream and service, the week before and after.
    ValueError when the file cannot be read at all (a bad line is a problem, and skipped)."""
    found, problems = signals.read_signals(Path(file))
    services = {name: list(paths) for name, paths in ws.team.outcomes.services.items()}
    events = []
    if result is not None:
        events = signals.merge_events(
            open_repo(ws.root), result.chain, result.landings, result.branch, merged_stream(ws)
        )
    return {
        "file": file,
        "signals": len(found),
        "services": services,
        "rows": signals.compare(found, events, services, now),
        "problems": problems,
    }


def draft_outcome(ws: StitchWorkspace, draft_id: str, now: datetime) -> dict[str, Any]:
    """What became of a draft, whichever kind (a draft file, or an agent commit's hunk: the
    indexer's drafts, as every other door sees them)."""
    scan_all(ws, now)
    done = ws.state.outcomes.get(draft_id)
    if done is not None:
        return {
            "id": draft_id,
            "outcome": done.outcome,
            "reason": done.reason,
            "by": done.by,
            "at": done.at.isoformat(),
        }
    shared = ws.decided(draft_id)  # a teammate's apply, in the team's shared source log
    if shared is not None:
        return {"id": draft_id, "outcome": shared, "reason": "in the team's source log"}
    waiting = ws.waiting_to_be_saved(draft_id)
    if waiting is not None:  # applied in the editor: accepted once saved
        return {"id": draft_id, "outcome": "unsaved", "reason": waiting}
    record = ws.drafts.by_id.get(draft_id)
    if record is None:
        return {"id": draft_id, "outcome": "unknown"}
    evaluation = ws.evaluate(
        record, ws.gate_context(now, ignore_quiet=True), ws.read_disk, ws.find_symbol_on_disk
    )
    gate = evaluation.decision.gate.value
    outcome_name = {"parked": "parked", "stale": "stale", "invalid": "invalid"}.get(gate, "pending")
    return {
        "id": draft_id,
        "outcome": outcome_name,
        "gate": gate,
        "reason": evaluation.decision.reason,
    }
