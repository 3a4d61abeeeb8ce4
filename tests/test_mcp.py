"""The MCP server, driven by the official SDK's own client over stdio."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from gitrepos import stream_repo
from workspaces import draft, git


async def call(root: Path, steps) -> list[Any]:
    params = StdioServerParameters(  # the whole environment: the per-user state folder too
        command=sys.executable,
        args=["-m", "stitch_ls", "mcp", "--workspace", str(root)],
        env=dict(os.environ),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = {t.name for t in (await session.list_tools()).tools}
        assert tools == {
            "propose_draft",
            "ask_engineer",
            "get_status",
            "list_stitch_points",
            "get_draft_outcome",
        }
        results = []
        for name, arguments in steps:
            result = await session.call_tool(name, arguments)
            answer = result.structured_content or json.loads(result.content[0].text)
            # a refusal is an error the agent sees as one (isError), with the reasons
            refused = name == "propose_draft" and answer.get("ok") is False
            assert result.is_error is refused, result
            results.append(answer)
        return results


async def test_propose_validate_outcome_and_status(workspace: Path):
    bad = draft("bad", confidence=2)
    bad["edits"][0]["path"] = "../etc/passwd"
    proposed, rejected, status, pending = await call(
        workspace,
        [
            ("propose_draft", {"draft": draft("from-mcp")}),
            ("propose_draft", {"draft": bad}),
            ("get_status", {}),
            ("get_draft_outcome", {"draft_id": "from-mcp"}),
        ],
    )
    assert proposed == {"ok": True, "id": "from-mcp", "state": "actionable"}
    assert (workspace / ".stitch" / "drafts" / "from-mcp.json").exists()
    fields = {e["field"] for e in rejected["errors"]}
    assert fields == {"confidence", "edits.0.path"} and rejected["ok"] is False
    assert (
        status["floor"] == {"value": 0.65, "from": "team file", "raised": {}}
        and status["drafts"]["actionable"] == 1
    )
    assert pending["outcome"] == "pending" and pending["gate"] == "actionable"
    changed = git(workspace, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert changed and all(line[3:].startswith(".stitch/") for line in changed), changed


async def test_read_only_is_honoured_and_outcomes_reported(workspace: Path):
    from datetime import UTC, datetime

    from stitch_ls.core.workspace import StitchWorkspace

    ws = StitchWorkspace(workspace)
    ws.set_read_only(True, "incident", "lead@example.com", datetime.now(UTC), door="terminal")
    proposed, unsourced = await call(
        workspace,
        [
            ("propose_draft", {"draft": draft("while-ro")}),
            ("propose_draft", {"draft": draft("parked", sources=[])}),
        ],
    )
    assert (
        proposed["ok"] and "cannot be applied until a human turns read-only off" in proposed["note"]
    )
    ws.set_read_only(False, None, "lead@example.com", datetime.now(UTC), door="terminal")
    ws.load_state()
    ws.scan_drafts(datetime.now(UTC))
    ws.reject("while-ro", "duplicate of #12", "dev@example.com", datetime.now(UTC), door="terminal")
    rejected, parked, unknown = await call(
        workspace,
        [
            ("get_draft_outcome", {"draft_id": "while-ro"}),
            ("get_draft_outcome", {"draft_id": "parked"}),
            ("get_draft_outcome", {"draft_id": "nope"}),
        ],
    )
    assert rejected["outcome"] == "rejected" and rejected["reason"] == "duplicate of #12"
    assert parked["outcome"] == "parked"
    assert unknown["outcome"] == "unknown"


async def test_ask_engineer_is_pending_until_answered(workspace: Path):
    [asked] = await call(
        workspace, [("ask_engineer", {"question": "Half-up?", "options": ["yes", "no"]})]
    )
    assert asked["status"] == "pending"
    prompt = json.loads((workspace / ".stitch" / "prompts" / f"{asked['id']}.json").read_text())
    assert prompt["question"] == "Half-up?" and prompt["options"] == ["yes", "no"]


async def test_list_stitch_points(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    [found, hostile] = await call(
        root,
        [
            ("list_stitch_points", {"path": "src/checkout.py"}),
            ("list_stitch_points", {"path": "../x"}),
        ],
    )
    [point] = found["stitch_points"]
    assert point["symbol"] == "Cart.total" and point["streams"] == ["checkout/a", "checkout/b"]
    assert hostile["ok"] is False and "leave the workspace" in hostile["error"]


async def test_propose_answers_the_gates_verdict_on_checked_sources(workspace: Path):
    cites_nothing = [
        {"kind": "doc", "ref": "docs/does-not-exist.md", "why": "the migration plan"},
        {"kind": "test", "ref": "tests/test_checkout.py::test_nothing", "why": "it passes"},
    ]
    failing = [{"kind": "test", "ref": "tests/test_checkout.py::test_pay", "status": "failed"}]
    (parked, failed, reused) = await call(
        workspace,
        [
            ("propose_draft", {"draft": draft("ghost", sources=cites_nothing)}),
            ("propose_draft", {"draft": draft("red", evidence=failing, confidence=1.0)}),
            ("propose_draft", {"draft": draft("ghost", sources=cites_nothing)}),
        ],
    )
    assert parked == {"ok": True, "id": "ghost", "state": "parked: all 2 sources missing"}
    assert failed["state"] == ("blocked: its own evidence failed: tests/test_checkout.py::test_pay")
    assert reused["ok"] is False and "pending" in reused["errors"][0]["message"]
