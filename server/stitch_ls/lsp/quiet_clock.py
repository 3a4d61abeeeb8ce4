"""The quiet-hours clock, as one part: it wakes at each transition of the engineer's quiet
hours (or focus session), tells the editor to refresh, starts counting what arrives while
quiet, and hands the count to the server once they end (one summary, `StitchServer.quiet_ended`).
Time comes from the host's clock, so tests drive it without sleeping.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stitch_ls.core.workspace import QuietArrivals, StitchWorkspace

POLL_S = 30.0  # at most this long between looks (a schedule edited meanwhile is seen)


class Host(Protocol):
    ws: StitchWorkspace | None

    def clock(self) -> datetime: ...

    def refresh_editor(self) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    async def quiet_ended(self, ended: QuietArrivals) -> None: ...


class QuietClock:
    def __init__(self, host: Host) -> None:
        self._host = host
        self._last: bool | None = None  # quiet at the last look (None: not looked yet)
        self._wake = asyncio.Event()

    def now_quiet(self) -> bool:
        ws = self._host.ws
        return ws is not None and ws.quiet_state(self._host.clock()).on

    def start(self) -> None:
        """At start-up: quiet now or not (no transition to tell), then keep time."""
        ws = self._host.ws
        assert ws is not None
        now = self._host.clock()
        self._last = ws.quiet_state(now).on
        if self._last:
            ws.arrivals.next_window(ws.quiet_window_name(now))
        self._host.spawn(self._run())

    def wake(self) -> None:
        """Look again now (the schedule or a focus session changed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            ws = self._host.ws
            assert ws is not None
            now = self._host.clock()
            upcoming = ws.schedule().next_transition(now)
            delay = POLL_S
            if upcoming is not None:
                delay = min(delay, max(0.0, (upcoming - now).total_seconds()) + 0.01)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            self.check()

    def check(self) -> None:
        """A transition since the last look: the editor refreshed; quiet hours beginning
        start a new count of arrivals, ending ones hand theirs to the host."""
        ws = self._host.ws
        assert ws is not None
        now = self._host.clock()
        quiet = ws.quiet_state(now).on
        if quiet == self._last:
            return
        self._last = quiet
        self._host.refresh_editor()
        if quiet:
            ws.arrivals.next_window(ws.quiet_window_name(now))
        else:
            ended = copy.copy(ws.arrivals)  # next_window gives the live one new sets
            ws.arrivals.next_window(None)
            self._host.spawn(self._host.quiet_ended(ended))
