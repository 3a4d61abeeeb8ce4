"""Where a buffer's drafts lie, kept current through edits without placing every draft again.

Placing a draft (anchoring its expected text, finding its symbol) costs tens of microseconds;
a file with a thousand drafts cannot afford that on every keystroke. An index holds each
draft's line span as of a *base* version, sorted, and the edits made since. A question about
lines [first, last] now is mapped back through those edits to the base version and answered by
bisection; drafts under an edit are *dirty* (their place is unknown until placed again). Moving
every span forward (`rebase`) is plain arithmetic, done when a caller needs them all.

An edit is (first line, old last line, new last line), in the lines of the version before it.
Items are opaque to this module; spans are (top line, bottom line), inclusive.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")
Span = tuple[int, int]
Change = tuple[int, int, int]

MAX_CHANGES = 64  # beyond this many edits since the base, rebase before answering


def map_back(line: int, change: Change, *, upper: bool) -> int:
    """A line after `change` -> the line before it. Lines inside the rewritten region map to
    its edge: the top for a range's start, the bottom for its end (so ranges only widen)."""
    first, old_last, new_last = change
    if line < first:
        return line
    if line > new_last:
        return line - (new_last - old_last)
    return old_last if upper else first


def map_forward(span: Span, change: Change) -> Span | None:
    """A span before `change` -> after it; None when the change touches it."""
    first, old_last, new_last = change
    top, bottom = span
    if bottom < first:
        return span
    if top > old_last:
        delta = new_last - old_last
        return top + delta, bottom + delta
    return None


@dataclass
class Placements(Generic[T]):
    """Items with spans as of edit number `version`, plus the edits since; `now` counts them.

    An item an edit touched is *dirty*: unknown until the caller places it again and reports
    where (`placed`), after which it floats: its span is known as of that edit number and is
    carried forward like the others."""

    version: int
    now: int = 0
    changes: list[Change] = field(default_factory=list)  # changes[k] made edit version+k+1
    _tops: list[int] = field(default_factory=list)
    _spans: list[Span] = field(default_factory=list)
    _items: list[T] = field(default_factory=list)
    _tallest: int = 0
    _dirty: dict[int, tuple[int, Span] | None] = field(default_factory=dict)
    # each edit as (its last rewritten line in base lines, lines it added): a clean item
    # moved by the sum of those above it; sorted with prefix sums on demand
    _shifts: list[tuple[int, int]] = field(default_factory=list)
    _moves: tuple[list[int], list[int]] | None = None

    @classmethod
    def of(cls, version: int, items: Iterable[tuple[T, Span]]) -> Placements[T]:
        ordered = sorted(items, key=lambda pair: pair[1])
        index: Placements[T] = cls(version, now=version)
        index._items = [item for item, _ in ordered]
        index._spans = [span for _, span in ordered]
        index._tops = [top for top, _ in index._spans]
        index._tallest = max((b - t for t, b in index._spans), default=0)
        return index

    def __len__(self) -> int:
        return len(self._items)

    def item(self, i: int) -> T:
        return self._items[i]

    def items(self) -> list[T]:
        return list(self._items)

    def entries(self) -> list[tuple[T, Span]]:
        """Every item with its span as of `version`, in line order (the spans are current
        when no edit came since)."""
        return list(zip(self._items, self._spans, strict=True))

    def update_items(self, change: Callable[[T], T]) -> None:
        """Replace every item by `change(item)`, places unchanged."""
        self._items = [change(item) for item in self._items]

    def edit(self, change: Change) -> None:
        """Record the next edit; the base items it touches become dirty."""
        first, old_last = change[0], change[1]
        for earlier in reversed(self.changes):  # the edited lines, in base-version lines
            first = map_back(first, earlier, upper=False)
            old_last = map_back(old_last, earlier, upper=True)
        for i in self._overlapping(first, old_last):
            self._dirty.setdefault(i, None)
        self._shifts.append((old_last, change[2] - change[1]))
        self._moves = None
        self.changes.append(change)
        self.now += 1

    def placed(self, i: int, item: T, span: Span) -> None:
        """Item `i`, placed again on the text as of `now`, is `item` at `span`."""
        self._items[i] = item
        self._dirty[i] = (self.now, span)

    def near(self, first: int, last: int) -> tuple[list[tuple[int, int]], list[int]]:
        """([(index, lines moved since placed)] of the items that meet lines [first, last] now,
        [indices of items whose place is unknown]: those must be placed again to be shown)."""
        top, bottom = first, last
        for change in reversed(self.changes):
            top = map_back(top, change, upper=False)
            bottom = map_back(bottom, change, upper=True)
        meets = [
            (i, self._moved(i)) for i in self._overlapping(top, bottom) if i not in self._dirty
        ]
        unknown = []
        for i, state in list(self._dirty.items()):
            span = self._carried(i)
            if span is None or state is None:
                unknown.append(i)
            elif span[0] <= last and span[1] >= first:
                meets.append((i, span[0] - state[1][0]))
        return meets, unknown

    @property
    def unsettled(self) -> int:
        """How much a question costs beyond bisection: edits to map through, dirty items."""
        return max(len(self.changes), len(self._dirty))

    def current(self) -> Iterator[tuple[int, int | None, Span | None]]:
        """Every item's index, the lines it moved by since it was placed and the span it
        covers now (None, None: unknown, it must be placed again)."""
        for i, span in enumerate(self._spans):
            if i not in self._dirty:
                moved = self._moved(i)
                yield i, moved, (span[0] + moved, span[1] + moved)
                continue
            state = self._dirty[i]
            now = self._carried(i)
            if state is None or now is None:
                yield i, None, None
            else:
                yield i, now[0] - state[1][0], now

    def _moved(self, i: int) -> int:
        """Lines a clean item moved by since the base: the edits wholly above it."""
        if self._moves is None:
            ordered = sorted(self._shifts)
            self._moves = [line for line, _ in ordered], [0, *accumulate(d for _, d in ordered)]
        lines, sums = self._moves
        return sums[bisect_left(lines, self._spans[i][0])]

    def _carried(self, i: int) -> Span | None:
        state = self._dirty[i]
        if state is None:
            return None
        moved = self._forward(state[1], state[0] - self.version)
        if moved is None:
            self._dirty[i] = None
        return moved

    def _forward(self, span: Span, since: int) -> Span | None:
        moved: Span = span
        for change in self.changes[since:]:
            forward = map_forward(moved, change)
            if forward is None:
                return None
            moved = forward
        return moved

    def _overlapping(self, first: int, last: int) -> list[int]:
        lo = bisect_left(self._tops, first - self._tallest)
        hi = bisect_right(self._tops, last)
        return [i for i in range(lo, hi) if self._spans[i][1] >= first]
