"""Live streams against real merge histories: how long before a conflicting merge does the
first stitch point over the conflicting code appear, when both sides are agents working
uncommitted in their own worktrees?

    python benchmarks/live_replay.py REPO_GIT_DIR [REPO_GIT_DIR ...] [--limit 20] [--steps 60]

Each REPO_GIT_DIR (e.g. a bare mirror) is cloned into a temporary folder. Its two-parent
merges that conflict (git's `merge-file` on some file both sides changed: the truth of
`merges.py`) are replayed, newest first: for merge M with parents P1, P2 and base B, the main
checkout is `main` = B and two linked worktrees (`git worktree add`) have `stream/f/a` and
`stream/f/b` out, both at B. The commits of B..P1 and B..P2 are then walked in committer-time
order (at most --steps of them, evenly spaced, the last of each side always): at each one,
that side's worktree is set to the commit's tree with `git read-tree -u --reset` — its HEAD
stays at B, so everything the side has done is uncommitted work, a live stream — and Stitch's
snapshot is taken again (only that worktree is read again: `take_snapshot(dirty=...)`), with
the stitch points of every file both sides changed.

Per conflicting merge it reports when the first stitch point covering a true conflict region
appeared, in hours before the merge commit (the committer time of the step that made it), and
how many distinct stitch points appeared over the whole walk that cover no true conflict
region ("points the merge did not need"); then the distributions. It asserts nothing: it
prints numbers (see docs/stitch-points.md, "Live streams").
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from merges import _covers, git, truth_of  # noqa: E402

from stitch_ls.core.policy.config import load_team_config  # noqa: E402
from stitch_ls.core.vcs.gitview import points_for, take_snapshot  # noqa: E402
from stitch_ls.core.vcs.stitchpoints import SignOffs  # noqa: E402

TEAM = load_team_config(
    '[streams]\nbase = "main"\nbranch_pattern = "stream/{feature}/{stream}"\nmax_per_feature = 9\n'
)
TeamConfig = type(TEAM)


@dataclass
class Result:
    merge: str
    regions: int
    lead_hours: float | None  # first covering point, hours before the merge (None: never)
    caught_at_end: int  # regions covered by a point at the last step
    unneeded: int  # distinct points that never covered a true region
    steps: int
    step_times: list[float] = field(default_factory=list)


def side_commits(root: Path, base: str, head: str) -> list[tuple[int, str]]:
    out = git(root, "log", "--reverse", "--format=%ct %H", f"{base}..{head}")
    return [(int(when), commit) for when, commit in (line.split() for line in out.splitlines())]


def steps_of(
    a: list[tuple[int, str]], b: list[tuple[int, str]], limit: int
) -> list[tuple[int, str, str]]:
    """Both sides' commits in committer-time order, thinned evenly to `limit` (each side's
    last kept: the merge's parents are where the walk must end)."""
    walk = sorted([(t, c, "a") for t, c in a] + [(t, c, "b") for t, c in b])
    if len(walk) <= limit:
        return walk
    keep = {round(i * (len(walk) - 1) / (limit - 1)) for i in range(limit)}
    last = {max(i for i, s in enumerate(walk) if s[2] == side) for side in {s[2] for s in walk}}
    return [s for i, s in enumerate(walk) if i in keep or i in last]


def replay(root: Path, trees: dict[str, Path], merge: str, p1: str, p2: str, limit: int):
    base = git(root, "merge-base", p1, p2).strip()
    truth = truth_of(root, base, p1, p2)[0]
    if not truth:
        return None
    merged_at = int(git(root, "show", "-s", "--format=%ct", merge).strip())
    git(root, "reset", "-q", "--hard", base)
    for side, tree in trees.items():
        git(tree, "checkout", "-q", "-f", "-B", f"stream/f/{side}", base)
        git(tree, "clean", "-qfdx")
    walk = steps_of(side_commits(root, base, p1), side_commits(root, base, p2), limit)
    snap = None
    first: float | None = None
    seen: dict[str, bool] = {}  # point id -> covered a true region at some step
    result = Result(merge, sum(len(r) for r in truth.values()), None, 0, 0, len(walk))
    points: list = []
    for when, commit, side in walk:
        git(trees[side], "read-tree", "-u", "--reset", commit)
        began = time.perf_counter()
        snap = take_snapshot(root, TEAM, snap, now=datetime.now(UTC), dirty={trees[side] / "."})
        assert snap is not None
        both = [p for p, by in snap.changes.items() if len(by) >= 2]
        points = [
            pt for p in sorted(both) for pt in points_for(root, TEAM, snap, p, None, SignOffs())
        ]
        result.step_times.append(time.perf_counter() - began)
        for point in points:
            covers = any(_covers(point.base_lines, r) for r in truth.get(point.path, []))
            seen[point.id] = seen.get(point.id, False) or covers
            if covers and first is None:
                first = (merged_at - when) / 3600
    result.lead_hours = first
    result.caught_at_end = sum(
        1
        for path, regions in truth.items()
        for region in regions
        if any(p.path == path and _covers(p.base_lines, region) for p in points)
    )
    result.unneeded = sum(1 for covered in seen.values() if not covered)
    return result


