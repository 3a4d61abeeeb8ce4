"""The status notification is a part of its own: counts cached per generation, bursts of
changes coalesced, nothing sent twice."""

from __future__ import annotations

import asyncio
from typing import Any

from stitch_ls.lsp.status import StatusBoard


class Workspace:
    """What the board reads: a generation, drafts the indexer counts (slowly)."""

    def __init__(self) -> None:
        self.generation = 0
        self.pending = 3
        self.counted = 0
        self.sent: list[dict[str, Any]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    def build(self, counts: dict[str, int] | None) -> dict[str, Any]:
        return {"drafts": counts, "generation": self.generation}

    async def count(self) -> dict[str, int]:
        self.counted += 1
        await self.gate.wait()
        return {"pending": self.pending}


def board_of(ws: Workspace) -> StatusBoard:
    return StatusBoard(
        build=ws.build,
        count=ws.count,
        generation=lambda: ws.generation,
        notify=ws.sent.append,
        spawn=asyncio.ensure_future,
    )


async def settle(board: StatusBoard) -> None:
    while board._task is not None and not board._task.done():
        await asyncio.sleep(0)


async def test_counts_are_cached_per_generation_and_bursts_send_once():
    ws = Workspace()
    board = board_of(ws)
    assert board.now() == {"drafts": None, "generation": 0}  # nothing counted yet
    for _ in range(5):
        board.send()
    await settle(board)
    assert ws.sent == [{"drafts": {"pending": 3}, "generation": 0}] and ws.counted == 1

    board.send()
    await settle(board)
    assert len(ws.sent) == 1 and ws.counted == 1  # the same generation: cached, not re-sent

    ws.pending, ws.generation = 2, 1  # a decision changed
    assert (await board.fresh())["drafts"] == {"pending": 2} and ws.counted == 2
    board.recount()  # a draft came: count again even in the same generation
    ws.pending = 4
    board.send()
    await settle(board)
    assert ws.sent[-1]["drafts"] == {"pending": 4} and ws.counted == 3


async def test_a_count_overtaken_by_a_new_generation_is_not_kept():
    ws = Workspace()
    board = board_of(ws)
    ws.gate.clear()
    counting = asyncio.ensure_future(board.fresh())
    await asyncio.sleep(0)
    ws.generation = 1  # the policy changed while the indexer counted
    ws.gate.set()
    assert (await counting)["drafts"] == {"pending": 3}  # answered as counted
    await board.fresh()
    assert ws.counted == 2  # but not cached for the new generation


async def test_a_burst_during_a_count_makes_one_more_round_with_the_news():
    ws = Workspace()
    board = board_of(ws)
    ws.gate.clear()
    board.send()
    await asyncio.sleep(0)
    ws.pending, ws.generation = 9, 1
    board.send()
    board.send()
    ws.gate.set()
    await settle(board)
    assert [s["drafts"] for s in ws.sent] == [{"pending": 9}]  # the second round: no news
    assert ws.counted == 2


def test_send_now_uses_the_counts_at_hand_and_skips_repeats():
    ws = Workspace()
    board = board_of(ws)
    board.send_now()
    board.send_now()
    assert ws.sent == [{"drafts": None, "generation": 0}]
