"""The indexer link is a part of its own: built on a workspace, with no editor."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stitch_ls.core.errors import Refused
from stitch_ls.indexer.api import IndexerApi
from stitch_ls.indexer.link import IndexerLink, backoff
from workspaces import draft, make_workspace, write_draft


def test_the_back_off_starts_at_once_and_never_gives_up():
    assert backoff(0) == 0.0
    assert [backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff(50) == 30.0  # capped, still restarting


async def test_a_link_alone_answers_restarts_and_says_when_it_is_down(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("a"))
    lines: list[tuple[str, bool]] = []
    downs: list[str | None] = []
    restarted = asyncio.Event()
    link = IndexerLink(
        root,
        on_change=lambda paths: None,
        on_restarted=restarted.set,
        on_down=lambda: downs.append(link.down),
        log=lambda message, error: lines.append((message, error)),
    )
    assert link.start()
    try:
        loaded = await link.call(IndexerApi.load, datetime.now(UTC))
        assert "a" in loaded.result.added
        with pytest.raises(Refused, match="needs a reason"):
            await link.call(IndexerApi.set_read_only, True, " ", "dev", datetime.now(UTC))
        assert await link.call(IndexerApi.record, "nope") is None  # not found: an answer
        os.kill(link.client.pid, signal.SIGKILL)
        await asyncio.wait_for(restarted.wait(), timeout=15)
        assert downs and downs[0] == "stopped (exit code -9)"
        assert any("starting it again" in message for message, _ in lines)
        assert await link.call(IndexerApi.user)  # the new process answers
        link.up()
        assert link.down is None and downs[-1] is None
    finally:
        link.close()
