"""The language server's link to its indexer process, as one part: it starts the process,
restarts it for as long as the server runs (at once the first time, then with a back-off),
makes typed calls (`call(IndexerApi.load, now)`), times out calls that are not answered (a
stopped or stuck indexer is killed, hence restarted) and says while it is down. It needs no
editor: tests build it alone on a workspace.

A call answers, or raises `Refused` (the indexer's verbs said no, with their words) or
`IndexerError` (down, stuck, or a failure in the indexer): never None for a failure, so "no
such draft" and "the indexer is down" stay different answers up to the person who asked.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, cast

from stitch_ls.indexer.api import CALLS, IndexerApi
from stitch_ls.indexer.client import IndexerClient, Then
from stitch_ls.indexer.wire import IndexerError

P = ParamSpec("P")
R = TypeVar("R")
Entry = Callable[Concatenate[IndexerApi, P], R]  # an entry of IndexerApi, e.g. IndexerApi.load

RESTART_WINDOW = 300.0  # restarts within this many seconds count towards the back-off
BACKOFF_MAX = 30.0  # seconds between restarts, at most, however often the indexer dies
# seconds an indexer call may take before the indexer counts as stuck (STITCH_INDEXER_TIMEOUT),
# unless its entry in IndexerApi declares its own
CALL_TIMEOUT = float(os.environ.get("STITCH_INDEXER_TIMEOUT") or 20.0)

Log = Callable[[str, bool], None]  # (message, is_error)


def backoff(recent: int) -> float:
    """Seconds before the next restart after `recent` restarts in the window: at once the
    first time, then doubling (0.5, 1, 2, …) up to BACKOFF_MAX; never giving up."""
    return 0.0 if recent == 0 else min(BACKOFF_MAX, 0.25 * 2**recent)


def timeout_of(name: str) -> float:
    declared = CALLS[name].timeout
    return CALL_TIMEOUT if declared is None else declared


class IndexerLink:
    def __init__(
        self,
        root: Path,
        *,
        on_change: Callable[[set[Path] | None], None],
        on_restarted: Callable[[], object],
        on_down: Callable[[], None],
        log: Log,
    ) -> None:
        """`on_change`: files changed under `.stitch/`; `on_restarted`: a new process runs
        (reload into it); `on_down`: `down` changed (the status shows it); `log`: a line for
        the editor's log."""
        self.client = IndexerClient(root, self._stopped, on_change)
        self._on_restarted, self._on_down, self._log = on_restarted, on_down, log
        self._restarts: list[float] = []  # when each recent restart was (or is) due
        self.down: str | None = None  # why the indexer is not running, while it is not
        self.closed = False

    @property
    def running(self) -> bool:
        return self.client.running

    def start(self) -> bool:
        try:
            self.client.start()
        except OSError as exc:
            self._log(f"cannot start the indexer process: {exc}", True)
            return False
        return True

    def close(self) -> None:
        self.closed = True
        self.client.close()

    async def call(self, entry: Entry[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`entry`'s answer (`Refused`, or IndexerError when it could not be had)."""
        return cast(R, await self._call(entry.__name__, args, kwargs, None))

    async def call_then(
        self, then: Callable[[R], None], entry: Entry[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """`call`, with `then(answer)` run on the loop as the answer arrives, before anything
        else sees it (so the changes of successive calls are adopted in call order)."""
        return cast(R, await self._call(entry.__name__, args, kwargs, cast(Then, then)))

    async def _call(
        self, name: str, args: tuple[object, ...], kwargs: dict[str, object], then: Then | None
    ) -> object:
        if kwargs:  # the pipe carries positional arguments only
            raise TypeError(f"indexer call {name} takes no keyword arguments")
        if not self.client.running:
            raise IndexerError(f"the indexer process is not running; {self.note()}", "down")
        limit = timeout_of(name)
        try:
            answer = await asyncio.wait_for(self.client.call(name, args, then), limit)
        except TimeoutError:
            self._log(
                f"the indexer did not answer {name!r} within {limit:g} s; restarting it", True
            )
            self.client.kill()
            raise IndexerError(
                f"the indexer did not answer within {limit:g} s; it is restarting", "timeout"
            ) from None
        return answer

    def note(self) -> str:
        """What a refusal says while the indexer is down."""
        if self._restarts and self._restarts[-1] > time.monotonic():
            return f"it restarts in {self._restarts[-1] - time.monotonic():.0f} s; try again then"
        return "it is restarting; try again in a moment"

    def up(self) -> None:
        """The new process has loaded the workspace: no longer down."""
        if self.down is not None and self.client.running:
            self.down = None
            self._on_down()

    def _stopped(self, code: int | None) -> None:
        if self.closed:
            return
        now = time.monotonic()
        self._restarts = [t for t in self._restarts if now - t < RESTART_WINDOW]
        delay = backoff(len(self._restarts))
        self._restarts.append(now + delay)
        self.down = f"stopped (exit code {code})"
        self._log(
            f"the indexer process stopped (exit code {code}); starting it again"
            + (f" in {delay:g} s" if delay else ""),
            bool(delay),
        )
        self._on_down()
        asyncio.get_running_loop().call_later(delay, self._restart)

    def _restart(self) -> None:
        if self.closed or self.client.running:
            return
        if not self.start():
            self._stopped(None)
            return
        self._on_restarted()
