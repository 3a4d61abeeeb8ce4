"""Stitch-point tracking is a part of its own: a real indexer (in this process) over a real
repository with two streams answers; buffers are the server's own open documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gitrepos import stream_repo
from stitch_ls.indexer.process import Indexer
from stitch_ls.lsp.documents import OpenDocument, new_document
from stitch_ls.lsp.points import NOTHING, PointTracker

CHECKOUT = "src/checkout.py"


class Parses:
    """`parse`: brings the buffer's symbols up to date (here, on the caller's thread)."""

    def __init__(self) -> None:
        self.docs: list[str] = []

    async def __call__(self, doc: OpenDocument) -> None:
        self.docs.append(doc.uri)
        doc.syntax.find_symbol("Cart")  # parses


async def test_points_follow_the_buffer_and_count_for_the_status(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    indexer = Indexer(root)
    now = datetime.now(UTC)
    indexer.load(now)

    async def points_of(path: str, text: str | None) -> Any:
        return indexer.points(path, text)

    async def recount() -> Any:
        return indexer.recount_points()

    parses = Parses()
    tracker = PointTracker(points_of, recount, parses)
    path = root / CHECKOUT
    doc = new_document(path.as_uri(), root, 1, path.read_text())
    assert doc.relative == CHECKOUT

    await tracker.update(doc, lambda: True)
    assert tracker.of(doc.uri) is NOTHING  # no git snapshot yet: no streams, no points

    update = indexer.git(indexer.ws.team, now)
    tracker.streams = update.streams
    await tracker.update(doc, lambda: True)
    [point] = tracker.of(doc.uri)
    assert point.symbol == "Cart.total" and tracker.find(point.id) is point
    assert tracker.current(doc) and not tracker.needs_symbols(doc) and parses.docs == []
    assert tracker.span(doc, point)[0] == (7, 4)  # `def total` (as found, no lookup)

    # the buffer moves on: its place is looked up by symbol in the new text
    edited = new_document(doc.uri, root, 2, "\n\n" + doc.text)
    assert tracker.needs_symbols(edited)
    assert tracker.span(edited, point)[0] == (9, 4)

    # a buffer closed while the indexer answered keeps nothing
    await tracker.update(edited, lambda: False)
    assert tracker.of(doc.uri) == [point] and not tracker.current(edited)
    await tracker.update(edited, lambda: True)
    assert tracker.current(edited) and parses.docs == []

    # typed into while the indexer answered: its symbols are brought up to date for lookups
    typed = new_document(doc.uri, root, 3, "\n" + edited.text)

    async def typing(path: str, text: str | None) -> Any:
        answer = await points_of(path, text)
        edited.syntax = typed.syntax
        return answer

    tracker._points_of = typing
    await tracker.update(edited, lambda: True)
    assert not tracker.current(edited) and parses.docs == [doc.uri]
    assert tracker.span(edited, point)[0] == (10, 4)
    tracker._points_of = points_of

    assert await tracker.recount() == ([point.id], True)
    assert tracker.count_or_none()["open"] == 1
    assert await tracker.recount() == ([point.id], False)  # later counts are arrivals

    tracker.forget(doc.uri)
    assert tracker.of(doc.uri) is NOTHING and tracker.find(point.id) is None
