"""The indexer as a real child process: its pipe, its failures, its restarts, its end."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import client_capabilities

from editor_client import VSCODE, make_client, start, stop
from stitch_ls.core.errors import Refused
from stitch_ls.indexer.client import IndexerClient
from stitch_ls.indexer.wire import IndexerError
from workspaces import draft, make_workspace, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHECKOUT = "src/checkout.py"

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the child process in /proc"
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


async def open_checkout(client: Any, root: Path) -> tuple[str, int]:
    """Open the sample file and wait until its drafts show: its URI and the server's pid."""
    uri = client.open(root / CHECKOUT)
    await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=5)
    return uri, client._server.pid


async def test_calls_are_answered_in_order_and_a_bad_call_fails_alone(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("a"))
    stops: list[int | None] = []
    client = IndexerClient(root, stops.append)
    client.start()
    try:
        seen: list[str] = []
        load = client.call("load", (T0,), lambda d: seen.append("load"))
        watch = client.call("watch", (frozenset({CHECKOUT}),), lambda r: seen.append("watch"))
        bad = client.call("rm_rf", ("/",))
        assert (await load).result.added == ["a"]
        assert [r.id for r in await watch] == ["a"]
        assert seen == ["load", "watch"]
        with pytest.raises(IndexerError, match="no indexer call 'rm_rf'"):
            await bad
        with pytest.raises(IndexerError, match="TypeError"):
            await client.call("record", ())  # a missing argument
        with pytest.raises(Refused, match="needs a reason"):  # a refusal crosses as one
            await client.call("set_read_only", (True, " ", "dev", T0))
        assert (await client.call("record", ("a",))).id == "a"  # still answering
    finally:
        client.close()
    assert stops == []  # closed on purpose: not reported as a stop


