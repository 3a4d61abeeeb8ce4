"""Every line an agent wrote is attributed, whichever door it came through: agents' direct edits
reported by their post-tool hooks (real `stitch-ls attribute` subprocesses fed each agent's
documented event), bound at commit by git's post-commit hook (installed by `init`), carried
across amend, rebase and cherry-pick; agent commits' trailers; drafts applied through Stitch.
All written as git-ai authorship notes, and read back by `blame` and `log --format agent-trace`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hookevents import (
    agent_edits,
    attribute,
    claude,
    claude_post,
    cursor_after_edit,
    run,
    vscode,
    vscode_post,
)
from stitch_ls.core.record.authorship import NOTES_REF, parse
from workspaces import git, make_workspace


def setup_repo(root: Path, env: dict[str, str]) -> Path:
    make_workspace(root)
    result = run(
        env, "init", "--agents", "claude-code,cursor", "--git-hooks", "--workspace", str(root)
    )
    assert result.returncode == 0, result.stderr
    commit(root, env, "set up stitch")
    return root


def commit(
    root: Path, env: dict[str, str], message: str, *args: str
) -> subprocess.CompletedProcess:
    """`git commit -a` as the engineer runs it: with the hooks `init` installed."""
    git(root, "add", "-A")
    result = subprocess.run(
        ["git", "commit", "-q", "-m", message, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


def note_lines(root: Path, rev: str = "HEAD") -> dict[str, dict[str, list[int]]]:
    """The note on `rev`: file -> agent -> AI lines, as the format says (line numbers in `rev`)."""
    text = git(root, "notes", f"--ref={NOTES_REF}", "show", rev)
    log = parse(text)
    out: dict[str, dict[str, list[int]]] = {}
    for path, lines in log.ai_lines().items():
        for number, key in lines.items():
            author = log.author_of(key)
            assert author is not None
            out.setdefault(path, {}).setdefault(author.attributes["stitch.agent"], []).append(
                number
            )
    return {p: {a: sorted(n) for a, n in agents.items()} for p, agents in out.items()}


def blame(root: Path, env: dict[str, str], path: str) -> list[dict]:
    result = run(env, "blame", path, "--json", "--workspace", str(root))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_each_agents_post_tool_event_is_bound_to_the_commit_as_a_git_ai_note(
    tmp_path: Path, env: dict[str, str]
):
    root = setup_repo(tmp_path / "ws", env)
    agent_edits(
        env,
        root,
        "claude-code",
        "src/checkout.py",
        "        return sum(self.items)\n",
        "        total = sum(self.items)\n        return total or 0\n",
        session="conv-claude",
    )
    agent_edits(
        env,
        root,
        "cursor",
        "src/checkout.py",
        "    return cart.total()\n",
        "    amount = cart.total()\n    return charge(amount)\n",
        session="conv-cursor",
    )
    agent_edits(env, root, "vscode", "src/refunds.py", "", "def refund(cart):\n    return 0\n")
    said = commit(root, env, "checkout work")
    assert "6 AI lines" in said.stderr and "attributed in refs/notes/ai" in said.stderr
    assert note_lines(root) == {
        "src/checkout.py": {"claude-code": [9, 10], "cursor": [14, 15]},
        "src/refunds.py": {"vscode": [1, 2]},
    }
    log = parse(git(root, "notes", f"--ref={NOTES_REF}", "show", "HEAD"))
    assert log.base_commit == git(root, "rev-parse", "HEAD").strip()
    tools = {
        s.attributes["stitch.agent"]: (s.tool, s.conversation, s.model)
        for s in log.sessions.values()
    }
    assert tools == {
        "claude-code": ("claude", "conv-claude", "unknown"),
        "cursor": ("cursor", "conv-cursor", "gpt-5"),
        "vscode": ("github-copilot", "s", "unknown"),
    }
    assert all(s.attributes["stitch.stream"] == "main" for s in log.sessions.values())
    # blame answers line by line; a person's line stays a person's
    lines = blame(root, env, "src/checkout.py")
    assert [(x["line"], x["agent"]) for x in lines if x["ai"]] == [
        (9, "claude-code"),
        (10, "claude-code"),
        (14, "cursor"),
        (15, "cursor"),
    ]
    assert lines[7]["text"] == "    def total(self):" and lines[7]["agent"] is None
    assert lines[8]["door"] == "hook" and lines[8]["sources"] == []
    text = run(env, "blame", "src/checkout.py", "--workspace", str(root)).stdout
    assert "src/checkout.py: 15 lines, 4 by agents (claude-code 2, cursor 2)" in text
    assert "[1] claude-code · main · direct edit · no sources" in text
    # the pending edits were consumed: the next commit credits nothing again
    (root / "README.md").write_text("readme\n")
    again = commit(root, env, "docs")
    assert "AI lines" not in again.stderr
    assert (
        subprocess.run(
            ["git", "notes", f"--ref={NOTES_REF}", "show", "HEAD"], cwd=root, capture_output=True
        ).returncode
        != 0
    )


def test_the_installed_commands_run_as_written_from_the_agents_shell(
    tmp_path: Path, env: dict[str, str]
):
    root = setup_repo(tmp_path / "ws", env)
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    command = settings["hooks"]["PostToolUse"][0]["hooks"][0]["command"]
    file = root / "src" / "new.py"
    file.write_text("print('hi')\n")
    event = json.dumps(
        claude_post(root, "Write", {"file_path": str(file), "content": "print('hi')\n"})
    )
    shell = subprocess.run(
        ["sh", "-c", command], input=event, env=env, capture_output=True, text=True, cwd=root
    )
    assert shell.returncode == 0 and shell.stdout == "" and shell.stderr == ""
    cursor_command = json.loads((root / ".cursor" / "hooks.json").read_text())["hooks"][
        "afterFileEdit"
    ][0]["command"]
    other = root / "src" / "other.py"
    other.write_text("x = 1\n")
    event = json.dumps(
        cursor_after_edit(root, other, [{"old_string": "", "new_string": "x = 1\n"}])
    )
    shell = subprocess.run(
        ["sh", "-c", cursor_command], input=event, env=env, capture_output=True, text=True, cwd=root
    )
    assert shell.returncode == 0 and shell.stdout == "{}\n"
    commit(root, env, "new files")
    assert note_lines(root) == {"src/new.py": {"claude-code": [1]}, "src/other.py": {"cursor": [1]}}


def vscode_hook_commands(root: Path, event: str) -> list[str]:
    """Every command VS Code runs for `event` in this workspace: its own hook files and
    .claude/settings.json, whose matchers it ignores (VS Code's "Agent hooks" page)."""
    commands = [
        entry["command"]
        for file in sorted((root / ".github" / "hooks").glob("*.json"))
        for entry in json.loads(file.read_text())["hooks"].get(event, [])
    ]
    claude_settings = json.loads((root / ".claude" / "settings.json").read_text())
    commands += [
        hook["command"]
        for group in claude_settings["hooks"].get(event, [])
        for hook in group["hooks"]
    ]
    return commands


def test_vscode_runs_its_own_hooks_and_claudes_and_each_edit_counts_once(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    team = root / ".stitch" / "config.toml"
    team.write_text(
        team.read_text().replace(
            "irreversible_paths = []", 'irreversible_paths = ["migrations/**"]'
        )
    )
    result = run(
        env, "init", "--agents", "claude-code,vscode", "--git-hooks", "--workspace", str(root)
    )
    assert result.returncode == 0, result.stderr
    assert ".github/hooks/stitch.json: created with the Stitch guard (PreToolUse, PostToolUse)" in (
        result.stdout
    )
    commit(root, env, "set up stitch")
    pre, post = vscode_hook_commands(root, "PreToolUse"), vscode_hook_commands(root, "PostToolUse")
    assert len(pre) == 2 and len(post) == 2  # VS Code's file and Claude's, both run

    def each(commands: list[str], event: dict) -> list[subprocess.CompletedProcess]:
        return [
            subprocess.run(
                ["sh", "-c", c],
                input=json.dumps(event),
                env=env,
                capture_output=True,
                text=True,
                cwd=root,
                timeout=60,
            )
            for c in commands
        ]

    # the guard: VS Code's event through Claude's command is judged, not refused as garbled
    write = vscode(
        root,
        "create_file",
        {"filePath": str(root / "migrations" / "1.sql"), "content": "DROP TABLE x;"},
    )
    for answer in each(pre, write):
        assert answer.returncode == 0, answer.stderr
        said = json.loads(answer.stdout)["hookSpecificOutput"]
        assert (
            said["permissionDecision"] == "deny"
            and "irreversible" in said["permissionDecisionReason"]
        )
    harmless = vscode(root, "read_file", {"filePath": str(root / "README.md")})
    assert [(a.returncode, a.stdout) for a in each(pre, harmless)] == [(0, "")] * 2
    # attribution: both hooks report the one edit; it is credited once, to VS Code, and the
    # same line the engineer then typed below it stays the engineer's
    file = root / "src" / "twice.py"
    file.write_text("value = 1\n")
    edit = vscode_post(root, "create_file", {"filePath": str(file), "content": "value = 1\n"})
    for answer in each(post, edit):
        assert (answer.returncode, answer.stderr) == (0, "")
    file.write_text("value = 1\nvalue = 1\n")
    commit(root, env, "vscode's edit, and the engineer's line")
    assert note_lines(root) == {"src/twice.py": {"vscode": [1]}}


def test_lines_the_engineer_rewrote_before_committing_are_not_credited(
    tmp_path: Path, env: dict[str, str]
):
    root = setup_repo(tmp_path / "ws", env)
    agent_edits(
        env,
        root,
        "claude-code",
        "src/checkout.py",
        "        return sum(self.items)\n",
        "        total = sum(self.items)\n        tax = total * 0.2\n        return total + tax\n",
    )
    file = root / "src" / "checkout.py"
    file.write_text(file.read_text().replace("tax = total * 0.2", "tax = round(total * 0.2, 2)"))
    commit(root, env, "with tax")
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [9, 11]}}
    assert [x["ai"] for x in blame(root, env, "src/checkout.py")][8:11] == [True, False, True]


