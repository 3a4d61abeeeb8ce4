"""`SyntaxDoc`: one buffer's text, line index and tree, kept in step with the editor's
incremental edits (each applied to all three, then an incremental re-parse)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import chain
from typing import TYPE_CHECKING

from stitch_ls.core.syntax.buffer import (
    _CLEAN,
    _ENCODING,
    _ERRORS,
    _code_points,
    _line_starts,
)
from stitch_ls.core.syntax.grammars import (
    LANGUAGES,
    PARSE_BUDGET_S,
    _new_parser,
    language_for_path,
    parse_within_budget,
)
from stitch_ls.core.syntax.symbols import (
    _IMPORT_TYPES,
    _RULES,
    Symbol,
    _children_touching,
    _Extractor,
    _last_row,
    _shift_rows,
    _start_line,
    _Unit,
)
from stitch_ls.core.text import NotFound, SymbolSpan

if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Node, Parser, Tree


def lookup_symbol(
    path: str, text: str, name: str, syntax: SyntaxDoc | None = None
) -> SymbolSpan | NotFound:
    """Symbol `name` (qualified: "Cart.total") in `text`, the file at `path`: parsed here,
    unless `syntax` is a tree of this very text to reuse (an open buffer's, a cached one)."""
    if syntax is None or syntax.text is not text and syntax.text != text:
        language = language_for_path(path)
        if language is None:
            return NotFound(f"no grammar for {path}; symbol edits need one")
        syntax = SyntaxDoc(text, language)
    symbol = syntax.find_symbol(name)
    if symbol is None:
        return NotFound(syntax.lookup_failure(name))
    return SymbolSpan(symbol.start, symbol.end)


def parse_symbols(text: str, language: str) -> list[Symbol]:
    """All symbols of a text, parsed from scratch."""
    return SyntaxDoc(text, language).symbols()


class SyntaxDoc:
    """One document's text and tree, kept in step with the editor's incremental edits."""

    def __init__(self, text: str, language: str | None) -> None:
        if language is not None and language not in LANGUAGES:
            raise ValueError(f"unsupported language: {language!r}")
        self._language = language
        # made on the first parse: opening a file loads no grammar (a grammar's first load,
        # ~10-20 ms holding the GIL, happens in whichever thread parses first)
        self._parser: Parser | None = None
        self._tree: Tree | None = None
        self._symbols: list[Symbol] | None = None
        self._by_name: dict[str, Symbol | None] | None = None
        # Symbols per top-level unit as of the last `symbols()`; see `_refresh_units`.
        self._units: list[_Unit] | None = None
        self._units_size = 0
        self._units_lines = 0
        # Since then only bytes [head, len - tail) may differ, in text or in structure.
        self._dirty_head = _CLEAN
        self._dirty_tail = _CLEAN
        # The size in bytes of a text whose parse ran out of budget (`parse_within_budget`):
        # none at least as large is tried again, so typing in such a file costs no parse.
        self._gave_up_at: int | None = None
        self._reset(text)

    # -- text -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    @property
    def language(self) -> str | None:
        return self._language

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_text(self, line: int) -> str:
        """One line's text without its newline ("" past the end), from the patched line
        starts: no split of the whole text after a keystroke."""
        count = len(self._starts)
        if line < 0 or line >= count:
            return ""
        start = self._line_start(line)
        end = self._line_start(line + 1) - 1 if line + 1 < count else len(self._text)
        return self._text[start:end]

    @property
    def over_budget(self) -> bool:
        """Whether the text took too long to parse (it then has no tree and no symbols, as a
        file without a grammar has none)."""
        self._ensure_tree()
        return self._tree is None and self._gave_up_at is not None

    def lookup_failure(self, name: str) -> str:
        """Why `find_symbol(name)` found nothing, for a person."""
        if self.over_budget:
            return f"this file takes over {PARSE_BUDGET_S:g} s to parse; symbol edits need its tree"
        return f"symbol {name} not found (or not unique)"

    @property
    def has_error(self) -> bool:
        """Whether the tree holds syntax errors (symbols are then best-effort)."""
        self._ensure_tree()
        return self._tree is not None and self._tree.root_node.has_error

    def replace_text(self, text: str) -> None:
        """Replace the whole text (full re-parse), e.g. on a full-document sync."""
        self._units = None
        self._reset(text)

    def _reset(self, text: str) -> None:
        self._text = text
        self._bytes = text.encode(_ENCODING, _ERRORS)
        self._starts, self._bstarts = _line_starts(text, self._bytes)
        # Entries from index `_shift_at` on are stale by (_shift_chars, _shift_bytes): a
        # keystroke moves every later line start, and adding the delta lazily keeps the
        # edit O(distance to the previous edit) instead of O(lines).
        self._shift_at = len(self._starts)
        self._shift_chars = 0
        self._shift_bytes = 0
        # parsed on first use: opening a file or typing costs no parse (`_ensure_tree`)
        self._tree = None
        self._unparsed = self._language is not None
        self._reparse = False
        self._symbols = None
        self._by_name = None

    def _line_start(self, line: int) -> int:
        """Code-point offset of a line's start."""
        if line >= self._shift_at:
            return self._starts[line] + self._shift_chars
        return self._starts[line]

    def _line_start_byte(self, line: int) -> int:
        """Byte offset of a line's start."""
        if line >= self._shift_at:
            return self._bstarts[line] + self._shift_bytes
        return self._bstarts[line]

    def _row_of_byte(self, offset: int) -> int:
        """The line holding a byte offset."""
        at = self._shift_at
        if at < len(self._bstarts) and offset >= self._bstarts[at] + self._shift_bytes:
            return bisect_right(self._bstarts, offset - self._shift_bytes, at) - 1
        return bisect_right(self._bstarts, offset, 0, at) - 1

    def _settle(self, lo: int, hi: int, chars: int, data: int) -> None:
        """Add deltas to the line starts at indexes lo..hi-1."""
        starts, bstarts = self._starts, self._bstarts
        for index in range(lo, hi):
            starts[index] += chars
            bstarts[index] += data

    def _clamp(self, position: tuple[int, int]) -> tuple[int, int, int]:
        """(line, character) -> (line, character, code-point offset), clamped to the text."""
        line, char = position
        count = len(self._starts)
        if line < 0:
            return 0, 0, 0
        if line >= count:
            line = count - 1
            return line, len(self._text) - self._line_start(line), len(self._text)
        line_start = self._line_start(line)
        line_end = self._line_start(line + 1) - 1 if line + 1 < count else len(self._text)
        char = max(0, min(char, line_end - line_start))
        return line, char, line_start + char

    def _byte_column(self, line: int, offset: int) -> int:
        segment = self._text[self._line_start(line) : offset]
        if segment.isascii():
            return len(segment)
        return len(segment.encode(_ENCODING, _ERRORS))

    def apply_edit(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        """Replace the range start..end (positions in the current text) by new_text.

        Out-of-range positions are clamped as editors do (past the end of a line: its end;
        past the last line: the end of the text); a reversed range is swapped. The tree is
        edited with byte offsets and byte-column points and re-parsed incrementally, and
        the line index is patched, so a keystroke does not re-encode or re-split the text.
        """
        l1, c1, o1 = self._clamp(start)
        l2, c2, o2 = self._clamp(end)
        if o2 < o1:
            l1, c1, o1, l2, c2, o2 = l2, c2, o2, l1, c1, o1
        if o1 == o2 and not new_text:
            return
        bcol1 = self._byte_column(l1, o1)
        bcol2 = self._byte_column(l2, o2)
        b1 = self._line_start_byte(l1) + bcol1
        b2 = self._line_start_byte(l2) + bcol2
        inserted = new_text.encode(_ENCODING, _ERRORS)
        self._dirty_head = min(self._dirty_head, b1)
        self._dirty_tail = min(self._dirty_tail, len(self._bytes) - b2)

        self._text = self._text[:o1] + new_text + self._text[o2:]
        self._bytes = self._bytes[:b1] + inserted + self._bytes[b2:]

        new_starts: list[int] = []
        new_bstarts: list[int] = []
        if "\n" in new_text:
            pos = new_text.find("\n")
            while pos != -1:
                new_starts.append(o1 + pos + 1)
                pos = new_text.find("\n", pos + 1)
            pos = inserted.find(b"\n")
            while pos != -1:
                new_bstarts.append(b1 + pos + 1)
                pos = inserted.find(b"\n", pos + 1)
            new_end_point = (l1 + len(new_bstarts), b1 + len(inserted) - new_bstarts[-1])
        else:
            new_end_point = (l1, bcol1 + len(inserted))
        self._patch_lines(l1, l2, new_starts, new_bstarts, o2 - o1, b2 - b1, new_text, inserted)

        self._symbols = None
        self._by_name = None
        if self._tree is not None and self._parser is not None:
            old_tree = self._tree
            old_tree.edit(
                start_byte=b1,
                old_end_byte=b2,
                new_end_byte=b1 + len(inserted),
                start_point=(l1, bcol1),
                old_end_point=(l2, bcol2),
                new_end_point=new_end_point,
            )
            self._reparse = True
        elif self._gave_up_at is not None:
            self._unparsed = True  # tried again only if the text is now smaller (`_parse`)

    def parse_job(self) -> Callable[[], tuple[bytes, SyntaxDoc]] | None:
        """The parse and symbol table `symbols()` would build, detached from this document
        so another thread can build them (a full parse of a 10,000-line module takes 40-80
        ms, its symbol table ~30 ms); None when they are current. Hand the result to
        `adopt`."""
        if self._language is None:
            return None
        if self._symbols is not None and not (self._unparsed or self._reparse):
            return None
        if not self._may_parse():
            self.symbols()  # none, at once: no parse is tried
            return None
        data, text, language = self._bytes, self._text, self._language

        def job() -> tuple[bytes, SyntaxDoc]:
            snapshot = SyntaxDoc(text, language)
            snapshot.symbols()
            return data, snapshot

        return job

    def adopt(self, data: bytes, snapshot: SyntaxDoc) -> bool:
        """Take the tree and symbols `parse_job` built, if the text is still exactly what
        it parsed (else the next lookup parses here, as before)."""
        if data is not self._bytes or snapshot._symbols is None:
            return False
        self._tree = snapshot._tree
        self._gave_up_at = snapshot._gave_up_at
        self._unparsed = self._reparse = False
        self._units = snapshot._units
        self._units_size, self._units_lines = snapshot._units_size, snapshot._units_lines
        self._dirty_head = self._dirty_tail = _CLEAN
        self._symbols, self._by_name = snapshot._symbols, None
        return True

    def _ensure_tree(self) -> None:
        """Parse now if the text changed since the tree was last needed: once after a burst of
        keystrokes, not per keystroke (an incremental parse of a long flat module can take
        ~10 ms). The edited old tree carries every `tree.edit` since, so one re-parse serves."""
        if self._language is None:
            return
        if self._parser is None:
            self._parser = _new_parser(self._language)
        if self._unparsed:
            self._tree = self._parse(None)
            self._unparsed = self._reparse = False
            self._units = None
            return
        if self._reparse and self._tree is not None:
            old_tree = self._tree
            self._tree = self._parse(old_tree)
            self._reparse = False
            if self._tree is None:
                self._units = None
            elif self._units is not None:
                # Structure can change away from the edit too (an opened string, a dedent).
                size = len(self._bytes)
                for changed in old_tree.changed_ranges(self._tree):
                    self._dirty_head = min(self._dirty_head, changed.start_byte)
                    self._dirty_tail = min(self._dirty_tail, max(0, size - changed.end_byte))

    def _may_parse(self) -> bool:
        return self._gave_up_at is None or len(self._bytes) < self._gave_up_at

    def _parse(self, old_tree: Tree | None) -> Tree | None:
        """The tree within the parse budget, or None (and no larger text is tried again)."""
        assert self._parser is not None
        if not self._may_parse():
            return None
        tree = parse_within_budget(self._parser, self._bytes, old_tree)
        self._gave_up_at = len(self._bytes) if tree is None else None
        return tree

    def _patch_lines(
        self,
        l1: int,
        l2: int,
        new_starts: list[int],
        new_bstarts: list[int],
        removed_chars: int,
        removed_bytes: int,
        new_text: str,
        inserted: bytes,
    ) -> None:
        """Replace the starts of lines l1+1..l2 by those of the inserted text, and move
        the later ones by the edit's deltas, lazily (see `_shift_at`)."""
        delta_chars = len(new_text) - removed_chars
        delta_bytes = len(inserted) - removed_bytes
        at, count = self._shift_at, len(self._starts)
        if at <= l1:  # lines between the pending shift and this edit: settle the old shift
            self._settle(at, l1 + 1, self._shift_chars, self._shift_bytes)
        elif at > l2 + 1 and at < count:
            if at - (l2 + 1) <= count - at:  # lines up to the pending shift: this edit's
                self._settle(l2 + 1, at, delta_chars, delta_bytes)
            else:  # or settle the old shift, which is nearer the end
                self._settle(at, count, self._shift_chars, self._shift_bytes)
                self._shift_chars = self._shift_bytes = 0
                at = count
        moved = len(new_starts) - (l2 - l1)
        self._starts[l1 + 1 : l2 + 1] = new_starts
        self._bstarts[l1 + 1 : l2 + 1] = new_bstarts
        count = len(self._starts)
        chars = self._shift_chars + delta_chars
        data = self._shift_bytes + delta_bytes
        if l2 + 1 < at < count - moved:
            at += moved
        else:
            at = l2 + 1 + moved
        if at >= count or (not chars and not data):
            at, chars, data = count, 0, 0
        self._shift_at = at
        self._shift_chars, self._shift_bytes = chars, data

    # -- symbols ----------------------------------------------------------------------

    def symbols(self) -> list[Symbol]:
        """All symbols, outer before inner, sorted by start; cached until the next edit."""
        if self._symbols is None:
            self._ensure_tree()
            if self._tree is None or self._language is None:
                self._symbols = []
            else:
                units = self._refresh_units() if self._units is not None else None
                if units is None:
                    extractor = _Extractor(self, _RULES[self._language])
                    units = extractor.units(self._tree.root_node.named_children)
                self._units = units
                self._units_size = len(self._bytes)
                self._units_lines = len(self._starts)
                self._dirty_head = self._dirty_tail = _CLEAN
                self._symbols = list(chain.from_iterable(unit[3] for unit in units))
        return list(self._symbols)

    def _refresh_units(self) -> list[_Unit] | None:
        """Re-extract only the top-level units around what changed since the last call.

        The first `head` bytes and the last `tail` bytes are unchanged in text and, by
        tree-sitter's changed ranges, in structure. Old units clear of the region between
        are kept (those after it moved by the byte and line deltas); top-level nodes that
        overlap or touch it are walked again. The region grows until no kept unit and no
        walked node touches it. None means "do a full walk instead".
        """
        assert self._tree is not None and self._language is not None
        old = self._units or []
        old_size, new_size = self._units_size, len(self._bytes)
        head = min(self._dirty_head, old_size, new_size)
        tail = min(self._dirty_tail, old_size - head, new_size - head)
        old_hi, new_hi = old_size - tail, new_size - tail
        d_bytes = new_size - old_size
        d_rows = len(self._starts) - self._units_lines
        hi_row = self._row_of_byte(new_hi)

        starts = [unit[0] for unit in old]
        ends = [unit[1] for unit in old]
        first_dropped = bisect_left(ends, head)  # units before it end before `head`
        first_kept = max(first_dropped, bisect_right(starts, old_hi))
        # A unit starting on the row where the region ends may have moved sideways: redo it.
        while first_kept < len(old) and old[first_kept][2] + d_rows <= hi_row:
            first_kept += 1
        lo, hi = head, new_hi
        if first_dropped < first_kept:
            lo = min(lo, starts[first_dropped])
            last_end = ends[first_kept - 1]
            hi = max(hi, last_end + d_bytes if last_end > old_hi else new_hi)

        rules = _RULES[self._language]
        glue = rules.prefix_types | rules.skip_between
        children = self._tree.root_node.named_children
        child_ends = [child.end_byte for child in children]
        nodes: list[Node] = []
        for _ in range(len(old) + len(children) + 2):  # each round grows the region
            nodes = _children_touching(children, child_ends, lo, hi, glue)
            new_lo = min(lo, nodes[0].start_byte) if nodes else lo
            new_hi = max(hi, nodes[-1].end_byte) if nodes else hi
            while first_dropped > 0 and ends[first_dropped - 1] >= new_lo:
                first_dropped -= 1
                new_lo = min(new_lo, starts[first_dropped])
            while first_kept < len(old) and starts[first_kept] + d_bytes <= new_hi:
                first_kept += 1
                new_hi = max(new_hi, ends[first_kept - 1] + d_bytes)
            if new_lo == lo and new_hi == hi:
                break
            lo, hi = new_lo, new_hi
        else:
            return None

        # Kept units must still end where top-level nodes end.
        for end in (
            ends[first_dropped - 1] if first_dropped > 0 else None,
            ends[first_kept] + d_bytes if first_kept < len(old) else None,
        ):
            if end is not None:
                index = bisect_left(child_ends, end)
                if index == len(child_ends) or child_ends[index] != end:
                    return None

        walked = _Extractor(self, rules).units(nodes)
        kept = old[first_kept:]
        if d_bytes or d_rows:
            kept = [
                (start + d_bytes, end + d_bytes, row + d_rows, _shift_rows(symbols, d_rows))
                for start, end, row, symbols in kept
            ]
        return old[:first_dropped] + walked + kept

    def find_symbol(self, qualified_name: str) -> Symbol | None:
        """The symbol with exactly this qualified name; None if absent or ambiguous."""
        if self._by_name is None:
            by_name: dict[str, Symbol | None] = {}
            for symbol in self.symbols():
                by_name[symbol.name] = None if symbol.name in by_name else symbol
            self._by_name = by_name
        return self._by_name.get(qualified_name)

    def innermost_symbol_at(self, line: int) -> Symbol | None:
        """The innermost symbol whose range contains the line.

        On a line shared by two siblings (`} function g() {`) the later one wins.
        """
        symbols = self.symbols()
        # Only symbols starting on or before the line can contain it; the last of those
        # that does is the innermost (an outer symbol always comes before its inner ones).
        index = bisect_right(symbols, line, key=_start_line)
        while index > 0:
            index -= 1
            if symbols[index].contains_line(line):
                return symbols[index]
        return None

    def symbols_touching(self, first_line: int, last_line: int) -> list[Symbol]:
        """The innermost symbols overlapping the inclusive line range, sorted by start.

        A symbol is reported when some line of the range lies in it but in none of the
        symbols nested in it: a change inside a method reports the method, a change to a
        class attribute between methods reports the class.
        """
        if last_line < first_line:
            first_line, last_line = last_line, first_line
        candidates = [
            s for s in self.symbols() if s.start[0] <= last_line and s.last_line >= first_line
        ]
        # Nesting by range containment; candidates come outer-before-inner.
        children: dict[int, list[Symbol]] = {}
        stack: list[Symbol] = []
        for symbol in candidates:
            while stack and not symbol.end <= stack[-1].end:
                stack.pop()
            if stack:
                children.setdefault(id(stack[-1]), []).append(symbol)
            stack.append(symbol)
        result = []
        for symbol in candidates:
            lo = max(first_line, symbol.start[0])
            hi = min(last_line, symbol.last_line)
            for child in children.get(id(symbol), ()):  # sorted by start
                if child.start[0] > lo:
                    break
                lo = max(lo, child.last_line + 1)
            if lo <= hi:  # line `lo` is in the range and in no nested symbol
                result.append(symbol)
        return result

    def module_statements(
        self, first_line: int, last_line: int
    ) -> list[tuple[str | None, int, int]]:
        """Top-level statements overlapping the inclusive line range, each as (what it is,
        first line, last line): "imports" for an import, the name(s) it assigns for a
        module constant or variable (`__version__`, `__all__`), None for other code.
        Comments are left out; ask for lines outside every symbol (a definition is one)."""
        self._ensure_tree()
        if self._tree is None or self._language is None:
            return []
        rules = _RULES[self._language]
        children = self._tree.root_node.named_children
        index = bisect_left(children, first_line, key=_last_row) if children else 0
        found: list[tuple[str | None, int, int]] = []
        for child in children[index:]:
            first = child.start_point[0]
            if first > last_line:
                break
            if "comment" in child.type or child.type in rules.prefix_types:
                continue
            found.append((self._statement_label(child), first, _last_row(child)))
        return found

    def _statement_label(self, node: Node) -> str | None:
        kind = node.type
        if kind in _IMPORT_TYPES:
            return "imports"
        names: list[str] = []
        if kind in ("expression_statement", "export_statement") and node.named_child_count:
            inner = node.child_by_field_name("declaration") or node.named_child(0)
            return self._statement_label(inner) if inner is not None else None
        if kind in ("assignment", "augmented_assignment"):
            left = node.child_by_field_name("left")
            if left is not None and left.type in ("identifier", "pattern_list", "tuple_pattern"):
                names.append(" ".join(self._node_text(left).split()))
        elif kind in ("lexical_declaration", "variable_declaration"):
            for child in node.named_children:
                if child.type == "variable_declarator":
                    names.append(self._node_text(child.child_by_field_name("name")))
        elif kind in ("const_declaration", "var_declaration"):
            specs = list(node.named_children)
            for spec in specs:
                if spec.type.endswith("_spec_list"):
                    specs.extend(spec.named_children)
                elif spec.type in ("const_spec", "var_spec"):
                    names.extend(
                        self._node_text(c)
                        for c in spec.children_by_field_name("name")
                        if c.type == "identifier"
                    )
        elif kind in ("const_item", "static_item"):
            names.append(self._node_text(node.child_by_field_name("name")))
        names = [name for name in names if name]
        return ", ".join(names) if names else None

    def _node_text(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self._bytes[node.start_byte : node.end_byte].decode(_ENCODING, "replace")

    # -- positions for the extractor ---------------------------------------------------

    def _point(self, point: tuple[int, int]) -> tuple[int, int]:
        """A tree point (row, byte column) -> (line, code-point column)."""
        row, column = point
        if column == 0:
            return row, 0
        start = self._line_start_byte(row)
        return row, _code_points(self._bytes[start : start + column])
