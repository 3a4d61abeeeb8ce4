"""Generated workloads: a workspace of 10,000 drafts (1,000 on one 10,000-line file, every gate
state mixed in) and a git repository with 4 streams x 200 commits over 2,000 files."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

BIG = "src/big.py"
BIG_LINES = 10_000


def big_file() -> str:
    out = ['"""A generated module."""', ""]
    index = 0
    while len(out) < BIG_LINES - 1:
        out.append(f"def function_{index}(value):")
        out.append(f"    total_{index} = value + {index}")
        out.append(f"    return total_{index}")
        out.append("")
        index += 1
    return "\n".join(out[: BIG_LINES - 1]) + "\n"


def _draft(
    draft_id: str, path: str, line: int, expect: str, state: str, rng: random.Random
) -> dict:
    body = {
        "version": 1,
        "id": draft_id,
        "title": f"Tidy {draft_id}",
        "stream": f"feature{rng.randrange(4)}/agent",
        "agent": rng.choice(["claude-code", "copilot", "aider"]),
        "created": "2026-11-28T09:00:00Z",
        "confidence": 0.9,
        "sources": [{"kind": "doc", "ref": "docs/style.md", "why": "house style"}],
        "evidence": [{"ref": "tests/test_big.py", "status": "passed"}],
        "edits": [
            {
                "path": path,
                "range": {
                    "start": {"line": line, "character": 4},
                    "end": {"line": line, "character": 4 + len(expect)},
                },
                "expect": expect,
                "text": expect.replace("value", "value * 1"),
            }
        ],
    }
    if state == "low":
        body["confidence"] = 0.4
    elif state == "parked":
        body["sources"] = []
    elif state == "blocked":
        body["irreversible"] = True
        body["evidence"] = []
    elif state == "stale":
        body["edits"][0]["expect"] = expect + " + stale"
    elif state == "invalid":
        body["confidence"] = 3
    return body


STATES = ["ok"] * 5 + ["low", "parked", "blocked", "stale", "invalid"]


def drafts_workspace(
    root: Path, total: int = 10_000, on_big: int = 1_000, small_files: int = 300
) -> Path:
    rng = random.Random(42)
    (root / "src").mkdir(parents=True, exist_ok=True)
    drafts = root / ".stitch" / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    (root / ".stitch" / "config.toml").write_text("[agents]\nconfidence_floor = 0.65\n")
    text = big_file()
    (root / BIG).write_text(text)
    lines = text.split("\n")
    candidates = [i for i, line in enumerate(lines) if line.startswith("    total_")]
    for index, line in enumerate(rng.sample(candidates, on_big)):
        expect = lines[line][4:]
        body = _draft(f"big-{index}", BIG, line, expect, STATES[index % len(STATES)], rng)
        (drafts / f"big-{index}.json").write_text(json.dumps(body))
    for k in range(small_files):
        (root / "src" / f"mod_{k}.py").write_text(
            "def f(value):\n    total = value + 1\n    return total\n"
        )
    for index in range(total - on_big):
        path = f"src/mod_{index % small_files}.py"
        body = _draft(
            f"small-{index}", path, 1, "total = value + 1", STATES[index % len(STATES)], rng
        )
        (drafts / f"small-{index}.json").write_text(json.dumps(body))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    # the team file on the base branch: the policy in force (uncommitted, no base branch and
    # nothing approved, it would be a lock-down that holds every draft read-only)
    git(root, "add", ".stitch/config.toml")
    git(
        root, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-qm", "team"
    )
    return root


def git(root: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, input=stdin
    ).stdout


def streams_repo(root: Path, streams: int = 4, commits: int = 200, files: int = 2_000) -> Path:
    """A repository whose streams touch overlapping files, built with fast-import (seconds)."""
    rng = random.Random(7)
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "Bench")
    contents = {f"src/pkg{i % 40}/mod_{i}.py": _module(i, 0) for i in range(files)}
    contents[BIG] = big_file()
    stream_text = [
        '[streams]\nbase = "main"\nbranch_pattern = "stream/{feature}/{stream}"\nmax_per_feature = 4\n'
    ]
    contents[".stitch/config.toml"] = stream_text[0]
    script = [_commit("refs/heads/main", 1, "base", contents, None)]
    mark = 1
    for s in range(streams):
        parent = 1
        branch = f"refs/heads/stream/bench/s{s}"
        big = contents[BIG].split("\n")
        for c in range(commits):
            mark += 1
            changed = {}
            for _ in range(3):
                i = rng.randrange(files)
                changed[f"src/pkg{i % 40}/mod_{i}.py"] = _module(i, s * 1000 + c + 1)
            if c % 10 == 0:  # a few hot functions in the big file: stitch points
                line = 2 + 4 * rng.randrange(12) + 1
                big[line] = big[line].split("  #")[0] + f"  # s{s} c{c}"
                changed[BIG] = "\n".join(big)
            script.append(
                _commit(branch, mark, f"s{s} c{c}", changed, parent, trailers=(c % 2 == 0))
            )
            parent = mark
    git(root, "fast-import", "--quiet", stdin="".join(script))
    git(root, "checkout", "-q", "main")
    git(root, "reset", "-q", "--hard")
    return root


def _module(i: int, version: int) -> str:
    return (
        f"def function_{i}(value):\n    return value + {version}\n\n\n"
        f"class Thing{i}:\n    def method(self):\n        return {version}\n"
    )


def _commit(
    ref: str,
    mark: int,
    message: str,
    files: dict[str, str],
    parent: int | None,
    trailers: bool = False,
) -> str:
    if trailers:
        message += "\n\nStitch-Source: doc docs/bench.md | generated\nStitch-Confidence: 0.8\n"
    out = [f"commit {ref}\nmark :{mark}\ncommitter Bench <bench@example.com> 1764316800 +0000\n"]
    data = message.encode()
    out.append(f"data {len(data)}\n{message}\n")
    if parent is not None:
        out.append(f"from :{parent}\n")
    for path, text in files.items():
        blob = text.encode()
        out.append(f"M 644 inline {path}\ndata {len(blob)}\n{text}\n")
    return "".join(out)
