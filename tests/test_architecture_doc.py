"""docs/architecture.md names every module of the package, and the layering it states holds."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "stitch_ls"
DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def modules() -> list[str]:
    return sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "__pycache__" not in path.parts
    )


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_every_module_has_its_line_in_the_architecture_doc():
    doc = DOC.read_text(encoding="utf-8")
    missing = [
        module
        for module in modules()
        if f"`{module}`" not in doc and not module.endswith("__init__.py")
    ]
    assert missing == [], f"docs/architecture.md says nothing of {missing}"
    packages = {str(Path(m).parent) for m in modules() if m.endswith("__init__.py")} - {"."}
    unnamed = [p for p in packages if f"`{p}/`" not in doc and f"`{p}/__init__.py`" not in doc]
    assert unnamed == [], f"docs/architecture.md names no section for {unnamed}"


def test_the_core_imports_no_lsp_and_git_only_through_the_runner():
    for path in (PACKAGE / "core").rglob("*.py"):
        found = imports(path)
        assert not {m for m in found if m.split(".")[0] in ("pygls", "lsprotocol")}, path
        if path.name != "gitrun.py":
            assert "git" not in found and not any(m.startswith("git.") for m in found), path


def test_the_indexer_package_imports_no_lsp_and_the_server_never_the_child():
    for path in (PACKAGE / "indexer").rglob("*.py"):
        assert not {m for m in imports(path) if m.split(".")[0] in ("pygls", "lsprotocol")}
    for path in (PACKAGE / "lsp").rglob("*.py"):
        assert "stitch_ls.indexer.process" not in imports(path), path


MAX_HOST_MEMBERS = 6


def host_members(path: Path) -> dict[str, list[str]]:
    """Each `Host` protocol of a module: the names it asks of the server."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ClassDef) and node.name == "Host":
            names = found.setdefault(str(path.relative_to(PACKAGE)), [])
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.append(item.target.id)
                elif isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.append(item.name)
    return found


def test_every_part_reaches_back_to_the_server_through_a_narrow_host():
    """A part of the server names what it asks of it in a `Host` protocol of at most six
    members; what it needs besides is given to it when it is built (docs/architecture.md)."""
    hosts: dict[str, list[str]] = {}
    for path in (PACKAGE / "lsp").rglob("*.py"):
        hosts.update(host_members(path))
    assert {"lsp/placing.py", "lsp/diagnostics.py", "lsp/applies.py"} <= hosts.keys()
    wide = {module: names for module, names in hosts.items() if len(names) > MAX_HOST_MEMBERS}
    assert wide == {}, f"Host protocols over {MAX_HOST_MEMBERS} members: {wide}"
