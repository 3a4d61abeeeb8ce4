from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from workspaces import make_workspace

# The engineer's switches live in the per-user state directory: every Stitch process the
# tests start (they inherit this environment) keeps them in a folder of the test run's own.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="stitch-state-")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")
