"""`stitch-ls demo` reads like a product tour: sentences and aligned tables, a hover as a
person sees it, counts that agree, and nothing left behind on the machine."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path


def test_the_demo_is_a_tour_not_a_dump(tmp_path: Path, env: dict[str, str]):
    state = Path(env["XDG_STATE_HOME"])
    state.mkdir(parents=True, exist_ok=True)
    (state / "mine.txt").write_text("the engineer's own")
    done = subprocess.run(
        [sys.executable, "-m", "stitch_ls", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for line in out.splitlines():
        text = line.strip()
        if text.startswith(("{", "[")) and text.endswith(("}", "]")):
            try:
                json.loads(text)
            except ValueError:
                continue
            raise AssertionError(f"a JSON line in the demo: {line}")
    assert not re.search(r"\\[\\`*_{}\[\]()#+\-.!|]", out), "a Markdown escape left in"
    assert "**" not in out
    # counts agree: the heading, the rows under it, the status after the applies
    heading = re.search(r"== (\d+) agent drafts wait for you", out)
    assert heading is not None
    table = out.split(heading.group(0))[1].split("\n\n")[0].splitlines()[2:]
    assert len(table) == int(heading.group(1)) == 8
    # round-pay applied and saved: pay-guess's line is gone from the disk, so it is stale now
    assert "drafts: 6 pending = 2 actionable + 1 blocked + 2 stale + 1 invalid" in out
    assert "does not exist" not in out  # the tests the drafts claim are there
    assert "applied round-pay: changed src/checkout.py" in out
    assert "REJECTED: Log each payment" in out and "why: prints in production code" in out
    # nothing left behind: the workspace and its per-user state are gone, the user's kept
    workspace = Path(re.search(r"a sample workspace at (\S+):", out).group(1))
    assert not workspace.exists() and not workspace.parent.exists()
    assert sorted(p.name for p in state.iterdir()) == ["mine.txt"]