def test_a_garbled_event_is_one_clear_error_and_nothing_else_breaks(
    tmp_path: Path, env: dict[str, str]
):
    root = setup_repo(tmp_path / "ws", env)
    for agent, event in (
        ("claude-code", "{not json"),
        ("claude-code", json.dumps(claude(root, "Edit", {"file_path": "x"}))),  # a PreToolUse
        ("cursor", json.dumps({"hook_event_name": "afterFileEdit", "file_path": "x", "edits": 3})),
        ("vscode", "[]"),
        ("claude-code", json.dumps({**claude_post(root, "Edit", {}), "tool_input": "[1"})),
    ):
        result = attribute(env, agent, event)
        assert result.returncode == 1
        assert result.stderr.startswith("stitch-ls attribute: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
        assert result.stdout == ("{}\n" if agent == "cursor" else "")
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    ok = attribute(
        env,
        "claude-code",
        claude_post(root, "Write", {"file_path": str(outside), "content": "x = 1\n"}),
    )
    assert ok.returncode == 0  # outside the repository: nothing to attribute, no error
    # a bad line in the pending file does not stop the next commit's binding
    pending = next((tmp_path / "state" / "stitch").glob("*.attribution.jsonl"), None)
    agent_edits(
        env, root, "claude-code", "src/checkout.py", "class Cart:\n", "class Cart:  # agent\n"
    )
    pending = next((tmp_path / "state" / "stitch").glob("*.attribution.jsonl"))
    with pending.open("a") as handle:
        handle.write("{garbage\n")
    said = commit(root, env, "agent comment")
    assert "pending attribution line 2 is not valid; skipped" in said.stderr
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [4]}}


