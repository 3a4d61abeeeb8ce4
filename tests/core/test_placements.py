"""core.placements against a model: a text as a list of line identities, edited for real."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from stitch_ls.core.drafts.placements import Placements, map_back, map_forward


class Model:
    """Lines with identities. An edit rewrites lines [first, old_last] into new lines
    [first, new_last] (as an LSP change from a column on `first` to one on `old_last` does);
    an item touched by an edit has no known place until placed again."""

    def __init__(self, lines: int, spans: list[tuple[int, int]]) -> None:
        self.fresh = itertools.count(10_000)
        self.lines = list(range(lines))
        self.items = [(self.lines[t], self.lines[b]) for t, b in spans]  # top, bottom ids
        self.touched = [False] * len(spans)

    def edit(self, first: int, old_last: int, new_last: int) -> None:
        for i, (top, bottom) in enumerate(self.items):
            if self.touched[i]:
                continue
            t, b = self.lines.index(top), self.lines.index(bottom)
            if t <= old_last and b >= first:
                self.touched[i] = True
        self.lines[first : old_last + 1] = [next(self.fresh) for _ in range(new_last - first + 1)]

    def span(self, i: int) -> tuple[int, int] | None:
        if self.touched[i]:
            return None
        top, bottom = self.items[i]
        return self.lines.index(top), self.lines.index(bottom)

    def place(self, i: int) -> tuple[int, int]:
        """Place item i again: here, on the lines it covers now (or the edited line)."""
        self.touched[i] = False
        line = min(len(self.lines) - 1, i % len(self.lines))
        self.items[i] = (self.lines[line], self.lines[line])
        return line, line


@st.composite
def scenarios(draw):
    lines = draw(st.integers(5, 40))
    spans = []
    for _ in range(draw(st.integers(0, 25))):
        top = draw(st.integers(0, lines - 1))
        spans.append((top, draw(st.integers(top, min(lines - 1, top + 3)))))
    steps = []
    count = lines
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()) or not spans:
            first = draw(st.integers(0, count - 1))
            old_last = draw(st.integers(first, min(count - 1, first + 3)))
            new_last = first + draw(st.integers(0, 3))
            steps.append(("edit", first, old_last, new_last))
            count += new_last - old_last
        else:
            steps.append(("place", draw(st.integers(0, len(spans) - 1))))
    return lines, spans, steps


def check(index: Placements[int], model: Model, spans: dict[int, tuple[int, int]]) -> None:
    """Items are model indices; the index answers with its own positions (`index.item`)."""
    lines = len(model.lines)
    for first, last in [(0, lines - 1), (0, 0), (lines // 2, lines // 2), (lines - 2, lines + 3)]:
        found, dirty = index.near(first, last)
        meets = [(index.item(k), moved) for k, moved in found]
        unknown = [index.item(k) for k in dirty]
        assert len(meets) == len(dict(meets))
        for i, moved in meets:
            now = model.span(i)
            assert now is not None, f"item {i} was edited but is reported in place"
            assert (spans[i][0] + moved, spans[i][1] + moved) == now
            assert now[0] <= last and now[1] >= first
        for i in range(len(model.items)):
            now = model.span(i)
            if now is None:
                assert i in unknown
            elif now[0] <= last and now[1] >= first:
                assert i in dict(meets), f"item {i} at {now} missing from near({first}, {last})"
    for k, moved, span in index.current():
        i = index.item(k)
        now = model.span(i)
        assert (moved is None) == (now is None) == (span is None)
        if now is not None:
            assert (spans[i][0] + moved, spans[i][1] + moved) == now == span


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_placements_follow_real_edits(scenario):
    lines, spans, steps = scenario
    model = Model(lines, spans)
    index = Placements.of(7, [(i, span) for i, span in enumerate(spans)])
    known = dict(enumerate(spans))
    position = {index.item(k): k for k in range(len(index))}
    for step in steps:
        if step[0] == "edit":
            _, first, old_last, new_last = step
            model.edit(first, old_last, new_last)
            index.edit((first, old_last, new_last))
        else:
            i = step[1]
            known[i] = model.place(i)
            index.placed(position[i], i, known[i])
        check(index, model, known)
    assert index.now == 7 + sum(1 for s in steps if s[0] == "edit")


def test_near_is_answered_by_bisection_not_a_scan():
    spans = [(line, line) for line in range(0, 100_000, 10)]
    index = Placements.of(0, [(i, span) for i, span in enumerate(spans)])
    index.edit((5, 5, 7))  # two lines added near the top: everything below moves down 2
    meets, unknown = index.near(50_002, 50_002)
    assert [(index.item(k), moved) for k, moved in meets] == [(5_000, 2)] and unknown == []
    assert index._overlapping(50_000, 50_000) == [5_000]


def test_edges_of_a_rewritten_region_map_to_its_edges():
    change = (10, 12, 15)  # lines 10-12 became 10-15
    assert map_back(9, change, upper=False) == 9
    assert map_back(13, change, upper=False) == 10
    assert map_back(13, change, upper=True) == 12
    assert map_back(20, change, upper=True) == 17
    assert map_forward((3, 9), change) == (3, 9)
    assert map_forward((11, 11), change) is None
    assert map_forward((13, 14), change) == (16, 17)
