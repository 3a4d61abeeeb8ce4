from __future__ import annotations

from pathlib import Path

import pytest

from workspaces import make_workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")
