"""Agents' prompts in the editor, as one part: shown one at a time (never in quiet hours),
the answer written back by the indexer, the pending count kept for the status. A prompt the
engineer dismissed is remembered (by the indexer, across editor sessions): it stays pending
and listed, and never pops up by itself again. Those that waited out quiet hours are held
back for the one summary after them (`hold`), and gone through only when the engineer asks.
Built with plain callables, so it runs without an editor in tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stitch_ls.core.errors import Refused
from stitch_ls.core.safetext import plain
from stitch_ls.indexer.wire import IndexerError

if TYPE_CHECKING:
    from stitch_ls.core.drafts.model import Prompt

Scan = Callable[[], Awaitable["tuple[list[tuple[Path, Prompt]], list[str]]"]]  # IndexerApi.prompts
Answer = Callable[[Path, str, str, datetime], Awaitable["Prompt"]]  # IndexerApi.answer
Show = Callable[[str, list[str]], Awaitable[str | None]]  # message, options -> chosen or None
Dismiss = Callable[[list[str]], Awaitable[list[str]]]  # IndexerApi.dismiss_prompts


def prompt_message(prompt: Any) -> str:
    """A prompt as plain text (showMessage renders no markup): question, who asks, sources."""
    lines = [f"{prompt.agent} ({prompt.stream}) asks: {prompt.question}"]
    if prompt.sources:
        lines.append(
            "Sources: " + "; ".join(f"{s.kind}: {s.ref} ({s.why})" for s in prompt.sources)
        )
    else:
        lines.append("Sources: none cited.")
    return plain("\n".join(lines))  # the agent's words: no control or bidi character shown


class PromptDesk:
    def __init__(
        self,
        scan: Scan,
        answer: Answer,
        show: Show,
        *,
        quiet: Callable[[], bool],
        arrived: Callable[[list[str], bool], None],
        user: Callable[[], str],
        clock: Callable[[], datetime],
        log: Callable[[str], None],
        pending_changed: Callable[[], None],
        dismiss: Dismiss | None = None,
    ) -> None:
        """`arrived(ids, during_quiet)`: prompts seen, for the end-of-quiet summary.
        `dismiss`: where dismissals are remembered (None: for this session only)."""
        self._scan, self._answer, self._show = scan, answer, show
        self._dismiss, self._recalled = dismiss, dismiss is None
        self._quiet, self._arrived = quiet, arrived
        self._user, self._clock, self._log = user, clock, log
        self._pending_changed = pending_changed
        self.shown: set[str] = set()  # asked this session (dismissed ones stay here)
        self.pending = 0  # unanswered prompts, as the last scan found them
        self._looked = False
        self._busy = False

    def seen_at_start(self) -> None:
        """The prompts already waiting were noted at start-up: not arrivals later."""
        self._looked = True

    def show_again(self, ids: list[str]) -> None:
        """Dismissed prompts come back at the next `run`."""
        self.shown.difference_update(ids)

    async def dismissed(self, ids: list[str]) -> None:
        """The engineer let these go unanswered: pending still, never popped up again."""
        self.shown.update(ids)
        if self._dismiss is not None and ids:
            try:
                await self._dismiss(ids)
            except IndexerError as exc:
                self._log(f"dismissed prompts not remembered: {exc}")

    async def hold(self) -> list[str]:
        """The unanswered prompts not shown yet (those quiet hours kept back), held back from
        popping up one by one: the end-of-quiet summary offers them (`go_through`)."""
        await self._recall()
        try:
            found, _ = await self._scan()
        except IndexerError as exc:
            self._log(f"prompts not read: {exc}")
            return []
        held = [p.id for _, p in found if p.answer is None and p.id not in self.shown]
        self.shown.update(held)
        return held

    async def go_through(self, ids: list[str]) -> None:
        """Show these prompts one at a time now (the engineer asked to)."""
        self.show_again(ids)
        await self.run()

    async def _recall(self) -> None:
        """Once: the prompts dismissed in earlier sessions are not shown by themselves."""
        if self._recalled or self._dismiss is None:
            return
        self._recalled = True
        try:
            self.shown.update(await self._dismiss([]))
        except IndexerError as exc:
            self._log(f"dismissed prompts not read: {exc}")

    async def run(self) -> None:
        """Show unanswered prompts one at a time, never during quiet hours."""
        if self._busy:
            return
        self._busy = True
        try:
            await self._recall()
            while True:
                try:
                    found, errors = await self._scan()
                except IndexerError as exc:
                    self._log(f"prompts not read: {exc}")
                    return
                for error in errors:
                    self._log(f"prompt ignored: {error}")
                unanswered = sum(1 for _, p in found if p.answer is None)
                if unanswered != self.pending:
                    self.pending = unanswered
                    self._pending_changed()
                waiting = [(path, p) for path, p in found if p.answer is None]
                pending = [(path, p) for path, p in waiting if p.id not in self.shown]
                first, self._looked = not self._looked, True
                quiet = self._quiet()
                self._arrived([p.id for _, p in pending], quiet and not first)
                if not pending or quiet:
                    return
                path, prompt = pending[0]
                self.shown.add(prompt.id)
                chosen = await self._show(prompt_message(prompt), list(prompt.options))
                if chosen is None:
                    await self.dismissed([prompt.id])
                    continue
                try:
                    await self._answer(path, chosen, self._user(), self._clock())
                except (IndexerError, Refused) as exc:
                    self._log(f"the answer to prompt {prompt.id} was not recorded: {exc}")
        finally:
            self._busy = False
