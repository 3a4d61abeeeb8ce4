"""`stitch-ls`: the server, and the same core for agents, scripts, CI and people.

Each verb takes `--workspace DIR` (default: the enclosing git work tree) and `--json` where
it prints data. Bad input gets one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.listing import LIMIT_ERROR, LIST_LIMIT, check_limit
from stitch_ls.core.policy.decisions import AGENT, TERMINAL

EXIT_USAGE = 2
EXIT_REFUSED = 3


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def find_workspace(start: Path) -> Path:
    """The enclosing git work tree (or folder holding `.stitch/`), else `start` itself."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / ".stitch").is_dir():
            return folder
    return here


def _workspace(args: argparse.Namespace):
    from stitch_ls.core.operations import open_workspace

    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    if not root.is_dir():
        raise CliError(f"workspace {root} is not a folder", EXIT_USAGE)
    ws, notes = open_workspace(root, now=_now())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in ws.config_problems:
        print(
            f"warning: {ws.paths.config}:{problem.line + 1}: {problem.message} "
            f"(in force: {ws.team_source.label})",
            file=sys.stderr,
        )
    return ws


def _now() -> datetime:
    return datetime.now(UTC)


def _as_a_person(question: str, token: str) -> None:
    """A human-only verb goes on only when a person at the terminal types `token`
    (`stitch_ls.terminal`); otherwise one clear refusal."""
    from stitch_ls.core.safetext import plain
    from stitch_ls.terminal import NotAPerson, confirm

    try:  # the question quotes agent text: no control character reaches the terminal
        confirm(plain(question), token)
    except NotAPerson as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None


def _print(data: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text(data))


# -- verbs ----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from stitch_ls.lsp.app import create_server
    from stitch_ls.lsp.stdio import serve_stdio

    serve_stdio(create_server())
    return 0


def cmd_draft_add(args: argparse.Namespace) -> int:
    from stitch_ls.core.drafts.index import parse_draft_text
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import add_draft, stamped

    ws = _workspace(args)
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {args.file}: {exc}", EXIT_USAGE) from None
    try:
        draft = parse_draft_text(text)
    except ValueError as exc:
        raise CliError(f"invalid draft: {exc}", EXIT_USAGE) from None
    try:
        now = _now()
        added = add_draft(ws, stamped(draft, now), now, replace=args.replace)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    _print(
        {"id": added.id, "file": str(added.file), "gate": added.gate, "reason": added.reason},
        args.json,
        lambda d: (
            f"added draft {d['id']} ({d['file']}): {d['gate']}"
            + (f" — {d['reason']}" if d["reason"] else "")
        ),
    )
    return 0


def _summaries(ws: Any, limit: int) -> Any:
    from stitch_ls.core.operations import list_drafts

    _scan_all(ws)
    return list_drafts(ws, ws.gate_context(_now(), ignore_quiet=True), {}, limit=limit)


def _scan_all(ws: Any) -> None:
    from stitch_ls.core.operations import scan_all

    scan_all(ws, _now())


def _zone(ws: Any) -> Any:
    return ws.display_zone()


def _when(ws: Any, value: Any) -> str | None:
    from stitch_ls.core.timefmt import human_time

    return human_time(value, _zone(ws))


def state_line(row: dict[str, Any]) -> str:
    """`parked — the draft cites no sources`: one state word, then one reason."""
    from stitch_ls.core.drafts.gate import bare_reason
    from stitch_ls.core.words import state_word

    word = state_word(row["gate"])
    reason = bare_reason(row["gate"], row["reason"])
    return (
        word
        + (" IRREVERSIBLE" if row.get("irreversible") else "")
        + (f" — {reason}" if reason else "")
    )


