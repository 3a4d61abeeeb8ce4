"""kill -9 during an apply from the editor: of the language server, or of its indexer (the
process that checks and commits it), before or after the editor wrote the change. Every trial
ends applied and logged or not applied and pending, and the apply lock is free afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from test_crash_apply import outcome, setup

from editor_client import start, stop
from stitch_ls.core.files.paths import StitchPaths
from test_cli import cli


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with contextlib.suppress(ChildProcessError):
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    return False


@pytest.mark.parametrize(
    ("victim", "when", "writes", "expected"),
    [
        ("server", "before", False, "pending"),  # the edit never reached the files
        (
            "server",
            "before",
            True,
            "applied",
        ),  # the editor wrote it anyway: the next reader logs it
        ("server", "after", True, "applied"),  # written, never answered
        ("indexer", "before", False, "pending"),
        ("indexer", "before", True, "applied"),  # the server's new indexer logs it
        ("indexer", "after", True, "applied"),
    ],
)
async def test_kill_9_during_an_editor_apply(
    tmp_path: Path, victim: str, when: str, writes: bool, expected: str
):
    root = setup(tmp_path / "ws")
    client = await start(root)
    server_pid = client._server.pid  # type: ignore[attr-defined]
    [indexer_pid] = children(server_pid)
    killed: list[int] = []

    def kill(moment: str) -> bool:
        if moment == when and not killed:
            pid = server_pid if victim == "server" else indexer_pid
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            assert StitchPaths(root).apply_journal.exists()  # killed between check and commit
        return writes

    client.on_apply = kill
    try:
        await client.until_listed("big")
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.command("stitch.applyDraft", "big"), timeout=20)
        assert killed, "the apply never reached the editor"
        if victim == "indexer":  # the server starts a new one, which finishes the apply
            journal = StitchPaths(root).apply_journal

            async def recovered() -> bool:
                status = await client.command("stitch.status")
                return status["indexer"]["running"] and not journal.exists()

            await client.until(recovered, timeout=20)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(stop(client), timeout=20)
    deadline = time.monotonic() + 20
    while not gone(indexer_pid):  # its stdin closed with the server: it ends
        assert time.monotonic() < deadline, "the indexer outlived its server"
        await asyncio.sleep(0.05)
    status = cli(root, "status", "--json")  # the next reader finishes or undoes it
    assert status.returncode == 0, status.stderr
    assert outcome(root) == expected
    assert not StitchPaths(root).apply_journal.exists()
    # the lock is free: a CLI apply of the still-pending draft goes through
    if expected == "pending":
        applied = cli(root, "draft", "apply", "big")
        assert applied.returncode == 0, applied.stderr
        assert outcome(root) == "applied"
