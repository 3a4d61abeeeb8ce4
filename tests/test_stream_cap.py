"""More streams than the cap on one feature: the ones this repository saw last have their
drafts disabled, through the CLI and the editor alike; the status says which."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from editor_client import start, stop
from gitrepos import STREAM_TEAM
from test_cli import cli
from workspaces import draft, git, make_workspace, write_draft


def stream_started_at(root: Path, branch: str, when: str) -> None:
    """A stream branch whose one commit (a new file) was made at `when`."""
    git(root, "checkout", "-q", "-b", branch, "main")
    name = branch.replace("/", "_")
    (root / "notes").mkdir(exist_ok=True)
    (root / "notes" / f"{name}.md").write_text(f"{branch}\n")
    git(root, "add", "-A")
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    subprocess.run(["git", "commit", "-qm", branch], cwd=root, env=env, check=True)
    git(root, "checkout", "-q", "main")


def workspace_with_three_streams(root: Path) -> Path:
    make_workspace(root, STREAM_TEAM)
    # `a` came last, though its name sorts first and its commit claims to be the oldest: it
    # is the one past the cap of 2 (each stream is seen by a Stitch verb before the next)
    stream_started_at(root, "stream/checkout/c", "2026-11-01T09:00:00Z")
    assert cli(root, "status").returncode == 0
    stream_started_at(root, "stream/checkout/b", "2026-11-02T09:00:00Z")
    assert cli(root, "status").returncode == 0
    stream_started_at(root, "stream/checkout/a", "2001-01-01T09:00:00Z")
    for name in ("a", "b", "c"):
        write_draft(root, draft(f"from-{name}", stream=f"checkout/{name}"))
    return root


async def test_the_streams_seen_last_are_over_the_cap(tmp_path: Path):
    root = workspace_with_three_streams(tmp_path / "ws")
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["from-a"]["gate"] == "blocked"
    assert rows["from-a"]["reason"] == "stream checkout/a is over the cap of 2 for feature checkout"
    assert rows["from-b"]["gate"] == rows["from-c"]["gate"] == "actionable"
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["streams"]["beyond_cap"] == ["checkout/a"]
    applied = cli(root, "draft", "apply", "from-a")
    assert applied.returncode == 3 and "over the cap of 2" in applied.stderr
    client = await start(root)
    try:
        uri = client.open(root / "src" / "checkout.py")
        await client.wait_for(
            lambda: client.statuses and client.statuses[-1]["streams"]["beyond_cap"], timeout=10
        )
        actions = {a.data["draft"]: a for a in await client.actions(uri, 12, 8) if a.data}
        assert actions["from-a"].disabled is not None
        assert actions["from-a"].disabled.reason == (
            "stream checkout/a is over the cap of 2 for feature checkout"
        )
        assert actions["from-b"].disabled is None
    finally:
        await stop(client)
