"""A file tree-sitter parses in quadratic time (a Python module with a comment block thousands
of lines long) gets a bounded parse: over its budget, the file is read as line ranges, as a
file without a grammar is, and its stitch points say why; through `check` and the editor.

The budget is set low here (`STITCH_PARSE_BUDGET`) so that the file is far over it on any
machine, and no assertion depends on how long anything took."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from editor_client import start, stop
from gitrepos import STREAM_TEAM, commit_on
from workspaces import make_workspace

BUDGET = {"STITCH_PARSE_BUDGET": "0.02"}  # CPU seconds; the file below takes about a second
COMMENTS = 4000


def slow_module() -> str:
    block = "".join(
        f"# {n}: why this module is the way it is, at length\n" for n in range(COMMENTS)
    )
    return f"def head():\n    return 1\n\n{block}\ndef tail():\n    return 2\n"


def repo(root: Path) -> Path:
    """Two streams both change `head` in a module tree-sitter is slow to parse."""
    (root / "src").mkdir(parents=True)
    (root / "src" / "slow.py").write_text(slow_module())
    make_workspace(root, STREAM_TEAM)
    commit_on(root, "stream/checkout/a", "src/slow.py", "return 1", "return 10", "a")
    commit_on(root, "stream/checkout/b", "src/slow.py", "return 1", "return 11", "b")
    return root


def test_check_reads_a_file_over_its_parse_budget_as_line_ranges_and_says_why(tmp_path: Path):
    root = repo(tmp_path / "ws")
    checked = subprocess.run(
        [sys.executable, "-m", "stitch_ls", "check", "--json", "--workspace", str(root)],
        env={**os.environ, **BUDGET},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 1, checked.stderr
    [point] = json.loads(checked.stdout)["stitch_points"]
    assert point["symbol"] == "lines 2-2"  # not `head`: no symbol is trusted from a cut parse
    assert point["streams"] == ["checkout/a", "checkout/b"]
    assert "line ranges: src/slow.py takes over 0.02 s to parse" in point["note"]


async def test_the_editor_shows_the_point_as_line_ranges_and_stays_responsive(tmp_path: Path):
    root = repo(tmp_path / "ws")
    client = await start(root, env=BUDGET)
    try:
        uri = client.open(root / "src" / "slow.py")
        await client.wait_for(
            lambda: any("stitch point" in d.message for d in client.diagnostics.get(uri, [])),
            timeout=30,
        )
        [shown] = [d for d in client.diagnostics[uri] if "stitch point" in d.message]
        assert "line ranges: src/slow.py takes over 0.02 s to parse" in shown.message
        assert shown.range.start.line == 1
        client.edit(uri, (3, 0), (3, 0), "# one more\n")  # typing on: still answered
        assert await client.command_within(20, "stitch.status")
    finally:
        await stop(client)
