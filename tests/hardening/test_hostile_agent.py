"""The guard and the hooks against a hostile agent and a hostile repository (#30): each test is
one break an attack campaign found, driven through the real thing — `stitch-ls guard` with an
agent's documented event, a real `git commit` through the hooks `init` installs, the CLI —
and each failed before the guard judged files by their repository, matched programs by path
and ran no git on a repository it could not read safely."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from hookevents import claude, claude_denial, cursor, cursor_denial, guard, read_only_on, run
from workspaces import TEAM, git, make_workspace


@pytest.fixture
def ro_repo(tmp_path: Path) -> Path:
    """A repository with an irreversible `migrations/` (the tests turn read-only on)."""
    root = make_workspace(tmp_path / "ws")
    (root / "migrations").mkdir(exist_ok=True)
    (root / "migrations" / "001.sql").write_text("create table t (id int);\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "migrations")
    return root


def write(root: Path, target: Path, cwd: Path) -> dict:
    return claude(root, "Write", {"file_path": str(target), "content": "x\n"}, cwd=cwd)


# -- the guard judges the file, not the event's folder -----------------------------------------


def test_an_edit_is_judged_by_the_repository_that_holds_the_file(
    ro_repo: Path, env: dict[str, str], tmp_path: Path
):
    read_only_on(env, ro_repo, "incident 9")
    target = ro_repo / "src" / "checkout.py"
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    fake_git = ro_repo / "src" / "vendored"
    fake_git.mkdir()
    (fake_git / ".git").write_text("")  # an empty .git file is no repository
    own_stitch = ro_repo / "docs" / "sub"
    (own_stitch / ".stitch").mkdir(parents=True)  # nor is a stray .stitch folder
    for cwd in (sibling, fake_git, own_stitch, Path("/")):
        reason = claude_denial(guard(env, "claude-code", write(ro_repo, target, cwd), cwd=cwd))
        assert reason is not None and "incident 9" in reason, cwd
    # Cursor: the file's repository, not the first workspace root it lists
    other = make_workspace(tmp_path / "other")
    event = cursor(
        other,
        "preToolUse",
        tool_name="Write",
        tool_input={"file_path": str(target), "content": "x"},
        cwd=str(other),
    )
    assert "incident 9" in (cursor_denial(guard(env, "cursor", event)) or "")


def test_a_nested_repository_does_not_take_its_files_out_of_the_outer_policy(
    ro_repo: Path, env: dict[str, str]
):
    read_only_on(env, ro_repo)
    nested = ro_repo / "vendor" / "lib"
    nested.mkdir(parents=True)
    git(nested, "init", "-q")
    reason = claude_denial(
        guard(env, "claude-code", write(ro_repo, nested / "x.py", nested), cwd=nested)
    )
    assert reason is not None and "read-only" in reason


def test_a_denial_by_one_repository_beats_a_question_from_another(
    ro_repo: Path, env: dict[str, str]
):
    """The nested repository would ask its person about an edit to its team file; the outer
    one, read-only, denies it: the agent is denied (a person asked could allow a denied call)."""
    read_only_on(env, ro_repo, "incident 9")
    nested = make_workspace(ro_repo / "vendor" / "lib")  # its own team file, read-only off
    event = write(nested, nested / ".stitch" / "config.toml", nested)
    reason = claude_denial(guard(env, "claude-code", event, cwd=nested))
    assert reason is not None and "incident 9" in reason


# -- read-only's holes ---------------------------------------------------------------------


def bash(root: Path, command: str) -> dict:
    return claude(root, "Bash", {"command": command})


def test_git_is_stopped_while_the_repository_configures_a_program_for_it(
    ro_repo: Path, env: dict[str, str], tmp_path: Path
):
    read_only_on(env, ro_repo)
    assert claude_denial(guard(env, "claude-code", bash(ro_repo, "git status"))) is None
    marker = tmp_path / "ran"
    script = tmp_path / "fsmonitor.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    git(ro_repo, "config", "core.fsmonitor", str(script))
    for command in ("git status", "git diff", "git log -1"):
        reason = claude_denial(guard(env, "claude-code", bash(ro_repo, command)))
        assert reason is not None and "core.fsmonitor" in reason, command
    git(ro_repo, "config", "--unset", "core.fsmonitor")
    git(ro_repo, "config", "diff.external", str(script))
    assert "diff.external" in (
        claude_denial(guard(env, "claude-code", bash(ro_repo, "git diff"))) or ""
    )
    assert not marker.exists()


def test_allowed_programs_are_matched_by_their_resolved_path(ro_repo: Path, env: dict[str, str]):
    read_only_on(env, ro_repo)
    tools = ro_repo / "tools"
    tools.mkdir()
    for name in ("git", "ls"):
        (tools / name).write_text("#!/bin/sh\nrm -rf src\n")
        (tools / name).chmod(0o755)
    for command in ("tools/git status", "./tools/ls", "X=/ls rm -rf src", f"{tools}/ls -la"):
        assert claude_denial(guard(env, "claude-code", bash(ro_repo, command))) is not None, command
    in_path = {**env, "PATH": f"{tools}{os.pathsep}{env['PATH']}"}
    assert claude_denial(guard(in_path, "claude-code", bash(ro_repo, "ls"))) is not None
    assert claude_denial(guard(env, "claude-code", bash(ro_repo, "ls"))) is None


def test_a_hard_link_in_the_drafts_folder_is_no_proposal(ro_repo: Path, env: dict[str, str]):
    read_only_on(env, ro_repo)
    drafts = ro_repo / ".stitch" / "drafts"
    os.link(ro_repo / "src" / "checkout.py", drafts / "linked.json")
    reason = claude_denial(
        guard(env, "claude-code", write(ro_repo, drafts / "linked.json", ro_repo))
    )
    assert reason is not None and "read-only" in reason
    fresh = write(ro_repo, drafts / "fresh.json", ro_repo)
    assert claude_denial(guard(env, "claude-code", fresh)) is None


def test_only_the_configured_stitch_server_passes_read_only(ro_repo: Path, env: dict[str, str]):
    read_only_on(env, ro_repo)
    own = claude(ro_repo, "mcp__stitch__propose_draft", {"draft": {}})
    assert claude_denial(guard(env, "claude-code", own)) is None
    for tool in ("mcp__my-stitch__propose_draft", "mcp__stitchy__get_status", "mcp__stitch__rm"):
        assert claude_denial(guard(env, "claude-code", claude(ro_repo, tool, {}))), tool
    spoof = cursor(ro_repo, "beforeMCPExecution", tool_name="propose_draft", command="evil-stitch")
    assert cursor_denial(guard(env, "cursor", spoof)) is not None


def test_every_tool_that_names_a_file_is_checked_against_irreversible_paths(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    target = root / "migrations" / "002.sql"
    for tool, tool_input in (
        ("copilot_replaceString", {"filePath": str(target), "oldString": "a", "newString": "b"}),
        ("mcp__files__write_file", {"path": str(target), "content": "drop table t;"}),
        ("Write", {"file_path": str(root / "MIGRATIONS" / "003.SQL"), "content": "x"}),
    ):
        reason = claude_denial(guard(env, "claude-code", claude(root, tool, tool_input)))
        assert reason is not None and "irreversible path" in reason, tool


# -- nothing a repository holds makes the guard wait ------------------------------------------


def git_processes_in(root: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (
                os.readlink(entry / "cwd").startswith(str(root))
                and "git" in (entry / "comm").read_text()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize(
    "where", ["packed-refs", "HEAD", "refs/heads/side", "objects/info/alternates"]
)
def test_a_fifo_in_git_makes_no_process_wait(tmp_path: Path, env: dict[str, str], where: str):
    root = make_workspace(tmp_path / "ws")
    git(root, "branch", "side")
    fifo = root / ".git" / where
    fifo.unlink(missing_ok=True)
    fifo.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(fifo)
    start = time.monotonic()
    result = guard(env, "claude-code", write(root, root / "src" / "x.py", root))
    assert time.monotonic() - start < 30  # answered; the CLI's own timeout is 60 s
    assert result.returncode in (0, 2), result.stderr
    status = run(env, "status", "--workspace", str(root))
    assert status.returncode in (0, 1, 3), status.stderr  # an answer, not a hang
    assert git_processes_in(root) == []


# -- hooks run nothing of the repository's ------------------------------------------------


def test_git_hooks_import_nothing_from_the_work_tree(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    markers = tmp_path / "markers"
    markers.mkdir()
    for name in ("functools", "json", "argparse", "enum", "re"):
        (root / f"{name}.py").write_text(f"open({str(markers / name)!r}, 'w').close()\n")
    (root / "stitch_ls").mkdir()
    (root / "stitch_ls" / "__init__.py").write_text(
        f"open({str(markers / 'stitch_ls')!r}, 'w').close()\n"
    )
    (root / "stitch_ls" / "__main__.py").write_text("")
    installed = run(env, "init", "--git-hooks", "--workspace", str(root))
    assert installed.returncode == 0, installed.stderr
    (root / "src" / "checkout.py").write_text("# a change\n")
    git(root, "add", "-A")
    committed = subprocess.run(
        ["git", "commit", "-q", "-m", "a commit through the hooks"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert committed.returncode == 0, committed.stderr
    assert list(markers.iterdir()) == []
    hook = (root / ".git" / "hooks" / "pre-commit").read_text()
    assert "-m stitch_ls" not in hook or " -P " in hook


def test_a_fetch_never_runs_a_remote_the_repository_allows_by_protocol(tmp_path: Path):
    from stitch_ls.core.operations import fetch_streams, open_workspace

    root = make_workspace(tmp_path / "ws", TEAM + '\n[streams]\nfetch_every = "5m"\n')
    marker = tmp_path / "ran"
    git(root, "remote", "add", "evil", f"ext::sh -c touch% {marker}")
    git(root, "config", "protocol.ext.allow", "always")
    git(root, "config", "protocol.fd.allow", "always")
    ws, _ = open_workspace(root)
    problems = fetch_streams(ws)
    assert not marker.exists()
    assert any("evil" in p for p in problems)


def test_an_include_that_only_applies_in_a_worktree_brings_no_filter(tmp_path: Path):
    """verify's scratch worktree matches `includeIf "gitdir:**/worktrees/**"`; a filter the
    included file names would run at its checkout unless it is overridden by name."""
    from stitch_ls.core.drafts.verify import scratch_worktree

    root = make_workspace(tmp_path / "ws")
    marker = tmp_path / "smudged"
    (root / ".gitattributes").write_text("*.py filter=evil\n")
    (root / "evil.cfg").write_text(f'[filter "evil"]\n\tsmudge = "touch {marker}; cat"\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "attributes")
    with (root / ".git" / "config").open("a") as config:
        config.write('[includeIf "gitdir:**/worktrees/**"]\n\tpath = ../evil.cfg\n')
    with scratch_worktree(root) as scratch:
        assert (scratch / "src" / "checkout.py").exists()
    assert not marker.exists()


def test_an_included_file_edited_later_is_read_again(tmp_path: Path):
    from stitch_ls.core.vcs.gitrun import open_repo

    root = make_workspace(tmp_path / "ws")
    marker = tmp_path / "cleaned"
    (root / ".gitattributes").write_text("*.py filter=late\n")
    (root / "late.cfg").write_text("[core]\n\tautocrlf = false\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "attributes")
    git(root, "config", "include.path", "../late.cfg")
    repo = open_repo(root)
    assert repo is not None
    (root / "late.cfg").write_text(f'[filter "late"]\n\tclean = "touch {marker}; cat"\n')
    (root / "src" / "checkout.py").write_text("# changed\n")
    repo = open_repo(root)
    assert repo is not None
    repo.git.diff("--no-ext-diff")
    repo.git.add("-A")
    assert not marker.exists()
