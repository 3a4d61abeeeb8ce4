"""The editor's side of "one repository, one Stitch": a server opened on a linked worktree
notices new commits, branch switches and fetched refs as in the main checkout; a draft an
agent adds in its own worktree reaches the engineer's editor; and an agent's uncommitted work
in its worktree makes a stitch point in the engineer's buffer before anything is committed.
Real `git worktree add`, real `git fetch`, the real server over stdio."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from editor_client import start, stop
from gitrepos import commit_on, git, stream_repo
from workspaces import draft, write_draft

CHECKOUT = "src/checkout.py"


def features(client) -> dict:
    return client.statuses[-1]["streams"]["features"] if client.statuses else {}


def points(client, uri: str) -> list[types.Diagnostic]:
    return [
        d for d in client.diagnostics.get(uri, []) if str(d.code or "").startswith("stitch-point:")
    ]


async def test_a_server_on_a_linked_worktree_sees_commits_switches_and_fetches(tmp_path: Path):
    root = stream_repo(tmp_path / "main")
    mine = tmp_path / "mine"
    git(root, "worktree", "add", "-q", "-b", "feature-x", str(mine), "main")
    client = await start(mine)
    try:
        await client.wait_for(
            lambda: features(client).get("checkout") == ["checkout/a", "checkout/b"], timeout=15
        )
        # a new commit made in the main checkout, on a new stream branch
        commit_on(root, "stream/pay/c", CHECKOUT, "return cart.total()", "return 1", "Pay c")
        await client.wait_for(lambda: features(client).get("pay") == ["pay/c"], timeout=15)
        # the engineer's worktree switches to that branch: it is their own, not a stream
        git(mine, "checkout", "-q", "stream/pay/c")
        await client.wait_for(lambda: "pay" not in features(client), timeout=15)
        git(mine, "checkout", "-q", "feature-x")
        await client.wait_for(lambda: features(client).get("pay") == ["pay/c"], timeout=15)
        # a teammate pushes a stream elsewhere; `git fetch` in the worktree brings it
        origin = tmp_path / "origin.git"
        git(tmp_path, "clone", "-q", "--bare", str(root), str(origin))
        other = tmp_path / "other"
        git(tmp_path, "clone", "-q", str(origin), str(other))
        git(other, "config", "user.email", "mate@example.com")
        git(other, "config", "user.name", "Mate")
        git(other, "checkout", "-q", "-b", "stream/refunds/d")
        (other / "src" / "refunds.py").write_text("def refund():\n    return 0\n")
        git(other, "add", "-A")
        git(other, "commit", "-q", "-m", "Refunds")
        git(other, "push", "-q", "origin", "stream/refunds/d")
        git(mine, "remote", "add", "origin", str(origin))
        git(mine, "fetch", "-q", "origin")
        await client.wait_for(lambda: features(client).get("refunds") == ["refunds/d"], timeout=15)
    finally:
        await stop(client)


async def test_a_draft_added_in_an_agents_worktree_reaches_the_engineers_editor(tmp_path: Path):
    root = stream_repo(tmp_path / "main")
    wt_a = tmp_path / "wt-a"
    git(root, "worktree", "add", "-q", str(wt_a), "stream/checkout/a")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(client.statuses[-1]["drafts"]), timeout=10)
        before = client.statuses[-1]["drafts"]["pending"]
        (wt_a / ".stitch" / "drafts").mkdir(parents=True, exist_ok=True)
        write_draft(wt_a, draft("from-wt-a", stream="anything/else"))
        await client.wait_for(
            lambda: client.statuses[-1]["drafts"]["pending"] == before + 1, timeout=10
        )
        actions = await client.actions(uri, 12, 4)
        titles = [a.title for a in actions]
        assert any("Draft from-wt-a" in t for t in titles), titles
        listed = await client.command("stitch.listDrafts")
        row = next(r for r in listed if r["id"] == "from-wt-a")
        assert row["stream"] == "checkout/a"  # the worktree's branch, not what the file says
    finally:
        await stop(client)


async def test_an_agents_uncommitted_work_makes_a_live_stitch_point(tmp_path: Path):
    root = stream_repo(tmp_path / "main")
    wt = tmp_path / "wt-c"
    git(root, "worktree", "add", "-q", "-b", "stream/pay/c", str(wt), "main")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(points(client, uri)), timeout=10)
        assert not any("pay/c" in p.message for p in points(client, uri))
        # the engineer edits pay() in the buffer; the agent rewrites it in its worktree
        client.edit(uri, (12, 23), (12, 23), " * 1")
        file = wt / CHECKOUT
        file.write_text(file.read_text().replace("return cart.total()", "return cart.total() + 2"))
        await client.wait_for(
            lambda: any("pay/c" in p.message for p in points(client, uri)), timeout=15
        )
        [live] = [p for p in points(client, uri) if "pay/c" in p.message]
        assert "uncommitted on pay/c" in live.message and "you" in live.message
        assert client.statuses[-1]["streams"]["live"] == ["pay/c"]
        # the agent throws its work away: the point goes
        git(wt, "checkout", "--", CHECKOUT)
        await client.wait_for(
            lambda: not any("pay/c" in p.message for p in points(client, uri)), timeout=15
        )
    finally:
        await stop(client)
