"""Cold `stitch-ls guard` decisions: a fresh process per decision, as an agent's hook runs it.

Prints p50/p95 and asserts nothing. Run: python benchmarks/bench_guard.py [--runs N]

The workspace is a git repository with a team file (irreversible paths, a stream pattern)
and two stream branches; the per-user state folder is a temporary one. "Cached" decisions
find the compiled policy (the common case: nothing changed since the last tool call);
"compiling" ones find it stale and load the policy through `StitchWorkspace` first (after
any change to the team file, the state or a branch). The floor is `python -c pass` with the
same interpreter. Stitch's bytecode is compiled first, as an installed package has it.
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

TEAM = """\
[agents]
irreversible_paths = ["migrations/**", "**/*.sql"]

[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"
max_per_feature = 2
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_workspace(root: Path) -> None:
    (root / ".stitch").mkdir(parents=True)
    (root / "src").mkdir()
    (root / ".stitch" / "config.toml").write_text(TEAM)
    (root / "src" / "app.py").write_text("x = 1\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.email=b@example.com", "-c", "user.name=b", "add", "-A")
    git(root, "-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-qm", "start")
    for stream in ("a", "b"):
        git(root, "branch", f"stream/checkout/{stream}")


def event(root: Path, tool: str, tool_input: dict) -> str:
    return json.dumps(
        {
            "session_id": "bench",
            "transcript_path": str(root / "transcript.jsonl"),
            "cwd": str(root),
            "hook_event_name": "PreToolUse",
            "tool_name": tool,
            "tool_input": tool_input,
        }
    )


def timed(argv: list[str], stdin: str, env: dict[str, str], before=None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    subprocess.run(argv, input=stdin, env=env, capture_output=True, text=True, check=False)
    return (time.perf_counter() - start) * 1000


def show(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{name:<44} p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=60)
    runs = parser.parse_args().runs
    compileall.compile_dir(Path(stitch_ls.__file__).parent, quiet=1)
    exe = Path(sys.executable).with_name("stitch-ls")
    guard = [str(exe), "guard", "--agent", "claude-code"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        make_workspace(root)
        env = {**os.environ, "XDG_STATE_HOME": str(Path(tmp) / "state")}
        edit = event(root, "Edit", {"file_path": str(root / "src/app.py"), "old_string": "1"})
        denied = event(root, "Write", {"file_path": str(root / "migrations/0003.sql")})
        shell = event(root, "Bash", {"command": "pytest -q"})

        def drop_cache() -> None:
            for file in (Path(tmp) / "state" / "stitch").glob("*-policy.json"):
                file.unlink()

        timed(guard, edit, env)  # compiles the policy once
        print(f"stitch-ls guard, {runs} fresh processes each ({sys.version.split()[0]})")
        show(
            "floor: python -c pass",
            [timed([sys.executable, "-c", "pass"], "", env) for _ in range(runs)],
        )
        show("cached: Edit allowed (no decision)", [timed(guard, edit, env) for _ in range(runs)])
        show(
            "cached: Write to an irreversible path denied",
            [timed(guard, denied, env) for _ in range(runs)],
        )
        show("cached: Bash allowed (no decision)", [timed(guard, shell, env) for _ in range(runs)])
        show(
            "compiling: Edit, policy loaded first",
            [timed(guard, edit, env, drop_cache) for _ in range(max(10, runs // 3))],
        )


if __name__ == "__main__":
    main()
