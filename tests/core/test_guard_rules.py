"""The guard's rule in-process: exact verdicts for each rule, its order, and the denial record
(tests/test_guard.py drives the same rule through real agent hooks; this file is what mutmut
can reach)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.guard.rules import (
    ALLOW,
    DRAFT_ADVICE,
    PolicyFacts,
    ToolEvent,
    Verdict,
    denial_counts,
    denial_line,
    denials_file,
    judge,
    read_only_command,
    read_only_text,
    record_denial,
    workspace_paths,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def root(tmp_path: Path) -> str:
    folder = tmp_path / "ws"
    (folder / "src").mkdir(parents=True)
    (folder / "migrations").mkdir()
    (folder / "src" / "to-migrations").symlink_to(folder / "migrations")
    return str(folder)


def edit(*paths: str, tool: str = "Edit", cwd: str | None = None) -> ToolEvent:
    return ToolEvent("claude", "edit", tool, paths, cwd=cwd)


RO = {
    "read_only": True,
    "read_only_by": "lead@example.com",
    "read_only_since": "2026-11-30 09:00 EET",
    "read_only_reason": "incident",
}
RO_TEXT = (
    "agents are read-only (the Stitch read-only switch, set by lead@example.com since 2026-11-30 09:00 EET: "
    "incident); a human turns it off with `stitch-ls read-only off`"
)


def test_read_only_text_names_who_since_and_why_or_says_it_does_not_know():
    assert read_only_text(PolicyFacts("/r", **RO)) == RO_TEXT
    assert read_only_text(PolicyFacts("/r", read_only=True)) == (
        "agents are read-only (the Stitch read-only switch, set by unknown: no reason given); "
        "a human turns it off with `stitch-ls read-only off`"
    )


def test_read_only_denies_edits_shell_foreign_mcp_and_unknown_tools(root: str):
    facts = PolicyFacts(root, **RO)
    assert judge(edit("src/a.py"), facts) == Verdict(
        True, f"Edit is stopped: {RO_TEXT}", "read_only"
    )
    assert judge(edit("src/a.py", tool=""), facts).reason == f"editing files is stopped: {RO_TEXT}"
    shell = ToolEvent("claude", "shell", "Bash", command="rm -rf src")
    assert judge(shell, facts) == Verdict(
        True,
        f"shell commands are stopped (only read-only ones such as `git status` run): {RO_TEXT}",
        "read_only",
    )
    assert judge(shell._replace(command="git status"), facts) == ALLOW
    assert judge(shell._replace(command=None), facts).deny
    mcp = ToolEvent("claude", "mcp", "other__tool")
    assert judge(mcp, facts).reason == f"MCP tool other__tool is stopped: {RO_TEXT}"
    assert judge(mcp._replace(stitch_tool=True), facts) == ALLOW
    other = ToolEvent("claude", "other", "Frobnicate")
    assert judge(other, facts).reason == (
        f"Frobnicate is not known to be read-only, so it is stopped: {RO_TEXT}"
    )
    assert judge(other._replace(tool=""), facts).reason.startswith("this tool is not known")
    for kind in ("read", "question", "notify"):
        assert judge(ToolEvent("claude", kind, "T"), facts) == ALLOW
    # proposing is how an agent works while read-only
    assert judge(edit(".stitch/drafts/d.json"), facts) == ALLOW
    assert judge(edit(".stitch/prompts/q.json", ".stitch/drafts/d.json"), facts) == ALLOW
    assert judge(edit(".stitch/drafts/d.json", "src/a.py"), facts).deny
    assert judge(edit(".stitch/drafts/d.json", "/elsewhere/x"), facts).deny


def test_quiet_hours_deny_only_interruptions(root: str):
    facts = PolicyFacts(root, quiet=True, quiet_until="2026-11-30 11:30 EET")
    question = ToolEvent("claude", "question", "AskUser")
    assert judge(question, facts) == Verdict(
        True,
        "quiet hours until 2026-11-30 11:30 EET: ask later or write a prompt file",
        "quiet_hours",
    )
    assert judge(question._replace(kind="notify"), facts).key == "quiet_hours"
    assert judge(question, facts._replace(quiet_until=None)).reason == (
        "quiet hours: ask later or write a prompt file"
    )
    assert judge(edit("src/a.py"), facts) == ALLOW
    assert judge(question, facts._replace(quiet=False)) == ALLOW


def test_a_stream_over_its_cap_stops_edits_but_not_proposals(root: str):
    facts = PolicyFacts(root, over_cap="checkout has 3 active streams (cap 2)")
    assert judge(edit("src/a.py"), facts) == Verdict(
        True,
        "checkout has 3 active streams (cap 2); edits on this stream are stopped",
        "stream_over_cap",
    )
    assert judge(edit(".stitch/drafts/d.json"), facts) == ALLOW
    assert judge(ToolEvent("claude", "shell", "Bash", command="make"), facts) == ALLOW


def test_irreversible_paths_are_denied_as_written_and_through_links(root: str):
    facts = PolicyFacts(root, irreversible_paths=("migrations/**",))
    expected = Verdict(
        True,
        "migrations/0001.sql is an irreversible path (migrations/** in the team file): "
        f"do not edit it directly; {DRAFT_ADVICE}",
        "irreversible_path",
    )
    assert judge(edit("migrations/0001.sql"), facts) == expected
    assert judge(edit(f"{root}/migrations/0001.sql"), facts) == expected
    via_link = judge(edit("src/to-migrations/0001.sql"), facts)
    assert via_link == expected  # the real path is checked too
    assert judge(edit("0001.sql", cwd=f"{root}/migrations"), facts) == expected
    assert judge(edit("src/a.py"), facts) == ALLOW
    assert judge(ToolEvent("claude", "write", "Write", ("migrations/x",)), facts).deny


def test_an_edit_without_paths_is_denied_only_when_the_team_guards_paths(root: str):
    pathless = edit()
    assert judge(pathless, PolicyFacts(root)) == ALLOW
    expected = Verdict(
        True,
        f"cannot tell which file Edit edits, and the team guards some paths; {DRAFT_ADVICE}",
        "unknown_path",
    )
    assert judge(pathless, PolicyFacts(root, irreversible_paths=("x",))) == expected
    assert judge(pathless, PolicyFacts(root, direct_edits="drafts-only")) == expected
    assert judge(
        pathless._replace(tool=""), PolicyFacts(root, direct_edits="drafts-only")
    ).reason == (
        f"cannot tell which file this tool edits, and the team guards some paths; {DRAFT_ADVICE}"
    )


def test_drafts_only_denies_direct_edits_inside_the_workspace(root: str):
    facts = PolicyFacts(root, direct_edits="drafts-only")
    assert judge(edit("src/a.py", "src/b.py"), facts) == Verdict(
        True,
        'the team takes agent changes as drafts only ([agents] direct_edits = "drafts-only"), '
        f"so src/a.py is not edited directly; {DRAFT_ADVICE}",
        "drafts_only",
    )
    assert judge(edit("/elsewhere/a.py"), facts) == ALLOW  # outside the workspace
    assert judge(edit(".stitch/drafts/d.json"), facts) == ALLOW


def test_read_only_wins_over_the_later_rules(root: str):
    facts = PolicyFacts(root, **RO, quiet=True, over_cap="cap", irreversible_paths=("src/**",))
    assert judge(edit("src/a.py"), facts).key == "read_only"
    assert judge(edit("src/a.py"), facts._replace(read_only=False)).key == "stream_over_cap"
    assert judge(edit("src/a.py"), facts._replace(read_only=False, over_cap=None)).key == (
        "irreversible_path"
    )


def test_workspace_paths_as_written_and_resolved(root: str):
    assert workspace_paths(root, "src/a.py", None) == ("src/a.py",)
    assert workspace_paths(root, "src/to-migrations/x", None) == (
        "src/to-migrations/x",
        "migrations/x",
    )
    assert workspace_paths(root, "a.py", f"{root}/src") == ("src/a.py",)
    assert workspace_paths(root, "a.py", "relative/cwd") == ("a.py",)
    for outside in ("", "a\x00b", ".", "..", "../x", "/etc/passwd", root):
        assert workspace_paths(root, outside, None) == (), outside
    assert workspace_paths(root, "..foo", None) == ("..foo",)


@pytest.mark.parametrize(
    ("command", "allowed"),
    [
        ("git status", True),
        ("git status --short", True),
        ("/usr/bin/git log -3", True),
        ("stitch-ls draft list", True),
        ("stitch-ls draft", False),
        ("ls", True),
        ("pwd", True),
        ("git", False),
        ("git push", False),
        ("git diff --output=x", False),
        ("git log -o x", False),
        ("git diff --ext-diff", False),
        ("ls; rm -rf /", False),
        ("ls && rm x", False),
        ("ls $(rm x)", False),
        ("ls *", False),
        ("git status 'unclosed", False),
        ("", False),
        ("   ", False),
        ("rm -rf src", False),
    ],
)
def test_read_only_command_allow_list(command: str, allowed: bool):
    assert read_only_command(command) is allowed


def test_denials_are_recorded_per_user_and_counted(root: str):
    facts = PolicyFacts(root, **RO)
    event = edit("src/a.py")
    verdict = judge(event, facts)
    line = json.loads(denial_line(event, verdict, T0))
    assert line == {
        "at": "2026-11-30T09:00:00+00:00",
        "agent": "claude",
        "tool": "Edit",
        "kind": "edit",
        "reason": "read_only",
        "message": verdict.reason,
    }
    assert denial_counts(root) == {"denied": 0, "by_reason": {}, "by_agent": {}}
    record_denial(root, event, verdict, T0 - timedelta(hours=2))
    record_denial(root, event._replace(agent="codex"), verdict, T0)
    quiet = Verdict(True, "q", "quiet_hours")
    record_denial(root, ToolEvent("codex", "question", "Ask"), quiet, T0)
    with denials_file(root).open("a") as handle:
        handle.write('not json\n{"at": "garbage"}\n[1, 2]\n{"reason": "", "agent": ""}\n')
    assert denial_counts(root) == {
        "denied": 5,
        "by_reason": {"quiet_hours": 1, "read_only": 2, "unknown": 2},
        "by_agent": {"claude": 1, "codex": 2, "unknown": 2},
    }
    assert denial_counts(root, since=T0) == {
        "denied": 2,
        "by_reason": {"quiet_hours": 1, "read_only": 1},
        "by_agent": {"codex": 2},
    }
    assert denials_file(root).parent == denials_file(root + "/").parent
