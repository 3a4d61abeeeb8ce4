"""Anchoring a draft on the text as it is now: apply only to what it was made against.

A range edit applies where its `expect` text still stands; if that text moved, it is
re-anchored only when it occurs exactly once; a symbol edit is found by tree-sitter in the
live text. Anything else makes the draft stale, so nothing the engineer typed is overwritten.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stitch_ls.core.text import LineIndex, NotFound, SymbolSpan

if TYPE_CHECKING:  # the models (pydantic) load after start-up, not before
    from stitch_ls.core.drafts.model import Draft, Edit

Point = tuple[int, int]


@dataclass(frozen=True)
class PlannedEdit:
    """One edit placed in current text: replace [start, end) with `text`, create or delete."""

    path: str
    kind: str  # "replace" | "create" | "delete"
    start: Point = (0, 0)
    end: Point = (0, 0)
    text: str = ""
    reanchored: bool = False


@dataclass(frozen=True)
class Plan:
    edits: tuple[PlannedEdit, ...]
    stale: str | None = None

    @property
    def ok(self) -> bool:
        return self.stale is None

    def by_path(self) -> dict[str, list[PlannedEdit]]:
        """The edits grouped by file, files in the order they first appear (a created or
        deleted file has one edit; a changed one, its edits on the same text)."""
        grouped: dict[str, list[PlannedEdit]] = {}
        for edit in self.edits:
            grouped.setdefault(edit.path, []).append(edit)
        return grouped


_RECENT: dict[int, LineIndex] = {}
_RECENT_LOCK = threading.Lock()


def line_index(text: str) -> LineIndex:
    """A LineIndex for `text`, shared by every draft placed on the same text object (a
    request places hundreds of drafts on one buffer; indexing it once is what keeps it cheap)."""
    index = _RECENT.get(id(text))
    if index is not None and index.text is text:
        return index
    index = LineIndex(text)
    with _RECENT_LOCK:  # worker threads place drafts too
        if len(_RECENT) >= 512:
            _RECENT.pop(next(iter(_RECENT)))
        _RECENT[id(text)] = index
    return index


ReadText = Callable[[str], "str | None"]
# (path, text, name) -> where the symbol is, or why not (`core.syntax.lookup_symbol`)
FindSymbol = Callable[[str, str, str], "SymbolSpan | NotFound"]


def plan_draft(draft: Draft, read: ReadText, find_symbol: FindSymbol) -> Plan:
    """Place every edit of `draft`; the first that cannot be placed makes the plan stale.

    `read(path)` gives the current text (live buffer or disk) or None when the file is
    absent, and raises ValueError for a path it refuses (outside the workspace, not text); `find_symbol(path, text, name)` gives the symbol's range or a reason string.
    """
    planned: list[PlannedEdit] = []
    texts: dict[str, str | None] = {}
    for number, edit in enumerate(draft.edits):
        if edit.path not in texts:
            try:
                texts[edit.path] = read(edit.path)
            except ValueError as exc:
                return Plan(tuple(planned), stale=f"{edit.path}: {exc}")
        result = _place(edit, texts[edit.path], find_symbol)
        if isinstance(result, str):
            where = f"edit {number + 1} ({edit.path})" if len(draft.edits) > 1 else edit.path
            return Plan(tuple(planned), stale=f"{where}: {result}")
        planned.append(result)
    conflict = _conflicts(planned)
    if conflict:
        return Plan(tuple(planned), stale=conflict)
    return Plan(tuple(planned))


def _place(edit: Edit, text: str | None, find_symbol: FindSymbol) -> PlannedEdit | str:
    kind = edit.kind
    if kind == "create":
        if text is not None:
            return "the file it would create already exists"
        return PlannedEdit(edit.path, "create", text=edit.text or "")
    if text is None:
        return "the file does not exist"
    if kind == "delete":
        return PlannedEdit(edit.path, "delete")
    if kind == "symbol":
        found = find_symbol(edit.path, text, edit.symbol or "")
        if isinstance(found, NotFound):
            return found.why
        start, end = found
        index = line_index(text)
        if edit.expect is not None:
            a, b = index.offset(*start), index.offset(*end)
            if a is None or b is None or text[a:b] != edit.expect:
                return f"symbol {edit.symbol} changed since the draft was made"
        line_start = index.offset(start[0], 0)
        before = text[line_start : line_start + start[1]] if line_start is not None else ""
        indent = before if before.strip() == "" else ""
        return PlannedEdit(edit.path, "replace", start, end, symbol_text(edit.text or "", indent))
    return _place_range(edit, text)


def symbol_text(text: str, indent: str) -> str:
    """A symbol edit's text as it goes in at the symbol's place (README: "Symbol edits").

    The text is the symbol as it reads at column 0: its first line replaces the symbol from
    the symbol's first character, and every later non-blank line gets the symbol's
    indentation. Text copied as it stands in the file (its first line already carries that
    indentation) goes in as written. The symbol's range ends before its last newline, so
    trailing newlines are dropped (the file's own newline stays)."""
    text = text.rstrip("\r\n")
    if not indent:
        return text
    if text.startswith(indent):
        return text[len(indent) :]
    first, *rest = text.split("\n")
    return "\n".join([first, *(indent + line if line.strip() else line for line in rest)])


def _occurrences(text: str, expect: str, first: int) -> int:
    """How many times `expect` occurs in `text`, overlapping copies each counted."""
    count, at = 0, first
    while at != -1:
        count += 1
        at = text.find(expect, at + 1)
    return count


def _place_range(edit: Edit, text: str) -> PlannedEdit | str:
    assert edit.range is not None and edit.expect is not None
    index = line_index(text)
    start = (edit.range.start.line, edit.range.start.character)
    end = (edit.range.end.line, edit.range.end.character)
    a, b = index.offset(*start), index.offset(*end)
    if a is not None and b is not None and text[a:b] == edit.expect:
        return PlannedEdit(edit.path, "replace", start, end, edit.text or "")
    expect = edit.expect
    if not expect:
        return "the range is not where the draft expects it"
    first = text.find(expect)
    if first == -1:  # gone, or never there: which one, no text can tell
        return "the expected text is not in the file"
    if text.find(expect, first + 1) != -1:
        times = _occurrences(text, expect, first)
        return f"the expected text moved and could not be re-anchored: it occurs {times} times"
    return PlannedEdit(
        edit.path,
        "replace",
        index.position(first),
        index.position(first + len(expect)),
        edit.text or "",
        reanchored=True,
    )


def _conflicts(planned: list[PlannedEdit]) -> str | None:
    by_path: dict[str, list[PlannedEdit]] = {}
    for edit in planned:
        by_path.setdefault(edit.path, []).append(edit)
    for path, edits in by_path.items():
        kinds = {edit.kind for edit in edits}
        if len(edits) > 1 and kinds & {"create", "delete"}:
            return f"{path}: a file is created or deleted and also edited"
        ranges = sorted((e.start, e.end) for e in edits)
        for (_, prev_end), (next_start, _) in zip(ranges, ranges[1:], strict=False):
            if next_start < prev_end:
                return f"{path}: two edits overlap"
    return None
