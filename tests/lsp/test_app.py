"""The server is built by a factory, from handler modules that do not import each other."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

import stitch_ls

LSP = Path(stitch_ls.__file__).parent / "lsp"


def imports_of(module: Path) -> set[str]:
    tree = ast.parse(module.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_handler_modules_do_not_import_each_other():
    assert not {"stitch_ls.lsp.features", "stitch_ls.lsp.commands"} & imports_of(
        LSP / "commands.py"
    ) - {"stitch_ls.lsp.commands"}
    assert "stitch_ls.lsp.commands" not in imports_of(LSP / "features.py")


def test_importing_the_handlers_builds_no_server_and_each_build_is_whole():
    probe = (
        "import gc, stitch_ls.lsp.features, stitch_ls.lsp.commands\n"
        "from stitch_ls.lsp.server import StitchServer\n"
        "print(sum(isinstance(o, StitchServer) for o in gc.get_objects()))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "0", done.stderr
    from stitch_ls.lsp.app import create_server
    from stitch_ls.lsp.commands import COMMANDS

    first, second = create_server(), create_server()
    assert first is not second
    for server in (first, second):
        features = server.protocol.fm.features
        assert types.TEXT_DOCUMENT_CODE_ACTION in features and types.INITIALIZE in features
        assert set(COMMANDS) <= set(server.protocol.fm.commands)
        assert "stitch.applyDraft" in server.protocol.fm.commands
