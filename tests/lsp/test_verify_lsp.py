""" "Verify draft" in the editor: the team's test command really runs, in the indexer's own
thread, as `$/progress` the engineer can cancel, and only where the editor trusts the folder."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from lsprotocol import types

from editor_client import VSCODE, start, stop
from test_verify import rounding, verified_workspace
from workspaces import git, write_draft

CHECKOUT = "src/checkout.py"
ROUNDS = "tests/test_pay.py::test_pay_rounds"

SLOW_TEST = """\
import os, time
from pathlib import Path


def test_slow():
    Path(os.environ["STITCH_TEST_PIDFILE"]).write_text(str(os.getpid()))
    time.sleep(120)
"""


def by_gate(actions) -> dict[str, types.CodeAction]:
    return {a.data["gate"]: a for a in actions if a.data and a.data.get("draft") == "round"}


async def test_verify_runs_with_progress_and_its_verdict_unblocks_the_draft(tmp_path: Path):
    root = verified_workspace(tmp_path / "ws", timeout_s=40)  # a hung run ends with its output
    write_draft(root, rounding("round", [ROUNDS]))
    client = await start(root, editor=VSCODE)
    try:
        uri = client.open(root / CHECKOUT)
        await client.until_listed("round")
        actions = by_gate(await client.actions(uri, 12, 8))
        assert "verified" in actions["blocked"].disabled.reason  # the apply waits for it
        verify = actions["verify"]
        assert verify.title == "Verify draft: Draft round"
        assert verify.command.command == "stitch.verifyDraft"

        # the command's first run here: the engineer is asked first, and says no, then yes
        client.answers.append("Cancel")
        with pytest.raises(Exception, match="not run"):
            await client.command(verify.command.command, *verify.command.arguments)
        asked = client.prompts[-1]
        assert "has not run on this machine before" in asked.message and "pytest" in asked.message
        client.answers.append("Run")
        # the run takes seconds; bounded well inside the test's timeout so that a hang says
        # where it hung (the server's process tree) instead of timing the test out
        result = await client.command_within(60, verify.command.command, *verify.command.arguments)
        assert result["outcome"] == "passed" and result["exit_code"] == 0, result
        assert result["command"][-1] == ROUNDS and "1 passed" in result["tail"]
        (token, reports), *_ = client.progress_reports.items()
        assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
        assert isinstance(reports[-1], types.WorkDoneProgressEnd)
        assert reports[-1].message.startswith("verify round: passed (exit 0")
        assert any(m.message.startswith("verify round: passed") for m in client.messages)

        actions = by_gate(await client.actions(uri, 12, 8))
        assert "actionable" in actions and actions["actionable"].disabled is None
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=12, character=8),
            )
        )
        assert "Verified here: **passed** · exit 0" in hover.contents.value
        assert git(root, "worktree", "list").count("\n") == 1  # the scratch tree is gone
    finally:
        await stop(client)


async def test_cancelling_the_progress_stops_the_test_run_and_removes_its_tree(tmp_path: Path):
    root = verified_workspace(tmp_path / "ws")
    (root / "tests" / "test_slow.py").write_text(SLOW_TEST)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a slow test")
    write_draft(root, rounding("round", ["tests/test_slow.py::test_slow"]))
    pidfile = tmp_path / "test.pid"
    client = await start(root, editor=VSCODE, env={"STITCH_TEST_PIDFILE": str(pidfile)})
    try:
        await client.until_listed("round")
        client.answers.append("Run")  # the command's first run here: the engineer says yes
        running = asyncio.ensure_future(client.command("stitch.verifyDraft", "round"))
        await client.wait_for(pidfile.exists, timeout=60)  # the test itself is running
        (token, reports), *_ = client.progress_reports.items()
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
        )
        with pytest.raises(Exception, match="could not run: cancelled"):
            await asyncio.wait_for(running, timeout=30)
        pid = int(pidfile.read_text())
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the test process was stopped, not left behind
        assert git(root, "worktree", "list").count("\n") == 1
        assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)
        # nothing was recorded: a cancelled run is no verdict
        shown = await client.command("stitch.showDraft", "round")
        assert shown.get("verification") is None
    finally:
        await stop(client)


async def test_an_untrusted_workspace_is_offered_no_verify_and_runs_none(tmp_path: Path):
    root = verified_workspace(tmp_path / "ws")
    write_draft(root, rounding("round", [ROUNDS]))
    client = await start(root, editor=VSCODE, init_options={"workspaceTrusted": False})
    try:
        uri = client.open(root / CHECKOUT)
        await client.until_listed("round")
        gates = by_gate(await client.actions(uri, 12, 8))
        assert "blocked" in gates and "verify" not in gates
        with pytest.raises(Exception, match="not trusted"):
            await client.command("stitch.verifyDraft", "round")
        assert not client.progress_reports
    finally:
        await stop(client)


async def test_a_decided_draft_is_not_verified(tmp_path: Path):
    root = verified_workspace(tmp_path / "ws")
    write_draft(root, rounding("round", [ROUNDS]))
    client = await start(root, editor=VSCODE)
    try:
        await client.until_listed("round")
        await client.command("stitch.rejectDraft", "round", "not now")
        with pytest.raises(Exception, match="already rejected"):
            await client.command("stitch.verifyDraft", "round")
    finally:
        await stop(client)
