"""The drafts on each open buffer: placed once, carried through edits, judged again cheaply.

`core.drafts.placements` keeps line spans through edits; this layer decides when drafts are placed
(in a worker thread: first when a buffer opens, again once typing pauses), re-judges the same
places when the policy or state changes, places again only drafts under an edit or whose file
changed, and answers "which drafts lie on these lines now" for code actions and hovers.
A part of `StitchServer`: it reads the server's workspace, documents and publishing (`Host`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from stitch_ls.core.drafts.placements import Placements
from stitch_ls.lsp import render
from stitch_ls.lsp.documents import OpenDocument

# seconds from its start a request waits for the first load (one that ends within it is
# waited for: start-up alone, the indexer importing, can take half of it); a busy machine
# can set more with STITCH_FIRST_LOAD_WAIT
FIRST_LOAD_WAIT = float(os.environ.get("STITCH_FIRST_LOAD_WAIT") or 1.0)


def _now() -> float:
    return asyncio.get_running_loop().time()


if TYPE_CHECKING:  # the core loads after the initialize result
    from stitch_ls.core.text import NotFound, SymbolSpan
    from stitch_ls.core.workspace import Evaluation, StitchWorkspace
    from stitch_ls.lsp.points import PointTracker

MAX_UNSETTLED = 64  # edits (or edited drafts) carried before every place is recomputed


@dataclass
class Placed:
    """The drafts on one open buffer for one generation of the workspace."""

    generation: int  # decisions made under this generation of policy and state
    placement: int  # places found under this generation of the other files' texts
    index: Placements[Evaluation]  # drafts placed in the buffer's text, by line
    fixed: Placements[Evaluation]  # the rest, shown where the draft says (they never move)
    ranked: list[Evaluation] | None = None  # all of them, menu order (once rebased)
    stale_ids: set[str] = field(default_factory=set)  # drafts whose files changed since


def placed_from(
    relative: str,
    seq: int,
    evaluations: list[Evaluation],
    generation: int,
    placement: int,
    moved: list[tuple[Evaluation, tuple[int, int]]] | None = None,
) -> Placed:
    """A placement at change number `seq`: `evaluations` are sorted by where they show;
    `moved` are drafts already placed in this text, with the span they cover now."""
    movable, fixed = list(moved or ()), list[Any]()
    for evaluation in evaluations:
        span = render.draft_span(evaluation, relative)
        (movable if evaluation.placed_in(relative) else fixed).append((evaluation, span))
    return Placed(generation, placement, Placements.of(seq, movable), Placements.of(seq, fixed))


def place_snapshot(
    ws: Any,
    ctx: Any,
    records: list[Any],
    texts: dict[str, str],
    relative: str,
    seq: int,
    generation: int,
    placement: int,
) -> Placed:
    """Every draft judged and placed against a snapshot of the open buffers, then the
    placement built, all in the calling (worker) thread."""
    evaluations = ws.evaluate_all(records, ctx, texts)
    return placed_from(relative, seq, evaluations, generation, placement)


def _shown(evaluations: list[Evaluation], relative: str) -> list[Any]:
    return [
        (e.record.id, e.decision.gate, e.decision.reason, render.draft_ranges(e, relative))
        for e in evaluations
    ]


class Host(Protocol):
    """What placing reads of the server, and what it tells it."""

    ws: StitchWorkspace | None
    docs: dict[str, OpenDocument]
    generation: int  # bumped when decisions may have changed (policy, state)

    def publish(self, doc: OpenDocument) -> None: ...
    async def watch_open(self) -> None: ...  # the indexer sends the open files' drafts
    def ask_for_lenses(self) -> None: ...  # the editor pulls lenses again, if it can be asked


class DraftPlacer:
    """The placements of every open buffer's drafts (a part of `StitchServer`)."""

    def __init__(
        self,
        host: Host,
        *,
        points: PointTracker,
        loaded: asyncio.Event,
        clock: Callable[[], datetime],
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
        read_live: Callable[[str], str | None],
        find_symbol: Callable[[str, str, str], SymbolSpan | NotFound],
    ) -> None:
        """`points`: the open buffers' stitch points (their symbols are parsed before a
        publish); `loaded`: set once the workspace's first load is done; `read_live` and
        `find_symbol`: a file's text and a symbol in it as the open buffers have them, for
        judging drafts."""
        self.host = host
        self._points, self._loaded, self._clock, self._spawn = points, loaded, clock, spawn
        self._read_live, self._find_symbol = read_live, find_symbol
        self.load_started: float | None = None  # loop time the first load began
        self._placed: dict[str, Placed] = {}  # uri -> the drafts placed on that buffer
        self._settling: dict[str, int] = {}  # uri -> change number a worker is placing at
        self._placing: dict[str, asyncio.Task[Any]] = {}  # uri -> its first placement
        self.placement_generation = 0  # bumped when other files' texts may place drafts anew
        self.drafts_version = 0  # counts draft changes that did not start a new generation

    def forget(self, uri: str) -> None:
        self._placed.pop(uri, None)

    def drafts_changed(self, ids: set[str]) -> None:
        """These drafts came, went or changed: placed again (the rest keep their places)."""
        for placed in self._placed.values():
            placed.stale_ids |= ids
        self.drafts_version += 1

    def _evaluator(self) -> Callable[[Any], Evaluation]:
        assert self.host.ws is not None
        ws, ctx = self.host.ws, self.host.ws.gate_context(self._clock(), ignore_quiet=True)
        return lambda record: ws.evaluate(record, ctx, self._read_live, self._find_symbol)

    def _records(self, relative: str) -> list[Any]:
        assert self.host.ws is not None
        state = self.host.ws.state  # decided, or applied and waiting to be saved: not shown
        gone = state.outcomes.keys() | state.unsaved.keys()
        return [r for r in self.host.ws.drafts.by_path.get(relative, ()) if r.id not in gone]

    def _placed_from(
        self,
        relative: str,
        seq: int,
        evaluations: list[Evaluation],
        moved: list[tuple[Evaluation, tuple[int, int]]] | None = None,
    ) -> Placed:
        return placed_from(
            relative, seq, evaluations, self.host.generation, self.placement_generation, moved
        )

    def placed(self, doc: OpenDocument) -> Placed | None:
        """The drafts on an open buffer: placed in a worker thread once, then carried through
        the edits since (core.drafts.placements), only drafts under an edit placed again; judged
        again (not re-placed) when the policy or state changes. None while the first
        placement runs (it is started here; `wait_placed` waits for it)."""
        if self.host.ws is None or doc.relative is None:
            return None
        placed = self._placed.get(doc.uri)
        since = None
        if placed is not None and placed.placement == self.placement_generation:
            since = doc.changes_after(placed.index.now)
        if since is None or any(line < 0 for _, line, _, _ in since):
            self._placed.pop(doc.uri, None)
            self.place_in_background(doc)
            return None
        assert placed is not None
        for _, first, old_last, new_last in since:
            placed.index.edit((first, old_last, new_last))
        if placed.generation != self.host.generation:
            placed = self._redecided(placed)
        if placed.index.unsettled > MAX_UNSETTLED or placed.stale_ids:
            placed = self._rebased(doc, placed)
        self._placed[doc.uri] = placed
        keep = self._settling.get(doc.uri)
        doc.forget_changes(placed.index.now if keep is None else min(keep, placed.index.now))
        return placed

    async def wait_placed(self, doc: OpenDocument) -> None:
        """Until the buffer's drafts are placed (at once, unless the first placement runs).
        While the workspace's first load runs, at most FIRST_LOAD_WAIT: a short load is
        waited for (the answer then has the drafts); a long one is not (the answer has
        what is known, and the placement publishes and asks for fresh lenses when done)."""
        if not self._loaded.is_set():  # within FIRST_LOAD_WAIT of the load's start, wait
            started = self.load_started
            left = FIRST_LOAD_WAIT if started is None else started + FIRST_LOAD_WAIT - _now()
            if left > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._loaded.wait()), left)
        while self.placed(doc) is None and self.host.docs.get(doc.uri) is doc:
            if not self._loaded.is_set():
                return
            pending = self._placing.get(doc.uri)
            if pending is None:
                return  # nothing to place (no workspace yet, or a file outside it)
            await asyncio.shield(pending)

    def place_in_background(self, doc: OpenDocument) -> None:
        if self.host.ws is None or doc.relative is None or doc.uri in self._placing:
            return
        self._placing[doc.uri] = self._spawn(self._place_all(doc, first=True))

    async def _place_all(self, doc: OpenDocument, *, first: bool) -> None:
        """Place every draft of `doc` in a worker thread, against a snapshot of the open
        buffers; then carry the result through the edits made meanwhile and republish (the
        first time always, later only when what shows changed)."""
        try:
            await self._loaded.wait()  # the first load of the workspace
            await self.host.watch_open()  # the indexer sends this file's drafts (once)
            while self.host.ws is not None and doc.relative is not None:
                ws, relative, seq = self.host.ws, doc.relative, doc.seq
                versions = (self.host.generation, self.placement_generation, self.drafts_version)
                texts = {d.relative: d.text for d in self.host.docs.values() if d.relative}
                records = self._records(relative)
                ctx = ws.gate_context(self._clock(), ignore_quiet=True)
                self._settling[doc.uri] = seq
                try:
                    fresh = await asyncio.to_thread(
                        place_snapshot, ws, ctx, records, texts, relative, seq, *versions[:2]
                    )
                finally:
                    self._settling.pop(doc.uri, None)
                if self.host.docs.get(doc.uri) is not doc:
                    return
                since = doc.changes_after(seq)
                if versions[1:] != (self.placement_generation, self.drafts_version) or (
                    since is None or any(line < 0 for _, line, _, _ in since)
                ):
                    continue  # drafts changed or the text was replaced meanwhile: again
                before = None if first else self.evaluations(doc)
                for _, line, old_last, new_last in since:
                    fresh.index.edit((line, old_last, new_last))
                self._placed[doc.uri] = fresh
                if before is None or _shown(before, relative) != _shown(
                    self.evaluations(doc), relative
                ):
                    self.host.publish(doc)
                    if first:
                        self.host.ask_for_lenses()
                return
        finally:
            if first:
                self._placing.pop(doc.uri, None)

    def _redecided(self, placed: Placed) -> Placed:
        """The same places judged again: the policy, read-only or the trust budget changed.
        Drafts applied or rejected meanwhile drop out at the rebase that follows."""
        assert self.host.ws is not None
        ws = self.host.ws
        ctx = ws.gate_context(self._clock(), ignore_quiet=True)
        placed.index.update_items(lambda e: ws.redecide(e, ctx))
        placed.fixed.update_items(lambda e: ws.redecide(e, ctx))
        gone = ws.state.outcomes.keys() | ws.state.unsaved.keys()
        placed.stale_ids |= {e.record.id for e in placed.index.items() if e.record.id in gone} | {
            e.record.id for e in placed.fixed.items() if e.record.id in gone
        }
        placed.generation, placed.ranked = self.host.generation, None
        return placed

    def _rebased(self, doc: OpenDocument, placed: Placed) -> Placed:
        """Every draft where it is now: moved by arithmetic, or placed again if edited (or
        if its file changed)."""
        relative, index, renewed = doc.relative or "", placed.index, placed.stale_ids
        evaluate = self._evaluator()
        moved: list[tuple[Evaluation, tuple[int, int]]] = []
        again: list[Evaluation] = [e for e in placed.fixed.items() if e.record.id not in renewed]
        for i, lines, span in index.current():
            item = index.item(i)
            if item.record.id in renewed:
                continue
            if lines is None or span is None:
                again.append(evaluate(item.record))
            else:
                moved.append((item.moved(relative, lines), span))
        if renewed:  # drafts whose files changed: placed from their new records
            again.extend(evaluate(r) for r in self._records(relative) if r.id in renewed)
        return self._placed_from(relative, index.now, again, moved)

    def evaluations(self, doc: OpenDocument) -> list[Evaluation]:
        """Gate decisions for every draft on an open buffer, where each lies now (none while
        the first placement runs: it publishes when done)."""
        placed = self.placed(doc)
        if placed is None:
            return []
        if placed.index.now != placed.index.version or placed.index.unsettled or placed.stale_ids:
            placed = self._placed[doc.uri] = self._rebased(doc, placed)
        if placed.ranked is None:
            everything = [placed.index.item(i) for i in range(len(placed.index))]
            placed.ranked = sorted(everything + placed.fixed.items(), key=render.rank)
        return placed.ranked

    def by_line(self, doc: OpenDocument) -> list[tuple[int, Evaluation]]:
        """Every draft on an open buffer with the first line it shows on now, in line order."""
        if not self.evaluations(doc):  # brings the places up to date
            return []
        placed = self._placed[doc.uri]
        pairs = placed.index.entries() + placed.fixed.entries()
        return sorted(((span[0], e) for e, span in pairs), key=lambda pair: pair[0])

    def evaluations_near(self, doc: OpenDocument, first: int, last: int) -> list[Evaluation]:
        """Decisions for the drafts that can lie on lines [first, last] now: found by bisection
        in the placed spans, moved through the edits since; drafts under an edit are placed
        again. A request after a keystroke touches a handful of drafts, not a file's thousand."""
        placed = self.placed(doc)
        if placed is None:
            return []  # a file outside the workspace has no drafts
        relative, index = doc.relative or "", placed.index
        first, last = first - 1, last + 1
        meets, unknown = index.near(first, last)
        found = [index.item(i).moved(relative, moved) for i, moved in meets]
        if unknown:
            evaluate = self._evaluator()
            for i in unknown:
                evaluation = evaluate(index.item(i).record)
                span = render.draft_span(evaluation, relative)
                index.placed(i, evaluation, span)
                if span[0] <= last and span[1] >= first:
                    found.append(evaluation)
        found.extend(placed.fixed.item(i) for i, _ in placed.fixed.near(first, last)[0])
        return sorted(found, key=render.rank)

    async def settle(self, doc: OpenDocument) -> None:
        """Once typing pauses: publish from the carried places at once, then place every
        draft afresh in a worker thread (an edit elsewhere can make a draft's expected text
        ambiguous, or bring it back) and publish again if anything changed."""
        if self.host.docs.get(doc.uri) is not doc:
            return
        await self._points.symbols_ready(doc)
        self.host.publish(doc)
        if doc.uri not in self._settling and doc.uri not in self._placing:
            await self._place_all(doc, first=False)
