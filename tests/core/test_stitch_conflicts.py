"""Stitch points against what git's three-way merge sees, on small real repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gitrepos import STREAM_TEAM, commit_on, git
from stitch_ls.core.config import load_team_config
from stitch_ls.core.gitview import points_for, take_snapshot
from stitch_ls.core.stitchpoints import SignOffs
from workspaces import make_workspace

TEAM = load_team_config(STREAM_TEAM)
A, B = "stream/checkout/a", "stream/checkout/b"


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stitch_ls", "check", "--json", "--workspace", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def repo_with(root: Path, files: dict[str, str]) -> Path:
    make_workspace(root, STREAM_TEAM)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "files")
    return root


def points(root: Path, path: str) -> list:
    snap = take_snapshot(root, TEAM)
    assert snap is not None
    return points_for(root, TEAM, snap, path, None, SignOffs())


CHANGELOG = "# Changes\n\n## 1.1\n\n- one\n- two\n\n## 1.0\n\n- first\n"


def test_two_streams_on_the_same_lines_of_a_file_without_grammar(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"CHANGES.md": CHANGELOG})
    commit_on(root, A, "CHANGES.md", "- two\n", "- two\n- from a\n", "a: changelog")
    commit_on(root, B, "CHANGES.md", "- two\n", "- two\n- from b\n", "b: changelog")
    [point] = points(root, "CHANGES.md")
    assert point.streams == ("checkout/a", "checkout/b") and point.conflict
    result = check(root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert [p["path"] for p in report["stitch_points"]] == ["CHANGES.md"]
    assert report["stitch_points"][0]["conflict"] is True
