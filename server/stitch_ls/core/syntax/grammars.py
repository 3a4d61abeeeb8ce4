"""Which grammar a file has, and the tree-sitter languages and parsers for them.

tree-sitter and the grammar packages are imported lazily (server start-up time matters).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tree_sitter import Parser

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
        from tree_sitter import Language

        module_name, factory = _GRAMMARS[name]
        module = importlib.import_module(module_name)
        lang = _language_cache[name] = Language(getattr(module, factory)())
    return lang


def _new_parser(name: str) -> Parser:
    from tree_sitter import Parser

    return Parser(_language(name))
