"""Agents' prompts in the editor, as one part: shown one at a time (never in quiet hours),
the answer written back by the indexer, the pending count kept for the status. Built with
plain callables, so it runs without an editor in tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from stitch_ls.core.safetext import plain

Ask = Callable[..., Awaitable[Any]]  # IndexerLink.ask
Show = Callable[[str, list[str]], Awaitable[str | None]]  # message, options -> chosen or None


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
        ask: Ask,
        show: Show,
        *,
        quiet: Callable[[], bool],
        arrived: Callable[[list[str], bool], None],
        user: Callable[[], str],
        clock: Callable[[], datetime],
        log: Callable[[str], None],
        pending_changed: Callable[[], None],
    ) -> None:
        """`arrived(ids, during_quiet)`: prompts seen, for the end-of-quiet summary."""
        self._ask, self._show = ask, show
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

    async def run(self) -> None:
        """Show unanswered prompts one at a time, never during quiet hours."""
        if self._busy:
            return
        self._busy = True
        try:
            while True:
                scanned = await self._ask("prompts")
                if scanned is None:
                    return
                found, errors = scanned
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
                    continue
                answered = await self._ask("answer", path, chosen, self._user(), self._clock())
                if answered is None:  # `ask` logged the indexer's reason
                    self._log(f"the answer to prompt {prompt.id} was not recorded")
        finally:
            self._busy = False
