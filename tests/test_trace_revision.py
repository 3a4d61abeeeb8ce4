"""Agent Trace names the commit that first holds the applied text, whatever the timing: here a
commit that touched the file, the apply and the commit holding it all fall in one second."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from stitch_ls.core.operations import apply_on_disk, open_workspace
from test_cli import cli
from workspaces import draft, git, make_workspace, range_edit, write_draft

SECOND = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)
APPLIED_AT = SECOND.replace(microsecond=400_000)  # the apply, within that second


def commit_at(root: Path, when: datetime, message: str) -> str:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    subprocess.run(["git", "commit", "-q", "-am", message], cwd=root, env=env, check=True)
    return git(root, "rev-parse", "HEAD").strip()


def test_the_revision_is_the_first_commit_holding_the_applied_text(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    report = root / "src" / "report.py"
    report.write_text("def summary(cart):\n    return cart.total()\n")
    git(root, "add", "-A")
    # a commit touching the file in the apply's second, made before it: every line of it
    # blames to itself, none of them is the applied text
    before = commit_at(root, SECOND, "add the report")
    body = draft("rounded", title="Round the summary")
    body["edits"] = [range_edit("src/report.py", 1, 11, "cart.total()", "round(cart.total(), 2)")]
    write_draft(root, body)
    ws, _ = open_workspace(root, now=APPLIED_AT)
    apply_on_disk(ws, "rounded", APPLIED_AT, "dev@example.com")
    holding = commit_at(root, SECOND, "round it")  # the same second again
    assert before != holding
    result = cli(root, "log", "--format", "agent-trace")
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["vcs"] == {"type": "git", "revision": holding}
    assert record["files"][0]["conversations"][0]["ranges"] == [{"start_line": 2, "end_line": 2}]
    assert record["metadata"]["dev.stitch"]["irreversible"] is False
