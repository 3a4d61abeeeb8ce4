"""The stream cap is held by the streams this repository saw first, not by the commit dates
an author wrote: streams pushed from elsewhere, back-dated to 2001, cannot take the cap's
slots from the streams already here. Real repositories: a bare origin, the engineer's
clone, a teammate's clone that pushes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from gitrepos import STREAM_TEAM, commit_on
from test_cli import cli
from workspaces import draft, git, make_workspace, write_draft

BACK_THEN = "2001-01-01T00:00:00Z"


def clone(origin: Path, where: Path) -> Path:
    git(origin.parent, "clone", "-q", str(origin), str(where))
    git(where, "config", "user.email", f"{where.name}@example.com")
    git(where, "config", "user.name", where.name)
    return where


def stream(root: Path, name: str, when: str | None = None) -> None:
    """A stream branch with one commit (a new file), dated `when` if given."""
    git(root, "checkout", "-q", "-b", f"stream/checkout/{name}", "main")
    (root / "notes").mkdir(exist_ok=True)
    (root / "notes" / f"{name}.md").write_text(f"{name}\n")
    git(root, "add", "-A")
    dates = {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when} if when else {}
    subprocess.run(
        ["git", "commit", "-qm", name], cwd=root, env={**os.environ, **dates}, check=True
    )
    git(root, "checkout", "-q", "main")


def gates(root: Path) -> dict[str, str]:
    listed = cli(root, "draft", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {row["id"]: row["gate"] for row in json.loads(listed.stdout)}


def test_back_dated_remote_streams_do_not_take_the_local_streams_cap(tmp_path: Path):
    first = make_workspace(tmp_path / "first", STREAM_TEAM)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(first), str(origin))
    mine, theirs = clone(origin, tmp_path / "mine"), clone(origin, tmp_path / "theirs")
    (mine / ".stitch" / "drafts").mkdir(parents=True, exist_ok=True)
    for name in ("a", "b"):
        stream(mine, name)
    for name in ("a", "b", "old1", "old2"):
        write_draft(mine, draft(f"from-{name}", stream=f"checkout/{name}"))
    assert gates(mine) == {
        "from-a": "actionable",
        "from-b": "actionable",
        "from-old1": "actionable",
        "from-old2": "actionable",
    }
    for name in ("old1", "old2"):
        stream(theirs, name, BACK_THEN)
        git(theirs, "push", "-q", "origin", f"stream/checkout/{name}")
    git(mine, "fetch", "-q", "origin")

    found = gates(mine)
    assert found["from-a"] == found["from-b"] == "actionable"
    assert found["from-old1"] == found["from-old2"] == "blocked"
    status = json.loads(cli(mine, "status", "--json").stdout)["streams"]
    assert status["beyond_cap"] == ["checkout/old1", "checkout/old2"]

    # the record is the repository's: a linked worktree (an agent's) reads the same one
    git(mine, "worktree", "add", "-q", "--detach", str(tmp_path / "agent"), "main")
    from_worktree = json.loads(cli(tmp_path / "agent", "status", "--json").stdout)
    assert from_worktree["streams"]["beyond_cap"] == ["checkout/old1", "checkout/old2"]
    seen = mine / ".git" / "stitch" / "streams-seen.json"
    assert set(json.loads(seen.read_text())["streams"]) == {
        "checkout/a",
        "checkout/b",
        "checkout/old1",
        "checkout/old2",
    }


def test_a_missing_or_broken_record_means_every_stream_is_seen_now(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", STREAM_TEAM)
    stream(root, "c", BACK_THEN)
    stream(root, "a")
    stream(root, "b")
    seen = root / ".git" / "stitch" / "streams-seen.json"
    for broken in ("{not json", "[" * 5000 + "]" * 5000, '{"streams": {"checkout/c": 3}}'):
        seen.parent.mkdir(exist_ok=True)
        seen.write_text(broken)
        status = cli(root, "status", "--json")
        assert status.returncode == 0, status.stderr
        # seen together, now: the cap goes by name, never by the dates commits claim
        assert json.loads(status.stdout)["streams"]["beyond_cap"] == ["checkout/c"]
    seen.unlink()
    os.mkfifo(seen)  # not a file it could read: refused without blocking
    status = cli(root, "status", "--json")
    assert json.loads(status.stdout)["streams"]["beyond_cap"] == ["checkout/c"]
    seen.unlink()
    assert json.loads(cli(root, "status", "--json").stdout)["streams"]["beyond_cap"] == [
        "checkout/c"
    ]
    # a stream that appears later queues behind those seen before, whatever its name
    commit_on(root, "stream/checkout/aa", "src/checkout.py", "return cart.total()", "x", "aa")
    assert json.loads(cli(root, "status", "--json").stdout)["streams"]["beyond_cap"] == [
        "checkout/aa",
        "checkout/c",
    ]


def test_a_symlinked_record_folder_gets_no_write(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", STREAM_TEAM)
    stream(root, "a")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / ".git" / "stitch").symlink_to(elsewhere, target_is_directory=True)
    status = cli(root, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["streams"]["features"] == {"checkout": ["checkout/a"]}
    assert list(elsewhere.iterdir()) == []
