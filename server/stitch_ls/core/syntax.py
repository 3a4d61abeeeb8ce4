"""Symbols with tree-sitter: what a draft's `symbol` names, and what a changed line belongs to.

A `SyntaxDoc` keeps one document's text and tree in step with the editor's incremental edits
(`tree.edit` + an incremental re-parse), never a full parse per keystroke. Grammars come from
the per-language PyPI wheels and are imported on first use, so server start-up stays fast.
Positions are (line, code point); lines are split on "\\n" only, like `text.LineIndex`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from stitch_ls.core.text import LineIndex

_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
}


def language_for_path(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return _EXTENSIONS.get(name[dot:].lower()) if dot > 0 else None


@cache
def _parser(language: str) -> Any:
    from tree_sitter import Language, Parser

    if language == "python":
        import tree_sitter_python as grammar

        lang = grammar.language()
    elif language == "javascript":
        import tree_sitter_javascript as grammar

        lang = grammar.language()
    elif language in ("typescript", "tsx"):
        import tree_sitter_typescript as grammar

        lang = grammar.language_typescript() if language == "typescript" else grammar.language_tsx()
    elif language == "go":
        import tree_sitter_go as grammar

        lang = grammar.language()
    elif language == "rust":
        import tree_sitter_rust as grammar

        lang = grammar.language()
    else:
        raise ValueError(f"no grammar for {language}")
    return Parser(Language(lang))


@dataclass(frozen=True)
class Symbol:
    name: str  # qualified, dot-joined: "Cart.total"
    kind: str  # function | method | class | struct | interface | enum | trait | type | module
    start: tuple[int, int]
    end: tuple[int, int]  # exclusive

    def contains_line(self, line: int) -> bool:
        last = self.end[0] - 1 if self.end[1] == 0 and self.end[0] > self.start[0] else self.end[0]
        return self.start[0] <= line <= last


# node type -> (kind, is a container whose children are qualified by its name)
_DEFINITIONS: dict[str, dict[str, tuple[str, bool]]] = {
    "python": {
        "function_definition": ("function", True),
        "class_definition": ("class", True),
    },
    "javascript": {
        "function_declaration": ("function", True),
        "generator_function_declaration": ("function", True),
        "class_declaration": ("class", True),
        "method_definition": ("method", True),
    },
    "typescript": {
        "function_declaration": ("function", True),
        "generator_function_declaration": ("function", True),
        "class_declaration": ("class", True),
        "abstract_class_declaration": ("class", True),
        "method_definition": ("method", True),
        "interface_declaration": ("interface", True),
        "type_alias_declaration": ("type", False),
        "enum_declaration": ("enum", False),
        "internal_module": ("module", True),
    },
    "go": {
        "function_declaration": ("function", True),
        "method_declaration": ("method", True),
        "type_spec": ("type", False),
    },
    "rust": {
        "function_item": ("function", True),
        "struct_item": ("struct", False),
        "enum_item": ("enum", False),
        "trait_item": ("trait", True),
        "mod_item": ("module", True),
        "union_item": ("struct", False),
        "type_item": ("type", False),
    },
}
_DEFINITIONS["tsx"] = _DEFINITIONS["typescript"]


class SyntaxDoc:
    """One document's text and tree, kept in step with the editor's incremental edits."""

    def __init__(self, text: str, language: str | None) -> None:
        self.language = language
        self._text = text
        self._bytes = text.encode("utf-8", errors="surrogatepass")
        self._index: LineIndex | None = None
        self._symbols: list[Symbol] | None = None
        self._innermost: list[Symbol | None] | None = None
        self._tree: Any = None  # parsed on first use: opening a file costs no parse
        self._reparse = language in _DEFINITIONS

    @property
    def text(self) -> str:
        return self._text

    @property
    def has_error(self) -> bool:
        return bool(self.tree is not None and self.tree.root_node.has_error)

    @property
    def lines(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self._text)
        return self._index

    def _clamp(self, point: tuple[int, int]) -> tuple[int, int, int]:
        """(line, column, offset) of a position, clamped into the text."""
        index = self.lines
        line = min(max(point[0], 0), index.line_count - 1)
        column = min(max(point[1], 0), len(index.line(line)))
        return line, column, index.starts[line] + column

    def _byte_column(self, line: int, column: int) -> int:
        return len(self.lines.line(line)[:column].encode("utf-8", errors="surrogatepass"))

    def apply_edit(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        """Replace [start, end) (code points of the current text; clamped) with `new_text`."""
        s_line, s_col, s_off = self._clamp(start)
        e_line, e_col, e_off = self._clamp(end)
        if e_off < s_off:
            s_line, s_col, s_off, e_line, e_col, e_off = e_line, e_col, e_off, s_line, s_col, s_off
        start_byte = len(self._text[:s_off].encode("utf-8", errors="surrogatepass"))
        old_end_byte = start_byte + len(
            self._text[s_off:e_off].encode("utf-8", errors="surrogatepass")
        )
        inserted = new_text.encode("utf-8", errors="surrogatepass")
        start_point = (s_line, self._byte_column(s_line, s_col))
        old_end_point = (e_line, self._byte_column(e_line, e_col))
        if "\n" in new_text:
            tail = new_text.rsplit("\n", 1)[1]
            new_end_point = (
                s_line + new_text.count("\n"),
                len(tail.encode("utf-8", errors="surrogatepass")),
            )
        else:
            new_end_point = (s_line, start_point[1] + len(inserted))
        self._text = self._text[:s_off] + new_text + self._text[e_off:]
        self._bytes = self._bytes[:start_byte] + inserted + self._bytes[old_end_byte:]
        self._index = None
        self._symbols = None
        self._innermost = None
        if self._tree is not None:
            self._tree.edit(
                start_byte=start_byte,
                old_end_byte=old_end_byte,
                new_end_byte=start_byte + len(inserted),
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=new_end_point,
            )
            self._reparse = True  # parsed when symbols are next asked for, not per keystroke

    @property
    def tree(self) -> Any:
        """The syntax tree, incrementally re-parsed after the edits since it was last read."""
        if self._reparse:
            parser = _parser(self.language)
            self._tree = (
                parser.parse(self._bytes, self._tree) if self._tree else parser.parse(self._bytes)
            )
            self._reparse = False
        return self._tree

    def replace_text(self, text: str) -> None:
        self.__init__(text, self.language)  # type: ignore[misc]

    # -- symbols -------------------------------------------------------------------------

    def symbols(self) -> list[Symbol]:
        """All symbols, outer before inner, sorted by start; cached until the next edit."""
        if self._symbols is None:
            found: list[Symbol] = []
            if self.tree is not None:
                self._collect(self.tree.root_node, "", found)
            found.sort(key=lambda s: (s.start, (-s.end[0], -s.end[1])))
            self._symbols = found
        return self._symbols

    def _point(self, point: tuple[int, int]) -> tuple[int, int]:
        row, byte_col = point
        line = self.lines.line(row).encode("utf-8", errors="surrogatepass")
        return row, len(line[:byte_col].decode("utf-8", errors="ignore"))

    def _collect(self, node: Any, prefix: str, out: list[Symbol]) -> None:
        table = _DEFINITIONS[self.language or ""]
        for child in node.named_children:
            entry = table.get(child.type)
            if entry is None:
                name = self._arrow_name(child)
                if name:
                    out.append(self._symbol(child, prefix + name, "function"))
                    continue
                qualifier = self._impl_qualifier(child)
                self._collect(child, prefix + qualifier if qualifier else prefix, out)
                continue
            kind, container = entry
            name = self._name(child)
            if name is None:
                self._collect(child, prefix, out)
                continue
            if self.language == "go" and child.type == "method_declaration":
                receiver = self._go_receiver(child)
                qualified = f"{receiver}.{name}" if receiver else name
            else:
                qualified = prefix + name
            if kind == "function" and prefix and self.language != "go":
                kind = "method" if self._in_class(child) else "function"
            if self.language == "go" and child.type == "type_spec":
                kind = self._go_type_kind(child)
            out.append(self._symbol(self._outer(child), qualified, kind))
            if container:
                self._collect(child, qualified + ".", out)

    def _symbol(self, node: Any, name: str, kind: str) -> Symbol:
        return Symbol(name, kind, self._point(node.start_point), self._point(node.end_point))

    def _outer(self, node: Any) -> Any:
        """A decorated Python definition's range includes its decorators."""
        parent = node.parent
        if (
            self.language == "python"
            and parent is not None
            and parent.type == "decorated_definition"
        ):
            return parent
        return node

    @staticmethod
    def _name(node: Any) -> str | None:
        name = node.child_by_field_name("name")
        return name.text.decode("utf-8", errors="replace") if name is not None else None

    def _in_class(self, node: Any) -> bool:
        containers = (
            ("impl_item", "trait_item")
            if self.language == "rust"
            else ("class_definition", "class_body", "class_declaration")
        )
        parent = node.parent
        while parent is not None:
            if parent.type in containers:
                return True
            if parent.type in ("function_definition", "function_declaration", "function_item"):
                return False
            parent = parent.parent
        return False

    def _arrow_name(self, node: Any) -> str | None:
        """`const f = () => {}` / `const f = function () {}` are functions named f."""
        if self.language not in ("javascript", "typescript", "tsx"):
            return None
        if node.type != "variable_declarator":
            return None
        value = node.child_by_field_name("value")
        if value is None or value.type not in ("arrow_function", "function_expression", "function"):
            return None
        return self._name(node)

    def _impl_qualifier(self, node: Any) -> str | None:
        """Rust `impl Cart` / `impl Trait for Cart`: methods are qualified by the type."""
        if self.language != "rust" or node.type != "impl_item":
            return None
        target = node.child_by_field_name("type")
        if target is None:
            return None
        if target.type == "generic_type":
            target = target.child_by_field_name("type") or target
        return target.text.decode("utf-8", errors="replace") + "."

    @staticmethod
    def _go_receiver(node: Any) -> str | None:
        receiver = node.child_by_field_name("receiver")
        if receiver is None:
            return None
        for parameter in receiver.named_children:
            kind = parameter.child_by_field_name("type")
            while kind is not None and kind.type in ("pointer_type", "generic_type"):
                kind = kind.named_children[0] if kind.named_children else None
            if kind is not None:
                return kind.text.decode("utf-8", errors="replace")
        return None

    @staticmethod
    def _go_type_kind(node: Any) -> str:
        kind = node.child_by_field_name("type")
        if kind is not None and kind.type == "struct_type":
            return "struct"
        if kind is not None and kind.type == "interface_type":
            return "interface"
        return "type"

    def find_symbol(self, qualified_name: str) -> Symbol | None:
        """The symbol with exactly that name; None if absent or not unique."""
        matches = [s for s in self.symbols() if s.name == qualified_name]
        return matches[0] if len(matches) == 1 else None

    def _innermost_by_line(self) -> list[Symbol | None]:
        if self._innermost is None:
            by_line: list[Symbol | None] = [None] * self.lines.line_count
            for symbol in self.symbols():  # outer first: inner ones overwrite
                last = (
                    symbol.end[0] - 1
                    if symbol.end[1] == 0 and symbol.end[0] > symbol.start[0]
                    else symbol.end[0]
                )
                for line in range(symbol.start[0], min(last, len(by_line) - 1) + 1):
                    by_line[line] = symbol
            self._innermost = by_line
        return self._innermost

    def innermost_symbol_at(self, line: int) -> Symbol | None:
        by_line = self._innermost_by_line()
        return by_line[line] if 0 <= line < len(by_line) else None

    def symbols_touching(self, first_line: int, last_line: int) -> list[Symbol]:
        """The innermost symbols of the lines in [first_line, last_line]."""
        by_line = self._innermost_by_line()
        seen: dict[str, Symbol] = {}
        for line in range(max(first_line, 0), min(last_line, len(by_line) - 1) + 1):
            symbol = by_line[line]
            if symbol is not None:
                seen.setdefault(f"{symbol.name}@{symbol.start}", symbol)
        return list(seen.values())


def parse_symbols(text: str, language: str) -> list[Symbol]:
    return SyntaxDoc(text, language).symbols()
