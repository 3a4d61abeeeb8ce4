"""The command line of `stitch-ls`: every verb, its options and the function that runs it."""

from __future__ import annotations

import argparse

from stitch_ls import __version__
from stitch_ls.cli.common import limit_of
from stitch_ls.cli.verbs import (
    cmd_answer,
    cmd_approve,
    cmd_ask,
    cmd_attribute,
    cmd_blame,
    cmd_check,
    cmd_demo,
    cmd_draft_add,
    cmd_draft_apply,
    cmd_draft_list,
    cmd_draft_reject,
    cmd_draft_show,
    cmd_draft_vouch,
    cmd_draft_withdraw,
    cmd_focus,
    cmd_guard,
    cmd_init,
    cmd_log,
    cmd_mcp,
    cmd_prompts,
    cmd_read_only,
    cmd_report,
    cmd_schema,
    cmd_serve,
    cmd_sign_off,
    cmd_status,
    cmd_verify,
    cmd_watch,
)
from stitch_ls.core.listing import LIST_LIMIT


def build_parser() -> argparse.ArgumentParser:
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
        "--limit",
        type=limit_of,
        default=LIST_LIMIT,
        help=f"at most this many (default {LIST_LIMIT})",
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
