"""kill -9 during `stitch-ls draft apply`, over and over: every trial ends applied and logged
or not applied and pending, never applied-but-unlogged, and leaves no temp file behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from person import answered
from stitch_ls.core.files.paths import StitchPaths
from test_cli import cli
from workspaces import draft, make_workspace, write_draft

FILES = [f"src/gen/f{n:02}.py" for n in range(40)]


def setup(root: Path) -> Path:
    make_workspace(root)
    body = draft("big", title="Forty files and a fix")
    body["edits"] += [
        {"path": p, "create": True, "text": f"X = {n}\n"} for n, p in enumerate(FILES)
    ]
    write_draft(root, body)
    return root


def outcome(root: Path) -> str:
    """'applied' or 'pending', asserting that everything agrees with it."""
    log = root / ".stitch" / "source-log.jsonl"
    lines = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
    logged = [e for e in lines if e["draft"] == "big" and e.get("event") != "not kept"]
    state_file = StitchPaths(root).state
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    recorded = state.get("outcomes", {}).get("big", {}).get("outcome")
    created = [p for p in FILES if (root / p).exists()]
    fixed = "round(cart.total(), 2)" in (root / "src" / "checkout.py").read_text()
    mine = f".{state_file.name.removesuffix('.json')}."  # this workspace's, in the per-user folder
    strays = [p.name for p in root.rglob("*.tmp")]
    strays += [p.name for p in state_file.parent.glob("*.tmp") if p.name.startswith(mine)]
    assert strays == [], strays
    if logged:
        assert len(logged) == 1 and recorded == "applied" and fixed and created == FILES
        assert not (root / ".stitch" / "drafts" / "big.json").exists()
        return "applied"
    assert recorded is None and not fixed and created == [], (recorded, fixed, created)
    assert (root / ".stitch" / "drafts" / "big.json").exists()
    return "pending"


def test_kill_9_during_apply_never_leaves_it_applied_but_unlogged(tmp_path: Path):
    template = setup(tmp_path / "template")
    timing = setup(tmp_path / "timing")
    pid = answered(
        [sys.executable, "-m", "stitch_ls", "draft", "apply", "big", "--workspace", str(timing)]
    )
    started = time.monotonic()
    _, code = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(code) == 0
    lo, hi = 0.0, time.monotonic() - started
    seen = {"applied": 0, "pending": 0, "mid-apply": 0}
    for trial in range(30):
        root = tmp_path / f"t{trial}"
        subprocess.run(["cp", "-a", str(template), str(root)], check=True)
        delay = lo + (hi - lo) * (0.25 + 0.5 * ((trial * 7919) % 100) / 100)
        pid = answered(  # a person confirms the apply at a terminal; then it is killed
            [sys.executable, "-m", "stitch_ls", "draft", "apply", "big", "--workspace", str(root)]
        )
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        journal = StitchPaths(root).apply_journal.exists()  # killed between check and commit
        status = cli(root, "status", "--json")  # the next reader finishes or undoes it
        assert status.returncode == 0, status.stderr
        result = outcome(root)
        seen[result] += 1
        if journal:
            seen["mid-apply"] += 1
        elif result == "pending":
            lo = delay  # killed before the apply began: aim later
        else:
            hi = delay  # killed after it ended: aim earlier
    assert seen["mid-apply"] >= 3, seen  # the kills really landed inside applies