def test_the_post_tool_hook_imports_neither_pydantic_nor_git_nor_tree_sitter(
    tmp_path: Path, env: dict[str, str]
):
    root = setup_repo(tmp_path / "ws", env)
    file = root / "src" / "checkout.py"
    event = json.dumps(
        claude_post(root, "Write", {"file_path": str(file), "content": file.read_text()})
    )
    probe = (
        "import sys\nfrom stitch_ls.cli import main\ncode = main(['attribute', '--agent', 'claude-code'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'pydantic_core', 'git', "
        "'tree_sitter', 'pygls', 'lsprotocol'})\nprint(code, heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        input=event,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stderr.strip() == "0 []"
    assert (
        next((tmp_path / "state" / "stitch").glob("*.attribution.jsonl")).read_text().count("\n")
        == 1
    )


def test_amend_rebase_and_cherry_pick_carry_notes_by_content(tmp_path: Path, env: dict[str, str]):
    root = setup_repo(tmp_path / "ws", env)
    git(root, "checkout", "-q", "-b", "stream/checkout/a")
    agent_edits(
        env,
        root,
        "claude-code",
        "src/checkout.py",
        "        return sum(self.items)\n",
        "        total = sum(self.items)\n        fee = 1\n        return total + fee\n",
    )
    commit(root, env, "fee")
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [9, 10, 11]}}
    # the engineer amends, changing one of the agent's lines: that line is theirs now
    file = root / "src" / "checkout.py"
    file.write_text(file.read_text().replace("fee = 1", "fee = 2"))
    commit(root, env, "fee", "--amend")
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [9, 11]}}
    log = parse(git(root, "notes", f"--ref={NOTES_REF}", "show", "HEAD"))
    assert log.base_commit == git(root, "rev-parse", "HEAD").strip()
    # main moves on (two lines on top of the file); the stream is rebased: numbers follow
    git(root, "checkout", "-q", "main")
    file.write_text("# checkout\n# owned by payments\n" + file.read_text())
    commit(root, env, "header")
    git(root, "checkout", "-q", "stream/checkout/a")
    rebased = subprocess.run(
        ["git", "rebase", "-q", "main"], cwd=root, env=env, capture_output=True, text=True
    )
    assert rebased.returncode == 0, rebased.stderr
    assert "authorship notes carried to 1 rewritten commits" in rebased.stderr
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [11, 13]}}
    # cherry-picked with -x onto another branch: the note comes along
    git(root, "checkout", "-q", "-b", "hotfix", "main")
    picked = subprocess.run(
        ["git", "cherry-pick", "-x", "stream/checkout/a"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert picked.returncode == 0, picked.stderr
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [11, 13]}}


