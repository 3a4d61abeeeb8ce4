"""One repository, one Stitch: the engineer's switches, the inbox and the policy reach every
worktree of the repository (`git worktree add`, as agents' tools make them), from whichever
checkout they are set, through every door: the guard, git's hooks, the CLI and MCP. (The
editor's side: tests/lsp/test_worktrees_lsp.py.)"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitrepos import stream_repo
from hookevents import claude, claude_denial, guard, run
from workspaces import draft, git


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A main checkout and two agents' worktrees on their stream branches."""
    root = stream_repo(tmp_path / "main")
    wt_a, wt_b = tmp_path / "wt-a", tmp_path / "wt-b"
    git(root, "worktree", "add", "-q", str(wt_a), "stream/checkout/a")
    git(root, "worktree", "add", "-q", str(wt_b), "stream/checkout/b")
    return root, wt_a, wt_b


def status(env: dict[str, str], where: Path) -> dict:
    result = run(env, "status", "--json", cwd=where)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def write_event(where: Path) -> dict:
    return claude(where, "Write", {"file_path": str(where / "src" / "new.py"), "content": "x\n"})


def test_read_only_set_in_one_checkout_stops_agents_in_every_worktree(
    repo: tuple[Path, Path, Path], env: dict[str, str]
):
    root, wt_a, wt_b = repo
    assert claude_denial(guard(env, "claude-code", write_event(wt_a))) is None
    on = run(env, "read-only", "on", "--reason", "release freeze", cwd=root)
    assert on.returncode == 0, on.stderr
    for where in (root, wt_a, wt_b):
        reason = claude_denial(guard(env, "claude-code", write_event(where), cwd=where))
        assert reason is not None and "release freeze" in reason, where
        assert status(env, where)["read_only"]["on"] is True
    off = run(env, "read-only", "off", cwd=wt_b)  # turned off from an agent's worktree
    assert off.returncode == 0, off.stderr
    assert claude_denial(guard(env, "claude-code", write_event(wt_a))) is None
    assert status(env, root)["read_only"]["on"] is False


def test_an_agent_with_its_own_state_folder_still_sees_the_switch(
    repo: tuple[Path, Path, Path], env: dict[str, str], tmp_path: Path
):
    """The switch is also kept in git's common folder: a process with another per-user
    state folder (another OS user, a container) is stopped all the same, and a copy there
    that cannot be read turns read-only on, never off."""
    root, wt_a, _ = repo
    agent = {**env, "XDG_STATE_HOME": str(tmp_path / "agent-state"), "HOME": str(tmp_path)}
    assert run(env, "read-only", "on", "--reason", "incident 7", cwd=root).returncode == 0
    reason = claude_denial(guard(agent, "claude-code", write_event(wt_a)))
    assert reason is not None and "incident 7" in reason
    assert run(env, "read-only", "off", cwd=root).returncode == 0
    assert claude_denial(guard(agent, "claude-code", write_event(wt_a))) is None
    shared = root / ".git" / "stitch" / "switches.json"
    shared.write_text("{not json")
    reason = claude_denial(guard(agent, "claude-code", write_event(wt_a)))
    assert reason is not None and "switches.json is unreadable" in reason


