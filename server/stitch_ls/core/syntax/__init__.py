"""Symbols (functions, methods, classes, ...) of a live editor buffer, via tree-sitter.

Drafts target symbols by qualified name ("Cart.total") and must be anchored on the buffer
as it is *now*, and changed line ranges are mapped to the symbols that contain them. The
editor sends an edit per keystroke, so a `SyntaxDoc` keeps its text, a line index and a
tree, applies each edit to all three, and re-parses incrementally.

Line model (the same as `stitch_ls.core.text`): lines are separated by "\\n" only. A "\\r"
(alone or before "\\n") is an ordinary character of its line, and form feed, "\\x0b",
"\\u2028" etc. are not line breaks either. Columns count Unicode code points. This is what
tree-sitter counts rows by, so tree rows and our lines always agree.

What counts as a symbol: named definitions reachable through statements, never through
expressions (a function passed as a callback is not one), so the walk stays cheap.
- Python: classes; functions ("method" directly in a class body, also under `if`/`try`);
  `type X = ...` aliases.
- JS/TS: function and class declarations, methods, class fields and `const`/`let`/`var`
  holding a function or class; TS interfaces, type aliases, enums, namespaces/modules.
  Bodiless signatures (overloads, `abstract`, `declare`) are not separate symbols.
- Go: functions, methods ("Cart.Total" whatever the receiver's pointer or type
  parameters), and each type spec (struct, interface, otherwise "type").
- Rust: fn, struct (and union), enum, trait (its provided methods), type alias, mod, and
  impl blocks, named by their header ("impl Display for Cart") so they never clash with
  the type; fns inside an impl are "Cart.fmt".

tree-sitter and the grammar packages are imported lazily (server start-up time matters).

Every parse has a budget (`grammars.parse_within_budget`, `PARSE_BUDGET_S` of CPU time): a
text that takes longer has no tree and no symbols (`SyntaxDoc.over_budget`), and its stitch
points are line ranges, as in a file without a grammar.

The package, by concern: `grammars` (which grammar a path has; languages and parsers; the
parse budget), `buffer` (the line index and how text reaches tree-sitter), `symbols` (what a
symbol is and each grammar's rules for finding one), `document` (`SyntaxDoc`, the live
buffer's tree).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stitch_ls.core.syntax.document import SyntaxDoc, lookup_symbol, parse_symbols
    from stitch_ls.core.syntax.grammars import LANGUAGES, PARSE_BUDGET_S, language_for_path
    from stitch_ls.core.syntax.symbols import MAX_NESTING, Symbol

__all__ = [
    "LANGUAGES",
    "MAX_NESTING",
    "PARSE_BUDGET_S",
    "Symbol",
    "SyntaxDoc",
    "language_for_path",
    "lookup_symbol",
    "parse_symbols",
]
_HOMES = {
    "SyntaxDoc": "document",
    "parse_symbols": "document",
    "lookup_symbol": "document",
    "LANGUAGES": "grammars",
    "PARSE_BUDGET_S": "grammars",
    "language_for_path": "grammars",
    "MAX_NESTING": "symbols",
    "Symbol": "symbols",
}


def __getattr__(name: str) -> Any:
    """The package's names, imported on first use: importing one module of the package (the
    guard's `bash`) does not load the others."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # start-up: the guard's path loads one module of this package
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
