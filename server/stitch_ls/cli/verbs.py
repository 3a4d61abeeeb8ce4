"""Each verb of `stitch-ls`: parse its arguments, call an operation of the core (the same the
editor and MCP call), and hand the answer to a formatter. Core imports are made inside each
verb: `stitch-ls guard` runs once per agent tool call and loads only what it needs."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.cli.common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    CliError,
    as_a_person,
    clock_now,
    emit,
    find_workspace,
    minutes_of,
    scan_everything,
    since_of,
    summaries,
    when_text,
    workspace_of,
)
from stitch_ls.cli.formatters import format_draft, format_status, state_line
from stitch_ls.core.policy.decisions import AGENT, TERMINAL


def cmd_serve(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.lsp.app import create_server
    from stitch_ls.lsp.stdio import serve_stdio

    serve_stdio(create_server())
    return 0


def cmd_draft_add(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.index import parse_draft_text
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import add_draft, stamped

    ws = workspace_of(args)
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
        now = clock_now()
        added = add_draft(ws, stamped(draft, now), now, replace=args.replace)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    emit(
        {"id": added.id, "file": str(added.file), "gate": added.gate, "reason": added.reason},
        args.json,
        lambda d: (
            f"added draft {d['id']} ({d['file']}): {d['gate']}"
            + (f" — {d['reason']}" if d["reason"] else "")
        ),
    )
    return 0


def cmd_draft_list(args: argparse.Namespace) -> int:
    page = summaries(workspace_of(args), args.limit)
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

    emit(rows, args.json, text)
    return 0


def cmd_draft_show(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.edits import preview_diff
    from stitch_ls.core.workspace import draft_summary

    ws = workspace_of(args)
    scan_everything(ws)
    record = ws.drafts.by_id.get(args.id)
    if record is None:
        raise CliError(f"no draft with id {args.id!r}")
    data = record.draft.to_data() if record.draft else {"error": record.error}
    if args.id in ws.state.outcomes:
        outcome = ws.state.outcomes[args.id]
        data["outcome"] = outcome.outcome
    record = ws.rechecked(record)
    evaluation = ws.evaluate(
        record,
        ws.gate_context(clock_now(), ignore_quiet=True),
        ws.read_disk,
        ws.find_symbol_on_disk,
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


def cmd_draft_apply(args: argparse.Namespace) -> int:
    """Apply a draft to the files on disk (for people without an editor at hand)."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import apply_on_disk
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = workspace_of(args)
    as_a_person(
        f"Apply draft {args.id} to the files on disk, as {user_email(ws.root)}.",
        f"apply {args.id}",
    )
    try:
        applied = apply_on_disk(ws, args.id, clock_now(), user_email(ws.root), door=TERMINAL)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    emit(
        {"applied": True, "draft": applied.draft, "files": applied.files},
        args.json,
        lambda d: f"applied {d['draft']}: " + ", ".join(d["files"]),
    )
    return 0