def run_repo(source: Path, limit: int, steps: int) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder, "repo")
        subprocess.run(
            ["git", "clone", "-q", str(source), str(root)], check=True, capture_output=True
        )
        git(root, "config", "user.email", "bench@example.com")
        git(root, "config", "user.name", "bench")
        git(root, "checkout", "-q", "-B", "main")
        trees = {side: Path(folder, f"wt-{side}") for side in ("a", "b")}
        for side, tree in trees.items():
            git(root, "worktree", "add", "-q", "-b", f"stream/f/{side}", str(tree), "HEAD")
        log = git(
            root, "log", "--all", "--merges", "--min-parents=2", "--max-parents=2", "--format=%H %P"
        )
        for line in log.splitlines():
            if len(results) >= limit:
                break
            merge, p1, p2 = line.split()
            try:
                found = replay(root, trees, merge, p1, p2, steps)
            except RuntimeError as exc:
                print(f"  skipped {merge[:10]}: {exc}"[:200])
                continue
            if found is not None:
                results.append(found)
                lead = "never" if found.lead_hours is None else f"{found.lead_hours:8.1f} h"
                print(
                    f"  {merge[:10]} regions {found.regions:3d}  first point {lead:>10} before"
                    f"  caught at end {found.caught_at_end}/{found.regions}"
                    f"  points not needed {found.unneeded:3d}  steps {found.steps}",
                    flush=True,
                )
    return results


def quantiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"min {ordered[0]:.1f}  p25 {at(0.25):.1f}  median {statistics.median(ordered):.1f}"
        f"  p75 {at(0.75):.1f}  max {ordered[-1]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=20, help="conflicting merges per repository")
    parser.add_argument("--steps", type=int, default=60, help="commits walked per merge, at most")
    args = parser.parse_args()
    everything: list[Result] = []
    for source in args.repos:
        print(f"== {source}", flush=True)
        results = run_repo(source, args.limit, args.steps)
        everything += results
        summarize(results)
    if len(args.repos) > 1:
        print("== all repositories")
        summarize(everything)


def summarize(results: list[Result]) -> None:
    leads = [r.lead_hours for r in results if r.lead_hours is not None]
    never = sum(1 for r in results if r.lead_hours is None)
    times = sorted(t for r in results for t in r.step_times)
    print(f"  conflicting merges replayed: {len(results)}; first point never appeared: {never}")
    print(f"  hours before the merge of the first point over conflicting code: {quantiles(leads)}")
    buckets = [(0, 1), (1, 24), (24, 24 * 7), (24 * 7, float("inf"))]
    names = ["< 1 h", "1 h - 1 day", "1 day - 1 week", "> 1 week"]
    counts = [sum(1 for h in leads if lo <= h < hi) for lo, hi in buckets]
    print("    " + ", ".join(f"{n}: {c}" for n, c in zip(names, counts, strict=True)))
    caught = sum(r.caught_at_end for r in results)
    regions = sum(r.regions for r in results)
    print(f"  true conflict regions covered at the merge's parents: {caught}/{regions}")
    print(
        f"  points the merge did not need, per merge: "
        f"{quantiles([float(r.unneeded) for r in results])} (total {sum(r.unneeded for r in results)})"
    )
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        print(
            f"  one step (a worktree read again, points of every file both changed): "
            f"median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
