"""Imports at the top: a function-local import stays only where a measured start-up budget
needs it (the guard's path, `stitch-ls attribute` and the git hooks, the CLI's light verbs,
the language server's first answer) or where it breaks a real import cycle, and a comment
says which: `# start-up: ...` or `# cycle: ...`, on the import or just above its group."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "stitch_ls"
REASONS = ("# start-up:", "# cycle:")


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def local_import_groups(tree: ast.Module) -> list[list[ast.Import | ast.ImportFrom]]:
    """Runs of consecutive import statements inside functions (TYPE_CHECKING blocks aside)."""
    groups: list[list[ast.Import | ast.ImportFrom]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            statements = getattr(node, field, None)
            if not isinstance(statements, list):
                continue
            run: list[ast.Import | ast.ImportFrom] = []
            for statement in statements:
                if in_function and isinstance(statement, (ast.Import, ast.ImportFrom)):
                    run.append(statement)
                    continue
                if run:
                    groups.append(run)
                    run = []
                if not _type_checking(statement):
                    visit(
                        statement,
                        in_function
                        or isinstance(
                            statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
                        ),
                    )
            if run:
                groups.append(run)

    visit(tree, False)
    return groups


def _reason_given(lines: list[str], group: list[ast.Import | ast.ImportFrom]) -> bool:
    first, last = group[0].lineno, group[-1].end_lineno or group[-1].lineno
    if any(reason in lines[n - 1] for n in range(first, last + 1) for reason in REASONS):
        return True
    above = first - 2
    while above >= 0 and lines[above].strip().startswith("#"):
        if lines[above].strip().startswith(REASONS):
            return True
        above -= 1
    return False


def _top_level_names(tree: ast.Module) -> set[tuple[str | None, str, str | None]]:
    return {
        (node.module if isinstance(node, ast.ImportFrom) else None, alias.name, alias.asname)
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _where(path: Path, node: ast.Import | ast.ImportFrom, lines: list[str]) -> str:
    return f"{path.relative_to(PACKAGE.parents[1])}:{node.lineno}: {lines[node.lineno - 1].strip()}"


def test_every_function_local_import_says_which_budget_or_cycle_needs_it():
    offenders = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for group in local_import_groups(ast.parse(text)):
            if not _reason_given(lines, group):
                offenders += [_where(path, node, lines) for node in group]
    assert offenders == [], (
        "function-local imports without a `# start-up: ...` or `# cycle: ...` comment saying "
        "which budget or cycle needs them (else import at the top):\n  " + "\n  ".join(offenders)
    )


def test_no_function_imports_again_what_its_module_imports_at_the_top():
    again = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        top = _top_level_names(tree)
        for group in local_import_groups(tree):
            for node in group:
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if all((module, a.name, a.asname) in top for a in node.names):
                    again.append(_where(path, node, text.splitlines()))
    assert again == [], "imported at the top already:\n  " + "\n  ".join(again)


def test_the_check_sees_a_bare_local_import_and_accepts_a_reason():
    bare = "def f():\n    import json\n    return json\n"
    said = "def f():\n    # start-up: the guard's path\n    import json\n    import re\n"
    typed = (
        "from typing import TYPE_CHECKING\ndef f():\n    if TYPE_CHECKING:\n        import json\n"
    )
    [group] = local_import_groups(ast.parse(bare))
    assert not _reason_given(bare.splitlines(), group)
    [group] = local_import_groups(ast.parse(said))
    assert len(group) == 2 and _reason_given(said.splitlines(), group)
    assert local_import_groups(ast.parse(typed)) == []
    assert local_import_groups(ast.parse("import json\nclass C:\n    import re\n")) == []
