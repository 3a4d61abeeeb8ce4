"""Git, watched from the editor, as one part: the refs and worktrees polled cheaply (a few
`stat` calls: `core.vcs.refs`), a new snapshot asked of the indexer when they (or the team
file) move, the remotes' stream branches fetched as often as the team says, and the index of
every stream's changed lines written for the agents' guard. Editor requests only ever read
the last snapshot. Built with plain callables, so it runs without an editor in tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.vcs.refs import fingerprint_of
from stitch_ls.indexer.wire import GitUpdate, IndexerError

log = logging.getLogger(__name__)

REFS_POLL = 0.1  # seconds between looks at the refs: cheap enough to notice a commit at once
FETCH_POLICY_POLL = 5.0  # seconds between looks at whether fetching was turned on

Look = Callable[[Any, datetime], Awaitable["GitUpdate | None"]]  # IndexerApi.git, adopted
Fetch = Callable[[], Awaitable[list[str]]]  # IndexerApi.fetch_streams: the problems
WriteCollisions = Callable[[datetime], Awaitable[Any]]  # IndexerApi.write_collisions


class GitWatch:
    def __init__(
        self,
        root: Path,
        team: Callable[[], Any],
        look: Look,
        fetch: Fetch,
        write_collisions: WriteCollisions,
        *,
        moved: Callable[[GitUpdate], Awaitable[None]],
        fetched: Callable[[], None],
        clock: Callable[[], datetime],
        log_line: Callable[[str], None],
    ) -> None:
        """`look(team, now)` takes a new snapshot (the server adopts it in order); `moved`
        follows up on one (points, counts, drafts); `fetched` tells the status a fetch ran."""
        self._root, self._team = root, team
        self._look, self._fetch, self._write_collisions = look, fetch, write_collisions
        self._moved, self._fetched, self._clock, self._log = moved, fetched, clock, log_line
        self._seen: tuple[Any, Any] | None = None  # (refs fingerprint, team) last looked at
        self.fetched: dict[str, Any] | None = None  # the last background fetch, for the status

    def look_again(self) -> None:
        """The next poll asks for a new snapshot (a new indexer, another checkout's work)."""
        self._seen = None

    async def watch(self) -> None:
        """Poll the refs; when they or the team file change, a new snapshot, then its
        follow-ups. A broken repository degrades (said once per change), never crashes."""
        while True:
            try:
                seen = (fingerprint_of(self._root), self._team())
                if seen != self._seen:
                    self._seen = seen
                    update = await self._look(seen[1], self._clock())
                    if update is not None:
                        for problem in update.problems:
                            self._log(problem)
                        await self._moved(update)
            except IndexerError as exc:  # looked at again once the indexer is back
                log.debug("git not looked at: %s", exc)
                self._seen = None
            except Exception as exc:  # noqa: BLE001 - a broken repository degrades
                log.warning("git view failed: %s", exc)
                self._log(f"git: {exc}")
            await asyncio.sleep(REFS_POLL)

    async def fetch_now_and_then(self) -> None:
        """`[streams] fetch_every`: fetch the remotes' stream branches in the indexer, at
        start and then that often; the outcome shows in the status, never blocks a request.
        The team file is read again each round (turning it on or off needs no restart)."""
        # start-up: the server's first answer loads no core; this runs after it
        from stitch_ls.core.policy.config import duration_seconds

        while True:
            every = self._team().streams.fetch_every
            if every is None:
                self.fetched = None
                await asyncio.sleep(FETCH_POLICY_POLL)
                continue
            try:
                problems = await self._fetch()
            except IndexerError as exc:
                problems = [f"the indexer did not answer: {exc}"]
            self.fetched = {
                "every": every,
                "at": self._clock().isoformat().replace("+00:00", "Z"),
                "problem": "; ".join(problems) or None,
            }
            self._fetched()
            await asyncio.sleep(duration_seconds(every))

    async def write_collisions(self) -> None:
        """The index the agents' guard reads (`core.vcs.collisions`), written again."""
        try:
            await self._write_collisions(datetime.now(UTC))  # wall time: other processes read it
        except IndexerError as exc:
            log.debug("collision index not written: %s", exc)
