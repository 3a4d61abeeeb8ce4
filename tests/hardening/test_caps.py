"""What Stitch sends is bounded however many drafts agents write: a file's diagnostics, the
list of drafts through the editor, the CLI and MCP's list each carry at most their limit, and
say how many were left out and how to see them (the answer keeps its shape)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editor_client import start, stop
from gitrepos import STREAM_TEAM, commit_on
from test_cli import cli
from test_mcp import call
from workspaces import draft, make_workspace, write_draft

CHECKOUT = "src/checkout.py"
DRAFTS = 600  # past both limits (500 diagnostics a file, 500 rows a list)


def crowded(root: Path) -> Path:
    """Six hundred drafts on the same line of one file."""
    make_workspace(root)
    for n in range(DRAFTS):
        write_draft(root, draft(f"d{n:04}"))
    return root


async def test_a_files_diagnostics_and_the_draft_list_are_capped_and_say_so(tmp_path: Path):
    root = crowded(tmp_path / "ws")
    client = await start(root)
    try:
        uri = client.open(root / CHECKOUT)
        await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=60)
        shown = client.diagnostics[uri]
        assert len(shown) == 500
        summary = shown[-1]
        assert summary.message == (
            "… and 101 more Stitch diagnostics in this file, left out: "
            "“Stitch: List Drafts” (:StitchDrafts in Neovim) or `stitch-ls draft list` lists them all"
        )
        assert summary.range.start.line == 0
        assert len({d.code for d in shown[:-1]}) == 499  # one per draft, none repeated

        rows = await client.command("stitch.listDrafts")
        assert len(rows) == 501 and all(isinstance(r["id"], str) for r in rows[:500])
        assert rows[-1] == {
            "truncated": True,
            "shown": 500,
            "total": DRAFTS,
            "left_out": 100,
            "limit": 500,
            "message": "… and 100 more drafts, left out: ask again with a higher limit",
        }
        few = await client.command("stitch.listDrafts", {"limit": 3})
        assert [r.get("id") for r in few] == ["d0000", "d0001", "d0002", None]
        assert few[-1]["left_out"] == DRAFTS - 3
        everything = await client.command("stitch.listDrafts", {"limit": 10_000})
        assert len(everything) == DRAFTS and "truncated" not in everything[-1]
        with pytest.raises(Exception, match="limit"):
            await client.command("stitch.listDrafts", {"limit": 0})
    finally:
        await stop(client)


def test_the_cli_draft_list_is_capped_and_says_so(tmp_path: Path):
    root = crowded(tmp_path / "ws")
    listed = cli(root, "draft", "list", "--json")
    rows = json.loads(listed.stdout)
    assert len(rows) == 501 and rows[-1]["truncated"] is True and rows[-1]["left_out"] == 100
    few = cli(root, "draft", "list", "--limit", "2")
    assert few.returncode == 0, few.stderr
    assert few.stdout.rstrip().endswith(
        f"… and {DRAFTS - 2} more drafts, left out: ask again with a higher limit (--limit)"
    )
    assert few.stdout.count("\n    Draft d") == 2
    assert cli(root, "draft", "list", "--limit", "0").returncode == 2


async def test_mcps_list_of_stitch_points_is_capped_and_says_so(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", STREAM_TEAM)
    module = "".join(f"def f{n}():\n    return {n}\n\n\n" for n in range(5))
    (root / "src" / "many.py").write_text(module)
    from workspaces import git

    git(root, "add", "-A")
    git(root, "commit", "-qm", "many")
    for stream, bump in (("a", 10), ("b", 20)):
        text = module
        for n in range(5):
            text = text.replace(f"return {n}\n", f"return {n + bump}\n")
        commit_on(root, f"stream/checkout/{stream}", "src/many.py", module, text, stream)
    everything, two = await call(
        root,
        [
            ("list_stitch_points", {"path": "src/many.py"}),
            ("list_stitch_points", {"path": "src/many.py", "limit": 2}),
        ],
    )
    assert len(everything["stitch_points"]) == 5 and "truncated" not in everything
    assert [p["symbol"] for p in two["stitch_points"]] == [
        p["symbol"] for p in everything["stitch_points"][:2]
    ]
    assert two["truncated"] == {
        "truncated": True,
        "shown": 2,
        "total": 5,
        "left_out": 3,
        "limit": 2,
        "message": "… and 3 more stitch points, left out: ask again with a higher limit",
    }
