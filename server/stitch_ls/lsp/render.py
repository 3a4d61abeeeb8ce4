"""Core answers as lsprotocol objects: actions, lenses, diagnostics, hovers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from stitch_ls.core.drafts.anchor import PlannedEdit
from stitch_ls.core.drafts.gate import Gate, action_title, agent_text, draft_digest
from stitch_ls.core.safetext import escape_markdown, markdown_ref
from stitch_ls.lsp.documents import OpenDocument

if TYPE_CHECKING:
    from stitch_ls.core.workspace import Evaluation

SOURCE = "stitch"


def lsp_range(doc: OpenDocument, start: tuple[int, int], end: tuple[int, int], enc: str):
    return types.Range(
        start=types.Position(line=start[0], character=doc.to_units(start[0], start[1], enc)),
        end=types.Position(line=end[0], character=doc.to_units(end[0], end[1], enc)),
    )


def edits_in(evaluation: Evaluation, relative: str) -> list[PlannedEdit]:
    if evaluation.plan is None:
        return []
    return [edit for edit in evaluation.plan.edits if edit.path == relative]


def draft_ranges(
    evaluation: Evaluation, relative: str
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where a draft shows in a file: its placed edits, or the top for unplaceable ones."""
    placed = [(e.start, e.end) for e in edits_in(evaluation, relative)]
    if placed:
        return placed
    if evaluation.plan is not None:
        for edit in evaluation.record.draft.edits if evaluation.record.draft else ():
            if edit.path == relative and edit.range is not None:
                r = edit.range
                return [((r.start.line, r.start.character), (r.end.line, r.end.character))]
    raw = _raw_range(evaluation, relative)
    return [raw] if raw else [((0, 0), (0, 0))]


def draft_span(evaluation: Evaluation, relative: str) -> tuple[int, int]:
    """The first and last line a draft shows on."""
    ranges = draft_ranges(evaluation, relative)
    return min(start[0] for start, _ in ranges), max(end[0] for _, end in ranges)


def _raw_range(evaluation: Evaluation, relative: str):
    for edit in evaluation.record.raw_edits:
        if edit.get("path") != relative:
            continue
        rng: Any = edit.get("range")
        try:
            start = (int(rng["start"]["line"]), int(rng["start"]["character"]))
            end = (int(rng["end"]["line"]), int(rng["end"]["character"]))
        except (TypeError, KeyError, ValueError):
            continue
        if min(*start, *end) >= 0:
            return start, end
    return None


def title_of(evaluation: Evaluation) -> str:
    draft = evaluation.record.draft
    if draft is not None:
        return action_title(draft, evaluation.record.sources)
    return f"Apply draft: {agent_text(evaluation.record.title)} — invalid"


GATE_ORDER = {
    gate: index
    for index, gate in enumerate(
        [
            Gate.ACTIONABLE,
            Gate.BELOW_FLOOR,
            Gate.PARKED,
            Gate.BLOCKED,
            Gate.READ_ONLY,
            Gate.STALE,
            Gate.INVALID,
        ]
    )
}


def rank(evaluation: Evaluation) -> tuple[int, float, str]:
    """Applicable drafts first, then the most confident, then by id (stable menus)."""
    draft = evaluation.record.draft
    confidence = draft.confidence if draft else 0.0
    return GATE_ORDER.get(evaluation.decision.gate, 99), -confidence, evaluation.record.id


def code_actions(evaluation: Evaluation, disabled_support: bool) -> list[types.CodeAction]:
    decision = evaluation.decision
    draft_id = evaluation.record.id
    actions: list[types.CodeAction] = []
    apply = types.CodeAction(
        title=title_of(evaluation),
        kind=types.CodeActionKind.QuickFix,
        command=types.Command(
            title="Apply draft", command="stitch.applyDraft", arguments=[draft_id]
        ),
        data={"draft": draft_id, "gate": decision.gate.value},
    )
    if decision.actionable:
        actions.append(apply)
        actions.append(
            types.CodeAction(
                title=f"Reject draft: {agent_text(evaluation.record.title)}",
                kind=types.CodeActionKind.QuickFix,
                command=types.Command(
                    title="Reject draft", command="stitch.rejectDraft", arguments=[draft_id]
                ),
                data={"draft": draft_id, "gate": "reject"},
            )
        )
    elif disabled_support:
        apply.disabled = types.CodeActionDisabled(reason=decision.reason or "cannot be applied")
        actions.append(apply)
    if decision.gate in (Gate.STALE, Gate.INVALID) or (
        not decision.actionable and not disabled_support
    ):
        actions.append(
            types.CodeAction(
                title=f"Show draft: {agent_text(evaluation.record.title)}",
                kind=types.CodeActionKind.QuickFix,
                command=types.Command(
                    title="Show draft", command="stitch.showDraft", arguments=[draft_id]
                ),
                data={"draft": draft_id, "gate": "show"},
            )
        )
    return actions


