"""`stitch-ls guard` through the real process: each agent's documented hook events in, its
documented answer out, decided from the same policy every other door reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitrepos import STREAM_TEAM, commit_on, stream_repo
from hookevents import (
    claude,
    claude_denial,
    cursor,
    cursor_denial,
    guard,
    read_only_on,
    run,
    team,
    vscode,
)
from workspaces import TEAM, git, make_workspace

# -- irreversible paths and drafts-only ------------------------------------------------------


def test_claude_code_edits_to_irreversible_paths_are_denied_with_the_draft_advice(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    denied = [
        claude(root, "Write", {"file_path": str(root / "migrations/0003.sql"), "content": "x"}),
        claude(
            root, "Edit", {"file_path": "migrations/0001.sql", "old_string": "a", "new_string": "b"}
        ),
        claude(root, "MultiEdit", {"file_path": str(root / "migrations/m.sql"), "edits": []}),
        claude(root, "NotebookEdit", {"notebook_path": str(root / "migrations/n.ipynb")}),
        claude(root, "Write", {"file_path": "../migrations/x.sql"}, cwd=root / "src"),
    ]
    for event in denied:
        reason = claude_denial(guard(env, "claude-code", event))
        assert reason is not None, event
        assert "irreversible path (migrations/** in the team file)" in reason
        assert "propose_draft" in reason and "stitch-ls draft add" in reason
    allowed = [
        claude(root, "Edit", {"file_path": str(root / "src/checkout.py"), "old_string": "a"}),
        claude(root, "Write", {"file_path": str(tmp_path / "elsewhere/migrations/1.sql")}),
        claude(root, "Bash", {"command": "rm -rf build", "description": "clean"}),
        claude(root, "Read", {"file_path": str(root / "migrations/0001.sql")}),
        claude(root, "mcp__github__create_issue", {"title": "x"}),
    ]
    for event in allowed:
        result = guard(env, "claude-code", event)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), event


def test_a_symlink_cannot_hide_an_irreversible_path(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    (root / "migrations").mkdir()
    (root / "src" / "alias").symlink_to(root / "migrations")
    event = claude(root, "Write", {"file_path": str(root / "src/alias/0004.sql")})
    assert "migrations/0004.sql is an irreversible path" in claude_denial(
        guard(env, "claude-code", event)
    )


def test_drafts_only_denies_every_direct_edit_inside_the_workspace(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(
        tmp_path / "ws", TEAM.replace("[agents]\n", '[agents]\ndirect_edits = "drafts-only"\n')
    )
    reason = claude_denial(
        guard(
            env, "claude-code", claude(root, "Edit", {"file_path": str(root / "src/checkout.py")})
        )
    )
    assert (
        reason is not None
        and 'direct_edits = "drafts-only"' in reason
        and "propose_draft" in reason
    )
    draft_file = claude(root, "Write", {"file_path": str(root / ".stitch/drafts/d1.json")})
    outside = claude(root, "Write", {"file_path": str(tmp_path / "notes.txt")})
    for event in (draft_file, outside):
        assert claude_denial(guard(env, "claude-code", event)) is None
    cursor_edit = cursor(
        root, "preToolUse", tool_name="Write", tool_input={"file_path": str(root / "new.py")}
    )
    assert "drafts-only" in cursor_denial(guard(env, "cursor", cursor_edit))


# -- read-only -------------------------------------------------------------------------------


def test_read_only_stops_edits_shell_and_foreign_mcp_tools_until_a_human_turns_it_off(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    edit = claude(root, "Edit", {"file_path": str(root / "src/checkout.py"), "old_string": "a"})
    assert claude_denial(guard(env, "claude-code", edit)) is None  # compiles and caches the policy
    read_only_on(env, root)
    reason = claude_denial(guard(env, "claude-code", edit))
    assert reason is not None
    assert "agents are read-only (the Stitch read-only switch, set by dev@example.com" in reason
    assert "incident 42" in reason and "stitch-ls read-only off" in reason
    # since when, as every door writes a time (core.timefmt): to the minute, the zone named
    assert re.search(r"dev@example\.com since \d{4}-\d\d-\d\d \d\d:\d\d \S+: incident", reason)
    denied = [
        claude(root, "Write", {"file_path": str(tmp_path / "outside.txt")}),
        claude(root, "Bash", {"command": "pytest -q"}),
        claude(root, "Bash", {"command": "git status; rm -rf src"}),
        claude(root, "Bash", {"command": "git diff --output=src/x.py"}),
        claude(root, "mcp__github__create_issue", {"title": "x"}),
        claude(root, "SomeNewTool", {}),
    ]
    for event in denied:
        assert "agents are read-only" in (claude_denial(guard(env, "claude-code", event)) or ""), (
            event
        )
    allowed = [
        claude(root, "Bash", {"command": "git status"}),
        claude(root, "Bash", {"command": "git diff HEAD~1 -- src"}),
        claude(root, "Bash", {"command": "stitch-ls status --json"}),
        claude(root, "mcp__stitch__propose_draft", {"draft": {}}),
        claude(root, "Write", {"file_path": str(root / ".stitch/drafts/fix.json")}),
        claude(root, "Grep", {"pattern": "total"}),
    ]
    for event in allowed:
        assert claude_denial(guard(env, "claude-code", event)) is None, event
    assert run(env, "read-only", "off", "--workspace", str(root)).returncode == 0
    assert claude_denial(guard(env, "claude-code", edit)) is None


def test_read_only_in_cursor_and_vscode_formats(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    read_only_on(env, root, "release freeze")
    shell = cursor(root, "beforeShellExecution", command="npm install left-pad", cwd=str(root))
    assert "release freeze" in cursor_denial(guard(env, "cursor", shell))
    status = cursor(root, "beforeShellExecution", command="git status", cwd=str(root))
    assert cursor_denial(guard(env, "cursor", status)) is None
    mcp = cursor(
        root, "beforeMCPExecution", tool_name="query", tool_input={"q": 1}, url="http://db"
    )
    assert "MCP tool query is stopped" in cursor_denial(guard(env, "cursor", mcp))
    ours = cursor(
        root,
        "beforeMCPExecution",
        tool_name="propose_draft",
        tool_input={},
        command="stitch-ls mcp",
    )
    assert cursor_denial(guard(env, "cursor", ours)) is None
    edit = cursor(
        root, "preToolUse", tool_name="StrReplace", tool_input={"path": "src/checkout.py"}
    )
    assert "StrReplace is stopped" in cursor_denial(guard(env, "cursor", edit))
    for tool, tool_input in [
        ("editFiles", {"files": [str(root / "src/checkout.py")]}),
        ("runInTerminal", {"command": "make deploy"}),
        ("create_file", {"filePath": str(root / "src/new.py"), "content": ""}),
    ]:
        reason = claude_denial(guard(env, "vscode", vscode(root, tool, tool_input)))
        assert reason is not None and "release freeze" in reason, tool
    assert (
        claude_denial(guard(env, "vscode", vscode(root, "runInTerminal", {"command": "git log"})))
        is None
    )


# -- quiet hours -----------------------------------------------------------------------------


def test_quiet_hours_deny_questions_and_notifications_but_not_work(
    tmp_path: Path, env: dict[str, str]
):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    root = make_workspace(
        tmp_path / "ws",
        TEAM + f'\n[quiet_hours]\ntimezone = "UTC"\n[[quiet_hours.windows]]\n'
        f'start = "{start:%H:%M}"\nend = "{end:%H:%M}"\n',
    )
    question = claude(root, "AskUserQuestion", {"questions": [{"question": "Which DB?"}]})
    reason = claude_denial(guard(env, "claude-code", question))
    # the time as every door writes it (core.timefmt): to the minute, the zone named
    assert reason == f"quiet hours until {end:%Y-%m-%d %H:%M} UTC: ask later or write a prompt file"
    notify = claude(root, "mcp__slack__send_notification", {"text": "done"})
    assert (claude_denial(guard(env, "claude-code", notify)) or "").startswith("quiet hours until")
    assert (
        claude_denial(guard(env, "claude-code", claude(root, "Edit", {"file_path": "src/a.py"})))
        is None
    )
    assert (
        claude_denial(guard(env, "claude-code", claude(root, "Bash", {"command": "pytest"})))
        is None
    )


# -- streams over the cap --------------------------------------------------------------------


def test_an_edit_from_a_worktree_whose_stream_is_over_the_cap_is_denied(
    tmp_path: Path, env: dict[str, str]
):
    root = stream_repo(tmp_path / "repo")
    commit_on(root, "stream/checkout/c", "src/checkout.py", "def pay", "def pay_now", "third")
    worktree = tmp_path / "wt-c"
    git(root, "worktree", "add", "-q", str(worktree), "stream/checkout/c")
    edit = claude(worktree, "Edit", {"file_path": str(worktree / "src/checkout.py")})
    reason = claude_denial(guard(env, "claude-code", edit))
    assert reason is not None
    assert "stream stream/checkout/c is one of 3 streams on feature checkout" in reason
    assert "over the team's cap of 2" in reason
    main_edit = claude(root, "Edit", {"file_path": str(root / "src/checkout.py")})
    assert claude_denial(guard(env, "claude-code", main_edit)) is None
    assert (
        claude_denial(guard(env, "claude-code", claude(worktree, "Bash", {"command": "ls"})))
        is None
    )
    git(root, "branch", "-D", "stream/checkout/b")  # back under the cap: the cache must see it
    assert claude_denial(guard(env, "claude-code", edit)) is None
    assert STREAM_TEAM  # the team file these streams are counted by


# -- the cache never loosens, failures deny --------------------------------------------------


def test_a_changed_team_file_or_a_corrupt_cache_is_never_trusted(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    docs = claude(root, "Write", {"file_path": str(root / "docs/api.md")})
    assert claude_denial(guard(env, "claude-code", docs)) is None
    team(root, TEAM.replace('["migrations/**"]', '["migrations/**", "docs/**"]'))
    assert "docs/api.md is an irreversible path" in claude_denial(guard(env, "claude-code", docs))
    for cache in (tmp_path / "state" / "stitch").glob("*-policy.json"):
        cache.write_text('{"version": "0.1.0/1", "root": "' + str(root) + '", "facts": {}}')
    assert "irreversible" in claude_denial(guard(env, "claude-code", docs))


@pytest.mark.parametrize("agent", ["claude-code", "cursor", "vscode"])
@pytest.mark.parametrize(
    "event",
    [
        "not json",
        "[1, 2]",
        '{"hook_event_name": "PreToolUse"}',
        '{"hook_event_name": "PreToolUse", "hookEventName": "PreToolUse", "tool_name": "Edit", "tool_input": "x"}',
        '{"hook_event_name": "Stop", "hookEventName": "Stop"}',
        "",
    ],
)
def test_malformed_events_are_denied_with_exit_2(
    tmp_path: Path, env: dict[str, str], agent: str, event: str
):
    root = make_workspace(tmp_path / "ws")
    result = guard(env, agent, event, cwd=root)
    assert result.returncode == 2
    assert result.stderr.startswith("the Stitch guard failed, so this action is denied: ")
    out = json.loads(result.stdout)
    decision = (
        out["permission"] if agent == "cursor" else out["hookSpecificOutput"]["permissionDecision"]
    )
    assert decision == "deny"


def test_a_guard_that_cannot_read_its_workspace_denies(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    (root / ".stitch" / "config.toml").unlink()
    (root / ".stitch" / "config.toml").mkdir()  # unreadable team file
    state = tmp_path / "state"
    state.write_text("not a folder")  # the per-user state folder cannot be made
    result = guard(env, "claude-code", claude(root, "Edit", {"file_path": "src/checkout.py"}))
    assert result.returncode == 2 and "the Stitch guard failed" in result.stderr


# -- counted, and shown in status ------------------------------------------------------------


def test_denials_are_counted_in_the_status_object(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    write = claude(root, "Write", {"file_path": str(root / "migrations/1.sql")})
    guard(env, "claude-code", write)
    guard(env, "claude-code", write)
    guard(
        env,
        "cursor",
        cursor(root, "preToolUse", tool_name="Write", tool_input={"file_path": "migrations/2.sql"}),
    )
    read_only_on(env, root)
    guard(env, "vscode", vscode(root, "runInTerminal", {"command": "make"}))
    status = json.loads(run(env, "status", "--json", "--workspace", str(root)).stdout)
    assert status["guard"] == {
        "denied": 4,
        "by_reason": {"irreversible_path": 3, "read_only": 1},
        "by_agent": {"claude-code": 2, "cursor": 1, "vscode": 1},
    }
    report = json.loads(run(env, "report", "--json", "--workspace", str(root)).stdout)
    assert report["guard"] == status["guard"]
    markdown = run(env, "report", "--workspace", str(root)).stdout
    assert "Agent actions the guard denied: 4 (irreversible_path 3, read_only 1;" in markdown
    assert not (root / ".stitch" / "source-log.jsonl").exists()


def test_the_guard_imports_neither_pydantic_nor_git_nor_tree_sitter(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    event = json.dumps(claude(root, "Write", {"file_path": str(root / "migrations/1.sql")}))
    assert guard(env, "claude-code", event).returncode == 0  # the policy is compiled once
    probe = (  # the guard ends with os._exit (nothing may keep it alive): caught to look
        "import os, sys\nended = []\n"
        "def end(code):\n    ended.append(code)\n    raise SystemExit(code)\n"
        "os._exit = end\nfrom stitch_ls.cli import main\n"
        "try:\n    main(['guard', '--agent', 'claude-code'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'pydantic_core', 'git', "
        "'tree_sitter', 'pygls', 'lsprotocol'})\nprint(ended[0], heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        input=event,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "irreversible path" in result.stdout
    assert result.stderr.strip() == "0 []"


# -- init and git ----------------------------------------------------------------------------


def test_init_merges_the_guard_into_agent_settings_without_clobbering(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    theirs = {
        "permissions": {"deny": ["Bash(curl:*)"]},
        "hooks": {
            "PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "lint.sh"}]}
            ]
        },
    }
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text(json.dumps(theirs))
    first = run(env, "init", "--agents", "claude-code,cursor", "--workspace", str(root))
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[-5:-3] == [
        ".claude/settings.json: added the Stitch guard (PreToolUse, PostToolUse)",
        ".cursor/hooks.json: created with the Stitch guard "
        "(preToolUse, beforeShellExecution, beforeMCPExecution, afterFileEdit)",
    ]
    assert lines[-3:] == [  # and their MCP settings, and the agents' instructions
        ".mcp.json: created with the Stitch MCP server",
        ".cursor/mcp.json: created with the Stitch MCP server",
        "AGENTS.md: created with the Stitch instructions",
    ]
    again = run(env, "init", "--agents", "claude-code,cursor", "--workspace", str(root))
    assert "already there" in again.stdout
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    assert settings["permissions"] == theirs["permissions"]
    groups = settings["hooks"]["PreToolUse"]
    assert groups[0] == theirs["hooks"]["PreToolUse"][0]
    assert groups[1]["matcher"] == "*" and len(groups) == 2
    [hook] = groups[1]["hooks"]
    command = hook["command"]
    assert command.endswith("stitch-ls guard --agent claude-code || exit 2")
    assert hook["onFailure"] == "block" and hook["timeout"] == 10  # a failed hook blocks
    after = settings["hooks"]["PostToolUse"]
    assert after == [
        {
            "matcher": "Edit|MultiEdit|Write",
            "hooks": [
                {
                    "type": "command",
                    "command": "stitch-ls attribute --agent claude-code",
                    "timeout": 10,
                }
            ],
        }
    ]
    hooks = json.loads((root / ".cursor" / "hooks.json").read_text())
    assert hooks["version"] == 1
    guarded = ("preToolUse", "beforeShellExecution", "beforeMCPExecution")
    assert all(len(hooks["hooks"][e]) == 1 and hooks["hooks"][e][0]["failClosed"] for e in guarded)
    assert hooks["hooks"]["afterFileEdit"] == [
        {"command": "stitch-ls attribute --agent cursor", "timeout": 10}
    ]
    # the command as written runs the real guard from the agent's shell
    event = json.dumps(claude(root, "Write", {"file_path": str(root / "migrations/9.sql")}))
    shell = subprocess.run(
        ["sh", "-c", command], input=event, env=env, capture_output=True, text=True, cwd=root
    )
    assert "irreversible path" in claude_denial(shell)
    missing = subprocess.run(
        ["/bin/sh", "-c", command],
        input=event,
        env={**env, "PATH": "/nonexistent"},
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2  # no stitch-ls on PATH still blocks, and says why
    assert "Stitch, which is not installed here" in missing.stderr
    assert "pipx install" in missing.stderr


def test_git_hooks_refuse_agent_commits_while_read_only(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    installed = run(env, "init", "--git-hooks", "--workspace", str(root))
    assert installed.returncode == 0, installed.stderr
    assert "pre-commit: installed the Stitch guard" in installed.stdout
    assert "commit-msg: installed the Stitch guard" in installed.stdout

    def commit(message: str) -> subprocess.CompletedProcess:
        (root / "src" / "checkout.py").write_text(f"# {message}\n")
        git(root, "add", "src")
        return subprocess.run(
            ["git", "commit", "-q", "-m", message],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
        )

    assert commit("human work").returncode == 0
    read_only_on(env, root, "bad deploy")
    trailer = commit("Agent fix\n\nStitch-Source: doc docs/a.md | rule\nStitch-Agent: claude-code")
    assert trailer.returncode != 0
    assert "Stitch-* trailers" in trailer.stderr and "bad deploy" in trailer.stderr
    git(root, "checkout", "-q", "-b", "stream/checkout/a")
    on_stream = commit("plain message")
    assert on_stream.returncode != 0
    assert "stream branch stream/checkout/a" in on_stream.stderr and "read-only" in on_stream.stderr
    git(root, "checkout", "-q", "main")
    assert commit("a human's own commit on main").returncode == 0
    assert run(env, "read-only", "off", "--workspace", str(root)).returncode == 0
    git(root, "checkout", "-q", "stream/checkout/a")
    assert commit("Agent fix\n\nStitch-Source: doc docs/a.md | rule").returncode == 0