async def test_a_killed_indexer_fails_its_calls_and_says_so(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    stopped = asyncio.Event()
    codes: list[int | None] = []
    client = IndexerClient(root, lambda code: (codes.append(code), stopped.set()))
    client.start()
    try:
        await client.call("load", (T0,))
        assert client.pid is not None
        os.kill(client.pid, signal.SIGKILL)
        await asyncio.wait_for(stopped.wait(), timeout=5)
        assert codes == [-signal.SIGKILL] and not client.running
        with pytest.raises(IndexerError, match="not running"):
            client.call("record", ("a",))
    finally:
        client.close()


@linux_only
async def test_the_server_restarts_a_dead_indexer_and_ends_it_when_it_ends(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("before"))
    client = await start(root)
    try:
        uri, server = await open_checkout(client, root)
        [indexer] = children(server)
        os.kill(indexer, signal.SIGKILL)
        await client.wait_for(
            lambda: any("starting it again" in m.message for m in client.log_messages),
            timeout=5,
        )
        await client.wait_for(lambda: len(children(server)) == 1, timeout=5)
        [indexer] = children(server)
        write_draft(root, draft("after", title="Draft after"))  # read by the new indexer
        await client.wait_for(
            lambda: {d.code for d in client.diagnostics.get(uri, [])} == {"before", "after"},
            timeout=5,
        )
    finally:
        await stop(client)
    deadline = time.monotonic() + 5
    while alive(indexer) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not alive(indexer)


@linux_only
async def test_the_language_server_never_loads_pydantic(tmp_path: Path):
    """Everything validated (team file, state, drafts, settings, prompts) is read by the
    indexer; the server gets records and asks it to write. Its memory and its start-up
    depend on that (docs/performance.md), so a stray import must fail here."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("a"))
    write_draft(root, draft("b", title="Draft b"))
    (root / ".stitch" / "prompts").mkdir()
    question = {
        "version": 1,
        "id": "q1",
        "agent": "claude-code",
        "stream": "checkout/a",
        "question": "Round half-up?",
        "options": ["yes", "no"],
    }
    client = await start(root, settings={"confidenceFloor": 0.7})
    client.answers.append("yes")
    (root / ".stitch" / "prompts" / "q1.json").write_text(json.dumps(question))
    try:
        uri, server = await open_checkout(client, root)
        assert (await client.command("stitch.applyDraft", "a"))["applied"]
        assert (await client.command("stitch.rejectDraft", "b", "dup"))["rejected"]
        status = await client.command("stitch.setReadOnly", {"on": True, "reason": "review"})
        assert status["read_only"]["on"] is True
        answered = root / ".stitch" / "prompts" / "q1.json"
        await client.wait_for(lambda: '"answer": "yes"' in answered.read_text(), timeout=5)
        config = client.open(root / ".stitch" / "config.toml")  # validated as typed
        client.edit(config, (1, 0), (1, 0), "confidence_flor = 0.9\n")
        await client.wait_for(
            lambda: any("unknown key" in d.message for d in client.diagnostics.get(config, [])),
            timeout=5,
        )
        [indexer] = children(server)
        assert "_pydantic_core" in Path(f"/proc/{indexer}/maps").read_text()  # it shows
        assert "pydantic" not in Path(f"/proc/{server}/maps").read_text()
    finally:
        await stop(client)


async def test_code_actions_answer_at_once_while_the_first_load_runs(tmp_path: Path):
    """A request made while the indexer still reads every draft is answered with what is
    known (nothing yet), not held until the load is done; the drafts show after it."""
    root = make_workspace(tmp_path / "ws")
    for index in range(8000):  # well over a second for the indexer to read
        write_draft(root, draft(f"d{index}"))
    client = make_client()
    await client.start_io(sys.executable, "-m", "stitch_ls", "serve")
    try:
        await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities(VSCODE),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            )
        )
        uri = client.open(root / CHECKOUT)
        assert await client.actions(uri, 12, 8) == []
        assert not client.statuses  # answered before the first load was done
        # the load itself may take long: the indexer runs at nice 10, and with both CPUs
        # busy it gets about a tenth of one (8,000 drafts took over 30 s so)
        await client.wait_for(lambda: bool(client.statuses), timeout=90)
        await client.wait_for(lambda: bool(client.diagnostics.get(uri)), timeout=20)
        titles = [a.title for a in await client.actions(uri, 12, 8)]
        assert any(title.startswith("Apply") for title in titles)
    finally:
        await stop(client)


@linux_only
async def test_the_indexer_is_restarted_for_as_long_as_the_server_runs(tmp_path: Path):
    """Killed again and again, it comes back every time (with a back-off), and the status
    says it is down meanwhile; the rest keeps working with what it has."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("a"))
    client = await start(root)
    try:
        uri, server = await open_checkout(client, root)

        def downs() -> int:
            return sum(s["indexer"]["running"] is False for s in client.statuses)

        for restart in range(5):
            [indexer] = children(server)
            seen_down = downs()
            os.kill(indexer, signal.SIGKILL)
            await client.wait_for(
                lambda n=restart: (
                    sum("starting it again" in m.message for m in client.log_messages) > n
                ),
                timeout=15,
            )
            # the status saying so follows the log line (sent right after it, on the loop)
            await client.wait_for(lambda n=seen_down: downs() > n, timeout=15)
            await client.wait_for(lambda: len(children(server)) == 1, timeout=15)
            await client.wait_for(lambda: client.statuses[-1]["indexer"]["running"], timeout=15)
        assert any(" in 0.5 s" in m.message for m in client.log_messages)  # backing off
        result = await client.command("stitch.applyDraft", "a")
        assert result["applied"] is True  # the fifth indexer records it
    finally:
        await stop(client)


@linux_only
async def test_a_draft_asked_for_while_the_indexer_is_stuck_is_not_called_missing(tmp_path: Path):
    """ "No such draft" and "the indexer could not say" are different answers: a command on a
    draft whose file is not open, asked while the indexer is stopped, says the latter."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("a"))
    other = draft("elsewhere")
    other["edits"] = [{"path": "src/new_module.py", "create": True, "text": "x = 1\n"}]
    write_draft(root, other)
    client = await start(root, env={"STITCH_INDEXER_TIMEOUT": "1.5"})
    try:
        uri, server = await open_checkout(client, root)
        [stopped] = children(server)
        os.kill(stopped, signal.SIGSTOP)
        with pytest.raises(Exception) as refusal:
            await client.command("stitch.showDraft", "elsewhere")
        assert "no draft" not in str(refusal.value)
        assert re.search(r"did not answer within 1\.5 s|indexer process", str(refusal.value))
        downs = lambda: [s for s in client.statuses if not s["indexer"]["running"]]  # noqa: E731
        await client.wait_for(lambda: bool(downs()), timeout=30)
        after = client.statuses.index(downs()[0])
        await client.wait_for(
            lambda: any(s["indexer"]["running"] for s in client.statuses[after:]), timeout=30
        )
        shown = await client.command("stitch.showDraft", "elsewhere")
        assert shown["id"] == "elsewhere"
        with pytest.raises(Exception, match="no draft with id 'zz'"):
            await client.command("stitch.showDraft", "zz")
    finally:
        await stop(client)


@linux_only
async def test_a_stopped_indexer_is_timed_out_and_replaced(tmp_path: Path):
    """SIGSTOP: it neither dies nor answers. A call gets a clear refusal after the time-out
    (never an answer that does not come), and a new indexer takes over."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("a"))
    client = await start(root, env={"STITCH_INDEXER_TIMEOUT": "1.5"})
    try:
        uri, server = await open_checkout(client, root)
        [stopped] = children(server)
        os.kill(stopped, signal.SIGSTOP)
        # its own time-out, or (on a busy machine) that of a call the server made just
        # before, which killed the stopped indexer first: a refusal either way, never a wait
        refused = r"did not answer within 1\.5 s|the indexer process stopped \(exit code -9\)"
        with pytest.raises(Exception, match=refused):
            await client.command("stitch.setReadOnly", {"on": True, "reason": "review"})
        await client.wait_for(
            lambda: children(server) != [] and children(server) != [stopped], timeout=30
        )
        await client.wait_for(lambda: client.statuses[-1]["indexer"]["running"], timeout=30)
        status = await client.command("stitch.setReadOnly", {"on": True, "reason": "review"})
        assert status["read_only"]["on"] is True
        assert not alive(stopped)
    finally:
        await stop(client)
