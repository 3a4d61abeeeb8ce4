"""Whether an applied draft's lines lasted: at 1, 7 and 30 days after it was applied, do they
still stand, were they rewritten, or were they reverted?

Plain values in (a repository opened by `gitrun.open_repo`, source-log entries, now), plain
records out. For each applied draft:

- the commit that first contains the change: the first commit on HEAD's history after `at`
  that touches the file and whose version of the file holds the applied text (each logged
  range's lines, known by their hash; those lines, S, are "the applied lines", the nearest
  to the logged range). An entry older than the hashes: the first such commit with lines
  inside the logged ranges that git blames to it (when other edits committed with the apply
  moved them, the run of that commit's lines of the same length nearest to the range);
- for each horizon already reached, the state at that moment: the last commit on HEAD's first-parent
  history at or before `at + N days`; there `git blame` tells which lines of S still come
  from the applying commit. All of them: stands. Otherwise the file's lines where S stood are
  compared: deleted, the file gone, or back to the text before the apply: reverted; anything
  else: rewritten.

A draft not committed yet (or committed after the horizon) has no verdict for that horizon.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from stitch_ls.core.drafts.model import SourceLogEntry
from stitch_ls.core.record.keeping import line_hash
from stitch_ls.core.vcs import notes

HORIZONS = (1, 7, 30)
VERDICTS = ("stands", "rewritten", "reverted")


@dataclass
class DraftDurability:
    draft: str
    stream: str
    agent: str
    at: datetime
    commit: str | None  # the first commit containing the applied change; None: not committed
    horizons: dict[int, str] = field(default_factory=dict)  # days -> one of VERDICTS

    def as_dict(self) -> dict[str, Any]:
        return {
            "draft": self.draft,
            "stream": self.stream,
            "agent": self.agent,
            "at": self.at.isoformat(),
            "commit": self.commit,
            "horizons": {str(days): verdict for days, verdict in sorted(self.horizons.items())},
        }


def _git(repo: Any, *args: str) -> str | None:
    try:
        return str(repo.git.execute(["git", *args], strip_newline_in_stdout=False))
    except Exception:  # noqa: BLE001 - an unknown revision, a path not in a commit, no git
        return None


def _file_at(repo: Any, commit: str, path: str) -> list[str] | None:
    """The file's lines at `commit`, or None when it does not exist there."""
    text = _git(repo, "cat-file", "blob", f"{commit}:{path}")
    return None if text is None else text.splitlines()


def _blamed(repo: Any, commit: str, path: str) -> list[tuple[str, int]] | None:
    """For each line of `path` at `commit` (in order): the commit it comes from and its line
    number in that commit."""
    out = _git(repo, "blame", "--porcelain", commit, "--", path)
    if out is None:
        return None
    return [(sha, number) for sha, number, _path, _text in notes.blame_porcelain(out)]


def _stamp(moment: datetime) -> str:
    """Whole seconds (git's resolution), rounded down: `--min-age` takes commits at or before."""
    return str(math.floor(moment.timestamp()))


def _after(moment: datetime) -> str:
    """`--max-age` for commits from `moment` on: git counts whole seconds, so a commit made in
    the same second as the apply is a candidate too (one made before the apply in that second
    holds none of its lines, and the blame check below passes it over)."""
    return str(math.floor(moment.timestamp()))


def applying_commit(repo: Any, entry: SourceLogEntry) -> tuple[str, dict[str, list[int]]] | None:
    """The first commit on HEAD's history after `entry.at` that contains the applied lines, and
    per file the line numbers (in that commit) of those lines; None while uncommitted.

    Where the entry knows the applied text (`range_hashes`, from version 2), a commit contains
    it when its version of each file holds every applied range's lines: the text decides, so a
    commit made in the same second as the apply, but before it, is never taken for it. Older
    entries fall back to blame: lines in the logged ranges that git blames to the commit."""
    wanted = {path: ranges for path, ranges in entry.ranges.items() if ranges}
    if not wanted:
        return None
    listed = _git(
        repo, "rev-list", "--reverse", f"--max-age={_after(entry.at)}", "HEAD", "--", *wanted
    )
    by_text = all(len(entry.range_hashes.get(p, [])) == len(r) for p, r in wanted.items())
    for commit in (listed or "").split():
        if by_text:
            held = _holding(repo, commit, wanted, entry.range_hashes)
            if held is not None:
                return commit, held
            continue
        applied: dict[str, list[int]] = {}
        for path, ranges in wanted.items():
            blamed = _blamed(repo, commit, path)
            if not blamed:
                continue
            numbers = _locate(blamed, commit, ranges)
            if numbers:
                applied[path] = numbers
        if applied:
            return commit, applied
    return None


