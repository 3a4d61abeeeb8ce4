"""Open documents as Stitch sees them: text in code points, kept by incremental edits.

pygls keeps its own copy too, but splits lines on form feeds and other Unicode breaks; Stitch
keeps one that agrees with the editor and with tree-sitter (`SyntaxDoc`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from stitch_ls.core.anchor import line_index
from stitch_ls.core.syntax import SyntaxDoc, language_for_path
from stitch_ls.core.text import LineIndex, from_client_units, to_client_units


@dataclass
class OpenDocument:
    uri: str
    path: Path | None  # None for non-file URIs
    relative: str | None  # workspace-relative posix path, None outside the workspace
    version: int
    syntax: SyntaxDoc
    _lines: LineIndex | None = field(default=None, repr=False)
    # (version, first line, old last line, new last line) of each change, so positions known
    # at an older version can be carried forward without re-anchoring every draft
    changes: list[tuple[int, int, int, int]] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return self.syntax.text

    @property
    def lines(self) -> LineIndex:
        """Shared with anchoring, which indexes the same text object."""
        if self._lines is None or self._lines.text is not self.syntax.text:
            self._lines = line_index(self.syntax.text)
        return self._lines

    def to_points(self, line: int, units: int, encoding: str) -> tuple[int, int]:
        """A client position -> (line, code point)."""
        return line, from_client_units(self.lines.line(line), units, encoding)

    def to_units(self, line: int, character: int, encoding: str) -> int:
        return to_client_units(self.lines.line(line), character, encoding)

    def apply_change(
        self, start: tuple[int, int], end: tuple[int, int], text: str, encoding: str, version: int
    ) -> None:
        """Apply one incremental change given in client units."""
        s = self.to_points(start[0], start[1], encoding)
        e = self.to_points(end[0], end[1], encoding)
        if e < s:
            s, e = e, s
        self.syntax.apply_edit(s, e, text)
        self._lines = None
        self.changes.append((version, s[0], e[0], s[0] + text.count("\n")))

    def replace_all(self, text: str, version: int) -> None:
        self.syntax.replace_text(text)
        self._lines = None
        self.changes.append((version, -1, -1, -1))


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
