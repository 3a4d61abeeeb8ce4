"""Which grammar a file has, the tree-sitter languages and parsers for them, and the one
way a text is parsed: within a budget.

tree-sitter and the grammar packages are imported lazily (server start-up time matters).
"""

from __future__ import annotations

import importlib
import os
import time
from typing import TYPE_CHECKING, Any

from stitch_ls.core.syntax.buffer import _chunks

if TYPE_CHECKING:
    from tree_sitter import Parser, Tree

_EXTENSIONS: dict[str, str] = {
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

# language name -> (grammar module, function returning the language pointer)
_GRAMMARS: dict[str, tuple[str, str]] = {
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
    "rust": ("tree_sitter_rust", "language"),
}
LANGUAGES: frozenset[str] = frozenset(_GRAMMARS)


def language_for_path(path: str) -> str | None:
    """The grammar for a file name, by extension (case-insensitive); None if unsupported."""
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


_language_cache: dict[str, Any] = {}


def _language(name: str) -> Any:
    """The tree-sitter Language for a name, imported and built once per process."""
    lang = _language_cache.get(name)
    if lang is None:
        # start-up: the server's first answer does not load tree-sitter
        from tree_sitter import Language

        module_name, factory = _GRAMMARS[name]
        module = importlib.import_module(module_name)
        lang = _language_cache[name] = Language(getattr(module, factory)())
    return lang


def _new_parser(name: str) -> Parser:
    # start-up: the server's first answer does not load tree-sitter
    from tree_sitter import Parser

    return Parser(_language(name))


# CPU seconds one parse may take. Real modules parse far below it, but some texts make a
# grammar quadratic: a Python comment block thousands of lines long (benchmarks/bench_syntax.py
# measures it; docs/security.md).
PARSE_BUDGET_S = float(os.environ.get("STITCH_PARSE_BUDGET") or 1.0)


def parse_within_budget(parser: Parser, data: bytes, old_tree: Tree | None = None) -> Tree | None:
    """The tree of `data` (incrementally from `old_tree`), or None when parsing it would take
    more than `PARSE_BUDGET_S` of this thread's CPU time: every parse goes through here.

    CPU time, not the clock: a parse that waits for the GIL behind the editor's requests is
    not cut short for it. tree-sitter asks `progress_callback` every few hundred steps
    whether to stop; a stopped parse leaves the parser mid-way, so it is reset."""
    started = time.thread_time()

    def stop(_offset: int, _has_error: bool) -> bool:
        return time.thread_time() - started > PARSE_BUDGET_S

    try:
        if old_tree is None:
            return parser.parse(_chunks(data), progress_callback=stop)
        return parser.parse(_chunks(data), old_tree, progress_callback=stop)
    except ValueError:  # "Parsing failed": stopped by `stop`
        parser.reset()
        return None