def verify_action(evaluation: Evaluation) -> types.CodeAction:
    """Run the team's test command against the draft (`stitch.verifyDraft`)."""
    draft_id = evaluation.record.id
    return types.CodeAction(
        title=f"Verify draft: {agent_text(evaluation.record.title)}",
        kind=types.CodeActionKind.QuickFix,
        command=types.Command(
            title="Verify draft", command="stitch.verifyDraft", arguments=[draft_id]
        ),
        data={"draft": draft_id, "gate": "verify"},
    )


def lens_for(evaluation: Evaluation) -> types.Command:
    decision = evaluation.decision
    if decision.actionable:
        return types.Command(
            title=title_of(evaluation),
            command="stitch.applyDraft",
            arguments=[evaluation.record.id],
        )
    return types.Command(
        title=f"Draft: {agent_text(evaluation.record.title)} — {decision.reason}",
        command="stitch.showDraft",
        arguments=[evaluation.record.id],
    )


def diagnostic_message(evaluation: Evaluation) -> str:
    decision = evaluation.decision
    state = "ready to apply" if decision.actionable else decision.reason
    return f"agent draft: {agent_text(evaluation.record.title)} ({state})"


# the gate's state in words, as the editors' draft lists say it
STATE_WORDS = {
    "below_floor": "below the floor",
    "read_only": "read-only",
    "quiet": "quiet hours",
}


def why_not_ready(gate: str, reason: str | None) -> str:
    """`below the floor: 0.51 < floor 0.65`: the state, then its reason, said once (most
    reasons already start with their state: "stale: …", "parked for a human: …")."""
    word = STATE_WORDS.get(gate, gate.replace("_", " "))
    if not reason:
        return word
    named = reason.lower().startswith(word.split(" ")[0]) or word in reason.lower()
    return reason if named else f"{word}: {reason}"


def hover_state(evaluation: Evaluation) -> str:
    """The hover's line on whether the draft can be applied, and if not, why."""
    decision = evaluation.decision
    if decision.actionable:
        return "*ready to apply*"
    why = why_not_ready(str(decision.gate), decision.reason)
    return f"**Cannot be applied now** — {escape_markdown(why)}"


def hover_markdown(evaluation: Evaluation, root: Path, verifications: dict | None = None) -> str:
    """Sources as a list: what, where from, why trusted, and what checking them found — all
    agent text escaped. `verifications`: the engineer's own runs (state), by draft id."""
    record = evaluation.record
    draft = record.draft
    lines = [f"**Agent draft** · {escape_markdown(record.title)}", ""]
    if draft is None:
        lines.append(hover_state(evaluation))
        return "\n".join(lines)
    report = evaluation.record.sources
    if report is not None:
        counted = report.summary()
    else:
        counted = f"{len(draft.sources)} source{'s' if len(draft.sources) != 1 else ''}"
    lines.append(
        f"confidence {draft.confidence:.2f} · {counted} · "
        f"{escape_markdown(draft.stream)}/{escape_markdown(draft.agent)}"
    )
    lines.append("")
    lines.append(hover_state(evaluation))
    lines.append("")
    if draft.sources:
        lines.append("Sources:")
        checks = report.checks if report is not None else ()
        for index, source in enumerate(draft.sources):
            mark = ""
            if index < len(checks):
                check = checks[index]
                detail = f": {escape_markdown(check.detail)}" if check.status == "missing" else ""
                mark = f" **[{check.status}{detail}]**"
            lines.append(
                f"- {escape_markdown(source.kind)}: {markdown_ref(source.ref, root)}{mark} — "
                f"{escape_markdown(source.why)}"
            )
    else:
        lines.append("No sources cited.")
    if draft.evidence:
        lines.append("")
        lines.append("Test evidence (claimed by the agent):")
        found = report.evidence if report is not None else ()
        for index, item in enumerate(draft.evidence):
            run = f" · run {escape_markdown(item.run)}" if item.run else ""
            absent = ""
            if index < len(found) and found[index].status == "missing":  # counts for nothing
                absent = f" **[no such test: {escape_markdown(found[index].detail)}]**"
            lines.append(f"- {escape_markdown(item.ref)}: {item.status} · claimed{run}{absent}")
    verified = (verifications or {}).get(draft.id)
    if verified is not None and verified.digest == draft_digest(draft):
        lines.append("")
        lines.append(
            f"Verified here: **{verified.outcome}** · exit {verified.exit_code} · "
            f"{verified.duration_s:.1f}s (verified by {escape_markdown(verified.by)})"
        )
    return "\n".join(lines)
