"""What a symbol is, and each grammar's rules for finding them (`_Rules`, `_Extractor`).

What counts as a symbol: named definitions reachable through statements, never through
expressions (a function passed as a callback is not one), so the walk stays cheap.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stitch_ls.core.syntax.buffer import _ENCODING

if TYPE_CHECKING:
    from tree_sitter import Node

    from stitch_ls.core.syntax.document import SyntaxDoc

MAX_NESTING = 48  # containers deep that symbols are looked for (real code stays far below)


@dataclass(frozen=True, slots=True)
class Symbol:
    """A named definition and its range, in (line, code point) with an exclusive end.

    `name` is qualified and dot-joined ("Cart.total"); the range of a decorated (Python,
    TypeScript) or attributed (Rust) definition includes its decorators/attributes, and an
    exported JS/TS declaration includes `export`.
    """

    name: str
    kind: str
    start: tuple[int, int]
    end: tuple[int, int]

    @property
    def last_line(self) -> int:
        """The last line the symbol occupies (an end at column 0 does not occupy its line)."""
        end_line, end_col = self.end
        if end_col == 0 and end_line > self.start[0]:
            return end_line - 1
        return end_line

    def contains_line(self, line: int) -> bool:
        return self.start[0] <= line <= self.last_line


def _start_line(symbol: Symbol) -> int:
    return symbol.start[0]


def _last_row(node: Node) -> int:
    """The last line a node occupies (an end at column 0 does not occupy its line)."""
    row, column = node.end_point
    return row - 1 if column == 0 and row > node.start_point[0] else row


_IMPORT_TYPES = frozenset(
    {
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "import_declaration",
        "use_declaration",
        "extern_crate_declaration",
    }
)


# -- extraction ------------------------------------------------------------------------

# A top-level unit with symbols: (start byte, end byte, start row, its symbols in order).
_Unit = tuple[int, int, int, list[Symbol]]


@dataclass(frozen=True)
class _Rules:
    """What one grammar's definitions look like.

    `units` maps a node type to a handler; `containers` are walked for nested units
    (statement lists, blocks, bodies, ERROR); `prefix_types` (decorators, attributes) are
    folded into the range of the unit that follows; `skip_between` may sit in between.
    """

    units: dict[str, str]
    containers: frozenset[str]
    prefix_types: frozenset[str] = frozenset()
    skip_between: frozenset[str] = frozenset()


def _children_touching(
    children: list[Node], ends: list[int], lo: int, hi: int, glue: frozenset[str]
) -> list[Node]:
    """Top-level nodes overlapping or touching bytes lo..hi, widened so that a group of
    decorators/attributes is never split from the unit it belongs to.

    (Plain lists and bisect: `Node.first_named_child_for_byte` crashes the process in
    py-tree-sitter 0.26 on some trees with errors.)
    """
    first = bisect_left(ends, lo)
    last = first
    while last < len(children) and children[last].start_byte <= hi:
        last += 1
    while first > 0 and children[first - 1].type in glue:
        first -= 1
    while first < last < len(children) and children[last - 1].type in glue:
        last += 1
    return children[first:last]


def _shift_rows(symbols: list[Symbol], d_rows: int) -> list[Symbol]:
    """Move symbols by whole lines; their columns stay."""
    if not d_rows:
        return symbols
    return [
        Symbol(s.name, s.kind, (s.start[0] + d_rows, s.start[1]), (s.end[0] + d_rows, s.end[1]))
        for s in symbols
    ]


class _Extractor:
    """Finds definitions by walking statement-level nodes only, never expressions.

    Walk order is document order with an outer symbol before the ones inside it, which
    is exactly the order `symbols()` promises, so nothing needs sorting.
    """

    __slots__ = ("doc", "rules", "out", "_data", "_depth")

    def __init__(self, doc: SyntaxDoc, rules: _Rules) -> None:
        self.doc = doc
        self.rules = rules
        self.out: list[Symbol] = []
        self._data = doc._bytes
        self._depth = 0

    def groups(self, children: list[Node]) -> list[tuple[Node, Node]]:
        """(first node of the range, unit node) for each unit among sibling nodes."""
        rules = self.rules
        units, containers = rules.units, rules.containers
        prefix_types, skip_between = rules.prefix_types, rules.skip_between
        found = []
        group_start: Node | None = None
        for child in children:
            kind = child.type
            if kind in units or kind in containers:
                found.append((group_start or child, child))
                group_start = None
            elif kind in prefix_types:
                group_start = group_start or child
            elif kind not in skip_between:
                group_start = None
        return found

    def units(self, children: list[Node]) -> list[_Unit]:
        """Top-level units that hold symbols, each with its own list."""
        found: list[_Unit] = []
        for first, node in self.groups(children):
            self.out = []
            self.unit(node, first, "", "")
            if self.out:
                found.append((first.start_byte, node.end_byte, first.start_point[0], self.out))
        self.out = []
        return found

    def walk(self, container: Node, prefix: str, context: str) -> None:
        """Symbols inside `container`; below `MAX_NESTING` containers deep none are taken
        (a file nested hundreds deep would exhaust the stack): an edit there belongs to
        the deepest symbol above, or to its lines."""
        if self._depth >= MAX_NESTING:
            return
        self._depth += 1
        try:
            for first, node in self.groups(container.named_children):
                self.unit(node, first, prefix, context)
        finally:
            self._depth -= 1

    def unit(self, node: Node, first: Node, prefix: str, context: str) -> None:
        handler = self.rules.units.get(node.type)
        if handler is None:
            self.walk(node, prefix, context)
        else:
            getattr(self, handler)(node, first, prefix, context)

    # -- helpers ------------------------------------------------------------------------

    def emit(self, name: str, kind: str, first: Node, last: Node) -> None:
        point = self.doc._point
        self.out.append(Symbol(name, kind, point(first.start_point), point(last.end_point)))

    def text_of(self, node: Node | None) -> str:
        if node is None:
            return ""
        return self._data[node.start_byte : node.end_byte].decode(_ENCODING, "replace")

    def name_of(self, node: Node, field: str = "name") -> str:
        return self.text_of(node.child_by_field_name(field))

    def body(self, node: Node, prefix: str, context: str, field: str = "body") -> None:
        body = node.child_by_field_name(field)
        if body is not None:
            self.walk(body, prefix, context)

    # -- Python -------------------------------------------------------------------------

    def py_decorated(self, node: Node, first: Node, prefix: str, context: str) -> None:
        definition = node.child_by_field_name("definition")
        if definition is not None:
            self.py_def(definition, first, prefix, context)

    def py_def(self, node: Node, first: Node, prefix: str, context: str) -> None:
        name = self.name_of(node)
        if not name:
            return
        qualified = f"{prefix}.{name}" if prefix else name
        if node.type == "class_definition":
            self.emit(qualified, "class", first, node)
            self.body(node, qualified, "class")
        else:
            self.emit(qualified, "method" if context == "class" else "function", first, node)
            self.body(node, qualified, "function")

    def py_type_alias(self, node: Node, first: Node, prefix: str, context: str) -> None:
        """`type Pair[T] = ...` (Python 3.12): named by the identifier on the left."""
        name_node = node.child_by_field_name("left")
        while name_node is not None and name_node.type != "identifier":
            name_node = name_node.named_child(0) if name_node.named_child_count else None
        name = self.text_of(name_node)
        if name:
            self.emit(f"{prefix}.{name}" if prefix else name, "type", first, node)

    # -- JavaScript / TypeScript ----------------------------------------------------------

    def js_wrapper(self, node: Node, first: Node, prefix: str, context: str) -> None:
        """`export ...`, `declare ...`, `namespace` statements: the range starts outside."""
        inner = node.child_by_field_name("declaration")
        if inner is None:
            inner = node.child_by_field_name("value")
        if inner is None:
            for child in node.named_children:
                if child.type in self.rules.units:
                    inner = child
                    break
        if inner is None:
            return
        handler = self.rules.units.get(inner.type)
        if handler is not None:
            getattr(self, handler)(inner, first, prefix, context)

    def js_def(self, node: Node, first: Node, prefix: str, context: str) -> None:
        name = self.name_of(node)
        if not name:
            return
        qualified = f"{prefix}.{name}" if prefix else name
        kind, body_context = _JS_KINDS[node.type]
        if kind == "module":
            name = name.strip("'\"`")
            qualified = f"{prefix}.{name}" if prefix else name
        self.emit(qualified, kind, first, node)
        if body_context:
            self.body(node, qualified, body_context)

    def js_member(self, node: Node, first: Node, prefix: str, context: str) -> None:
        """Methods, and class fields initialised with a function."""
        if node.type == "method_definition":
            function: Node | None = node
        else:
            function = node.child_by_field_name("value")
            if function is None or function.type not in _JS_FUNCTION_VALUES:
                return
        name = self.name_of(node, "property" if node.type == "field_definition" else "name")
        if not name:
            return
        qualified = f"{prefix}.{name}" if prefix else name
        self.emit(qualified, "method", first, node)
        if function is not None:
            self.body(function, qualified, "function")

    def js_declaration(self, node: Node, first: Node, prefix: str, context: str) -> None:
        """`const f = () => {}`, `let C = class {}`: the variable names the symbol."""
        declarators = [c for c in node.named_children if c.type == "variable_declarator"]
        for declarator in declarators:
            value = declarator.child_by_field_name("value")
            name_node = declarator.child_by_field_name("name")
            if value is None or name_node is None or name_node.type != "identifier":
                continue
            if value.type in _JS_FUNCTION_VALUES:
                kind, body_context = "function", "function"
            elif value.type in ("class", "class_expression"):
                kind, body_context = "class", "class"
            else:
                continue
            name = self.text_of(name_node)
            qualified = f"{prefix}.{name}" if prefix else name
            if len(declarators) == 1:
                self.emit(qualified, kind, first, node)
            else:
                self.emit(qualified, kind, declarator, declarator)
            self.body(value, qualified, body_context)

    def js_statement(self, node: Node, first: Node, prefix: str, context: str) -> None:
        """An expression statement matters only when it is a TypeScript `namespace`."""
        inner = node.named_child(0) if node.named_child_count == 1 else None
        if inner is not None and inner.type == "internal_module":
            self.js_def(inner, first, prefix, context)

    # -- Go -------------------------------------------------------------------------------

    def go_function(self, node: Node, first: Node, prefix: str, context: str) -> None:
        name = self.name_of(node)
        if not name:
            return
        if node.type == "method_declaration":
            receiver = _go_receiver_type(node)
            base = _base_type_name(receiver, self) if receiver is not None else ""
            self.emit(f"{base}.{name}" if base else name, "method", first, node)
        else:
            self.emit(name, "function", first, node)

    def go_types(self, node: Node, first: Node, prefix: str, context: str) -> None:
        specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
        grouped = len(specs) != 1 or any(c.type == "(" for c in node.children)
        for spec in specs:
            name = self.name_of(spec)
            if not name:
                continue
            kind = "type"
            if spec.type == "type_spec":
                value = spec.child_by_field_name("type")
                if value is not None:
                    kind = _GO_TYPE_KINDS.get(value.type, "type")
            if grouped:
                self.emit(name, kind, spec, spec)
            else:
                self.emit(name, kind, first, node)

    # -- Rust -----------------------------------------------------------------------------

    def rs_item(self, node: Node, first: Node, prefix: str, context: str) -> None:
        name = self.name_of(node)
        if not name:
            return
        qualified = f"{prefix}.{name}" if prefix else name
        node_type = node.type
        if node_type == "function_item":
            kind = "method" if context in ("impl", "trait") else "function"
            self.emit(qualified, kind, first, node)
            self.body(node, qualified, "function")
            return
        kind = _RUST_KINDS[node_type]
        self.emit(qualified, kind, first, node)
        if kind in ("trait", "module"):
            self.body(node, qualified, kind)

    def rs_impl(self, node: Node, first: Node, prefix: str, context: str) -> None:
        """`impl [Trait for] Type`: named by its header; its fns are "Type.fn"."""
        type_node = node.child_by_field_name("type")
        if type_node is None:
            return
        trait_node = node.child_by_field_name("trait")
        header = " ".join(self.text_of(type_node).split())
        if trait_node is not None:
            header = " ".join(self.text_of(trait_node).split()) + " for " + header
        label = "impl " + header
        self.emit(f"{prefix}.{label}" if prefix else label, "impl", first, node)
        base = _base_type_name(type_node, self)
        qualified = f"{prefix}.{base}" if prefix and base else base or prefix
        self.body(node, qualified, "impl")


def _go_receiver_type(node: Node) -> Node | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for parameter in receiver.named_children:
        if parameter.type == "parameter_declaration":
            return parameter.child_by_field_name("type")
    return None


def _base_type_name(node: Node, extractor: _Extractor) -> str:
    """`*Cart`, `Cart[T]`, `&mod_a::Cart<X>` -> "Cart"."""
    for _ in range(16):
        node_type = node.type
        if node_type in ("pointer_type", "reference_type", "parenthesized_type"):
            inner = node.child_by_field_name("type")
            if inner is None:
                inner = node.named_child(node.named_child_count - 1)
        elif node_type == "generic_type":
            inner = node.child_by_field_name("type")
        elif node_type in ("scoped_type_identifier", "qualified_type"):
            inner = node.child_by_field_name("name")
        else:
            break
        if inner is None:
            break
        node = inner
    return " ".join(extractor.text_of(node).split())


_JS_FUNCTION_VALUES = frozenset(
    {"arrow_function", "function_expression", "function", "generator_function"}
)

# node type -> (kind, context for the body or "" to not look inside)
_JS_KINDS: dict[str, tuple[str, str]] = {
    "function_declaration": ("function", "function"),
    "generator_function_declaration": ("function", "function"),
    "class_declaration": ("class", "class"),
    "abstract_class_declaration": ("class", "class"),
    "class": ("class", "class"),
    "interface_declaration": ("interface", ""),
    "type_alias_declaration": ("type", ""),
    "enum_declaration": ("enum", ""),
    "internal_module": ("module", "module"),
    "module": ("module", "module"),
}

_GO_TYPE_KINDS = {"struct_type": "struct", "interface_type": "interface"}

_RUST_KINDS = {
    "struct_item": "struct",
    "union_item": "struct",
    "enum_item": "enum",
    "trait_item": "trait",
    "type_item": "type",
    "mod_item": "module",
}

_PYTHON = _Rules(
    units={
        "function_definition": "py_def",
        "class_definition": "py_def",
        "decorated_definition": "py_decorated",
        "type_alias_statement": "py_type_alias",
    },
    containers=frozenset(
        {
            "block",
            "if_statement",
            "elif_clause",
            "else_clause",
            "for_statement",
            "while_statement",
            "try_statement",
            "except_clause",
            "except_group_clause",
            "finally_clause",
            "with_statement",
            "match_statement",
            "case_clause",
            "ERROR",
        }
    ),
)

_JS_UNITS = {
    **{node_type: "js_def" for node_type in _JS_KINDS if node_type != "class"},
    "export_statement": "js_wrapper",
    "ambient_declaration": "js_wrapper",
    "method_definition": "js_member",
    "field_definition": "js_member",
    "public_field_definition": "js_member",
    "lexical_declaration": "js_declaration",
    "variable_declaration": "js_declaration",
    "expression_statement": "js_statement",
}

_JAVASCRIPT = _Rules(
    units=_JS_UNITS,
    containers=frozenset(
        {
            "statement_block",
            "class_body",
            "if_statement",
            "else_clause",
            "for_statement",
            "for_in_statement",
            "while_statement",
            "do_statement",
            "try_statement",
            "catch_clause",
            "finally_clause",
            "switch_statement",
            "switch_body",
            "switch_case",
            "switch_default",
            "labeled_statement",
            "ERROR",
        }
    ),
    prefix_types=frozenset({"decorator"}),
    skip_between=frozenset({"comment"}),
)

_GO = _Rules(
    units={
        "function_declaration": "go_function",
        "method_declaration": "go_function",
        "type_declaration": "go_types",
    },
    containers=frozenset({"ERROR"}),
)

_RUST = _Rules(
    units={
        **{node_type: "rs_item" for node_type in _RUST_KINDS},
        "function_item": "rs_item",
        "impl_item": "rs_impl",
    },
    containers=frozenset({"declaration_list", "block", "ERROR"}),
    prefix_types=frozenset({"attribute_item"}),
    skip_between=frozenset({"line_comment", "block_comment"}),
)

_RULES: dict[str, _Rules] = {
    "python": _PYTHON,
    "javascript": _JAVASCRIPT,
    "typescript": _JAVASCRIPT,
    "tsx": _JAVASCRIPT,
    "go": _GO,
    "rust": _RUST,
}
