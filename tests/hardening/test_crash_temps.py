"""kill -9 at the exact moment each file of an apply is being renamed into place: the next
reader's recovery finishes or undoes the apply and removes every temp file it left, those of
the journal, the engineer's state and last good policy (in the per-user folder) and those of
the files the journal names."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from person import stitch
from stitch_ls.core.files.paths import StitchPaths
from test_cli import cli
from workspaces import draft, make_workspace, write_draft

# Runs `stitch-ls draft apply` and kills itself (SIGKILL, nothing cleaned up) when a rename
# would put `argv[1]` (a file name) in place: the temp file is written and fsynced by then.
KILLER = """
import os, signal, sys
from stitch_ls.cli import main

target = sys.argv[1]
real_replace, real_rename = os.replace, os.rename

def dying(real):
    def rename(src, dst, *args, **kwargs):
        if os.path.basename(os.fspath(dst)) == target:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(src, dst, *args, **kwargs)
    return rename

os.replace, os.rename = dying(real_replace), dying(real_rename)
sys.exit(main(sys.argv[2:]))
"""


def strays(folder: Path, prefix: str = "") -> list[str]:
    return sorted(
        p.name for p in folder.rglob("*.tmp") if p.name.startswith(f".{prefix}") or not prefix
    )


@pytest.mark.parametrize("killed_at", ["accepted", "journal", "checkout.py", "state"])
def test_recovery_removes_the_temp_files_a_kill_left(tmp_path: Path, killed_at: str):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("fix"))
    paths = StitchPaths(root)
    target = {
        "accepted": paths.accepted.name,  # written as the apply's door loads the policy
        "journal": paths.apply_journal.name,
        "checkout.py": "checkout.py",
        "state": paths.state.name,
    }[killed_at]
    killed = stitch(  # a person confirms the apply at a terminal
        "draft",
        "apply",
        "fix",
        "--workspace",
        str(root),
        program=[sys.executable, "-c", KILLER, target],
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    key = paths.state.name.removesuffix(".json")
    left = strays(root) + strays(paths.user_dir, key)
    assert left, "the kill left no temp file: it did not land where meant"

    status = cli(root, "status", "--json")  # the next reader recovers
    assert status.returncode == 0, status.stderr
    assert strays(root) == [] and strays(paths.user_dir, key) == []
    assert not paths.apply_journal.exists()
    pending = json.loads(status.stdout)["drafts"]["pending"]
    fixed = "round(cart.total(), 2)" in (root / "src" / "checkout.py").read_text()
    assert (pending, fixed) in ((1, False), (0, True))  # not applied, or applied and logged
    assert os.listdir(root / ".stitch" / "drafts") == ([] if fixed else ["fix.json"])
