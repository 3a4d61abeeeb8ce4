from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

from workspaces import make_workspace

# The engineer's switches live in the per-user state directory: every Stitch process the
# tests start (they inherit this environment) keeps them in a folder of the test run's own.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="stitch-state-")
# ... and find `stitch-ls` on the PATH, as an installed Stitch is (the guard allows an agent's
# `stitch-ls status` only when it is the PATH's own program)
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `stitch-ls` started as an agent's hook would start it: its own
    home and per-user state folder, Stitch on PATH, times in UTC."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TZ": "UTC",
    }