def _holding(
    repo: Any,
    commit: str,
    wanted: dict[str, list[tuple[int, int]]],
    hashes: dict[str, list[str]],
) -> dict[str, list[int]] | None:
    """Per file, the lines of `commit`'s version that are the applied ranges (each found by
    its text's hash, the nearest to where it was logged); None unless every range is there."""
    found: dict[str, list[int]] = {}
    for path, ranges in wanted.items():
        lines = _file_at(repo, commit, path)
        if lines is None:
            return None
        numbers: set[int] = set()
        for (first, last), digest in zip(ranges, hashes[path], strict=True):
            size = last - first + 1
            starts = [
                n for n in range(len(lines) - size + 1) if line_hash(lines[n : n + size]) == digest
            ]
            if not starts:
                return None
            start = min(starts, key=lambda n: abs(n - (first - 1)))
            numbers.update(range(start + 1, start + size + 1))
        found[path] = sorted(numbers)
    return found


def _locate(blamed: list[tuple[str, int]], commit: str, ranges: list[tuple[int, int]]) -> list[int]:
    """The applied lines in `commit`'s version: per logged range, the lines inside it that git
    blames to `commit`; when none are (other edits committed with it moved them), the run of
    lines blamed to `commit` of the range's length nearest to it."""
    runs: list[tuple[int, int]] = []  # maximal runs of lines from `commit`
    for number, (origin, _) in enumerate(blamed, start=1):
        if origin != commit:
            continue
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    found: set[int] = set()
    for first, last in ranges:
        inside = [
            n for n in range(first, last + 1) if n <= len(blamed) and blamed[n - 1][0] == commit
        ]
        if inside:
            found.update(inside)
            continue
        same = [run for run in runs if run[1] - run[0] == last - first]
        if same:
            start, end = min(same, key=lambda run: abs(run[0] - first))
            found.update(range(start, end + 1))
    return sorted(found)


def _before_text(repo: Any, commit: str, path: str, numbers: list[int]) -> list[str] | None:
    """The lines the applied lines replaced (the parent's text of the hunks they are in)."""
    after = _file_at(repo, commit, path) or []
    before = _file_at(repo, f"{commit}^", path)
    if before is None:
        return []
    return _replaced(before, after, set(numbers))


def _replaced(old: list[str], new: list[str], numbers: set[int]) -> list[str]:
    """In a diff from `old` to `new`: the `old` lines of the hunks touching `new`'s lines
    `numbers` (1-based)."""
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        touched = any(j1 < n <= j2 for n in numbers) or (j1 == j2 and j1 in numbers)
        if touched:
            out.extend(old[i1:i2])
    return out


def _verdict(repo: Any, commit: str, horizon: str, path: str, numbers: list[int]) -> str:
    now_lines = _file_at(repo, horizon, path)
    if now_lines is None:
        return "reverted"  # the file is gone
    blamed = _blamed(repo, horizon, path) or []
    kept = {origin_line for origin, origin_line in blamed if origin == commit}
    if all(n in kept for n in numbers):
        return "stands"
    applied_lines = _file_at(repo, commit, path) or []
    # what stands at the horizon where the applied lines stood (the horizon's text of the hunks)
    there = _replaced(now_lines, applied_lines, set(numbers))
    survivors = [n for n in numbers if n in kept]
    if not there and not survivors:
        return "reverted"  # the lines are gone
    before = _before_text(repo, commit, path, numbers)
    if (
        not survivors
        and before is not None
        and [s.strip() for s in there] == [s.strip() for s in before]
    ):
        return "reverted"  # back to the text before the apply
    return "rewritten"


