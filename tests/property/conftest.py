"""Workspaces the property tests share: each is built once per module (hypothesis runs many
examples against one fixture), as a real git work tree with a real team file."""

from __future__ import annotations

from pathlib import Path

import pytest

from workspaces import TEAM, make_workspace

READ_ONLY_TEAM = TEAM.replace("[agents]\n", "[agents]\nread_only = true\n")


@pytest.fixture(scope="module")
def read_only_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace whose team file holds agents read-only, with a draft and a prompt folder
    and a draft-looking symlink that really points at source code."""
    root = make_workspace(tmp_path_factory.mktemp("ro") / "ws", READ_ONLY_TEAM)
    (root / ".stitch" / "prompts").mkdir()
    (root / ".stitch" / "drafts" / "disguised.json").symlink_to(root / "src" / "checkout.py")
    return root.resolve()
