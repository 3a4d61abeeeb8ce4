"""Open documents as Stitch sees them: text in code points, kept by incremental edits.

pygls keeps its own copy too, but splits lines on form feeds and other Unicode breaks; Stitch
keeps one that agrees with the editor and with tree-sitter (`SyntaxDoc`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from stitch_ls.core.syntax import SyntaxDoc, language_for_path
from stitch_ls.core.text import from_client_units, to_client_units


@dataclass
class OpenDocument:
    uri: str
    path: Path | None  # None for non-file URIs
    relative: str | None  # workspace-relative posix path, None outside the workspace
    version: int
    syntax: SyntaxDoc
    # (number, first line, old last line, new last line) of each change (first line -1: the
    # whole text replaced); numbers count up from 1, `seq` is the last. Positions known as of
    # an older number are carried forward through them (core.drafts.placements).
    changes: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)
    seq: int = 0

    @property
    def text(self) -> str:
        return self.syntax.text

    @property
    def line_count(self) -> int:
        return self.syntax.line_count

    def line(self, number: int) -> str:
        return self.syntax.line_text(number)

    def to_points(self, line: int, units: int, encoding: str) -> tuple[int, int]:
        """A client position -> (line, code point)."""
        return line, from_client_units(self.line(line), units, encoding)

    def to_units(self, line: int, character: int, encoding: str) -> int:
        return to_client_units(self.line(line), character, encoding)

    def apply_change(
        self, start: tuple[int, int], end: tuple[int, int], text: str, encoding: str
    ) -> None:
        """Apply one incremental change given in client units."""
        s = self.to_points(start[0], start[1], encoding)
        e = self.to_points(end[0], end[1], encoding)
        if e < s:
            s, e = e, s
        self.syntax.apply_edit(s, e, text)
        self.seq += 1
        self.changes.append((self.seq, s[0], e[0], s[0] + text.count("\n")))

    def replace_all(self, text: str) -> None:
        self.syntax.replace_text(text)
        self.seq += 1
        self.changes.append((self.seq, -1, -1, -1))

    def changes_after(self, seq: int) -> list[tuple[int, int, int, int]] | None:
        """The changes numbered after `seq`; None when the log no longer reaches back."""
        missing = self.seq - seq
        if missing > len(self.changes):
            return None
        return self.changes[len(self.changes) - missing :] if missing > 0 else []

    def forget_changes(self, upto: int) -> None:
        """Drop the log up to change number `upto` (nobody carries positions from before)."""
        self.changes = self.changes_after(upto) or []


def uri_to_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return None
    return Path(unquote(parts.path))


def relative_to(root: Path, path: Path | None) -> str | None:
    """Workspace-relative posix path, or None if `path` is outside `root`."""
    if path is None:
        return None
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def new_document(uri: str, root: Path, version: int, text: str) -> OpenDocument:
    path = uri_to_path(uri)
    relative = relative_to(root, path)
    language = language_for_path(path.name) if path else None
    return OpenDocument(uri, path, relative, version, SyntaxDoc(text, language))


class OncePaused:
    """`work(doc)` (a coroutine function) run once `delay` passes without another call for the
    same buffer: once typing pauses, not on every keystroke."""

    def __init__(
        self,
        work: Callable[[OpenDocument], Coroutine[Any, Any, Any]],
        spawn: Callable[[Coroutine[Any, Any, Any]], object],
    ) -> None:
        self._work, self._spawn = work, spawn
        self._timers: dict[str, asyncio.TimerHandle] = {}  # uri -> its pending run

    def __call__(self, doc: OpenDocument, delay: float) -> None:
        pending = self._timers.pop(doc.uri, None)
        if pending is not None:
            pending.cancel()

        def run() -> None:
            self._timers.pop(doc.uri, None)
            self._spawn(self._work(doc))

        self._timers[doc.uri] = asyncio.get_running_loop().call_later(delay, run)