def _combine(verdicts: list[str]) -> str:
    if all(v == "stands" for v in verdicts):
        return "stands"
    if all(v == "reverted" for v in verdicts):
        return "reverted"
    return "rewritten"


def _horizon_commit(repo: Any, moment: datetime) -> str | None:
    out = _git(repo, "rev-list", "-1", "--first-parent", f"--min-age={_stamp(moment)}", "HEAD")
    return out.strip() or None if out else None


def _contains(repo: Any, ancestor: str, commit: str) -> bool:
    return _git(repo, "merge-base", "--is-ancestor", ancestor, commit) is not None


def assess(repo: Any, entries: Iterable[SourceLogEntry], now: datetime) -> list[DraftDurability]:
    """Durability of every applied draft in `entries` (the last entry wins for a draft)."""
    out: list[DraftDurability] = []
    for entry in {e.draft: e for e in entries}.values():
        if not any(entry.ranges.values()):
            continue  # an older entry, or one that only deleted: no lines to follow
        found = applying_commit(repo, entry) if repo is not None else None
        result = DraftDurability(
            entry.draft, entry.stream, entry.agent, entry.at, found[0] if found else None
        )
        out.append(result)
        if found is None:
            continue
        commit, applied = found
        for days in HORIZONS:
            moment = entry.at + timedelta(days=days)
            if moment > now:
                continue  # not reached yet
            horizon = _horizon_commit(repo, moment)
            if horizon is None or not _contains(repo, commit, horizon):
                continue  # not committed by then
            result.horizons[days] = _combine(
                [_verdict(repo, commit, horizon, path, nums) for path, nums in applied.items()]
            )
    return out


def summarise(results: list[DraftDurability], key: str) -> dict[str, dict[str, dict[str, int]]]:
    """Per stream or per agent (`key`): per horizon, how many drafts stand, were rewritten,
    were reverted."""
    summary: dict[str, dict[str, dict[str, int]]] = {}
    for result in results:
        name = getattr(result, key)
        per = summary.setdefault(name, {str(days): dict.fromkeys(VERDICTS, 0) for days in HORIZONS})
        for days, verdict in result.horizons.items():
            per[str(days)][verdict] += 1
    return dict(sorted(summary.items()))


def as_dict(results: list[DraftDurability]) -> dict[str, Any]:
    return {
        "horizons_days": list(HORIZONS),
        "drafts": [r.as_dict() for r in sorted(results, key=lambda r: (r.at, r.draft))],
        "uncommitted": sum(r.commit is None for r in results),
        "by_stream": summarise(results, "stream"),
        "by_agent": summarise(results, "agent"),
    }


def revision_ranges(
    repo: Any, entry: SourceLogEntry
) -> tuple[str, dict[str, list[tuple[int, int]]]] | None:
    """The commit that first contains `entry`'s change and, per file, the applied lines'
    ranges in that commit's version; None while the change is not committed."""
    if repo is None:
        return None
    if not any(entry.ranges.values()):  # an older entry without ranges: the first commit after
        listed = _git(  # the apply touching its files, with no lines to attribute
            repo,
            "rev-list",
            "--reverse",
            f"--max-age={_after(entry.at)}",
            "HEAD",
            "--",
            *entry.files,
        )
        first = (listed or "").split()
        return (first[0], {}) if first else None
    found = applying_commit(repo, entry)
    if found is None:
        return None
    commit, applied = found
    ranges: dict[str, list[tuple[int, int]]] = {}
    for path, numbers in applied.items():
        spans: list[tuple[int, int]] = []
        for number in sorted(numbers):
            if spans and spans[-1][1] == number - 1:
                spans[-1] = (spans[-1][0], number)
            else:
                spans.append((number, number))
        ranges[path] = spans
    return commit, ranges
