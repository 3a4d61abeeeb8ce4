"""The same workspace gives the same answers through every door: the editor (the language
server and its indexer), the CLI and the MCP server, agent-commit drafts included."""

from __future__ import annotations

import json
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from editor_client import start, stop
from gitrepos import stream_repo
from test_cli import cli
from test_mcp import call
from workspaces import draft, make_workspace, write_draft

KEYS = ("drafts", "read_only", "floor", "trust", "policy", "streams", "stitch_points")


async def test_status_counts_and_states_agree_through_all_three_doors(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")  # two streams; an agent commit with trailers
    write_draft(root, draft("ready"))
    write_draft(root, draft("low", confidence=0.3))
    write_draft(root, draft("unsourced", sources=[]))
    from_cli = json.loads(cli(root, "status", "--json").stdout)
    [from_mcp] = await call(root, [("get_status", {})])
    client = await start(root)
    try:
        uri = client.open(root / "src" / "checkout.py")
        await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=10)
        await client.wait_for(
            lambda: client.statuses and client.statuses[-1]["stitch_points"]["open"] > 0,
            timeout=10,
        )
        from_editor = await client.command("stitch.status")
    finally:
        await stop(client)
    assert from_cli["drafts"]["pending"] == 4  # three files and the agent commit's hunk
    for key in KEYS:
        assert from_cli[key] == from_mcp[key] == from_editor[key], key
    listed = json.loads(cli(root, "draft", "list", "--json").stdout)
    assert {r["id"] for r in listed} >= {"ready", "low", "unsourced"}
    assert any(r["id"].startswith("git-") for r in listed)


__all__ = ["ClientSession", "StdioServerParameters", "stdio_client"]


async def test_a_question_is_asked_the_same_way_through_the_cli_and_mcp(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    sources = [{"kind": "doc", "ref": "docs/rounding.md", "why": "the rule"}]
    [by_mcp] = await call(
        root,
        [("ask_engineer", {"question": "Half-up?", "options": ["yes", "no"], "sources": sources})],
    )
    by_cli = cli(
        root, "ask", "Half-up?", "--option", "yes", "--option", "no",
        "--source", "doc", "docs/rounding.md", "the rule", "--json",
    )  # fmt: skip
    assert by_cli.returncode == 0, by_cli.stderr
    prompts = root / ".stitch" / "prompts"
    written = [
        json.loads((prompts / f"{asked_id}.json").read_text())
        for asked_id in (by_mcp["id"], json.loads(by_cli.stdout)["id"])
    ]
    for prompt in written:
        del prompt["id"], prompt["created"], prompt["agent"]
    assert written[0] == written[1]

    # a broken question: one clear refusal from each door, nothing written
    broken = [{"kind": "doc", "ref": "", "why": "x"}]
    [refused] = await call(
        root, [("ask_engineer", {"question": "Q?", "options": ["a"], "sources": broken})]
    )
    assert refused["ok"] is False and refused["error"].startswith("invalid prompt:")
    result = cli(root, "ask", "Q?", "--option", "a", "--source", "doc", "", "x")
    assert result.returncode == 2 and result.stderr.startswith("stitch-ls: invalid prompt:")
    assert len(list(prompts.iterdir())) == 2