def cmd_draft_list(args: argparse.Namespace) -> int:
    page = _summaries(_workspace(args), args.limit)
    rows = [dict(row) for row in page.answer("drafts")]

    def text(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return "no pending drafts"
        out = []
        for row in rows:
            if row.get("truncated"):
                out.append(f"{row['message']} (--limit)")
                continue
            conf = f"{row['confidence']:.2f}" if row["confidence"] is not None else "  - "
            missing = f" ({row['sources_missing']} missing)" if row["sources_missing"] else ""
            out.append(
                f"{row['id']:<32} {conf}  {row['sources']} src{missing}  {state_line(row)}\n"
                f"    {row['title']}"
            )
        return "\n".join(out)

    _print(rows, args.json, text)
    return 0


def cmd_draft_show(args: argparse.Namespace) -> int:
    from stitch_ls.core.drafts.edits import preview_diff
    from stitch_ls.core.workspace import draft_summary

    ws = _workspace(args)
    _scan_all(ws)
    record = ws.drafts.by_id.get(args.id)
    if record is None:
        raise CliError(f"no draft with id {args.id!r}")
    data = record.draft.to_data() if record.draft else {"error": record.error}
    if args.id in ws.state.outcomes:
        outcome = ws.state.outcomes[args.id]
        data["outcome"] = outcome.outcome
    record = ws.rechecked(record)
    evaluation = ws.evaluate(
        record, ws.gate_context(_now(), ignore_quiet=True), ws.read_disk, ws.find_symbol_on_disk
    )
    summary = dict(draft_summary(evaluation))
    data["gate"], data["reason"] = summary["gate"], summary["reason"]
    data["irreversible"] = summary["irreversible"]
    data["source_checks"] = summary["source_checks"]
    checks = record.sources.evidence if record.sources is not None else ()
    data["evidence_checks"] = [
        {"ref": item.ref, "status": check.status, "detail": check.detail}
        for item, check in zip(record.draft.evidence if record.draft else [], checks, strict=False)
    ]
    verification = ws.state.verifications.get(record.id)
    if verification is not None:
        data["verification"] = verification.to_data()
    plan = evaluation.plan
    diff = None
    if plan is not None and plan.ok:
        try:
            diff = preview_diff(plan, ws.read_disk)
        except ValueError as exc:
            diff = None
            data["preview_problem"] = str(exc)
    data["preview"] = diff
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    print(format_draft(ws, record, summary, diff, verification, data["evidence_checks"]))
    return 0


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
        f"created {_when(ws, draft.created) or 'not stated'}"
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
        lines.append(f"  [verified {run.outcome}] stitch-ls verify, {_when(ws, run.at)}")
    if diff is None:
        lines.append("preview: none (the draft cannot be placed on the files as they are)")
    elif diff:
        lines.append("preview (what applying would change):")
        lines.append(diff.rstrip("\n"))
    else:
        lines.append("preview: no change")
    return "\n".join(lines)


def cmd_draft_apply(args: argparse.Namespace) -> int:
    """Apply a draft to the files on disk (for people without an editor at hand)."""
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import apply_on_disk
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = _workspace(args)
    _as_a_person(
        f"Apply draft {args.id} to the files on disk, as {user_email(ws.root)}.",
        f"apply {args.id}",
    )
    try:
        applied = apply_on_disk(ws, args.id, _now(), user_email(ws.root), door=TERMINAL)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    _print(
        {"applied": True, "draft": applied.draft, "files": applied.files},
        args.json,
        lambda d: f"applied {d['draft']}: " + ", ".join(d["files"]),
    )
    return 0


def cmd_draft_reject(args: argparse.Namespace) -> int:
    from stitch_ls.core.vcs.gitinfo import user_email
    from stitch_ls.core.workspace import Refused

    ws = _workspace(args)
    _scan_all(ws)  # an agent commit's draft is rejected as a draft file is
    _as_a_person(f"Reject draft {args.id} as {user_email(ws.root)}.", f"reject {args.id}")
    try:
        ws.reject(args.id, args.reason, user_email(ws.root), _now(), door=TERMINAL)
    except Refused as exc:
        raise CliError(str(exc)) from None
    print(f"rejected {args.id}")
    return 0


def cmd_draft_withdraw(args: argparse.Namespace) -> int:
    """An agent takes back its own draft before a person decided on it (MCP's
    `withdraw_draft`; `--agent` says who is asking, as `ask --agent` does)."""
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import withdraw_draft

    ws = _workspace(args)
    try:
        done = withdraw_draft(ws, args.id, args.agent, _now())
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    _print(
        {"id": done.id, "state": "withdrawn", "agent": done.agent},
        args.json,
        lambda d: f"withdrew draft {d['id']} ({d['agent']}'s); it is no longer in the inbox",
    )
    return 0


def cmd_draft_vouch(args: argparse.Namespace) -> int:
    """A human vouches for a draft parked without sources (never offered to agents: not in
    MCP); the draft then meets the rest of the gate."""
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import scan_all, vouch
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = _workspace(args)
    scan_all(ws, _now())
    _as_a_person(
        f"Vouch for draft {args.id} (parked for want of sources) as "
        f"{user_email(ws.root)}, with your note: {args.note or ''}",
        f"vouch {args.id}",
    )
    try:
        done = vouch(ws, args.id, args.note, user_email(ws.root), _now(), door=TERMINAL)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    from stitch_ls.core.drafts.gate import bare_reason

    reason = bare_reason(done.gate, done.reason)
    _print(
        {
            "vouched": True,
            "draft": done.id,
            "by": done.by,
            "gate": done.gate,
            "reason": done.reason,
        },
        args.json,
        lambda d: (
            f"vouched for {d['draft']} as {d['by']}; now {d['gate'].replace('_', ' ')}"
            + (f": {reason}" if reason else "")
        ),
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Run the team's test command against a draft in a scratch worktree; exit 0 when it
    passed, 1 when it failed, 2 when it could not run. The outcome is kept in the engineer's
    state (outside the workspace), where no agent can forge it."""
    from stitch_ls.core.drafts.verify import CouldNotRun, NotApproved, verify
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = _workspace(args)
    _scan_all(ws)  # an agent commit's draft is verified as a draft file is
    try:
        try:
            verdict = verify(ws, args.id, user_email(ws.root), _now())
        except NotApproved as exc:  # its first run here: a person sees the command first
            _as_a_person(
                f"The team's test command has not run on this machine before:\n  "
                f"{' '.join(exc.command)}\nIt runs with your rights, in a scratch worktree.",
                f"run {args.id}",
            )
            verdict = verify(ws, args.id, user_email(ws.root), _now(), approve_command=True)
    except (CouldNotRun, Refused) as exc:
        raise CliError(f"verify {args.id}: could not run: {exc}", EXIT_USAGE) from None
    _print(verdict.to_data(), args.json, lambda _: verdict.line())
    if not verdict.passed and not args.json:
        print(verdict.tail.rstrip()[-1500:], file=sys.stderr)
    return 0 if verdict.passed else 1


def cmd_status(args: argparse.Namespace) -> int:
    """The editor's status object: policy, switches, drafts (agent commits' included),
    streams and stitch points."""
    from stitch_ls.core.operations import look_at_git, status

    ws = _workspace(args)
    now = _now()
    ws.scan_drafts(now)
    git = look_at_git(ws, now)
    _print(status(ws, now, git), args.json, format_status)
    return 0


def format_status(status: dict[str, Any]) -> str:
    """The status object for people: times in its `zone`, counts that add up."""
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


def cmd_read_only(args: argparse.Namespace) -> int:
    from stitch_ls.core.files.fsio import locked
    from stitch_ls.core.vcs.gitinfo import user_email
    from stitch_ls.core.workspace import Refused

    ws = _workspace(args)
    on = args.state == "on"
    if not on:  # turning it on stays open to anyone, agents included
        _as_a_person(
            f"Turn the agents' read-only switch off for {ws.root}, as {user_email(ws.root)}.",
            "read-only off",
        )
    with locked(ws.paths.apply_lock):  # never between an editor's check and commit
        try:
            # turning it on needs no person: without a terminal, an agent may have done it
            door = TERMINAL if not on or sys.stdin.isatty() else AGENT
            ws.set_read_only(on, args.reason, user_email(ws.root), _now(), door=door)
        except Refused as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
    effective = ws.read_only()
    print(
        f"agents read-only: {'on' if on else 'off'}"
        + (f" (still on: {effective.reason})" if not on and effective.on else "")
    )
    return 0


def cmd_approve(args: argparse.Namespace) -> int:
    """`approve`: a person approves the team file waiting for approval (its difference with
    what is in force shown first); `approve --show` only shows what waits."""
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import approve_team_file
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = _workspace(args)
    source = ws.team_source
    if source.proposal is None:
        print(f"nothing waits for your approval: in force is {source.label}")
        return 0
    lines = [f"- {note}" for note in source.waiting] or [
        f"- the working copy's team file, where no base branch has one ({ws.paths.config})"
    ]
    shown = "\n".join(lines)
    if args.show:
        print(f"waiting for your approval:\n{shown}")
        return 0
    token = f"approve {source.proposal.digest[:8]}"
    _as_a_person(f"The team file waiting for your approval:\n{shown}", token)
    try:
        done = approve_team_file(ws, user_email(ws.root), _now(), "terminal")
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    print(f"approved: the team file in force is now {ws.team_source.label} ({done.digest[:8]})")
    return 0


def cmd_focus(args: argparse.Namespace) -> int:
    """`focus [DURATION|off]`: the same focus session as the editors' (the engineer's state),
    started or ended by a person; alone, where quiet hours stand."""
    from stitch_ls.core.files.fsio import locked
    from stitch_ls.core.timefmt import human_time

    ws = _workspace(args)
    now = _now()
    if args.duration is not None:
        minutes = 0 if args.duration == "off" else _minutes(args.duration)
        question = (
            "End your focus session."
            if minutes == 0
            else f"Start a focus session of {minutes} minutes: no agent prompt, suggestion or "
            "notification until it ends."
        )
        _as_a_person(question, "focus off" if minutes == 0 else f"focus {args.duration}")
        from stitch_ls.core.errors import Refused

        with locked(ws.paths.apply_lock):  # an apply after this sees the session
            try:
                ws.set_focus(minutes, now)
            except Refused as exc:
                raise CliError(str(exc), EXIT_USAGE) from None
    quiet = ws.quiet_state(now)
    zone = ws.display_zone()
    data = {
        "on": quiet.on,
        "reason": quiet.reason,
        "until": quiet.until.isoformat() if quiet.until else None,
        "until_text": human_time(quiet.until, zone),
        "next_start_text": human_time(quiet.next_start, zone),
    }

    def text(d: dict[str, Any]) -> str:
        if d["on"]:
            why = "your focus session" if d["reason"] == "focus" else "quiet hours"
            return f"quiet ({why}) until {d['until_text'] or 'further notice'}"
        upcoming = f"; next quiet hours {d['next_start_text']}" if d["next_start_text"] else ""
        return f"not quiet{upcoming}"

    _print(data, args.json, text)
    return 0


def _minutes(text: str) -> int:
    """`90m`, `2h`, `1h30m` or `45` (minutes) as minutes; one clear error otherwise."""
    import re

    match = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m?)?\s*", text)
    if not match or not any(match.groups()):
        raise CliError(f"focus: {text!r} is not a duration (90m, 2h, 1h30m, 45)", EXIT_USAGE)
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    total = hours * 60 + minutes
    if not 1 <= total <= 24 * 60:
        raise CliError("focus: a session lasts 1 minute to 24 hours", EXIT_USAGE)
    return total


def cmd_ask(args: argparse.Namespace) -> int:
    from stitch_ls.core import operations
    from stitch_ls.core.errors import Refused

    ws = _workspace(args)
    sources = [{"kind": k, "ref": r, "why": w} for k, r, w in args.source or []]
    try:
        asked = operations.ask(
            ws, args.question, args.option, args.agent, args.stream, sources, _now(), args.id
        )
    except Refused as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    quiet = ws.quiet_state(_now())
    queued = None
    if quiet.on:  # not shown until they end: say so, and until when
        until = _when(ws, quiet.until) or "further notice"
        why = "a focus session" if quiet.reason == "focus" else "quiet hours"
        queued = f"the engineer is in {why} until {until}: the question is queued, shown after"
    if args.wait is None or queued is not None:
        said = {"id": asked.id, "file": str(asked.file), "queued": queued}
        _print(
            said,
            args.json,
            lambda d: f"asked {d['id']}" + (f"; {d['queued']}" if d["queued"] else ""),
        )
        return 0 if args.wait is None else 4
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        if (answered := operations.answer_of(asked)) is not None:
            _print(answered.to_data(), args.json, lambda d: d["answer"])
            return 0
        time.sleep(0.1)
    print(f"no answer within {args.wait:g}s; prompt {asked.id} stays pending", file=sys.stderr)
    return 4


def cmd_prompts(args: argparse.Namespace) -> int:
    """The agents' questions still waiting for an answer, oldest first."""
    from stitch_ls.core.drafts.prompts import pending_prompts, scan_prompts

    ws = _workspace(args)
    _, errors = scan_prompts(ws.prompt_folders())
    for error in errors:
        print(f"warning: prompt ignored: {error}", file=sys.stderr)
    pending = [prompt for _, prompt in pending_prompts(ws.prompt_folders())]
    rows = [
        {
            "id": p.id,
            "agent": p.agent,
            "stream": p.stream,
            "question": p.question,
            "options": list(p.options),
            "sources": [s.to_data() for s in p.sources],
            "created": p.created,
        }
        for p in pending
    ]

    def text(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return "no pending prompts"
        out = []
        for row in rows:
            asked = _when(ws, row["created"])
            out.append(
                f"{row['id']}: {row['agent']} ({row['stream']}) asks"
                + (f", {asked}" if asked else "")
                + f": {row['question']}\n"
                + "    options: "
                + ", ".join(f"{n}) {o}" for n, o in enumerate(row["options"], 1))
            )
        return "\n".join(out) + "\nanswer with: stitch-ls answer ID OPTION"

    _print(rows, args.json, text)
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    """Answer a pending prompt with one of its options (its text, or its number)."""
    from stitch_ls.core.drafts.prompts import scan_prompts
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import answer
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = _workspace(args)
    found, _ = scan_prompts(ws.prompt_folders())
    match = [(path, p) for path, p in found if p.id == args.id]
    if not match:
        raise CliError(f"no prompt with id {args.id!r} (run `stitch-ls prompts` to list them)")
    path, prompt = match[0]
    if prompt.answer is not None:
        raise CliError(f"prompt {args.id!r} was already answered: {prompt.answer}", EXIT_REFUSED)
    option = args.option
    if (
        option not in prompt.options
        and option.isdigit()
        and 1 <= int(option) <= len(prompt.options)
    ):
        option = prompt.options[int(option) - 1]
    _as_a_person(
        f"Answer {prompt.agent}'s question {prompt.id} ({prompt.question}) with {option}.",
        f"answer {args.id}",
    )
    try:
        answered = answer(ws, path, option, user_email(ws.root), _now(), door=TERMINAL)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    except ValueError as exc:
        choices = ", ".join(prompt.options)
        raise CliError(f"answer {args.id}: {exc} ({choices})", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"answer {args.id}: {exc}") from None
    _print(
        {"id": answered.id, "answer": answered.answer, "answered_by": answered.answered_by},
        args.json,
        lambda d: f"answered {d['id']}: {d['answer']}",
    )
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """The source log for people: plain text (default), Markdown, one HTML page, JSON lines
    of the log as written, or Agent Trace records."""
    from stitch_ls.core.record import logbook
    from stitch_ls.core.record.sourcelog import read_log

    ws = _workspace(args)
    since = _since(args.since)
    fmt = "json" if args.json else args.format
    if fmt in ("json", "agent-trace"):
        log = read_log(ws.paths.source_log)
        for problem in log.problems:
            print(f"warning: {problem}", file=sys.stderr)

        def wanted(e: Any) -> bool:
            return (args.stream is None or e.stream == args.stream) and (
                since is None or e.at >= since
            )

        entries = [e for e in log.accepted if wanted(e)]
        if fmt == "json":  # the lines as written, both kinds (`event`), in time order
            both: list[Any] = [*entries, *filter(wanted, log.not_kept)]
            lines = sorted(both, key=lambda e: e.at)
            print(json.dumps([e.to_data() for e in lines], indent=2))
            return 0
        from stitch_ls import __version__
        from stitch_ls.core.record.agenttrace import to_trace
        from stitch_ls.core.record.durability import revision_ranges
        from stitch_ls.core.vcs.gitrun import open_repo

        repo = open_repo(ws.root)
        waiting = 0
        for entry in entries:
            found = revision_ranges(repo, entry)
            if found is None:  # a record names the commit holding the lines: none yet
                waiting += 1
                continue
            revision, ranges = found
            print(json.dumps(to_trace(entry, __version__, revision, ranges), sort_keys=True))
        if repo is not None:  # agents' direct edits and agent commits, from the notes
            from stitch_ls.core.record.agenttrace import commit_traces
            from stitch_ls.core.record.ledger import history

            for commit, time, files in history(repo, since.isoformat() if since else None):
                for record in commit_traces(commit, time, files, __version__):
                    streams = record["metadata"]["dev.stitch"]["stream"]
                    if args.stream is None or streams == args.stream:
                        print(json.dumps(record, sort_keys=True))
        if waiting:
            print(
                f"{waiting} applied drafts not yet committed: exported once they are",
                file=sys.stderr,
            )
        return 0
    ws.load_state()
    ws.scan_drafts(_now())
    book = logbook.gather(ws).filtered(args.stream, since)
    for problem in book.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if fmt == "md":
        print(logbook.to_markdown(book), end="")
    elif fmt == "html":
        print(logbook.to_html(book, ws.root.name, _now()), end="")
    else:
        print(logbook.to_text(book), end="")
    return 0


def _since(value: str | None) -> datetime | None:
    """`--since 2026-11-01` (or a full ISO time) as an aware instant (UTC when no zone)."""
    if not value:
        return None
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--since takes a date like 2026-11-01, not {value!r}", EXIT_USAGE) from None
    return since if since.tzinfo is not None else since.replace(tzinfo=UTC)


def cmd_schema(args: argparse.Namespace) -> int:
    from stitch_ls.core.drafts.model import Draft, Prompt
    from stitch_ls.core.policy.config import TeamConfig

    model: Any = {"draft": Draft, "prompt": Prompt, "config": TeamConfig}[args.kind]
    print(json.dumps(model.json_schema(), indent=2))
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Keep the repository's live streams and collision index fresh beside agents, where no
    editor runs Stitch: the guard then knows what other streams are changing."""
    import threading

    from stitch_ls.indexer.process import watch_repository

    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    stop = threading.Event()
    if args.once:
        stop.set()
    else:
        print(f"stitch watch: watching {root} and its worktrees (Ctrl-C stops)", flush=True)

    def say(line: str) -> None:
        print(f"{_now().strftime('%H:%M:%S')} {line}", flush=True)

    try:
        return watch_repository(root, say, stop)
    except KeyboardInterrupt:
        return 0


def cmd_check(args: argparse.Namespace) -> int:
    """For CI and pre-push hooks: fail on an invalid team file, features over the stream cap,
    or unsigned stitch points (with a readable list)."""
    from stitch_ls.core.operations import look_at_git

    ws = _workspace(args)
    failures = [
        f"{ws.paths.config}:{p.line + 1}: invalid team file: {p.message}"
        for p in ws.config_problems
    ]
    team = ws.team
    if args.base:
        team = team.replace(streams=team.streams.replace(base=args.base))
    git = look_at_git(ws, _now(), team, live=not args.committed)
    snap = git.snapshot
    points: list[dict[str, Any]] = []
    notes: list[str] = []
    if snap is None:
        failures.append(f"{ws.root} is not a git repository")
    else:
        failures.extend(snap.streams.problems)
        cap = team.streams.max_per_feature
        for feature, streams in sorted(snap.streams.over_cap(cap).items()):
            names = ", ".join(s.name for s in streams)
            failures.append(
                f"feature {feature} has {len(streams)} active streams (cap {cap}): {names}"
            )
        failures.extend(git.problems)
        for point in git.points:
            path = point.path
            points.append(point.to_json())
            for signer in point.forged_by:
                failures.append(
                    f"sign-off of stitch point {point.id} by {signer} does not count: "
                    f"the owner is {point.owner or 'none named'}"
                )
            for why in point.unverified:  # a failure while nothing valid signs it
                (notes if point.signed else failures).append(
                    f"sign-off of stitch point {point.id} by {why}: it does not count "
                    '(stitch_points.signing = "ssh")'
                )
            if not point.signed:
                conflict = " (will conflict)" if point.conflict else ""
                live = f" (live: uncommitted on {', '.join(point.live)})" if point.live else ""
                failures.append(
                    f"unsigned stitch point {point.id}: {path} {point.symbol}{conflict}{live} — "
                    f"streams {', '.join(point.streams)}; owner {point.owner or 'none named'}"
                )
    live = snap.live_streams() if snap is not None else []
    if live:
        notes.append(
            f"uncommitted work read from the worktrees of {', '.join(live)} "
            "(--committed leaves it out)"
        )
    if snap is not None:
        notes.extend(p for p in snap.problems if p not in snap.streams.problems)
    report = {
        "ok": not failures,
        "failures": failures,
        "notes": notes,
        "live_streams": live,
        "stitch_points": points,
    }
    _print(
        report,
        args.json,
        lambda r: (
            ("stitch check: ok" if r["ok"] else "stitch check failed:")
            + "".join(f"\n- {f}" for f in r["failures"])
            + "".join(f"\n- note: {n}" for n in r["notes"])
        ),
    )
    return 0 if report["ok"] else 1


def cmd_sign_off(args: argparse.Namespace) -> int:
    """Sign off a stitch point by id (the owner only), as `stitch.signOff` does in the editor."""
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import look_at_git, sign_off
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = _workspace(args)
    git = look_at_git(ws, _now())
    if git.snapshot is None:
        raise CliError(f"{ws.root} is not a git repository")
    for point in git.points:
        if point.id == args.id:
            _as_a_person(
                f"Sign off stitch point {point.id} ({point.path} {point.symbol}, "
                f"streams {', '.join(point.streams)}) as {user_email(ws.root)}.",
                f"sign-off {point.id}",
            )
            try:
                entry = sign_off(ws, point, user_email(ws.root), _now(), door=TERMINAL)
            except Refused as exc:
                raise CliError(str(exc), EXIT_REFUSED) from None
            _print(
                entry,
                args.json,
                lambda e: f"signed off {e['stitch_id']} ({e['path']} {e['symbol']})",
            )
            return 0
    raise CliError(f"no stitch point {args.id!r} (run `stitch-ls check` to list them)")


def report_facts(ws: Any) -> list[Any]:
    """Every draft the workspace knows of and its outcome: the (shared) source log for what was
    applied (and applies that were not kept), the local state for rejections and for applies
    waiting to be saved, the gate for what is still pending. A vouched draft is unsourced: a
    person's word stood in for the sources it did not cite."""
    from stitch_ls.core.record.report import DraftFact
    from stitch_ls.core.record.sourcelog import read_log

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
    ctx = ws.gate_context(_now(), ignore_quiet=True)
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


def _durability(ws: Any, since: datetime | None, now: datetime) -> dict[str, Any]:
    """Whether the applied drafts' lines still stand, were rewritten or reverted (git)."""
    from stitch_ls.core.record import durability
    from stitch_ls.core.record.sourcelog import read_entries
    from stitch_ls.core.vcs.gitrun import open_repo

    entries, _ = read_entries(ws.paths.source_log)
    entries = [e for e in entries if since is None or e.at >= since]
    return durability.as_dict(durability.assess(open_repo(ws.root), entries, now))


def _survival(ws: Any, since: datetime | None, now: datetime) -> tuple[dict[str, Any], Any]:
    """Of the AI lines that reached the branch, what share still stands 1, 7, 30 days on."""
    from stitch_ls.core.record import ledger, survival
    from stitch_ls.core.record.binding import applied_drafts
    from stitch_ls.core.vcs.gitrun import open_repo

    repo = open_repo(ws.root)
    if repo is None:
        return {}, None
    merged = _merged_stream(ws)
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


def _merged_stream(ws: Any) -> Callable[[str], str | None]:
    """The stream a merge commit's subject names, by the team's branch pattern."""
    from stitch_ls.core.record.signals import merged_branch
    from stitch_ls.core.vcs.streams import pattern_regex, stream_name

    regex = pattern_regex(ws.team.streams.branch_pattern)

    def name(subject: str) -> str | None:
        branch = merged_branch(subject)
        return stream_name(regex, branch) if branch else None

    return name


def _signals(ws: Any, file: str, result: Any, now: datetime) -> dict[str, Any]:
    """`report --signals FILE`: per merged stream and service, the week before and after."""
    from stitch_ls.core.record import signals
    from stitch_ls.core.vcs.gitrun import open_repo

    try:
        found, problems = signals.read_signals(Path(file))
    except ValueError as exc:
        raise CliError(f"report --signals: {exc}", EXIT_USAGE) from None
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    services = {name: list(paths) for name, paths in ws.team.outcomes.services.items()}
    events = []
    if result is not None:
        events = signals.merge_events(
            open_repo(ws.root), result.chain, result.landings, result.branch, _merged_stream(ws)
        )
    return {
        "file": file,
        "signals": len(found),
        "services": services,
        "rows": signals.compare(found, events, services, now),
        "problems": problems,
    }


def cmd_report(args: argparse.Namespace) -> int:
    from stitch_ls.core.guard.rules import denial_counts
    from stitch_ls.core.operations import look_at_git
    from stitch_ls.core.record import report as rp

    ws = _workspace(args)
    now = _since(args.as_of) if args.as_of else _now()
    assert now is not None
    ws.scan_drafts(now)
    since = _since(args.since)
    points = {"signed": 0, "open": 0}
    for point in look_at_git(ws, now).points:
        points["signed" if point.signed else "open"] += 1
    survival, result = _survival(ws, since, now)
    report = rp.build(
        report_facts(ws),
        since,
        points,
        ws.trust_status(),
        durability=_durability(ws, since, now),
        workspace=ws.root.name,
        generated=now,
    )
    report.survival = survival
    if args.signals:
        report.signals = _signals(ws, args.signals, result, now)
    report.guard = denial_counts(ws.root, since)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(json.dumps(report.as_dict(), indent=2))
    elif fmt == "html":
        print(rp.to_html(report, ws.display_zone()), end="")
    else:
        print(rp.to_markdown(report), end="")
    return 0


def cmd_blame(args: argparse.Namespace) -> int:
    """Which agent wrote each line of FILE, from which stream, with which sources: git blame
    read against the attribution (notes, agent commits, applied drafts, pending edits)."""
    from stitch_ls.core.files.paths import reserved_part
    from stitch_ls.core.record.binding import applied_drafts
    from stitch_ls.core.record.blame import blame, describe
    from stitch_ls.core.vcs.gitrun import open_repo

    root = (Path(args.workspace) if args.workspace else find_workspace(Path.cwd())).resolve()
    target = Path(args.file)  # relative: to the workspace when one is named, else to here
    target = (
        target if target.is_absolute() else (root if args.workspace else Path.cwd()) / target
    ).resolve()
    if target != root and root not in target.parents:
        raise CliError(f"blame: {args.file} is outside the workspace {root}", EXIT_USAGE)
    if reserved_part(target.relative_to(root).parts) == ".git":
        raise CliError(f"blame: {args.file} is in .git/, not a file of the work tree", EXIT_USAGE)
    path = target.relative_to(root).as_posix()
    repo = open_repo(root)
    if repo is None:
        raise CliError(f"blame: {root} is not a git repository", EXIT_USAGE)
    try:
        lines = blame(repo, root, path, applied_drafts(root, datetime(1970, 1, 1, tzinfo=UTC)))
    except ValueError as exc:
        raise CliError(f"blame: {exc}", EXIT_USAGE) from None
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "line": x.number,
                        "commit": x.commit,
                        "committed": x.commit is not None,
                        "ai": x.author is not None,
                        "agent": x.author.agent if x.author else None,
                        "stream": x.author.stream if x.author else None,
                        "door": x.author.door if x.author else None,
                        "draft": x.author.draft if x.author else None,
                        "session": x.author.session if x.author else None,
                        "sources": x.author.source_list() if x.author else [],
                        "text": x.text,
                    }
                    for x in lines
                ],
                indent=2,
            )
        )
        return 0
    keys: dict[Any, int] = {}
    for x in lines:
        if x.author is not None:
            keys.setdefault(x.author, len(keys) + 1)
    agents: dict[str, int] = {}
    for x in lines:
        if x.author is not None:
            agents[x.author.agent] = agents.get(x.author.agent, 0) + 1
    by = ", ".join(f"{name} {n}" for name, n in sorted(agents.items()))
    print(
        f"{path}: {len(lines)} lines, {sum(agents.values())} by agents" + (f" ({by})" if by else "")
    )
    for x in lines:
        tag = f"[{keys[x.author]}]{'*' if x.pending else ''}" if x.author else ""
        commit = (x.commit or "")[:8] if x.commit else "uncommitted"
        print(f"{x.number:>5} {tag:<5} {commit:<11}| {x.text}")
    for author, key in keys.items():
        print(f"[{key}] {describe(author)}")
    if any(x.pending for x in lines):
        print("*: an agent's edit not committed yet")
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from stitch_ls.mcp_server import run

    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    if not root.is_dir():
        raise CliError(f"workspace {root} is not a folder", EXIT_USAGE)
    run(root, args.agent)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from stitch_ls.demo import run_demo

    return run_demo(keep=args.keep)