def cmd_draft_reject(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.vcs.gitinfo import user_email
    from stitch_ls.core.workspace import Refused

    ws = workspace_of(args)
    scan_everything(ws)  # an agent commit's draft is rejected as a draft file is
    as_a_person(f"Reject draft {args.id} as {user_email(ws.root)}.", f"reject {args.id}")
    try:
        ws.reject(args.id, args.reason, user_email(ws.root), clock_now(), door=TERMINAL)
    except Refused as exc:
        raise CliError(str(exc)) from None
    print(f"rejected {args.id}")
    return 0


def cmd_draft_withdraw(args: argparse.Namespace) -> int:
    """An agent takes back its own draft before a person decided on it (MCP's
    `withdraw_draft`; `--agent` says who is asking, as `ask --agent` does)."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import withdraw_draft

    ws = workspace_of(args)
    try:
        done = withdraw_draft(ws, args.id, args.agent, clock_now())
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    emit(
        {"id": done.id, "state": "withdrawn", "agent": done.agent},
        args.json,
        lambda d: f"withdrew draft {d['id']} ({d['agent']}'s); it is no longer in the inbox",
    )
    return 0


def cmd_draft_vouch(args: argparse.Namespace) -> int:
    """A human vouches for a draft parked without sources (never offered to agents: not in
    MCP); the draft then meets the rest of the gate."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import scan_all, vouch
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = workspace_of(args)
    scan_all(ws, clock_now())
    as_a_person(
        f"Vouch for draft {args.id} (parked for want of sources) as "
        f"{user_email(ws.root)}, with your note: {args.note or ''}",
        f"vouch {args.id}",
    )
    try:
        done = vouch(ws, args.id, args.note, user_email(ws.root), clock_now(), door=TERMINAL)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.gate import bare_reason

    reason = bare_reason(done.gate, done.reason)
    emit(
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
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.verify import CouldNotRun, NotApproved, verify
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = workspace_of(args)
    scan_everything(ws)  # an agent commit's draft is verified as a draft file is
    try:
        try:
            verdict = verify(ws, args.id, user_email(ws.root), clock_now())
        except NotApproved as exc:  # its first run here: a person sees the command first
            as_a_person(
                f"The team's test command has not run on this machine before:\n  "
                f"{' '.join(exc.command)}\nIt runs with your rights, in a scratch worktree.",
                f"run {args.id}",
            )
            verdict = verify(ws, args.id, user_email(ws.root), clock_now(), approve_command=True)
    except (CouldNotRun, Refused) as exc:
        raise CliError(f"verify {args.id}: could not run: {exc}", EXIT_USAGE) from None
    emit(verdict.to_data(), args.json, lambda _: verdict.line())
    if not verdict.passed and not args.json:
        print(verdict.tail.rstrip()[-1500:], file=sys.stderr)
    return 0 if verdict.passed else 1


def cmd_status(args: argparse.Namespace) -> int:
    """The editor's status object: policy, switches, drafts (agent commits' included),
    streams and stitch points."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.operations import look_at_git, status

    ws = workspace_of(args)
    now = clock_now()
    ws.scan_drafts(now)
    git = look_at_git(ws, now)
    emit(status(ws, now, git), args.json, format_status)
    return 0


def cmd_read_only(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.files.fsio import locked
    from stitch_ls.core.vcs.gitinfo import user_email
    from stitch_ls.core.workspace import Refused

    ws = workspace_of(args)
    on = args.state == "on"
    if not on:  # turning it on stays open to anyone, agents included
        as_a_person(
            f"Turn the agents' read-only switch off for {ws.root}, as {user_email(ws.root)}.",
            "read-only off",
        )
    with locked(ws.paths.apply_lock):  # never between an editor's check and commit
        try:
            # turning it on needs no person: without a terminal, an agent may have done it
            door = TERMINAL if not on or sys.stdin.isatty() else AGENT
            ws.set_read_only(on, args.reason, user_email(ws.root), clock_now(), door=door)
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
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import approve_team_file
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = workspace_of(args)
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
    as_a_person(f"The team file waiting for your approval:\n{shown}", token)
    try:
        done = approve_team_file(ws, user_email(ws.root), clock_now(), "terminal")
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    print(f"approved: the team file in force is now {ws.team_source.label} ({done.digest[:8]})")
    return 0


def cmd_focus(args: argparse.Namespace) -> int:
    """`focus [DURATION|off]`: the same focus session as the editors' (the engineer's state),
    started or ended by a person; alone, where quiet hours stand."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.files.fsio import locked
    from stitch_ls.core.timefmt import human_time

    ws = workspace_of(args)
    now = clock_now()
    if args.duration is not None:
        minutes = 0 if args.duration == "off" else minutes_of(args.duration)
        question = (
            "End your focus session."
            if minutes == 0
            else f"Start a focus session of {minutes} minutes: no agent prompt, suggestion or "
            "notification until it ends."
        )
        as_a_person(question, "focus off" if minutes == 0 else f"focus {args.duration}")
        # start-up: the guard and --help load this module; the core loads per verb
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

    emit(data, args.json, text)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core import operations
    from stitch_ls.core.errors import Refused

    ws = workspace_of(args)
    sources = [{"kind": k, "ref": r, "why": w} for k, r, w in args.source or []]
    try:
        asked = operations.ask(
            ws, args.question, args.option, args.agent, args.stream, sources, clock_now(), args.id
        )
    except Refused as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    quiet = ws.quiet_state(clock_now())
    queued = None
    if quiet.on:  # not shown until they end: say so, and until when
        until = when_text(ws, quiet.until) or "further notice"
        why = "a focus session" if quiet.reason == "focus" else "quiet hours"
        queued = f"the engineer is in {why} until {until}: the question is queued, shown after"
    if args.wait is None or queued is not None:
        said = {"id": asked.id, "file": str(asked.file), "queued": queued}
        emit(
            said,
            args.json,
            lambda d: f"asked {d['id']}" + (f"; {d['queued']}" if d["queued"] else ""),
        )
        return 0 if args.wait is None else 4
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        if (answered := operations.answer_of(asked)) is not None:
            emit(answered.to_data(), args.json, lambda d: d["answer"])
            return 0
        time.sleep(0.1)
    print(f"no answer within {args.wait:g}s; prompt {asked.id} stays pending", file=sys.stderr)
    return 4


def cmd_prompts(args: argparse.Namespace) -> int:
    """The agents' questions still waiting for an answer, oldest first."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.prompts import pending_prompts, scan_prompts

    ws = workspace_of(args)
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
            asked = when_text(ws, row["created"])
            out.append(
                f"{row['id']}: {row['agent']} ({row['stream']}) asks"
                + (f", {asked}" if asked else "")
                + f": {row['question']}\n"
                + "    options: "
                + ", ".join(f"{n}) {o}" for n, o in enumerate(row["options"], 1))
            )
        return "\n".join(out) + "\nanswer with: stitch-ls answer ID OPTION"

    emit(rows, args.json, text)
    return 0


def cmd_answer(args: argparse.Namespace) -> int:
    """Answer a pending prompt with one of its options (its text, or its number)."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.prompts import scan_prompts
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import answer
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = workspace_of(args)
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
    as_a_person(
        f"Answer {prompt.agent}'s question {prompt.id} ({prompt.question}) with {option}.",
        f"answer {args.id}",
    )
    try:
        answered = answer(ws, path, option, user_email(ws.root), clock_now(), door=TERMINAL)
    except Refused as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None
    except ValueError as exc:
        choices = ", ".join(prompt.options)
        raise CliError(f"answer {args.id}: {exc} ({choices})", EXIT_USAGE) from None
    except OSError as exc:
        raise CliError(f"answer {args.id}: {exc}") from None
    emit(
        {"id": answered.id, "answer": answered.answer, "answered_by": answered.answered_by},
        args.json,
        lambda d: f"answered {d['id']}: {d['answer']}",
    )
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """The source log for people: plain text (default), Markdown, one HTML page, JSON lines
    of the log as written, or Agent Trace records."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.record import logbook
    from stitch_ls.core.record.sourcelog import read_log

    ws = workspace_of(args)
    since = since_of(args.since)
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
        # start-up: the guard and --help load this module; the core loads per verb
        from stitch_ls.core.record.agenttrace import export

        records, waiting = export(ws.root, entries, args.stream, since)
        for record in records:
            print(json.dumps(record, sort_keys=True))
        if waiting:
            print(
                f"{waiting} applied drafts not yet committed: exported once they are",
                file=sys.stderr,
            )
        return 0
    ws.load_state()
    ws.scan_drafts(clock_now())
    book = logbook.gather(ws).filtered(args.stream, since)
    for problem in book.problems:
        print(f"warning: {problem}", file=sys.stderr)
    if fmt == "md":
        print(logbook.to_markdown(book), end="")
    elif fmt == "html":
        print(logbook.to_html(book, ws.root.name, clock_now()), end="")
    else:
        print(logbook.to_text(book), end="")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.drafts.model import Draft, Prompt
    from stitch_ls.core.policy.config import TeamConfig

    model: Any = {"draft": Draft, "prompt": Prompt, "config": TeamConfig}[args.kind]
    print(json.dumps(model.json_schema(), indent=2))
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Keep the repository's live streams and collision index fresh beside agents, where no
    editor runs Stitch: the guard then knows what other streams are changing."""
    # start-up: the guard and --help load this module; the core loads per verb
    import threading

    from stitch_ls.indexer.process import watch_repository

    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    stop = threading.Event()
    if args.once:
        stop.set()
    else:
        print(f"stitch watch: watching {root} and its worktrees (Ctrl-C stops)", flush=True)

    def say(line: str) -> None:
        print(f"{clock_now().strftime('%H:%M:%S')} {line}", flush=True)

    try:
        return watch_repository(root, say, stop)
    except KeyboardInterrupt:
        return 0


def cmd_check(args: argparse.Namespace) -> int:
    """For CI and pre-push hooks: fail on an invalid team file, features over the stream cap,
    or unsigned stitch points (with a readable list)."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.operations import look_at_git

    ws = workspace_of(args)
    failures = [
        f"{ws.paths.config}:{p.line + 1}: invalid team file: {p.message}"
        for p in ws.config_problems
    ]
    team = ws.team
    if args.base:
        team = team.replace(streams=team.streams.replace(base=args.base))
    git = look_at_git(ws, clock_now(), team, live=not args.committed)
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
    emit(
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
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import look_at_git, sign_off
    from stitch_ls.core.vcs.gitinfo import user_email

    ws = workspace_of(args)
    git = look_at_git(ws, clock_now())
    if git.snapshot is None:
        raise CliError(f"{ws.root} is not a git repository")
    for point in git.points:
        if point.id == args.id:
            as_a_person(
                f"Sign off stitch point {point.id} ({point.path} {point.symbol}, "
                f"streams {', '.join(point.streams)}) as {user_email(ws.root)}.",
                f"sign-off {point.id}",
            )
            try:
                entry = sign_off(ws, point, user_email(ws.root), clock_now(), door=TERMINAL)
            except Refused as exc:
                raise CliError(str(exc), EXIT_REFUSED) from None
            emit(
                entry,
                args.json,
                lambda e: f"signed off {e['stitch_id']} ({e['path']} {e['symbol']})",
            )
            return 0
    raise CliError(f"no stitch point {args.id!r} (run `stitch-ls check` to list them)")


def cmd_report(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.record import outcomes
    from stitch_ls.core.record import report as rp

    ws = workspace_of(args)
    now = since_of(args.as_of) if args.as_of else clock_now()
    assert now is not None
    try:
        report, warnings = outcomes.report(ws, now, since_of(args.since), args.signals)
    except ValueError as exc:
        raise CliError(f"report --signals: {exc}", EXIT_USAGE) from None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
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
    # start-up: the guard and --help load this module; the core loads per verb
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
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.mcp_server import run

    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    if not root.is_dir():
        raise CliError(f"workspace {root} is not a folder", EXIT_USAGE)
    run(root, args.agent)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.demo import run_demo

    return run_demo(keep=args.keep)


def cmd_guard(args: argparse.Namespace) -> int:
    """One decision for an agent's pre-tool hook, or for git's commit hooks. Nothing may
    escape as a traceback: agents read most non-zero exits as "carry on"."""
    agent = args.agent or ""
    try:
        # start-up: the guard and --help load this module; the core loads per verb
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
        result = hooks.run_guard(agent, sys.stdin.read(), workspace, find_workspace, clock_now())
    except BaseException as exc:  # noqa: BLE001 - deny, whatever happened
        # start-up: the guard and --help load this module; the core loads per verb
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
            # start-up: the guard and --help load this module; the core loads per verb
            from stitch_ls.posttool import run_attribute

            result = run_attribute(args.agent or "", sys.stdin.read(), workspace, clock_now())
            sys.stdout.write(result.stdout)
            sys.stderr.write(result.stderr)
            return result.code
        # start-up: the guard and --help load this module; the core loads per verb
        from stitch_ls.core.record import binding

        root = workspace or find_workspace(Path.cwd())
        if args.mode == "git-post-commit":
            said = binding.post_commit(root, clock_now())
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
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.hooks import TIME_LIMIT_S, OutOfTime, end_children, time_limit

    try:
        with time_limit(TIME_LIMIT_S * 5):  # a commit waits longer than a tool call
            return _guard_git_now(args, workspace)
    except OutOfTime as exc:
        end_children()
        print(f"stitch: commit refused: {exc}", file=sys.stderr)
        return 1


def _guard_git_now(args: argparse.Namespace, workspace: Path | None) -> int:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.hooks import git_commit_verdict

    root = workspace or find_workspace(Path.cwd())
    message = None
    if args.message_file:
        message = Path(args.message_file).read_text(encoding="utf-8", errors="replace")
    verdict = git_commit_verdict(root, message, clock_now())
    if verdict.deny:
        print(f"stitch-ls: {verdict.reason}", file=sys.stderr)
        return 1
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    if not root.is_dir():
        raise CliError(f"workspace {root} is not a folder", EXIT_USAGE)
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.starter import init_workspace

    what = ["a starter team file"]
    if args.agents:
        what.append(f"the guard in {args.agents}'s hook settings")
    if args.git_hooks:
        what.append("git hooks")
    as_a_person(f"Set up Stitch in {root}: {', '.join(what)}.", "init")
    try:
        said = init_workspace(root)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"init: {exc}", EXIT_USAGE) from None
    files_said = len(said)
    said += init_guard_hooks(root, args.agents, args.git_hooks)
    if args.share_notes:
        # start-up: the guard and --help load this module; the core loads per verb
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
    # start-up: the guard and --help load this module; the core loads per verb
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
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.errors import Refused
    from stitch_ls.core.operations import approve_team_file, open_workspace
    from stitch_ls.core.vcs.gitinfo import user_email

    ws, _ = open_workspace(root)
    if ws.team_source.proposal is None or ws.team_source.waiting:
        return []
    try:
        approve_team_file(ws, user_email(root), clock_now(), "terminal")
    except Refused:
        return []
    return [
        ".stitch/config.toml: approved by you (in force until one is committed on the base branch)"
    ]


def init_guard_hooks(root: Path, agents: str | None, git_hooks: bool) -> list[str]:
    """`init --agents` and `init --git-hooks`: the guard wired into agents' and git's hooks."""
    # start-up: the guard and --help load this module; the core loads per verb
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
