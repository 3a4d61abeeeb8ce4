"""Answers as people read them at a terminal: a draft, a draft's line in a list, the status;
and the stream that shows agent-written text as text."""

from __future__ import annotations

from typing import Any

from stitch_ls.cli.common import when_text


def state_line(row: dict[str, Any]) -> str:
    """`parked — the draft cites no sources`: one state word, then one reason."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.gate import bare_reason
    from stitch_ls.core.words import state_word

    word = state_word(row["gate"])
    reason = bare_reason(row["gate"], row["reason"])
    return (
        word
        + (" IRREVERSIBLE" if row.get("irreversible") else "")
        + (f" — {reason}" if reason else "")
    )


def format_draft(
    ws: Any,
    record: Any,
    summary: dict[str, Any],
    diff: str | None,
    run: Any,
    evidence_checks: list[dict[str, Any]] | None = None,
) -> str:
    """A draft for people: state and reason, sources as checked, evidence, the change."""
    draft = record.draft
    lines = [f"{summary['id']}: {summary['title']}", f"state: {state_line(summary)}"]
    if draft is None:
        return "\n".join(lines)
    lines.append(
        f"by {draft.agent} on {draft.stream}, confidence {draft.confidence:.2f}, "
        f"created {when_text(ws, draft.created) or 'not stated'}"
    )
    lines.append("sources:" if draft.sources else "sources: none cited")
    for source, check in zip(draft.sources, summary["source_checks"], strict=False):
        shown = check.get("detail")
        detail = f" ({shown})" if shown and shown != source.ref else ""
        lines.append(f"  [{check['status']}] {source.kind}: {source.ref}{detail} — {source.why}")
    lines.append("evidence:" if draft.evidence else "evidence: none")
    checks = evidence_checks or []
    for n, item in enumerate(draft.evidence):
        run_note = f" ({item.run})" if getattr(item, "run", None) else ""
        found = checks[n] if n < len(checks) else None
        absent = (
            " — no such test: the claim counts for nothing"
            if found and found["status"] == "missing"
            else ""
        )
        lines.append(f"  [{item.status}] {item.kind}: {item.ref}{run_note}{absent}")
    if run is not None:
        lines.append(f"  [verified {run.outcome}] stitch-ls verify, {when_text(ws, run.at)}")
    if diff is None:
        lines.append("preview: none (the draft cannot be placed on the files as they are)")
    elif diff:
        lines.append("preview (what applying would change):")
        lines.append(diff.rstrip("\n"))
    else:
        lines.append("preview: no change")
    return "\n".join(lines)


def format_status(status: dict[str, Any]) -> str:
    """The status object for people: times in its `zone`, counts that add up."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.timefmt import human_iso, workspace_zone

    zone = workspace_zone(status.get("zone"))

    def when(value: str | None) -> str | None:
        return human_iso(value, zone)

    ro, quiet, floor, budget, drafts = (
        status["read_only"],
        status["quiet"],
        status["floor"],
        status["trust"],
        status["drafts"],
    )
    lines = [
        "read-only: "
        + (
            f"ON — {ro['reason']} (by {ro['by']}, since {when(ro['since']) or 'unknown time'})"
            if ro["on"]
            else "off"
        ),
        "quiet: "
        + (
            f"on until {when(quiet['until']) or 'further notice'}"
            if quiet["on"]
            else f"off (next {when(quiet['next_start']) or 'none'})"
        ),
        f"policy: {status['policy']['label']}",
        *(
            f"waits for your approval (stitch-ls approve): {item}"
            for item in status["policy"].get("waiting", [])
        ),
        f"confidence floor: {floor['value']:.2f} (from {floor['from']})",
        "trust budget (per hour of development): "
        # an older server's status has no text
        + budget.get("text", f"unsourced: {budget['used']} of {budget['budget']} used"),
        f"drafts: {drafts['pending']} pending"
        + (
            " = "
            + " + ".join(
                f"{v} {k.replace('_', '-')}"
                for k, v in drafts.items()
                if k not in ("pending", "unsaved") and v
            )
            if drafts["pending"]
            else ""
        )
        + (
            f"; {drafts['unsaved']} applied in the editor, not saved yet"
            if drafts.get("unsaved")
            else ""
        ),
        f"prompts: {status.get('prompts', {}).get('pending', 0)} pending",
    ]
    for agent, raised in sorted(floor.get("raised", {}).items()):
        lines.append(f"floor raised for {agent}: {raised:.2f} (past its trust budget)")
    irreversible = status.get("irreversible")
    if irreversible:
        lines.append(
            f"irreversible drafts: need {irreversible['requires']} evidence "
            f"({irreversible['from']}): {irreversible['allows']}"
        )
    streams = status.get("streams") or {}
    if streams.get("features"):
        lines.append(
            f"streams (cap {streams['cap']} per feature): "
            + "; ".join(f"{f}: {', '.join(n)}" for f, n in sorted(streams["features"].items()))
        )
        for feature, names in sorted(streams["over_cap"].items()):
            lines.append(f"over the cap: feature {feature} has {len(names)} streams")
        if streams.get("live"):
            lines.append(f"uncommitted work in worktrees: {', '.join(streams['live'])}")
    points = status.get("stitch_points")
    if points is not None:
        lines.append(
            f"stitch points: {points['open']} open, {points['signed']} signed, "
            f"{points['conflicts']} will conflict"
        )
    for problem in status["config"]["problems"]:
        lines.append(f"team file problem: {problem}")
    for note in status["config"]["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


class PlainText:
    """A stream that shows agent-written text as text: every control character but newline
    and tab, and every bidirectional control, becomes U+FFFD before it reaches the terminal
    (or a file: a log viewed later is a terminal too)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        # start-up: the guard and --help load this module; the core loads per verb
        from stitch_ls.core.safetext import plain

        return self._stream.write(plain(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
