"""The `stitch/status` notification, as one part: draft counts cached per generation of the
policy (counted by the indexer: thousands of drafts never stall an editor request), bursts
of changes coalesced into one notification, nothing sent when nothing changed. Built with
plain callables, so it runs without an editor in tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Status = dict[str, Any]


class StatusBoard:
    def __init__(
        self,
        *,
        build: Callable[[dict[str, int] | None], Status],
        count: Callable[[], Awaitable[dict[str, int] | None]],
        generation: Callable[[], int],
        notify: Callable[[Status], None],
        spawn: Callable[[Any], asyncio.Task[Any]],
        after_count: Callable[[], None] = lambda: None,
    ) -> None:
        """`build(counts)`: the status object with these draft counts (None: none known);
        `count()`: the indexer's count of the drafts now; `generation()`: bumped whenever a
        decision may have changed; `notify(status)`: send it; `after_count`: called after
        each count (the server settles its memory once the first is in)."""
        self._build, self._count, self._generation = build, count, generation
        self._notify, self._spawn, self._after_count = notify, spawn, after_count
        self._counts: tuple[int, dict[str, int]] | None = None  # (generation, counts)
        self._task: asyncio.Task[Any] | None = None
        self._again = False
        self.last: Status | None = None  # what was sent last

    def recount(self) -> None:
        """Drafts came, went or changed: the next status counts again."""
        self._counts = None

    def now(self) -> Status:
        """The status with the counts at hand (no waiting for the indexer)."""
        return self._build(self._counts[1] if self._counts is not None else None)

    async def fresh(self) -> Status:
        """The status with the counts of the current generation."""
        generation = self._generation()
        if self._counts is None or self._counts[0] != generation:
            counts = await self._count()
            if counts is not None and self._generation() == generation:
                self._counts = (generation, counts)
            return self._build(counts)
        return self.now()

    def send_now(self) -> None:
        """Notify at once with the counts at hand (the indexer going down or coming back must
        show even while a count waits for it)."""
        self._send_if_changed(self.now())

    def send(self) -> None:
        """Notify if it changed, counting first; a burst of calls makes one more round."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self._spawn(self._send())

    async def _send(self) -> None:
        while True:
            self._again = False
            try:
                status = await self.fresh()
            finally:
                self._after_count()
            self._send_if_changed(status)
            if not self._again:
                return

    def _send_if_changed(self, status: Status) -> None:
        if status != self.last:
            self.last = status
            self._notify(status)
