"""Survival of AI lines on a large history: how long `report` takes to read a year of it.

Builds (with `git fast-import`, not timed) a repository of 20,000 commits over a year: 300
files, each commit touching one to three of them; every 25 commits a stream branch of four
commits is merged with a merge commit; about a third of the commits are agents', with a git-ai
authorship note on each (`refs/notes/ai`) naming the lines they added. Then times:

- the survival pass alone (`core.record.survival.assess`: list, diff, walk), and
- `stitch-ls report --json --since <a year ago> --as-of <the end>` end to end (a fresh
  process, as a lead runs it), which also reads the notes, the drafts, the stitch points.

Prints the numbers and asserts nothing. Target: at most 10 s for the year.
Run: python benchmarks/bench_survival.py [--commits N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FILES = 300
LINES = 80
START = datetime(2025, 12, 1, tzinfo=UTC)
AGENTS = ("claude", "cursor", "github-copilot")


def note(commit_mark: str, files: dict[str, list[int]], agent: str, stream: str) -> str:
    session = "s_" + format(abs(hash((agent, stream))) % 16**14, "014x")
    lines = []
    for path, numbers in sorted(files.items()):
        numbers = sorted(numbers)
        spans, start = [], numbers[0]
        for a, b in zip(numbers, [*numbers[1:], None], strict=False):
            if b != a + 1:
                spans.append(f"{start}-{a}" if start != a else str(a))
                start = b
        lines += [path, f"  {session}::t_{'0' * 14} {','.join(spans)}"]
    meta = {
        "schema_version": "authorship/3.0.0",
        "base_commit_sha": "",
        "prompts": {},
        "sessions": {
            session: {
                "agent_id": {"tool": agent, "id": stream, "model": "unknown"},
                "human_author": "dev@example.com",
                "custom_attributes": {"stitch.stream": stream},
            }
        },
    }
    return "\n".join([*lines, "---", json.dumps(meta)]) + "\n"


def build(root: Path, commits: int) -> None:
    rnd = random.Random(27)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / ".stitch").mkdir()
    stream_out = subprocess.Popen(
        ["git", "fast-import", "--quiet"], cwd=root, stdin=subprocess.PIPE
    )
    assert stream_out.stdin is not None
    out = stream_out.stdin

    def data(text: str) -> None:
        raw = text.encode()
        out.write(f"data {len(raw)}\n".encode() + raw + b"\n")

    main = {
        f"src/m{i // 30}/f{i}.py": [f"line {i}-{k}" for k in range(LINES)] for i in range(FILES)
    }
    mark = 0
    step = timedelta(days=365) / commits
    moment = START
    notes: list[tuple[int, str]] = []

    def commit(
        branch: str,
        files: dict[str, list[str]],
        touched: list[str],
        parents: list[int],
        agent: str | None,
        stream: str,
    ) -> int:
        nonlocal mark, moment
        mark += 1
        moment += step
        stamp = int(moment.timestamp())
        out.write(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
        out.write(
            f"author Dev <dev@example.com> {stamp} +0000\ncommitter Dev <dev@example.com> {stamp} +0000\n".encode()
        )
        data(f"change {mark}")
        if parents:
            out.write(f"from :{parents[0]}\n".encode())
            for other in parents[1:]:
                out.write(f"merge :{other}\n".encode())
        for path in touched:
            out.write(f"M 100644 inline {path}\n".encode())
            data("\n".join(files[path]) + "\n")
        return mark

    def change(files: dict[str, list[str]], path: str, tag: str) -> list[int]:
        """Replace or insert a few lines; the new lines' numbers (1-based)."""
        lines = files[path]
        at = rnd.randrange(len(lines))
        count = rnd.randint(1, 4)
        new = [f"{tag} {k} {rnd.random():.6f}" for k in range(count)]
        if rnd.random() < 0.5 and len(lines) > 40:
            lines[at : at + count] = new
        else:
            lines[at:at] = new
        return list(range(at + 1, at + count + 1))

    last = commit("main", main, list(main), [], None, "")
    made = 1
    while made < commits:
        if made % 25 == 0 and made + 6 < commits:  # a stream: four commits, merged
            stream_files = {k: list(v) for k, v in main.items()}
            name = f"s{made}"
            tip = last
            for _ in range(4):
                path = rnd.choice(list(stream_files))
                agent = rnd.choice(AGENTS)
                added = change(stream_files, path, "stream")
                tip = commit(f"stream/feat/{name}", stream_files, [path], [tip], agent, name)
                notes.append((tip, note("", {path: added}, agent, f"feat/{name}")))
                made += 1
            touched = [p for p in stream_files if stream_files[p] != main[p]]
            main.update({p: stream_files[p] for p in touched})
            last = commit("main", main, touched, [last, tip], None, "")
            made += 1
            continue
        agent = rnd.choice(AGENTS) if rnd.random() < 0.33 else None
        touched = rnd.sample(list(main), rnd.randint(1, 3))
        added = {p: change(main, p, "ai" if agent else "human") for p in touched}
        last = commit("main", main, touched, [last], agent, "main")
        if agent:
            notes.append((last, note("", added, agent, "main")))
        made += 1
    mark += 1
    out.write(f"commit refs/notes/ai\nmark :{mark}\n".encode())
    out.write(f"committer Dev <dev@example.com> {int(moment.timestamp())} +0000\n".encode())
    data("notes")
    for target, text in notes:
        out.write(f"N inline :{target}\n".encode())
        data(text)
    out.close()
    assert stream_out.wait() == 0
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True)
    print(f"built {made} commits, {len(notes)} notes in {root}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the repository here")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stitch-survival-"))
    root = folder / "repo"
    if not root.exists():
        started = time.perf_counter()
        build(root, args.commits)
        print(f"build: {time.perf_counter() - started:.1f} s (not part of the measure)")
    end = START + timedelta(days=366)
    since = START

    from stitch_ls.core.record import ledger, survival
    from stitch_ls.core.vcs.gitrun import open_repo

    repo = open_repo(root)
    started = time.perf_counter()
    book = ledger.read_notes(repo)
    read = time.perf_counter() - started
    result = survival.assess(repo, book, [], end, since)
    total = time.perf_counter() - started
    data = result.as_dict(survival.feature_namer({}, result.authors))
    print(
        f"survival pass: {total:.2f} s ({read:.2f} s reading {len(book.commits)} notes), "
        f"{data['commits_read']} commits, {data['ai_lines']} AI lines"
    )
    print("  7 days:", {k: v for k, v in data["all"]["7"].items() if k != "share"})

    env = {**os.environ, "XDG_STATE_HOME": str(folder / "state"), "HOME": str(folder)}
    started = time.perf_counter()
    report = subprocess.run(
        [
            str(Path(sys.executable).with_name("stitch-ls")),
            "report",
            "--json",
            "--since",
            since.date().isoformat(),
            "--as-of",
            end.isoformat(),
            "--workspace",
            str(root),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    assert report.returncode == 0, report.stderr
    print(
        f"stitch-ls report --json, a year of {args.commits} commits: {elapsed:.2f} s (target <= 10 s)"
    )


if __name__ == "__main__":
    main()