def test_git_commits_on_stream_branches_are_refused_in_every_worktree(
    repo: tuple[Path, Path, Path], env: dict[str, str]
):
    root, wt_a, _ = repo
    installed = run(env, "init", "--git-hooks", cwd=root)
    assert installed.returncode == 0, installed.stderr
    (wt_a / "src" / "checkout.py").write_text("# agent work\n")
    git(wt_a, "add", "-A")
    assert run(env, "read-only", "on", "--reason", "review", cwd=root).returncode == 0
    refused = subprocess.run(
        ["git", "commit", "-q", "-m", "agent commit"],
        cwd=wt_a,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "stream/checkout/a is refused" in refused.stderr
    assert run(env, "read-only", "off", cwd=root).returncode == 0
    git(wt_a, "commit", "-q", "-m", "agent commit")


def test_a_draft_added_in_a_worktree_reaches_the_one_inbox_as_its_streams(
    repo: tuple[Path, Path, Path], env: dict[str, str]
):
    root, wt_a, wt_b = repo
    body = draft("from-a", stream="checkout/elsewhere")
    added = run(env, "draft", "add", "-", stdin=json.dumps(body), cwd=wt_a)
    assert added.returncode == 0, added.stderr
    assert (wt_a / ".stitch" / "drafts" / "from-a.json").exists()
    listed = run(env, "draft", "list", "--json", cwd=root)
    [row] = [r for r in json.loads(listed.stdout) if r["id"] == "from-a"]
    assert row["stream"] == "checkout/a"  # the worktree's branch, whatever the draft says
    # ids are one per repository: the same id from another worktree is refused
    again = run(env, "draft", "add", "-", stdin=json.dumps(draft("from-a")), cwd=wt_b)
    assert again.returncode != 0 and "pending" in again.stderr
    # a file an agent drops is in the inbox as well
    dropped = draft("dropped")
    (wt_b / ".stitch" / "drafts").mkdir(parents=True, exist_ok=True)
    (wt_b / ".stitch" / "drafts" / "dropped.json").write_text(json.dumps(dropped))
    listed = json.loads(run(env, "draft", "list", "--json", cwd=root).stdout)
    assert {r["id"]: r["stream"] for r in listed if r["id"] in ("from-a", "dropped")} == {
        "from-a": "checkout/a",
        "dropped": "checkout/b",
    }


def test_a_committed_draft_file_is_one_draft_however_many_worktrees_have_it(
    tmp_path: Path, env: dict[str, str]
):
    """A draft file committed to git is in every checkout made after: the same file is the
    same draft (listed once, from this checkout), while a different file with its id is
    the other worktree's second draft of that id, refused."""
    root = stream_repo(tmp_path / "main")
    (root / ".stitch" / "drafts").mkdir(parents=True, exist_ok=True)
    (root / ".stitch" / "drafts" / "kept.json").write_text(json.dumps(draft("kept")))
    git(root, "add", "-f", ".stitch/drafts/kept.json")
    git(root, "commit", "-qm", "A draft, committed")
    wt = tmp_path / "wt-c"
    git(root, "worktree", "add", "-q", "-b", "stream/checkout/c", str(wt), "main")
    assert (wt / ".stitch" / "drafts" / "kept.json").exists()
    listed = json.loads(run(env, "draft", "list", "--json", cwd=root).stdout)
    rows = [r for r in listed if r.get("id", "").startswith("kept")]
    assert [(r["id"], r["gate"]) for r in rows] == [("kept", "actionable")]
    changed = draft("kept", title="Another draft, same id")
    (wt / ".stitch" / "drafts" / "kept.json").write_text(json.dumps(changed))
    listed = json.loads(run(env, "draft", "list", "--json", cwd=root).stdout)
    ids = sorted(r["id"] for r in listed if r.get("id", "").startswith("kept"))
    assert ids == ["kept", "kept@kept.json"]


def test_a_worktree_that_is_not_one_is_never_read(
    repo: tuple[Path, Path, Path], env: dict[str, str], tmp_path: Path
):
    """git's record of a worktree is a file in `.git` naming any folder: a folder whose own
    `.git` does not point back to the repository is not a checkout of it."""
    root, wt_a, _ = repo
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".stitch" / "drafts").mkdir(parents=True)
    (elsewhere / ".stitch" / "drafts" / "planted.json").write_text(json.dumps(draft("planted")))
    record = root / ".git" / "worktrees" / "wt-a" / "gitdir"
    record.write_text(f"{elsewhere}/.git\n")
    listed = json.loads(run(env, "draft", "list", "--json", cwd=root).stdout)
    assert "planted" not in {r["id"] for r in listed}


def test_mcp_in_a_worktree_answers_the_repositorys_status(
    repo: tuple[Path, Path, Path], env: dict[str, str]
):
    import asyncio

    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    root, wt_a, _ = repo
    assert run(env, "read-only", "on", "--reason", "audit", cwd=root).returncode == 0

    async def ask() -> dict:
        params = StdioServerParameters(
            command=str(Path(env["PATH"].split(os.pathsep)[0]) / "stitch-ls"),
            args=["mcp", "--workspace", str(wt_a)],
            env=env,
        )
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("get_status", {})
            return result.structured_content or json.loads(result.content[0].text)

    answer = asyncio.run(ask())
    assert answer["read_only"]["on"] is True and answer["read_only"]["reason"] == "audit"