def test_agent_commits_and_applied_drafts_land_in_the_same_attribution(
    tmp_path: Path, env: dict[str, str]
):
    from workspaces import draft

    root = setup_repo(tmp_path / "ws", env)
    # an agent's own commit on its stream, with trailers
    git(root, "checkout", "-q", "-b", "stream/checkout/b")
    (root / "src" / "limits.py").write_text("LIMIT = 100\nFLOOR = 0\n")
    commit(
        root,
        env,
        "Limits\n\nStitch-Source: doc docs/money.md | rule of record\nStitch-Confidence: 0.9\n"
        "Stitch-Agent: cursor",
    )
    assert note_lines(root) == {"src/limits.py": {"cursor": [1, 2]}}
    git(root, "checkout", "-q", "main")
    # a draft applied through Stitch, then committed by the engineer
    body = draft("pay-logs")
    body["edits"] = [
        {
            "path": "src/checkout.py",
            "range": {"start": {"line": 11, "character": 0}, "end": {"line": 12, "character": 0}},
            "expect": "def pay(cart):\n",
            "text": "def pay(cart):\n    log(cart)\n",
        }
    ]
    (root / "d.json").write_text(json.dumps(body))
    assert run(env, "draft", "add", str(root / "d.json"), "--workspace", str(root)).returncode == 0
    (root / "d.json").unlink()
    applied = run(env, "draft", "apply", "pay-logs", "--workspace", str(root))
    assert applied.returncode == 0, applied.stderr
    commit(root, env, "apply the draft")
    assert note_lines(root) == {"src/checkout.py": {"claude-code": [13]}}
    session = next(
        iter(parse(git(root, "notes", f"--ref={NOTES_REF}", "show", "HEAD")).sessions.values())
    )
    assert session.attributes["stitch.door"] == "draft"
    assert session.attributes["stitch.draft"] == "pay-logs"
    assert json.loads(session.attributes["stitch.sources"])[0]["ref"] == "api/openapi.yaml"
    line = blame(root, env, "src/checkout.py")[12]
    assert (line["agent"], line["door"], line["draft"], line["stream"]) == (
        "claude-code",
        "draft",
        "pay-logs",
        "checkout/a",
    )
    # the stream is merged: blame on main answers for its lines too, with their sources
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'stream/checkout/b'",
        "stream/checkout/b",
    )
    limits = blame(root, env, "src/limits.py")
    assert [(x["agent"], x["door"], x["stream"]) for x in limits] == [
        ("cursor", "commit", "checkout/b")
    ] * 2
    assert limits[0]["sources"] == [
        {"kind": "doc", "ref": "docs/money.md", "why": "rule of record"}
    ]
    # and so does the Agent Trace export: one record per door
    traces = [
        json.loads(x)
        for x in run(
            env, "log", "--format", "agent-trace", "--workspace", str(root)
        ).stdout.splitlines()
    ]
    doors = sorted(
        t["metadata"]["dev.stitch"].get("door", "draft") + ":" + t["files"][0]["path"]
        for t in traces
    )
    assert doors == ["commit:src/limits.py", "draft:src/checkout.py"]


