"""Where two streams' changes to a file conflict, hunk by hunk, as git's three-way merge sees it.

git's merge (xdiff's `xdl_do_merge`) diffs the merge base against each side and walks both
lists of hunks together: a hunk of one side that ends before the other side's next hunk starts
merges cleanly; hunks that overlap or merely touch in base lines (an insertion right after the
other side's edit, too) form one conflict, and a conflict whose two sides end up with the same
lines is no conflict. `regions` does the same walk over `-U0` hunks, so each conflict comes
with its lines in the base and in both sides' versions: the symbols there are what conflicts,
not every symbol of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stitch_ls.core.vcs.streams import Hunk


@dataclass(frozen=True)
class Conflict:
    """One place two streams' changes collide. `base` is None for the whole file (modified on
    one side, deleted on the other, or a conflict git reports that no hunk pair explains)."""

    streams: frozenset[str]
    base: tuple[int, int] | None  # half-open lines of the merge base
    sides: dict[str, tuple[int, int]] = field(default_factory=dict, hash=False, compare=False)
    note: str = ""


def _added(hunk: Hunk) -> list[str]:
    return [line[1:] for line in hunk.lines if line.startswith("+")]


def _base_line(line: int, hunks: list[Hunk]) -> str | None:
    for hunk in hunks:
        if hunk.old_lo <= line < hunk.old_hi:
            removed = [text[1:] for text in hunk.lines if text.startswith(("-", " "))]
            index = line - hunk.old_lo
            return removed[index] if index < len(removed) else None
    return None


def _side_text(own: list[Hunk], other: list[Hunk], lo: int, hi: int) -> list[str] | None:
    """One side's lines over base lines lo..hi: its own hunks' new lines, and base lines
    (read from either side's removed lines) between them; None if a base line is unknown."""
    out: list[str] = []
    cursor = lo
    everyone = own + other
    for hunk in own:
        for line in range(cursor, hunk.old_lo):
            text = _base_line(line, everyone)
            if text is None:
                return None
            out.append(text)
        out.extend(_added(hunk))
        cursor = max(cursor, hunk.old_hi)
    for line in range(cursor, hi):
        text = _base_line(line, everyone)
        if text is None:
            return None
        out.append(text)
    return out


def _delta(hunks: list[Hunk]) -> int:
    return sum((h.new_hi - h.new_lo) - (h.old_hi - h.old_lo) for h in hunks)


def regions(
    a: list[Hunk], b: list[Hunk]
) -> list[tuple[tuple[int, int], tuple[int, int], tuple[int, int]]]:
    """Conflicts between two sides' `-U0` hunks against the same base: (base lines, lines in
    side a, lines in side b), each half-open."""
    tagged = sorted(
        [(h.old_lo, h.old_hi, 0, h) for h in a] + [(h.old_lo, h.old_hi, 1, h) for h in b],
        key=lambda t: (t[0], t[1], t[2]),
    )
    groups: list[list[tuple[int, int, int, Hunk]]] = []
    end = -1
    for item in tagged:
        if groups and item[0] <= end:  # overlaps or touches what came before
            groups[-1].append(item)
            end = max(end, item[1])
        else:
            groups.append([item])
            end = item[1]
    found = []
    a_before = b_before = 0
    for group in groups:
        own_a = [t[3] for t in group if t[2] == 0]
        own_b = [t[3] for t in group if t[2] == 1]
        lo = min(t[0] for t in group)
        hi = max(t[1] for t in group)
        if own_a and own_b:
            text_a = _side_text(own_a, own_b, lo, hi)
            text_b = _side_text(own_b, own_a, lo, hi)
            if text_a is None or text_b is None or text_a != text_b:
                a_lo, b_lo = lo + a_before, lo + b_before
                found.append(
                    (
                        (lo, hi),
                        (a_lo, a_lo + (hi - lo) + _delta(own_a)),
                        (b_lo, b_lo + (hi - lo) + _delta(own_b)),
                    )
                )
        a_before += _delta(own_a)
        b_before += _delta(own_b)
    return found
