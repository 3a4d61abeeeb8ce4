"""Accepted means kept, through a real server with each editor's capabilities: an apply to a
buffer is logged as accepted only once saved; closed unsaved, undone or left unsaved when
the session ends, it is logged as not kept and the draft is back. Every door sees it waiting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editor_client import NEOVIM, VSCODE, EditorClient, start, stop
from test_cli import cli
from workspaces import CHECKOUT, draft, make_workspace, write_draft

PATH = "src/checkout.py"
APPLIED = CHECKOUT.replace("return cart.total()", "return round(cart.total(), 2)")


def log_lines(root: Path) -> list[dict]:
    log = root / ".stitch" / "source-log.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


async def applied(root: Path, editor: str) -> tuple[EditorClient, str]:
    write_draft(root, draft("ready"))
    client = await start(root, editor=editor)
    uri = client.open(root / PATH)
    await client.until_listed("ready")
    result = await client.command("stitch.applyDraft", "ready")
    assert result["waiting"] is True and client.text(uri) == APPLIED
    return client, uri


async def settled(root: Path, client: EditorClient) -> dict:
    await client.wait_for(lambda: bool(log_lines(root)), timeout=10)
    [line] = log_lines(root)
    return line


@pytest.mark.parametrize("editor", [VSCODE, NEOVIM])
async def test_apply_then_save_is_accepted(tmp_path: Path, editor: str):
    root = make_workspace(tmp_path / "ws")
    client, uri = await applied(root, editor)
    try:
        # waiting: every door says so, none says accepted
        status = json.loads(cli(root, "status", "--json").stdout)
        assert status["drafts"]["unsaved"] == 1 and status["drafts"]["pending"] == 0
        rows = json.loads(cli(root, "draft", "list", "--json").stdout)
        assert [(r["id"], r["gate"]) for r in rows] == [("ready", "unsaved")]
        report = json.loads(cli(root, "report", "--json").stdout)
        assert report["by_agent"]["claude-code"]["unsaved"] == 1
        assert (await client.command("stitch.status"))["drafts"]["unsaved"] == 1
        assert log_lines(root) == []
        client.save(uri)
        line = await settled(root, client)
        assert (line["event"], line["draft"], line["accepted_by"]) == (
            "accepted",
            "ready",
            "dev@example.com",
        )
        await client.wait_for(lambda: client.statuses[-1]["drafts"]["unsaved"] == 0)
    finally:
        await stop(client)
    assert (
        json.loads(cli(root, "report", "--json").stdout)["by_agent"]["claude-code"]["applied"] == 1
    )


@pytest.mark.parametrize("editor", [VSCODE, NEOVIM])
async def test_apply_then_close_without_saving_is_not_kept(tmp_path: Path, editor: str):
    root = make_workspace(tmp_path / "ws")
    client, uri = await applied(root, editor)
    try:
        client.close(uri)
        line = await settled(root, client)
        assert (line["event"], line["draft"], line["what"]) == (
            "not kept",
            "ready",
            f"{PATH}: closed without saving",
        )
        assert (root / PATH).read_text() == CHECKOUT
        row = await client.until_listed("ready", lambda row: row["gate"] == "actionable")
        assert row["gate"] == "actionable"  # back in the inbox, applicable again
    finally:
        await stop(client)
    text = cli(root, "log").stdout
    assert "NOT KEPT: Draft ready" in text and "closed without saving" in text
    assert (
        json.loads(cli(root, "report", "--json").stdout)["by_agent"]["claude-code"]["not_kept"] == 1
    )


@pytest.mark.parametrize("editor", [VSCODE, NEOVIM])
async def test_apply_undo_save_is_not_kept(tmp_path: Path, editor: str):
    root = make_workspace(tmp_path / "ws")
    client, uri = await applied(root, editor)
    try:
        client.replace_text(uri, CHECKOUT)  # undo
        client.save(uri)
        line = await settled(root, client)
        assert line["event"] == "not kept"
        assert line["what"] == f"{PATH}: undone or reverted in the editor before it was saved"
        await client.until_listed("ready", lambda row: row["gate"] == "actionable")
    finally:
        await stop(client)


async def test_an_apply_left_unsaved_when_the_session_ends_is_not_kept(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    client, _ = await applied(root, NEOVIM)
    await stop(client)  # :qa! — the buffer is gone, the disk never had it
    [line] = log_lines(root)
    assert line["event"] == "not kept"
    assert line["what"] == "the editor session ended before it was saved"
    rows = json.loads(cli(root, "draft", "list", "--json").stdout)
    assert [(r["id"], r["gate"]) for r in rows] == [("ready", "actionable")]


async def test_an_apply_the_editor_wrote_to_a_closed_file_is_accepted_at_once(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("ready"))
    client = await start(root, editor=VSCODE)
    try:
        await client.until_listed("ready")
        result = await client.command("stitch.applyDraft", "ready")  # not open: written to disk
        assert result["kept"] is True and result["waiting"] is False
        assert [line["event"] for line in log_lines(root)] == ["accepted"]
    finally:
        await stop(client)
