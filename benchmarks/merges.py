"""Stitch points against real merges: do they catch what git's merge really conflicts on?

    python benchmarks/merges.py REPO_GIT_DIR [REPO_GIT_DIR ...] [--limit 40]

Each REPO_GIT_DIR (e.g. a bare mirror) is cloned into a temporary folder (the source is only
read). Its two-parent merges, newest first, are replayed: for merge M with parents P1, P2 and
base B = merge-base(P1, P2), branch `main` = B, `stream/f/a` = P1, `stream/f/b` = P2, and
Stitch's snapshot and stitch points are computed as `stitch-ls check` does. Only merges where
at least one file was changed on both sides are replayed (the others cannot hold a stitch
point); `--limit` bounds them per repository.

The true conflict regions are computed here, without Stitch's code: for every file changed on
both sides, `git merge-file -p --diff3` on the three blobs, each conflict's base section placed
in base lines by aligning the base with the output whose conflicts are resolved to their base
sections; a file deleted on one side and changed on the other is one whole-file region.

A true region is caught when a "will conflict" point of its file covers one of its base lines
(a whole-file point covers the file); a flagged point is right when it covers a true region.

Same-symbol measure (Python files changed on both sides): the truth is, per side, the
innermost function or class (Python's own `ast`, qualified `Cart.total`) holding each line
difflib finds changed against the base, in the side's version (and the base's, for deleted
lines); a symbol both sides changed is a true same-symbol place. Recall: such symbols with a
stitch point of that name; precision: stitch points on named symbols of Python files that are
such places or, flagged "will conflict", hold a true conflict region (a conflict spanning two
symbols rightly makes both points). It asserts nothing: it prints numbers (see docs/stitch-points.md).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from stitch_ls.core.policy.config import load_team_config  # noqa: E402
from stitch_ls.core.vcs.gitview import points_for, take_snapshot  # noqa: E402
from stitch_ls.core.vcs.stitchpoints import SignOffs  # noqa: E402

TEAM = load_team_config(
    '[streams]\nbase = "main"\nbranch_pattern = "stream/{feature}/{stream}"\nmax_per_feature = 9\n'
)
MARK = 31  # conflict marker size: long, so file content is not taken for a marker


def git(root: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        capture_output=True,
        text=True,
        errors="surrogateescape",
    )
    if done.returncode not in ok:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def blob(root: Path, commit: str, path: str) -> str | None:
    done = subprocess.run(
        ["git", "cat-file", "blob", f"{commit}:{path}"], cwd=root, capture_output=True
    )
    return done.stdout.decode("utf-8", "surrogateescape") if done.returncode == 0 else None


def changed(root: Path, base: str, head: str) -> dict[str, str]:
    out = git(root, "diff", "--no-renames", "--name-status", "-z", base, head)
    parts = out.split("\0")
    return {parts[i + 1]: parts[i] for i in range(0, len(parts) - 1, 2)}


def _position(opcodes: list[tuple[str, int, int, int, int]], at: int, size: int) -> int:
    """Where output line `at` sits in the base."""
    for tag, i1, _i2, j1, j2 in opcodes:
        if j1 <= at < j2:
            return i1 + (at - j1) if tag == "equal" else i1
    return size


def true_regions(base: str, ours: str, theirs: str) -> list[tuple[int, int]]:
    """Conflicts of a three-way merge, as half-open base line ranges."""
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(folder, name)
            file.write_text(text, errors="surrogateescape")
            files.append(str(file))
        done = subprocess.run(
            ["git", "merge-file", "-p", "--diff3", f"--marker-size={MARK}", *files],
            capture_output=True,
        )
    if done.returncode == 0:
        return []
    if done.returncode < 0 or done.returncode > 127:
        raise RuntimeError("git merge-file failed")
    output = done.stdout.decode("utf-8", "surrogateescape").split("\n")
    resolved: list[str] = []
    spans: list[tuple[int, int]] = []
    state, section = "", []
    for line in output:
        if line.startswith("<" * MARK + " "):
            state, section = "ours", []
        elif state == "ours" and line.startswith("|" * MARK + " "):
            state = "base"
        elif state == "base" and line == "=" * MARK:
            state = "theirs"
        elif state == "theirs" and line.startswith(">" * MARK + " "):
            spans.append((len(resolved), len(resolved) + len(section)))
            resolved.extend(section)
            state = ""
        elif state == "base":
            section.append(line)
        elif not state:
            resolved.append(line)
    base_lines = base.split("\n")
    opcodes = difflib.SequenceMatcher(None, base_lines, resolved, autojunk=False).get_opcodes()
    regions = []
    for lo, hi in spans:
        start = _position(opcodes, lo, len(base_lines))
        regions.append((start, start + (hi - lo)))
    return regions


@dataclass
class Tally:
    merges: int = 0
    skipped: int = 0
    crashes: int = 0
    conflicted_merges: int = 0
    regions: int = 0
    caught: int = 0
    flagged: int = 0
    flagged_right: int = 0
    points: int = 0
    clean_merges: int = 0
    clean_false_points: int = 0
    clean_merges_flagged: int = 0
    same_true: int = 0  # symbols both sides changed (ast truth)
    same_caught: int = 0  # ... with a stitch point of that name
    symbol_points: int = 0  # stitch points on named Python symbols
    symbol_points_right: int = 0  # ... that both sides really changed
    times: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    misses_git_clean: int = 0  # ... in files git's own merge (merge-ort) merges cleanly
    symbol_extras: list[str] = field(default_factory=list)  # symbol points no ast truth holds
    errors: list[str] = field(default_factory=list)


def _covers(point_lines: tuple[int, int] | None, region: tuple[int, int] | None) -> bool:
    if point_lines is None or region is None:
        return True
    lo, hi = region
    first, last = (lo, hi - 1) if hi > lo else (lo - 1, lo)
    return point_lines[0] <= last and first <= point_lines[1]


def _innermost(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every def and class, 0-based, inner last."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    found: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)]) - 1
                name = f"{prefix}{child.name}"
                found.append((first, (child.end_lineno or child.lineno) - 1, name))
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def _holder(defs: list[tuple[int, int, str]], line: int) -> str | None:
    inside = [d for d in defs if d[0] <= line <= d[1]]
    return min(inside, key=lambda d: d[1] - d[0])[2] if inside else None


def changed_symbols(base: str, side: str) -> set[str]:
    """Innermost defs holding a changed line: in the side's version, and in the base's for
    lines the side deleted (independent of Stitch: `ast` and `difflib`)."""
    base_lines, side_lines = base.split("\n"), side.split("\n")
    base_defs, side_defs = _innermost(base), _innermost(side)
    names: set[str] = set()
    matcher = difflib.SequenceMatcher(None, base_lines, side_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for line in range(j1, j2):
            names.add(_holder(side_defs, line) or "")
        for line in range(i1, i2):
            names.add(_holder(base_defs, line) or "")
    names.discard("")
    return names


def git_conflicts(root: Path, p1: str, p2: str) -> set[str]:
    """The files git's own merge (`merge-tree`: merge-ort, histogram diffs) conflicts on. The
    truth above is `git merge-file`'s, whose diffs are myers in the git this runs on: where
    the two disagree, a region may be a conflict only for merge-file."""
    out = git(
        root, "merge-tree", "--write-tree", "--name-only", "--no-messages", "-z", p1, p2, ok=(0, 1)
    )
    return {name for name in out.split("\0")[1:] if name}


Truth = dict[str, list[tuple[int, int] | None]]  # path -> its true conflict regions


def truth_of(
    root: Path, base: str, p1: str, p2: str
) -> tuple[Truth, dict[str, tuple[str, str, str]]]:
    """The true conflict regions of every file both sides changed (None: a whole-file one,
    deleted on a side), and the three versions of each text file both changed in place."""
    one, two = changed(root, base, p1), changed(root, base, p2)
    truth: Truth = {}
    texts: dict[str, tuple[str, str, str]] = {}
    for path in sorted(set(one) & set(two)):
        if one[path] == "D" and two[path] == "D":
            continue
        if "D" in (one[path], two[path]):
            truth[path] = [None]
            continue
        base_text, ours, theirs = (
            blob(root, base, path) or "",
            blob(root, p1, path),
            blob(root, p2, path),
        )
        if ours is None or theirs is None or "\0" in base_text + ours + theirs:
            continue
        texts[path] = (base_text, ours, theirs)
        found = true_regions(base_text, ours, theirs)
        if found:
            truth[path] = list(found)
    return truth, texts


def replay(root: Path, merge: str, p1: str, p2: str, tally: Tally) -> None:
    base = git(root, "merge-base", p1, p2).strip()
    if not set(changed(root, base, p1)) & set(changed(root, base, p2)):
        tally.skipped += 1
        return
    tally.merges += 1
    truth, versions = truth_of(root, base, p1, p2)
    same: dict[str, set[str]] = {}  # path -> symbols both sides changed
    defs: dict[str, set[str]] = {}  # path -> every def and class name in the three versions
    for path, texts in versions.items():
        if path.endswith(".py"):
            same[path] = changed_symbols(texts[0], texts[1]) & changed_symbols(texts[0], texts[2])
            defs[path] = {d[2] for text in texts for d in _innermost(text or "")}
    git(root, "update-ref", "refs/heads/main", base)
    git(root, "update-ref", "refs/heads/stream/f/a", p1)
    git(root, "update-ref", "refs/heads/stream/f/b", p2)
    started = time.perf_counter()
    points = []
    try:
        snap = take_snapshot(root, TEAM, now=datetime.now(UTC))
        assert snap is not None
        for path in sorted(snap.changes):
            points.extend(points_for(root, TEAM, snap, path, None, SignOffs()))
    except Exception as exc:  # noqa: BLE001 - a crash is a finding
        tally.crashes += 1
        tally.errors.append(f"{merge[:10]}: {type(exc).__name__}: {exc}"[:300])
        return
    tally.times.append(time.perf_counter() - started)
    flagged = [p for p in points if p.conflict]
    tally.points += len(points)
    tally.flagged += len(flagged)
    if truth:
        tally.conflicted_merges += 1
    else:
        tally.clean_merges += 1
        tally.clean_false_points += len(flagged)
        tally.clean_merges_flagged += bool(flagged)
    for path, regions in truth.items():
        for region in regions:
            tally.regions += 1
            here = [p for p in flagged if p.path == path]
            if any(_covers(p.base_lines, region) for p in here):
                tally.caught += 1
            else:
                clean = path not in git_conflicts(root, p1, p2)
                tally.misses_git_clean += clean
                note = " (git's own merge: clean)" if clean else ""
                tally.misses.append(f"{merge[:10]} {path} {region}{note}")
    for point in flagged:
        regions = truth.get(point.path, [])
        if any(_covers(point.base_lines, region) for region in regions):
            tally.flagged_right += 1
    named = [p for p in points if p.symbol in defs.get(p.path, ())]
    tally.symbol_points += len(named)
    for path, symbols in same.items():
        tally.same_true += len(symbols)
        tally.same_caught += len(symbols & {p.symbol for p in named if p.path == path})
    for point in named:  # right: both sides changed it, or it holds a true conflict region
        if point.symbol in same.get(point.path, ()) or (
            point.conflict and any(_covers(point.base_lines, r) for r in truth.get(point.path, []))
        ):
            tally.symbol_points_right += 1
        else:
            tally.symbol_extras.append(f"{merge[:10]} {point.path} {point.symbol}")


def run_repo(source: Path, limit: int) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder, "repo")
        subprocess.run(
            ["git", "clone", "-q", "--no-checkout", str(source), str(root)],
            check=True,
            capture_output=True,
        )
        git(root, "config", "user.email", "bench@example.com")
        git(root, "config", "user.name", "bench")
        git(root, "symbolic-ref", "HEAD", "refs/heads/main")
        log = git(
            root, "log", "--all", "--merges", "--min-parents=2", "--max-parents=2", "--format=%H %P"
        )
        for line in log.splitlines():
            if tally.merges >= limit:
                break
            merge, p1, p2 = line.split()
            try:
                replay(root, merge, p1, p2, tally)
            except RuntimeError as exc:  # the truth could not be computed: not Stitch's fault
                tally.errors.append(f"{merge[:10]}: truth: {exc}"[:300])
    return tally


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=40, help="merges replayed per repository")
    parser.add_argument("--misses", action="store_true", help="list missed regions")
    args = parser.parse_args()
    for source in args.repos:
        tally = run_repo(source, args.limit)
        times = sorted(tally.times) or [0.0]
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(f"== {source}")
        print(
            f"  merges replayed: {tally.merges} (skipped, no file changed on both sides: {tally.skipped})"
        )
        print(
            f"  merges with true conflicts: {tally.conflicted_merges}, clean: {tally.clean_merges}"
        )
        print(f"  crashes: {tally.crashes}")
        print(f"  recall of true conflict regions: {pct(tally.caught, tally.regions)}")
        missed = tally.regions - tally.caught
        if missed:
            print(
                f"    of the {missed} missed, in files git's own merge merges cleanly:"
                f" {tally.misses_git_clean}"
            )
        print(f"  flag precision: {pct(tally.flagged_right, tally.flagged)}")
        print(f"  stitch points: {tally.points}, flagged 'will conflict': {tally.flagged}")
        print(
            f"  same-symbol recall: {pct(tally.same_caught, tally.same_true)},"
            f" precision: {pct(tally.symbol_points_right, tally.symbol_points)}"
        )
        print(
            f"  false 'will conflict' points on clean merges: {tally.clean_false_points}"
            f" (in {tally.clean_merges_flagged} of {tally.clean_merges} clean merges)"
        )
        print(
            f"  check time: median {statistics.median(times):.2f}s, p95 {p95:.2f}s,"
            f" max {max(times):.2f}s"
        )
        for error in tally.errors[:10]:
            print(f"  error: {error}")
        if args.misses:
            for miss in tally.misses[:30]:
                print(f"  missed: {miss}")
            for extra in tally.symbol_extras[:30]:
                print(f"  symbol point, not changed on both sides: {extra}")


if __name__ == "__main__":
    main()
