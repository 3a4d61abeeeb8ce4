"""The language server, built: `create_server()` makes a `StitchServer` and registers every
LSP feature (`features.FEATURES`) and command (`commands.COMMANDS`) on it, explicitly.

Nothing is created at import time, so tests (and tools) can build as many servers as they
need, and the handler modules import the server class, never each other.
"""

from __future__ import annotations

from stitch_ls.lsp import commands, features
from stitch_ls.lsp.server import StitchServer


def create_server() -> StitchServer:
    server = StitchServer()
    for method, options, handler in features.FEATURES:
        server.feature(method, options)(handler)
    for name, handler in commands.COMMANDS.items():
        server.command(name)(handler)
    return server
