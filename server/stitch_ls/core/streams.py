"""Streams: the parallel lines of work on each feature, read from git with GitPython.

A stream is a local branch (or a worktree's branch) matching `streams.branch_pattern`, with
commits not yet in `streams.base`. Agent commits carry trailers (`Stitch-Source:`,
`Stitch-Confidence:`, `Stitch-Evidence:`, optionally `Stitch-Agent:` and
`Stitch-Irreversible:`); those not yet in the engineer's branch become drafts, hunk by hunk.
Everything here runs git: call it off the event loop and cache by commit ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.model import Draft
from stitch_ls.core.records import validation_errors

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
CONTEXT = 2


@dataclass(frozen=True)
class Stream:
    name: str  # "<feature>/<stream>"
    feature: str
    branch: str
    head: str
    merge_base: str
    ahead: int
    worktree: str | None = None


@dataclass
class StreamSet:
    """Every stream of the repository at one set of commit ids."""

    key: tuple[tuple[str, str], ...]
    base: str
    base_commit: str | None
    head_branch: str | None
    head_commit: str | None
    streams: list[Stream] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def by_feature(self) -> dict[str, list[Stream]]:
        grouped: dict[str, list[Stream]] = {}
        for stream in self.streams:
            grouped.setdefault(stream.feature, []).append(stream)
        return grouped

    def over_cap(self, cap: int) -> dict[str, list[Stream]]:
        return {f: s for f, s in self.by_feature().items() if len(s) > cap}


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """`stream/{feature}/{stream}` -> a regex with named groups (placeholders match one segment)."""
    out, pos = [], 0
    for match in re.finditer(r"\{(feature|stream)\}", pattern):
        out.append(re.escape(pattern[pos : match.start()]))
        out.append(f"(?P<{match.group(1)}>[^/]+)")
        pos = match.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out) + r"\Z")


def open_repo(root: Path) -> Any | None:
    """The git repository at `root` with every configured program disabled (`gitrun`), or
    None when there is none (or git is missing)."""
    from stitch_ls.core.gitrun import open_repo as hardened

    return hardened(root)


def ref_key(repo: Any) -> tuple[tuple[str, str], ...]:
    """Commit ids of every local branch and HEAD: the cache key for all stream work."""
    refs = [(head.name, head.commit.hexsha) for head in repo.heads]
    try:
        refs.append(("HEAD", repo.head.commit.hexsha))
    except ValueError:
        pass
    return tuple(sorted(refs))


def worktree_branches(repo: Any) -> dict[str, str]:
    """branch name -> worktree path, from `git worktree list --porcelain`."""
    found: dict[str, str] = {}
    path = None
    for line in repo.git.worktree("list", "--porcelain").splitlines():
        if line.startswith("worktree "):
            path = line.split(" ", 1)[1]
        elif line.startswith("branch refs/heads/") and path:
            found[line.removeprefix("branch refs/heads/")] = path
    return found


def discover(repo: Any, base: str, branch_pattern: str) -> StreamSet:
    """Streams matching the pattern that have commits not in `base`."""
    regex = pattern_regex(branch_pattern)
    key = ref_key(repo)
    try:
        head_branch = repo.active_branch.name
    except (TypeError, ValueError):
        head_branch = None
    try:
        head_commit = repo.head.commit.hexsha
    except ValueError:
        head_commit = None
    heads = {h.name: h for h in repo.heads}
    result = StreamSet(key, base, None, head_branch, head_commit)
    if base not in heads:
        result.problems.append(f"base branch {base!r} does not exist")
        return result
    base_commit = heads[base].commit
    result.base_commit = base_commit.hexsha
    worktrees = worktree_branches(repo)
    for name, head in sorted(heads.items()):
        match = regex.match(name)
        if not match or name == base:
            continue
        merge_bases = repo.merge_base(base_commit, head.commit)
        if not merge_bases:
            continue
        ahead = int(repo.git.rev_list("--count", f"{base}..{name}"))
        if ahead == 0:
            continue
        groups = match.groupdict()
        feature = groups.get("feature") or "default"
        result.streams.append(
            Stream(
                name=f"{feature}/{groups['stream']}",
                feature=feature,
                branch=name,
                head=head.commit.hexsha,
                merge_base=merge_bases[0].hexsha,
                ahead=ahead,
                worktree=worktrees.get(name),
            )
        )
    return result


def hunk_ranges(diff: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """0-based inclusive line ranges each hunk of a -U0 diff covers: (in the new version, in
    the old one). A pure deletion marks the new line where it happened; a pure insertion the
    old line it follows."""
    new, old = [], []
    for line in diff.splitlines():
        match = HUNK.match(line)
        if not match:
            continue
        old_start, old_count = int(match.group(1)), int(match.group(2) or 1)
        new_start, new_count = int(match.group(3)), int(match.group(4) or 1)
        if new_count == 0:
            new.append((max(0, new_start - 1), max(0, new_start - 1)))
        else:
            new.append((new_start - 1, new_start + new_count - 2))
        first = max(0, old_start - 1) if old_count else old_start
        old.append((first, first + max(old_count, 1) - 1))
    return new, old


def diff_texts(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Changed line ranges of two texts (the engineer's buffer against the base): in `new`,
    and the same changes in `old`. The common head and tail are trimmed first, so a local
    edit to a large file diffs only the lines around it."""
    import difflib

    a, b = old.split("\n"), new.split("\n")
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(
        None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False
    )
    new_ranges, old_ranges = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        new_ranges.append((head + j1, head + max(j1, j2 - 1)))
        old_ranges.append((head + i1, head + max(i1, i2 - 1)))
    return new_ranges, old_ranges


