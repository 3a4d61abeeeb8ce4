"""Cold `stitch-ls attribute` runs: a fresh process per agent edit, as a post-tool hook runs it.

The post-tool hook has the pre-tool guard's budget (p95 <= 60 ms on the reference machine):
it runs after every edit an agent makes. Times fresh processes fed a Claude Code `PostToolUse`
event for an `Edit` of a 400-line file in a git work tree (each run records the lines; the
pending file grows as it would over a session), against `python -c pass` and a cached
`stitch-ls guard` decision. Prints p50/p95 and asserts nothing.
Run: python benchmarks/bench_attribute.py [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import stitch_ls


def timed(argv: list[str], stdin: str, env: dict[str, str], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True)
        samples.append((time.perf_counter() - started) * 1000)
        assert done.returncode == 0, done.stderr
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    compileall.compile_dir(str(Path(stitch_ls.__file__).parent), quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="stitch-attribute-"))
    root = folder / "repo"
    (root / "src").mkdir(parents=True)
    (root / ".stitch").mkdir()
    (root / ".stitch" / "config.toml").write_text("")
    file = root / "src" / "big.py"
    file.write_text("".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(100)))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    env = {**os.environ, "XDG_STATE_HOME": str(folder / "state"), "HOME": str(folder)}
    stitch = str(Path(sys.executable).with_name("stitch-ls"))
    edit = {
        "session_id": "bench",
        "transcript_path": str(root / "t.jsonl"),
        "cwd": str(root),
        "hook_event_name": "PostToolUse",
        "tool_name": "Edit",
        "tool_input": {
            "file_path": str(file),
            "old_string": "    return 50\n",
            "new_string": "    return 50\n",
        },
        "tool_response": {"success": True},
        "tool_use_id": "toolu_bench",
    }
    pre = {**edit, "hook_event_name": "PreToolUse"}
    pre.pop("tool_response")
    rows = [
        ("floor: python -c pass", [sys.executable, "-c", "pass"], ""),
        (
            "stitch-ls guard, cached policy: an edit",
            [stitch, "guard", "--agent", "claude-code"],
            json.dumps(pre),
        ),
        (
            "stitch-ls attribute: an Edit recorded",
            [stitch, "attribute", "--agent", "claude-code"],
            json.dumps(edit),
        ),
    ]
    subprocess.run(rows[1][1], input=rows[1][2], env=env, capture_output=True, text=True)  # compile
    for name, argv, stdin in rows:
        p50, p95 = timed(argv, stdin, env, args.runs)
        print(f"{name:<44} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
