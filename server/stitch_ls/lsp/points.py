"""Stitch points in the editor, as one part: the open buffers' points (each buffer's live text
as one more stream, found by the indexer), where each shows, and the workspace's count for
the status. Built with plain callables, so it runs without an editor in tests.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from stitch_ls.indexer.wire import IndexerError, PointCount
from stitch_ls.lsp.documents import OpenDocument

if TYPE_CHECKING:
    from stitch_ls.core.vcs.stitchpoints import StitchPoint

log = logging.getLogger(__name__)
PointsOf = Callable[[str, "str | None"], Awaitable["list[StitchPoint]"]]  # IndexerApi.points
Recount = Callable[[], Awaitable["PointCount | None"]]  # IndexerApi.recount_points
NOTHING: tuple[Any, ...] = ()  # no points: one empty value, compared by identity


class PointTracker:
    def __init__(
        self,
        points_of: PointsOf,
        recount: Recount,
        parse: Callable[[OpenDocument], Awaitable[None]],
    ) -> None:
        """`points_of(path, text)`, `recount()`: the indexer's; `parse(doc)`: bring a buffer's
        symbols up to date off the loop (a point whose text moved on is placed by symbol
        lookup)."""
        self._points_of, self._recount, self._parse = points_of, recount, parse
        self.streams: Any = None  # streams.StreamSet of the last git snapshot (the indexer's)
        self.counts: dict[str, int] | None = None  # the workspace's, for the status
        self._by_uri: dict[str, list[Any]] = {}  # uri -> stitch points in that buffer
        self._texts: dict[str, str] = {}  # uri -> the text they were found for
        self._counted = False  # the first count's points were there before

    def of(self, uri: str) -> list[Any] | tuple[Any, ...]:
        """The buffer's points (NOTHING, the same empty value, when it has none)."""
        return self._by_uri.get(uri) or NOTHING

    def forget(self, uri: str) -> None:
        self._by_uri.pop(uri, None)
        self._texts.pop(uri, None)

    async def update(self, doc: OpenDocument, still_open: Callable[[], bool]) -> None:
        """Ask the indexer for the buffer's points in its text now; kept unless the buffer
        was closed (or reopened) meanwhile. A failed ask keeps what was shown."""
        if self.streams is None or doc.relative is None:
            self.forget(doc.uri)
            return
        text = doc.text
        try:
            points = await self._points_of(doc.relative, text)
        except IndexerError as exc:
            log.debug("stitch points not updated: %s", exc)
            return
        if not still_open():
            return
        self._by_uri[doc.uri], self._texts[doc.uri] = points, text
        if points and not self.current(doc):
            await self._parse(doc)  # their places are symbol lookups now

    def current(self, doc: OpenDocument) -> bool:
        """Whether the buffer is still the text its points were found for: their places came
        with them (`StitchPoint.start`), no symbol lookup (and no tree) needed."""
        return self._texts.get(doc.uri) is doc.text

    def needs_symbols(self, doc: OpenDocument) -> bool:
        """The buffer has points whose places must be looked up by symbol (edited since)."""
        return bool(self._by_uri.get(doc.uri)) and not self.current(doc)

    async def symbols_ready(self, doc: OpenDocument) -> None:
        """Before the buffer's diagnostics are built: when its points' places are symbol
        lookups (edited since they were found), its symbols brought up to date off the loop,
        so those lookups find them ready."""
        if self.needs_symbols(doc):
            await self._parse(doc)

    def find(self, point_id: str) -> Any:
        """A point of an open buffer by id, else None."""
        for points in self._by_uri.values():
            for point in points:
                if point.id == point_id:
                    return point
        return None

    def span(self, doc: OpenDocument, point: Any) -> tuple[tuple[int, int], tuple[int, int]]:
        """Where a point shows in the buffer (code points): its line, from where it starts.
        In a text it was not found for: where its symbol is now, else its base lines (a
        module-level or line-range point, or a symbol gone from the buffer)."""
        start = point.start if self.current(doc) else None
        if start is None:
            symbol = doc.syntax.find_symbol(point.symbol)
            start = symbol.start if symbol is not None else None
        if start is not None:
            return start, (start[0], len(doc.line(start[0])))
        line = point.base_lines[0] if point.base_lines else 0
        return (line, 0), (line, len(doc.line(line)))

    async def recount(self) -> tuple[list[str], bool] | None:
        """The workspace's points counted again by the indexer: (their ids, whether this is
        the first count, whose points were there before), or None when it could not."""
        try:
            found = await self._recount()
        except IndexerError as exc:
            log.debug("stitch points not counted: %s", exc)
            return None
        if found is None:
            return None
        self.counts, ids = found.counts, found.ids
        first, self._counted = not self._counted, True
        return ids, first

    def count_or_none(self) -> dict[str, int]:
        return self.counts or {"open": 0, "signed": 0, "conflicts": 0}
