"""The MCP server, driven by the official SDK's own client over stdio."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import Implementation

from gitrepos import stream_repo
from stitch_ls.hooks import STITCH_MCP_TOOLS
from workspaces import draft, git


async def call(
    root: Path, steps, *, client: str = "claude-code", args: tuple[str, ...] = ()
) -> list[Any]:
    """Each step's answer, over stdio with a client that names itself `client` (as Claude Code
    does: `clientInfo.name`). A refusal is an error the agent sees as one (isError), with
    the reasons; arguments that do not fit come back as one plain line (a string here)."""
    params = StdioServerParameters(  # the whole environment: the per-user state folder too
        command=sys.executable,
        args=["-m", "stitch_ls", "mcp", "--workspace", str(root), *args],
        env=dict(os.environ),
    )
    info = Implementation(name=client, version="1.0")
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, client_info=info) as session,
    ):
        await session.initialize()
        tools = {t.name for t in (await session.list_tools()).tools}
        assert tools == STITCH_MCP_TOOLS
        results: list[Any] = []
        for name, arguments in steps:
            result = await session.call_tool(name, arguments)
            if result.is_error and result.structured_content is None:
                [text] = result.content
                results.append(text.text)
                continue
            answer = result.structured_content or json.loads(result.content[0].text)
            refused = name in ("propose_draft", "withdraw_draft") and answer.get("ok") is False
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
    assert rejected["error"].startswith("confidence: must be between 0 and 1; edits.0.path: ")
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


async def test_an_agent_withdraws_its_own_draft_before_a_decision(workspace: Path):
    """Withdrawn: gone from the inbox, nothing logged, the id free again. Refused for another
    agent's draft (the server knows the caller by its MCP client's name), and once decided."""
    from datetime import UTC, datetime

    from stitch_ls.core.workspace import StitchWorkspace

    theirs = draft("theirs", agent="cursor")
    steps = [
        ("propose_draft", {"draft": draft("mine")}),
        ("propose_draft", {"draft": theirs}),
        ("propose_draft", {"draft": draft("decided")}),
        ("withdraw_draft", {"draft_id": "theirs"}),
        ("withdraw_draft", {"draft_id": "mine"}),
        ("get_draft_outcome", {"draft_id": "mine"}),
        ("withdraw_draft", {"draft_id": "mine"}),
        ("propose_draft", {"draft": draft("mine")}),
    ]
    *_, refused, withdrawn, gone, again, proposed = await call(workspace, steps)
    assert refused == {
        "ok": False,
        "error": "draft 'theirs' is cursor's, not claude-code's: only the agent that wrote a "
        "draft can withdraw it",
    }
    assert withdrawn == {"ok": True, "id": "mine", "state": "withdrawn"}
    assert gone["outcome"] == "unknown" and again["ok"] is False
    assert proposed["ok"] is True  # the id is free again
    assert (workspace / ".stitch" / "drafts" / "theirs.json").exists()
    assert not (workspace / ".stitch" / "source-log.jsonl").exists()

    ws = StitchWorkspace(workspace)
    ws.load_state()
    ws.scan_drafts(datetime.now(UTC))
    ws.reject("decided", "not now", "dev@example.com", datetime.now(UTC), door="terminal")
    [late, as_cursor] = await call(
        workspace,
        [("withdraw_draft", {"draft_id": "decided"}), ("withdraw_draft", {"draft_id": "theirs"})],
        client="cursor-vscode",
    )
    assert late["ok"] is False and late["error"] == (
        "draft 'decided' was already rejected; it cannot be withdrawn"
    )
    assert as_cursor["ok"] is True  # Cursor's MCP client is the agent `cursor`


async def test_an_agent_named_on_the_command_line_and_one_nobody_named(workspace: Path):
    [proposed, withdrawn] = await call(
        workspace,
        [
            ("propose_draft", {"draft": draft("scripted", agent="nightly-bot")}),
            ("withdraw_draft", {"draft_id": "scripted"}),
        ],
        client="some-harness",
        args=("--agent", "nightly-bot"),
    )
    assert "agent_note" not in proposed and withdrawn["ok"] is True
    [noted] = await call(workspace, [("propose_draft", {"draft": draft("named")})], client="x")
    assert noted["agent_note"].startswith("the draft names agent 'claude-code', but this server")


async def test_bad_input_is_one_plain_line_naming_the_field(workspace: Path):
    answers = await call(
        workspace,
        [
            ("propose_draft", {"confidence": 2}),  # the draft's field, misplaced
            ("ask_engineer", {"question": "q", "options": "yes", "wait_seconds": "soon"}),
            ("get_draft_outcome", {}),
            ("list_stitch_points", {"path": 3}),
            ("propose_draft", {"draft": draft("bad", confidence=1.5, title="")}),
            ("ask_engineer", {"question": "q", "options": ["a"], "sources": [{"kind": "doc"}]}),
        ],
    )
    misplaced, ask, missing, typed, bad, sources = answers
    assert misplaced == "draft: required"
    assert ask == "options: must be a list; wait_seconds: must be a number"
    assert missing == "draft_id: required"
    assert typed == "path: must be a string"
    assert (
        bad["error"] == "title: must have at least 1 character; confidence: must be between 0 and 1"
    )
    assert sources["ok"] is False and sources["error"] == (
        "invalid prompt: sources.0.ref: required; sources.0.why: required"
    )
    for answer in (misplaced, ask, missing, typed, bad["error"], sources["error"]):
        assert "pydantic" not in answer and "type=" not in answer and "\n" not in answer
