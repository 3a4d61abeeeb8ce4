"""Four agents in worktrees of a real repository, each changing 200 files, and the engineer's
editor beside them.

    python benchmarks/bench_worktrees.py REPO_GIT_DIR [--files 200] [--rounds 20]

REPO_GIT_DIR (e.g. a bare mirror of pallets/flask) is cloned into a temporary folder; four
linked worktrees (`git worktree add`) have `stream/bench/w0..w3` out, and each changes the
same FILES text files (a line inserted in the middle of each, uncommitted: live streams).
The real server is started on the main checkout over stdio and one Python file of the set is
opened and edited in the buffer. Then:

(a) write -> diagnostic: agent w0 edits a function of the open file that the engineer's
    buffer also changed, in its worktree (no commit), and takes the edit back, `--rounds`
    times; each time, the seconds from the write to the publishDiagnostics that shows (or no
    longer shows) w0's stitch point there.
(b) the editor's requests while the worktrees churn: codeAction and hover round trips on the
    open file while a thread rewrites a random file of a random worktree every 50 ms, and
    the same requests to the framework's floor (`floor_server.py`) under the same churn.
(c) the guard, cold (a fresh `stitch-ls guard` per decision, as an agent's hook runs it),
    on an Edit in w1 of lines w0, w2 and w3 changed: the collision check's answer, against
    `python -c pass`.

It asserts nothing: it prints numbers (docs/performance.md, "Agents in worktrees").
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from lspclient import Client, floor_argv, stitch_argv  # noqa: E402

TEAM = """\
[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"
max_per_feature = 8
"""
TEXT = (".py", ".rst", ".md", ".txt", ".html", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".css")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"


def text_files(root: Path, count: int) -> list[str]:
    found = []
    for name in sorted(git(root, "ls-files").splitlines()):
        path = root / name
        if not name.endswith(TEXT) or path.is_symlink() or not path.is_file():
            continue
        if path.stat().st_size > 100_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if text.count("\n") >= 8:
            found.append(name)
    python = [n for n in found if n.endswith(".py")]
    rest = [n for n in found if not n.endswith(".py")]
    return (python + rest)[:count]


def functions(text: str) -> list[tuple[int, int]]:
    """(first body line, last line), 0-based, of top-level functions with a few lines."""
    out = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and (node.end_lineno or 0) - node.lineno >= 4:
            out.append((node.body[0].lineno - 1, (node.end_lineno or node.lineno) - 1))
    return out


def change_middle(tree: Path, name: str, mark: str) -> None:
    path = tree / name
    lines = path.read_text(encoding="utf-8").split("\n")
    middle = len(lines) // 2
    comment = "# " if name.endswith((".py", ".toml", ".cfg", ".ini", ".yaml", ".yml")) else ""
    lines.insert(middle, f"{comment}{mark}")
    path.write_text("\n".join(lines), encoding="utf-8")


def setup(source: Path, folder: Path, count: int) -> tuple[Path, list[Path], list[str], str]:
    root = folder / "main"
    subprocess.run(["git", "clone", "-q", str(source), str(root)], check=True)
    git(root, "checkout", "-q", "-B", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    (root / ".stitch").mkdir(exist_ok=True)
    (root / ".stitch" / "config.toml").write_text(TEAM)
    git(root, "add", ".stitch/config.toml")
    git(root, "commit", "-qm", "Stitch team file")
    files = text_files(root, count)
    trees = []
    for k in range(4):
        tree = folder / f"wt-{k}"
        git(root, "worktree", "add", "-q", "-b", f"stream/bench/w{k}", str(tree), "main")
        for name in files:
            change_middle(tree, name, f"changed by agent w{k}")
        trees.append(tree)
    hot = max(
        (n for n in files if n.endswith(".py")),
        key=lambda n: len(functions((root / n).read_text())),
    )
    return root, trees, files, hot


def published(client: Client, uri: str) -> list[list[str]]:
    return [
        sorted(d["message"] for d in p["diagnostics"] if "stitch point" in d["message"])
        for p in client.notifications.get("textDocument/publishDiagnostics", [])
        if p["uri"] == uri
    ]


async def write_to_diagnostic(
    client: Client, uri: str, tree: Path, hot: str, body_line: int, rounds: int
) -> list[float]:
    path = tree / hot
    original = path.read_text()
    samples = []
    for k in range(rounds):
        before = len(published(client, uri))
        last = published(client, uri)[-1] if before else []
        lines = original.split("\n")
        if k % 2 == 0:
            lines[body_line] += "  # w0 rewrites this"
        began = time.perf_counter()
        path.write_text("\n".join(lines))
        while time.perf_counter() - began < 20:
            now = published(client, uri)
            if len(now) > before and now[-1] != last:
                break
            await asyncio.sleep(0.005)
        samples.append(time.perf_counter() - began)
        await asyncio.sleep(0.3)
    path.write_text(original)
    return samples


def churn(trees: list[Path], files: list[str], stop: threading.Event) -> None:
    rng = random.Random(7)
    while not stop.is_set():
        tree, name = rng.choice(trees), rng.choice(files)
        path = tree / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text + ("\n" if not text.endswith("\n\n") else ""), encoding="utf-8")
        stop.wait(0.05)


async def requests_under_churn(
    argv: list[str], root: Path, trees: list[Path], files: list[str], hot: str, lines: list[int]
) -> dict[str, list[float]]:
    client = await Client.start(argv, root)
    await client.initialize(root)
    uri = client.open(root / hot)
    await asyncio.sleep(3.0)
    stop = threading.Event()
    thread = threading.Thread(target=churn, args=(trees, files, stop), daemon=True)
    thread.start()
    samples: dict[str, list[float]] = {"codeAction": [], "hover": []}
    rng = random.Random(3)
    try:
        for _ in range(150):
            line = rng.choice(lines)
            t, _ = await client.code_action(uri, line)
            samples["codeAction"].append(t)
            t, _ = await client.timed(
                "textDocument/hover",
                {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}},
            )
            samples["hover"].append(t)
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        thread.join()
        await client.close()
    return samples


def guard_cold(root: Path, tree: Path, hot: str, line: str, runs: int) -> tuple[list, list, str]:
    exe = Path(sys.executable).with_name("stitch-ls")
    event = json.dumps(
        {
            "session_id": "bench",
            "transcript_path": str(tree / "t.jsonl"),
            "cwd": str(tree),
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": str(tree / hot), "old_string": line, "new_string": "x"},
        }
    )
    argv = [str(exe), "guard", "--agent", "claude-code"]
    said = subprocess.run(argv, input=event, capture_output=True, text=True).stdout

    def timed(command: list[str], stdin: str) -> float:
        began = time.perf_counter()
        subprocess.run(command, input=stdin, capture_output=True, text=True)
        return time.perf_counter() - began

    floor = [timed([sys.executable, "-c", "pass"], "") for _ in range(runs)]
    guard = [timed(argv, event) for _ in range(runs)]
    return floor, guard, said


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    import compileall

    import stitch_ls

    compileall.compile_dir(Path(stitch_ls.__file__).parent, quiet=1)
    with tempfile.TemporaryDirectory(prefix="stitch-wt-") as tmp:
        os.environ["XDG_STATE_HOME"] = str(Path(tmp) / "state")
        began = time.perf_counter()
        root, trees, files, hot = setup(args.repo, Path(tmp), args.files)
        print(
            f"{args.repo.name}: 4 worktrees x {len(files)} files changed, uncommitted "
            f"(built in {time.perf_counter() - began:.1f} s); the open file: {hot}"
        )
        text = (root / hot).read_text()
        spans = functions(text)
        first, last = spans[0]
        lines = [a for a, _ in spans]
        client = await Client.start(stitch_argv(), root)
        await client.initialize(root)
        began = time.perf_counter()
        uri = client.open(root / hot)
        # the engineer's buffer changes the first function: a stitch point with w0 when w0 does
        buffer = text.split("\n")
        buffer[first] += "  # the engineer"
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{"text": "\n".join(buffer)}],
            },
        )
        while time.perf_counter() - began < 120 and not any(published(client, uri)):
            await asyncio.sleep(0.05)
        print(f"first stitch points in the open file after   {time.perf_counter() - began:6.2f} s")
        samples = await write_to_diagnostic(client, uri, trees[0], hot, first, args.rounds)
        print(f"(a) worktree write -> diagnostic            {percentiles(samples)}")
        await asyncio.sleep(2.0)  # the index is written in the background after a snapshot
        await client.close()
        ratios = []
        for name, argv in (("floor", floor_argv()), ("stitch", stitch_argv())):
            got = await requests_under_churn(argv, root, trees, files, hot, lines)
            for request, values in got.items():
                print(f"(b) {name:<6} {request:<11} under churn      {percentiles(values)}")
            ratios.append({k: sorted(v)[int(0.95 * len(v))] for k, v in got.items()})
        for request in ("codeAction", "hover"):
            print(f"    p95 ratio {request:<11} {ratios[1][request] / ratios[0][request]:6.2f}")
        middle = text.split("\n")[len(text.split("\n")) // 2]
        floor, guard, said = guard_cold(root, trees[1], hot, middle, 40)
        print(f"(c) floor: python -c pass                  {percentiles(floor)}")
        print(f"    stitch-ls guard, Edit with collision   {percentiles(guard)}")
        message = json.loads(said).get("systemMessage", "") if said.strip() else "(none)"
        print(f"    its answer: {message[:160]}")


if __name__ == "__main__":
    asyncio.run(main())