def test_agent_commits_without_hooks_are_attributed_from_their_trailers(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")  # no Stitch hooks: no notes at all
    git(root, "checkout", "-q", "-b", "stream/checkout/a")
    (root / "src" / "limits.py").write_text("LIMIT = 100\n")
    git(root, "add", "-A")
    git(
        root,
        "commit",
        "-q",
        "-m",
        "Limits\n\nStitch-Source: url https://example.com/spec | spec\nStitch-Agent: claude-code",
    )
    git(root, "checkout", "-q", "main")
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'stream/checkout/a'",
        "stream/checkout/a",
    )
    (line,) = blame(root, env, "src/limits.py")
    assert (line["agent"], line["door"]) == ("claude-code", "commit")
    assert line["sources"] == [{"kind": "url", "ref": "https://example.com/spec", "why": "spec"}]


def test_notes_git_ai_wrote_are_read_and_a_broken_note_is_said(tmp_path: Path, env: dict[str, str]):
    from core.test_authorship import GIT_AI_NOTE

    root = make_workspace(tmp_path / "ws")
    (root / "src" / "main.rs").write_text("".join(f"line {n}\n" for n in range(1, 21)))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "rust")
    (root / "notes.txt").write_text(GIT_AI_NOTE)
    git(root, "notes", "--ref=ai", "add", "-F", str(root / "notes.txt"), "HEAD")
    (root / "notes.txt").unlink()
    lines = blame(root, env, "src/main.rs")
    assert [x["line"] for x in lines if x["ai"]] == [*range(1, 11), *range(17, 21)]
    assert {(x["agent"], x["door"]) for x in lines if x["ai"]} == {("claude-code", "git-ai")}
    # a note that is not an authorship log: said, and the rest still answers
    (root / "src" / "b.py").write_text("b = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "b")
    git(root, "notes", "--ref=ai", "add", "-m", "not a note", "HEAD")
    report = run(env, "report", "--json", "--workspace", str(root))
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)["survival"]
    assert data["ai_lines"] == 14
    assert any("is not an authorship log" in p for p in data["problems"])


