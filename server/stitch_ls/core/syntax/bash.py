"""Shell commands as a shell reads them: tree-sitter's Bash grammar, loaded on first use.

`parse` turns a command line into the simple commands it runs — in lists, pipelines,
subshells, groups, functions, command and process substitutions, at any depth — each as its
words (the literal value of each, or None where a word depends on an expansion, a
substitution or anything else only the running shell knows), its redirections, and whether it
reads its input from another command or a here-document. The agents' guard judges those
plain values (`core.guard.shell`); nothing here knows what a command means.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

MAX_COMMAND_BYTES = 256 * 1024
MAX_DEPTH = 200  # nesting deeper than this is not walked (and makes the parse `unreadable`)


class SimpleCommand(NamedTuple):
    argv: tuple[str | None, ...]  # words after any `NAME=value` prefixes; None: not literal
    assignments: tuple[str, ...] = ()  # the `NAME=value` prefixes, as written
    redirects: tuple[tuple[str, str | None], ...] = ()  # (operator, target or None)
    fed: bool = False  # reads its input from a pipe, a here-document or a here-string


class Parsed:
    """What a command runs. (No dataclasses in this module: the guard loads it before every
    agent tool call, and `dataclasses` alone costs it ~6 ms.)"""

    __slots__ = ("commands", "unreadable")

    def __init__(self, commands: list[SimpleCommand], unreadable: bool = False) -> None:
        self.commands = commands
        self.unreadable = unreadable  # the parser could not read all of it (error, too deep)


@lru_cache(maxsize=1)
def _parser() -> Any:
    # start-up: the guard's path loads tree-sitter only for a shell command
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


def parse(command: str) -> Parsed:
    """The simple commands `command` runs (see the module docstring)."""
    data = command.encode("utf-8", "surrogateescape")
    if len(data) > MAX_COMMAND_BYTES:
        return Parsed([], unreadable=True)
    tree = _parser().parse(data)
    found = Parsed([], unreadable=tree.root_node.has_error)
    _walk(tree.root_node, found, fed=False, depth=0)
    return found


def _walk(node: Any, found: Parsed, *, fed: bool, depth: int) -> None:
    if depth > MAX_DEPTH:
        found.unreadable = True
        return
    kind = node.type
    if kind == "pipeline":
        first = True
        for child in node.named_children:
            _walk(child, found, fed=fed or not first, depth=depth + 1)
            first = False
        return
    if kind == "redirected_statement":
        body = node.child_by_field_name("body")
        redirects = [c for c in node.children if c.type.endswith("redirect")]
        stdin = fed or any(r.type in ("heredoc_redirect", "herestring_redirect") for r in redirects)
        if body is not None and body.type == "command":
            found.commands.append(_command(body, redirects, stdin))
            _walk_inside(body, found, depth)
        else:
            if redirects:  # `{ ...; } > file`, `( ... ) >> file`
                found.commands.append(SimpleCommand((), redirects=_redirects(redirects)))
            if body is not None:
                _walk(body, found, fed=stdin, depth=depth + 1)
        for redirect in redirects:  # a here-string or a target may hold substitutions
            _walk_inside(redirect, found, depth)
        return
    if kind == "command":
        found.commands.append(_command(node, [], fed))
        _walk_inside(node, found, depth)
        return
    for child in node.named_children:
        _walk(
            child,
            found,
            fed=fed if kind in ("subshell", "compound_statement") else False,
            depth=depth + 1,
        )


def _walk_inside(node: Any, found: Parsed, depth: int) -> None:
    """Commands within a command's words: `$(...)`, backticks, `<(...)`."""
    for child in node.named_children:
        if child.type in ("command_substitution", "process_substitution"):
            for inner in child.named_children:
                _walk(inner, found, fed=False, depth=depth + 2)
        else:
            _walk_inside(child, found, depth + 1)


def _command(node: Any, redirects: list[Any], fed: bool) -> SimpleCommand:
    argv: list[str | None] = []
    assignments: list[str] = []
    own_redirects = list(redirects)
    for child in node.named_children:
        if child.type == "variable_assignment" and not argv:
            assignments.append(_text(child))
        elif child.type == "command_name":
            argv.append(_literal(child.named_children[0]) if child.named_children else None)
        elif child.type.endswith("redirect"):
            own_redirects.append(child)
        else:
            argv.append(_literal(child))
    stdin = fed or any(r.type in ("heredoc_redirect", "herestring_redirect") for r in own_redirects)
    return SimpleCommand(tuple(argv), tuple(assignments), _redirects(own_redirects), stdin)


def _redirects(nodes: list[Any]) -> tuple[tuple[str, str | None], ...]:
    found = []
    for node in nodes:
        operator = next((_text(c) for c in node.children if not c.is_named), "")
        target = node.child_by_field_name("destination")
        found.append((operator, _literal(target) if target is not None else None))
    return tuple(found)


def _text(node: Any) -> str:
    return bytes(node.text).decode("utf-8", "surrogateescape")


def _literal(node: Any) -> str | None:
    """The value a word has whatever the shell's state, or None."""
    kind = node.type
    if kind in ("word", "number"):
        return _unescape(_text(node))
    if kind == "raw_string":
        return _text(node)[1:-1]
    if kind == "string":
        parts = []
        for child in node.named_children:
            if child.type != "string_content":
                return None
            parts.append(_text(child))
        return _unescape("".join(parts), quoted=True)
    if kind == "concatenation":
        pieces = [_literal(child) for child in node.named_children]
        if any(piece is None for piece in pieces):
            return None
        return "".join(p for p in pieces if p is not None)
    return None


def _unescape(text: str, *, quoted: bool = False) -> str:
    out = []
    chars = iter(text)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            if quoted and nxt not in ('"', "\\", "$", "`", "\n"):
                out.append("\\")
            if nxt != "\n":
                out.append(nxt)
        else:
            out.append(char)
    return "".join(out)