def file_at(repo: Any, commit: str, path: str) -> str | None:
    try:
        return repo.git.show(f"{commit}:{path}", strip_newline_in_stdout=False)
    except Exception:  # noqa: BLE001 - the file does not exist at that commit
        return None


def files_changed(repo: Any, old: str, new: str) -> list[str]:
    out = repo.git.diff("--no-color", "--name-only", old, new)
    return [line for line in out.splitlines() if line]


# -- agent commits as drafts ------------------------------------------------------------------

TRAILER_KEYS = (
    "Stitch-Source",
    "Stitch-Confidence",
    "Stitch-Evidence",
    "Stitch-Agent",
    "Stitch-Irreversible",
)


def parse_trailers(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Trailer grammar (documented in the README):

    Stitch-Source: <kind> <ref> | <why>
    Stitch-Confidence: <0..1>
    Stitch-Evidence: <passed|failed|error|skipped|pending> <ref> [<run>]
    Stitch-Agent: <name>
    Stitch-Irreversible: true
    """
    sources, evidence, fields = [], [], {}
    for key, value in pairs:
        value = value.strip()
        if key == "Stitch-Source":
            head, _, why = value.partition("|")
            kind, _, ref = head.strip().partition(" ")
            sources.append({"kind": kind, "ref": ref.strip(), "why": why.strip()})
        elif key == "Stitch-Evidence":
            parts = value.split()
            item = {"status": parts[0] if parts else "", "ref": parts[1] if len(parts) > 1 else ""}
            if len(parts) > 2:
                item["run"] = " ".join(parts[2:])
            evidence.append(item)
        elif key == "Stitch-Confidence":
            fields["confidence"] = value
        elif key == "Stitch-Agent":
            fields["agent"] = value
        elif key == "Stitch-Irreversible":
            fields["irreversible"] = value.lower() in ("true", "yes", "1")
    return {"sources": sources, "evidence": evidence, **fields}


def _hunks_with_context(diff: str) -> list[tuple[int, str, str]]:
    """(0-based start line in the old file, old text, new text) per hunk of a `-U2` diff."""
    hunks = []
    current: list[str] | None = None
    start = 0
    for line in diff.splitlines():
        match = HUNK.match(line)
        if match:
            if current is not None:
                hunks.append((start, *_split_hunk(current)))
            start = (
                max(0, int(match.group(1)) - 1) if int(match.group(2) or 1) else int(match.group(1))
            )
            current = []
        elif current is not None and line[:1] in (" ", "+", "-", "\\"):
            current.append(line)
    if current is not None:
        hunks.append((start, *_split_hunk(current)))
    return hunks


def _split_hunk(lines: list[str]) -> tuple[str, str]:
    old, new = [], []
    for line in lines:
        if line.startswith("\\"):
            continue
        if line[0] in (" ", "-"):
            old.append(line[1:] + "\n")
        if line[0] in (" ", "+"):
            new.append(line[1:] + "\n")
    return "".join(old), "".join(new)


def commit_drafts(repo: Any, stream: Stream, engineer_ref: str) -> tuple[list[Draft], list[str]]:
    """Drafts from the stream's agent commits not yet in the engineer's branch.

    One `git log -p` per stream reads every commit's trailers and hunks (a subprocess per
    commit would cost seconds on a long stream).
    """
    drafts: list[Draft] = []
    problems: list[str] = []
    log = repo.git.log(
        "--reverse",
        "--no-merges",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "-p",
        f"-U{CONTEXT}",
        "--format=%x1e%H%x1f%an%x1f%ct%x1f%s%x1f%(trailers:only,unfold)%x1f",
        f"{engineer_ref}..{stream.head}",
        strip_newline_in_stdout=False,
    )
    for record in log.split("\x1e")[1:]:
        sha, author, stamp, summary, trailer_text, diff = record.split("\x1f", 5)
        pairs = []
        for line in trailer_text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in TRAILER_KEYS:
                pairs.append((key.strip(), value.strip()))
        if not pairs:
            continue
        meta = parse_trailers(pairs)
        for path, file_diff in _split_files(diff):
            for index, (start, old, new) in enumerate(_hunks_with_context(file_diff), start=1):
                body = {
                    "version": 1,
                    "id": f"git-{sha[:10]}-{_slug(path)}-{index}",
                    "title": f"{summary[:150]} ({path} #{index})",
                    "stream": stream.name,
                    "agent": meta.get("agent") or author or "agent",
                    "created": datetime.fromtimestamp(int(stamp), UTC).isoformat(),
                    "confidence": meta.get("confidence", 0),
                    "sources": meta["sources"],
                    "evidence": meta["evidence"],
                    "irreversible": meta.get("irreversible", False),
                    "edits": [
                        {
                            "path": path,
                            "range": {
                                "start": {"line": start, "character": 0},
                                "end": {"line": start + old.count("\n"), "character": 0},
                            },
                            "expect": old,
                            "text": new,
                        }
                    ],
                }
                try:
                    drafts.append(Draft.from_data(body))
                except ValueError as exc:
                    first = validation_errors(exc)[0]
                    where = ".".join(str(p) for p in first["loc"])
                    problems.append(
                        f"commit {sha[:10]} on {stream.branch}: {where}: {first['msg']}"
                    )
    return drafts, problems


def _split_files(diff: str) -> list[tuple[str, str]]:
    files: list[tuple[str, str]] = []
    path: str | None = None
    chunk: list[str] = []
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            if path is not None:
                files.append((path, "\n".join(chunk)))
            path, chunk = None, []
        elif line.startswith("+++ b/"):
            path = line[6:]
        elif line.startswith("+++ /dev/null"):
            path = None
        chunk.append(line)
    if path is not None:
        files.append((path, "\n".join(chunk)))
    return files


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path)[-60:]