def cmd_guard(args: argparse.Namespace) -> int:
    """One decision for an agent's pre-tool hook, or for git's commit hooks. Nothing may
    escape as a traceback: agents read most non-zero exits as "carry on"."""
    agent = args.agent or ""
    try:
        from stitch_ls import hooks

        workspace = Path(args.workspace).resolve() if args.workspace else None
        if args.mode == "git-pre-commit":
            _ended(_guard_git(args, workspace))
        if args.mode is not None or args.message_file is not None:
            raise ValueError(
                "usage: stitch-ls guard --agent AGENT | guard git-pre-commit [MSGFILE]"
            )
        if agent not in hooks.AGENTS:
            raise ValueError(f"--agent must be one of {', '.join(hooks.AGENTS)}")
        result = hooks.run_guard(agent, sys.stdin.read(), workspace, find_workspace, _now())
    except BaseException as exc:  # noqa: BLE001 - deny, whatever happened
        from stitch_ls.hooks import failure

        result = failure(agent, f"{type(exc).__name__}: {exc}")
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    _ended(result.code)
    return result.code  # (not reached)


def _ended(code: int) -> None:
    """End the guard now: the answer is written, and a git it stopped waiting on leaves
    GitPython's watchdog thread behind, which the interpreter would wait minutes for."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_attribute(args: argparse.Namespace) -> int:
    """Attribution from hooks: an agent's post-tool event (`--agent`, the event on stdin), or
    git's `post-commit` / `post-rewrite KIND` (the rewritten commits on stdin). Never a
    traceback: a failure is one line on stderr and exit 1, which no hook reads as a block."""
    workspace = Path(args.workspace).resolve() if args.workspace else None
    try:
        if args.mode is None:
            from stitch_ls.posttool import run_attribute

            result = run_attribute(args.agent or "", sys.stdin.read(), workspace, _now())
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
            return result.code
        from stitch_ls.core.record import binding

        root = workspace or find_workspace(Path.cwd())
        if args.mode == "git-post-commit":
            said = binding.post_commit(root, _now())
        else:
            if args.kind not in ("amend", "rebase"):
                raise ValueError("usage: stitch-ls attribute git-post-rewrite amend|rebase")
            pairs = binding.read_rewrite_pairs(sys.stdin.read())
            said = binding.post_rewrite(root, args.kind, pairs)
    except Exception as exc:  # noqa: BLE001 - a hook's failure is said, never raised
        print(f"stitch-ls attribute: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    for line in said:
        print(f"stitch-ls: {line}", file=sys.stderr)
    return 0


def _guard_git(args: argparse.Namespace, workspace: Path | None) -> int:
    from stitch_ls.hooks import TIME_LIMIT_S, OutOfTime, end_children, time_limit

    try:
        with time_limit(TIME_LIMIT_S * 5):  # a commit waits longer than a tool call
            return _guard_git_now(args, workspace)
    except OutOfTime as exc:
        end_children()
        print(f"stitch: commit refused: {exc}", file=sys.stderr)
        return 1


def _guard_git_now(args: argparse.Namespace, workspace: Path | None) -> int:
    from stitch_ls.hooks import git_commit_verdict

    root = workspace or find_workspace(Path.cwd())
    message = None
    if args.message_file:
        message = Path(args.message_file).read_text(encoding="utf-8", errors="replace")
    verdict = git_commit_verdict(root, message, _now())
    if verdict.deny:
        print(f"stitch-ls: {verdict.reason}", file=sys.stderr)
        return 1
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    if not root.is_dir():
        raise CliError(f"workspace {root} is not a folder", EXIT_USAGE)
    from stitch_ls.starter import init_workspace

    what = ["a starter team file"]
    if args.agents:
        what.append(f"the guard in {args.agents}'s hook settings")
    if args.git_hooks:
        what.append("git hooks")
    _as_a_person(f"Set up Stitch in {root}: {', '.join(what)}.", "init")
    try:
        said = init_workspace(root)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"init: {exc}", EXIT_USAGE) from None
    files_said = len(said)
    said += init_guard_hooks(root, args.agents, args.git_hooks)
    if args.share_notes:
        from stitch_ls.core.vcs.gitrun import open_repo
        from stitch_ls.core.vcs.notes import share_notes

        repo = open_repo(root)
        if repo is None:
            raise CliError(f"init --share-notes: {root} is not a git repository", EXIT_USAGE)
        try:
            said += share_notes(repo, args.share_notes)
        except ValueError as exc:
            raise CliError(f"init --share-notes: {exc}", EXIT_USAGE) from None
    said += _approve_starter(root)
    said[files_said:files_said] = _irreversible_rule(root)  # what the team file asks, said
    for line in said:
        print(line)
    return 0


def _irreversible_rule(root: Path) -> list[str]:
    """What the team file in force asks of irreversible drafts, and what that allows."""
    from stitch_ls.core.operations import open_workspace

    ws, _ = open_workspace(root)
    rule = ws.irreversible_status()
    line = (
        f"irreversible drafts: need {rule['requires']} evidence ({rule['from']}): {rule['allows']}"
    )
    if rule["requires"] == "claimed":
        line += "; name a test command under [evidence] and they need verified evidence instead"
    return [line]


def _approve_starter(root: Path) -> list[str]:
    """The person who ran `init` approves the team file it wrote, where no base branch has
    one yet and none was approved: without it, agents would be read-only until they did."""
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import approve_team_file, open_workspace
    from stitch_ls.core.vcs.gitinfo import user_email

    ws, _ = open_workspace(root)
    if ws.team_source.proposal is None or ws.team_source.waiting:
        return []
    try:
        approve_team_file(ws, user_email(root), _now(), "terminal")
    except Refused:
        return []
    return [
        ".stitch/config.toml: approved by you (in force until one is committed on the base branch)"
    ]


def init_guard_hooks(root: Path, agents: str | None, git_hooks: bool) -> list[str]:
    """`init --agents` and `init --git-hooks`: the guard wired into agents' and git's hooks."""
    from stitch_ls import hooks

    said: list[str] = []
    try:
        if agents:
            names = [a.strip() for a in agents.split(",") if a.strip()]
            said += hooks.install_agent_hooks(root, names)
        if git_hooks:
            said += hooks.install_git_hooks(root)
    except (OSError, ValueError) as exc:
        raise CliError(f"init: {exc}", EXIT_USAGE) from None
    return said


# -- parser ---------------------------------------------------------------------------------


def _limit(text: str) -> int:
    try:
        return check_limit(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(LIMIT_ERROR) from None


def build_parser() -> argparse.ArgumentParser:
    from stitch_ls import __version__

    parser = argparse.ArgumentParser(
        prog="stitch-ls", description="Stitch: agent drafts, quiet hours and stitch points."
    )
    parser.add_argument("--version", action="version", version=f"stitch-ls {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", help="default: the enclosing git work tree")
    common.add_argument("--json", action="store_true", help="print data as JSON")
    verbs = parser.add_subparsers(dest="verb", required=True)

    verbs.add_parser(
        "serve", parents=[common], help="run the language server on stdio"
    ).set_defaults(func=cmd_serve)

    draft = verbs.add_parser(
        "draft", help="add, list, show, apply, reject, withdraw or vouch for drafts"
    )
    drafts = draft.add_subparsers(dest="draft_verb", required=True)
    add = drafts.add_parser("add", parents=[common], help="validate and add a draft (FILE or -)")
    add.add_argument("file")
    add.add_argument("--replace", action="store_true", help="replace a draft with the same id")
    add.set_defaults(func=cmd_draft_add)
    listing = drafts.add_parser("list", parents=[common], help="pending drafts and their state")
    listing.add_argument(
        "--limit", type=_limit, default=LIST_LIMIT, help=f"at most this many (default {LIST_LIMIT})"
    )
    listing.set_defaults(func=cmd_draft_list)
    show = drafts.add_parser("show", parents=[common], help="one draft, whole")
    show.add_argument("id")
    show.set_defaults(func=cmd_draft_show)
    apply = drafts.add_parser("apply", parents=[common], help="apply a draft to the files on disk")
    apply.add_argument("id")
    apply.set_defaults(func=cmd_draft_apply)
    reject = drafts.add_parser("reject", parents=[common], help="reject a draft, saying why")
    reject.add_argument("id")
    reject.add_argument("--reason", required=True)
    reject.set_defaults(func=cmd_draft_reject)
    withdraw = drafts.add_parser(
        "withdraw", parents=[common], help="an agent takes back its own draft, before a decision"
    )
    withdraw.add_argument("id")
    withdraw.add_argument("--agent", required=True, help="the agent asking: the draft's own")
    withdraw.set_defaults(func=cmd_draft_withdraw)
    vouch = drafts.add_parser(
        "vouch", parents=[common], help="vouch for a draft parked without sources"
    )
    vouch.add_argument("id")
    vouch.add_argument("--note", required=True, help="why you trust it: recorded as its source")
    vouch.set_defaults(func=cmd_draft_vouch)

    ask = verbs.add_parser("ask", parents=[common], help="ask the engineer a question")
    ask.add_argument("question")
    ask.add_argument("--option", action="append", required=True, help="an answer (repeat)")
    ask.add_argument("--agent", default="cli")
    ask.add_argument("--stream", default="local")
    ask.add_argument("--id", help="prompt id (default: generated)")
    ask.add_argument(
        "--source", nargs=3, action="append", metavar=("KIND", "REF", "WHY"), help="a source"
    )
    ask.add_argument("--wait", type=float, metavar="SECONDS", help="wait for the answer")
    ask.set_defaults(func=cmd_ask)

    verbs.add_parser(
        "prompts", parents=[common], help="agents' questions waiting for an answer"
    ).set_defaults(func=cmd_prompts)
    answer = verbs.add_parser("answer", parents=[common], help="answer a pending prompt")
    answer.add_argument("id", help="the prompt's id, as `prompts` lists it")
    answer.add_argument("option", help="one of its options (its text or its number)")
    answer.set_defaults(func=cmd_answer)

    verbs.add_parser(
        "status", parents=[common], help="read-only, quiet hours, floor, budget, drafts, prompts"
    ).set_defaults(func=cmd_status)

    ro = verbs.add_parser("read-only", parents=[common], help="turn agents read-only on or off")
    ro.add_argument("state", choices=["on", "off"])
    ro.add_argument("--reason", help="why (required to turn it on)")
    ro.set_defaults(func=cmd_read_only)
    approve = verbs.add_parser(
        "approve",
        parents=[common],
        help="approve the team file that waits for a person (it loosens what is in force)",
    )
    approve.add_argument("--show", action="store_true", help="only show what waits")
    approve.set_defaults(func=cmd_approve)
    focus = verbs.add_parser(
        "focus",
        parents=[common],
        help="a focus session: quiet hours now (DURATION: 90m, 2h, 45); `off` ends it; alone: status",
    )
    focus.add_argument("duration", nargs="?", help="how long (90m, 2h, 45 = minutes), or off")
    focus.set_defaults(func=cmd_focus)

    verify = verbs.add_parser(
        "verify",
        parents=[common],
        help="run the team's [evidence] command on a draft in a scratch worktree",
    )
    verify.add_argument("id", help="the draft's id")
    verify.set_defaults(func=cmd_verify)

    check = verbs.add_parser(
        "check",
        parents=[common],
        help="fail on unsigned stitch points, streams over the cap or a bad team file",
    )
    check.add_argument("--base", help="the base branch (default: streams.base of the team file)")
    check.add_argument(
        "--committed",
        action="store_true",
        help="only committed work: leave out agents' uncommitted work in their worktrees",
    )
    check.set_defaults(func=cmd_check)
    watch = verbs.add_parser(
        "watch",
        parents=[common],
        help="keep live streams and the guard's collision index fresh (beside agents, "
        "where no editor runs Stitch)",
    )
    watch.add_argument("--once", action="store_true", help="look once, write the index, exit")
    watch.set_defaults(func=cmd_watch)
    sign = verbs.add_parser(
        "sign-off", parents=[common], help="sign off a stitch point (owner only)"
    )
    sign.add_argument("id", help="the stitch point's id (sp-…), as `check` lists it")
    sign.set_defaults(func=cmd_sign_off)
    log = verbs.add_parser("log", parents=[common], help="the source log, for people")
    log.add_argument(
        "--format",
        choices=["text", "md", "html", "json", "agent-trace"],
        default="text",
        help="text (default), md, html (one self-contained page), json (the log's lines), "
        "agent-trace (Agent Trace v0.1 records, one per line)",
    )
    log.add_argument("--stream", help="only this stream")
    log.add_argument("--since", help="only from this date on (2026-11-01)")
    log.set_defaults(func=cmd_log)
    schema = verbs.add_parser("schema", parents=[common], help="JSON Schema of a file format")
    schema.add_argument("kind", choices=["draft", "prompt", "config"])
    schema.set_defaults(func=cmd_schema)

    blame_cmd = verbs.add_parser(
        "blame",
        parents=[common],
        help="which agent wrote each line of a file, from which stream, with which sources",
    )
    blame_cmd.add_argument("file", help="a file of the work tree")
    blame_cmd.set_defaults(func=cmd_blame)

    report = verbs.add_parser(
        "report", parents=[common], help="outcomes per stream and agent, calibration"
    )
    report.add_argument(
        "--since", metavar="DATE", help="only drafts decided or proposed since DATE"
    )
    report.add_argument("--format", choices=["md", "html", "json"], default="md")
    report.add_argument(
        "--signals",
        metavar="FILE",
        help="the team's exports (CSV or JSON lines: time, service, kind, value): "
        "the week before each merge against the week after",
    )
    report.add_argument(
        "--as-of", metavar="DATE", help="the report as it stood at DATE (default: now)"
    )
    report.set_defaults(func=cmd_report)

    mcp = verbs.add_parser(
        "mcp",
        parents=[common],
        help="an MCP server on stdio for agents (propose and withdraw drafts, ask, status)",
    )
    mcp.add_argument(
        "--agent",
        help="the agent calling (default: the name its MCP client gives; it may withdraw "
        "only drafts of its own)",
    )
    mcp.set_defaults(func=cmd_mcp)

    guard = verbs.add_parser(
        "guard",
        parents=[common],
        help="decide one agent tool call (a pre-tool hook) or a commit (git hooks) by the policy",
    )
    guard.add_argument("--agent", choices=["claude-code", "cursor", "vscode"])
    guard.add_argument("mode", nargs="?", choices=["git-pre-commit"])
    guard.add_argument("message_file", nargs="?", help="commit-msg hook: the message file")
    guard.set_defaults(func=cmd_guard)

    attribute = verbs.add_parser(
        "attribute",
        parents=[common],
        help="record what an agent wrote (its post-tool hook), or bind it at a commit (git hooks)",
    )
    attribute.add_argument("--agent", choices=["claude-code", "cursor", "vscode"])
    attribute.add_argument("mode", nargs="?", choices=["git-post-commit", "git-post-rewrite"])
    attribute.add_argument("kind", nargs="?", help="git-post-rewrite: amend or rebase")
    attribute.set_defaults(func=cmd_attribute)

    init = verbs.add_parser(
        "init",
        parents=[common],
        help="set Stitch up: starter team file, .stitch/.gitignore, union merge of the source log",
    )
    init.add_argument(
        "--agents",
        metavar="LIST",
        help="wire the guard (and attribution) into these agents' hooks, add Stitch's MCP server to their settings and the instructions to AGENTS.md: claude-code,cursor,vscode",
    )
    init.add_argument(
        "--git-hooks",
        action="store_true",
        help="install the guard's pre-commit and commit-msg hooks, and attribution's "
        "post-commit and post-rewrite hooks",
    )
    init.add_argument(
        "--share-notes",
        metavar="REMOTE",
        help="fetch and push the authorship notes (refs/notes/ai) with REMOTE",
    )
    init.set_defaults(func=cmd_init)

    demo = verbs.add_parser("demo", help="a sample workspace driven through a real LSP session")
    demo.add_argument("--keep", action="store_true", help="keep the sample workspace")
    demo.set_defaults(func=cmd_demo)
    return parser


class PlainText:
    """A stream that shows agent-written text as text: every control character but newline
    and tab, and every bidirectional control, becomes U+FFFD before it reaches the terminal
    (or a file: a log viewed later is a terminal too)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from stitch_ls.core.safetext import plain

        return self._stream.write(plain(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb not in ("serve", "mcp"):  # those speak a protocol on stdout, not to people
        sys.stdout, sys.stderr = PlainText(sys.stdout), PlainText(sys.stderr)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"stitch-ls: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `stitch-ls … | head`: the reader is gone, nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # what is still buffered goes nowhere, quietly, at exit
        return 0
