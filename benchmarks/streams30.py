"""Stitch points in the editor with many streams, on a real repository.

    python benchmarks/streams30.py REPO_GIT_DIR [--path FILE] [--streams 6 30]

The repository (e.g. a bare mirror of pypa/pip, 27,000 commits) is cloned into a temporary
folder. For each count N, N stream branches are made from `main`'s tip (plumbing only: no
checkout), each one commit editing one function of FILE (two streams per function, so every
edited function is a stitch point). The real server is started over stdio, FILE is opened,
and the time until its first stitch-point diagnostics arrive is printed, with the number of
points shown; then the time until the points follow a new commit on one stream. It asserts nothing: it prints numbers (see
docs/stitch-points.md).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lspclient import Client, stitch_argv  # noqa: E402

DEFAULT_PATH = "src/pip/_internal/req/req_install.py"


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def functions(text: str) -> list[tuple[int, str]]:
    """(0-based line of the first body line, name) of each function with a body to edit."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) > 1:
            found.append((node.body[-1].lineno - 1, node.name))
    return sorted(found)


def commit_edit(root: Path, branch: str, parent: str, path: str, text: str, message: str) -> str:
    """A commit on `branch` from `parent` with `path` set to `text` (plumbing: the work tree
    and the index stay as they are)."""
    blob = git(root, "hash-object", "-w", "--stdin", stdin=text).strip()
    index = Path(tempfile.mktemp(prefix="stitch-bench-index-"))
    env_git = ["git", "-c", "core.hooksPath=/dev/null"]
    env = {"GIT_INDEX_FILE": str(index), "PATH": "/usr/bin:/bin"}
    subprocess.run([*env_git, "read-tree", parent], cwd=root, env=env, check=True)
    subprocess.run(
        [*env_git, "update-index", "--cacheinfo", f"100644,{blob},{path}"],
        cwd=root,
        env=env,
        check=True,
    )
    tree = subprocess.run(
        [*env_git, "write-tree"], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    index.unlink(missing_ok=True)
    commit = git(
        root,
        "-c",
        "user.name=bench",
        "-c",
        "user.email=bench@example.com",
        "commit-tree",
        tree,
        "-p",
        parent,
        "-m",
        message,
    ).strip()
    git(root, "update-ref", f"refs/heads/{branch}", commit)
    return commit


def make_streams(root: Path, path: str, count: int) -> None:
    for ref in git(root, "for-each-ref", "--format=%(refname)", "refs/heads/stream").split():
        git(root, "update-ref", "-d", ref)
    tip = git(root, "rev-parse", "main").strip()
    text = git(root, "show", f"main:{path}")
    targets = functions(text)
    lines = text.split("\n")
    for n in range(count):
        line, name = targets[(n // 2) % len(targets)]
        edited = list(lines)
        edited[line] = edited[line] + f"  # stream s{n}"
        commit_edit(root, f"stream/bench/s{n}", tip, path, "\n".join(edited), f"s{n}: {name}")


async def ready(root: Path, path: str) -> tuple[float, int, float]:
    """Seconds from opening `path` to its first stitch points, how many, and seconds until
    they follow a new commit on one stream."""
    client = await Client.start(stitch_argv(), root)
    await client.initialize(root)
    began = time.perf_counter()
    uri = client.open(root / path)

    def points() -> list[dict]:
        published = [
            p
            for p in client.notifications.get("textDocument/publishDiagnostics", [])
            if p["uri"] == uri
        ]
        if not published:
            return []
        return [
            d
            for d in published[-1]["diagnostics"]
            if str(d.get("code", "")).startswith("stitch-point:")
        ]

    while time.perf_counter() - began < 120 and not points():
        await asyncio.sleep(0.01)
    opened = time.perf_counter() - began
    shown = len(points())
    await asyncio.sleep(1.0)
    before = len(client.notifications.get("textDocument/publishDiagnostics", []))
    text = (root / path).read_text()
    line, _ = functions(text)[-1]
    edited = text.split("\n")
    edited[line] += "  # moved on"
    began = time.perf_counter()
    tip = git(root, "rev-parse", "stream/bench/s0").strip()
    commit_edit(root, "stream/bench/s0", tip, path, "\n".join(edited), "s0: one more")
    while (
        time.perf_counter() - began < 60
        and len(client.notifications.get("textDocument/publishDiagnostics", [])) == before
    ):
        await asyncio.sleep(0.01)
    moved = time.perf_counter() - began
    await client.close()
    return opened, shown, moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--path", default=DEFAULT_PATH)
    parser.add_argument("--streams", type=int, nargs="+", default=[6, 30])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder, "repo")
        began = time.perf_counter()
        subprocess.run(["git", "clone", "-q", str(args.repo), str(root)], check=True)
        git(root, "checkout", "-q", "-B", "main")
        (root / ".stitch").mkdir(exist_ok=True)
        (root / ".stitch" / "config.toml").write_text(
            '[streams]\nbase = "main"\nbranch_pattern = "stream/{feature}/{stream}"\n'
            "max_per_feature = 100\n"
        )
        commits = git(root, "rev-list", "--count", "--all").strip()
        print(f"{args.repo}: {commits} commits, cloned in {time.perf_counter() - began:.1f}s")
        for count in args.streams:
            make_streams(root, args.path, count)
            opened, shown, moved = asyncio.run(ready(root, args.path))
            print(
                f"  {count:>3} streams: stitch points ready {opened:.2f}s after opening"
                f" ({shown} shown); after a new commit on one stream {moved:.2f}s"
            )


if __name__ == "__main__":
    main()