def test_init_share_notes_makes_notes_travel_with_push_and_fetch(
    tmp_path: Path, env: dict[str, str]
):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    a = setup_repo(tmp_path / "a", env)
    git(a, "remote", "add", "origin", str(remote))
    shared = run(env, "init", "--share-notes", "origin", "--workspace", str(a))
    assert shared.returncode == 0, shared.stderr
    assert "remote.origin.fetch: added +refs/notes/ai:refs/notes/ai-remote/origin" in shared.stdout
    assert "remote.origin.push: added HEAD" in shared.stdout
    again = run(env, "init", "--share-notes", "origin", "--workspace", str(a))
    assert "notes are already pushed" in again.stdout
    bad = run(env, "init", "--share-notes", "nowhere", "--workspace", str(a))
    assert bad.returncode == 2 and "no remote named 'nowhere'" in bad.stderr
    agent_edits(env, a, "cursor", "src/checkout.py", "class Cart:\n", "class Cart:  # typed\n")
    commit(a, env, "agent")
    pushed = subprocess.run(
        ["git", "push", "-q", "origin"], cwd=a, env=env, capture_output=True, text=True
    )
    assert pushed.returncode == 0, pushed.stderr
    # a teammate's clone: fetches the notes apart, reads them, folds them in at its next commit
    b = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(remote), str(b)], check=True, env=env)
    git(b, "config", "user.email", "mate@example.com")
    assert run(env, "init", "--share-notes", "origin", "--workspace", str(b)).returncode == 0
    subprocess.run(["git", "fetch", "-q", "origin"], cwd=b, env=env, check=True)
    assert git(b, "for-each-ref", "--format=%(refname)", "refs/notes/").split() == [
        "refs/notes/ai-remote/origin"
    ]
    assert blame(b, env, "src/checkout.py")[3]["agent"] == "cursor"
    run(env, "init", "--git-hooks", "--workspace", str(b))
    (b / "NOTES.md").write_text("n\n")
    said = commit(b, env, "mate")
    assert "merged fetched notes from refs/notes/ai-remote/origin" in said.stderr
    assert "Cart:  # typed" in git(b, "show", "HEAD~1:src/checkout.py")
    assert note_lines(b, "HEAD~1") == {"src/checkout.py": {"cursor": [4]}}


def test_a_repository_cannot_stand_in_for_stitch_in_its_git_hooks(
    tmp_path: Path, env: dict[str, str]
):
    root = setup_repo(tmp_path / "ws", env)
    marker = tmp_path / "ran"
    for name in ("__init__.py", "__main__.py"):
        fake = root / "stitch_ls" / name
        fake.parent.mkdir(exist_ok=True)
        fake.write_text(f"open({str(marker)!r}, 'a').write('{name}')\n")
    commit(root, env, "a hostile package at the root")
    agent_edits(env, root, "claude-code", "src/checkout.py", "class Cart:\n", "class Cart:  # x\n")
    said = commit(root, env, "agent line")
    assert not marker.exists()
    assert "1 AI lines" in said.stderr and note_lines(root) == {
        "src/checkout.py": {"claude-code": [4]}
    }


def test_blame_refuses_what_is_not_a_file_of_the_work_tree(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    for path, said in (
        ("../outside.py", "is outside the workspace"),
        (".git/config", "is in .git/, not a file of the work tree"),
        ("src/nope.py", "git cannot blame src/nope.py"),
    ):
        result = run(env, "blame", path, "--workspace", str(root))
        assert result.returncode == 2 and said in result.stderr, result.stderr
    team = run(env, "blame", ".stitch/config.toml", "--workspace", str(root))
    assert team.returncode == 0 and ".stitch/config.toml: 8 lines, 0 by agents" in team.stdout
