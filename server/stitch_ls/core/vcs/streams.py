"""Streams: the parallel lines of work on each feature, read from git with GitPython.

A stream is a local branch (or a worktree's branch) matching `streams.branch_pattern`, with
commits not yet in `streams.base`; or a remote-tracking branch (`refs/remotes/<remote>/...`)
matching it, what agents and teammates pushed from other machines, where no local branch of
the same name exists (the local one is the stream then). Agent commits carry trailers
(`Stitch-Source:`, `Stitch-Confidence:`, `Stitch-Evidence:`, optionally `Stitch-Agent:` and
`Stitch-Irreversible:`); those not yet in the engineer's branch become drafts, hunk by hunk.
Everything here runs git: call it off the event loop and cache by commit ids.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.files.fsio import atomic_write, locked, parse_json
from stitch_ls.core.records import validation_errors
from stitch_ls.core.vcs import refs
from stitch_ls.core.vcs.gitrun import open_repo as hardened

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
CONTEXT = 2
COMMIT_MARK = "\x1eSTITCH-COMMIT "  # starts a commit's record in `git log -p`


@dataclass(frozen=True)
class Stream:
    name: str  # "<feature>/<stream>"
    feature: str
    branch: str
    head: str
    merge_base: str
    ahead: int
    worktree: str | None = None
    seen: datetime = datetime.min.replace(tzinfo=UTC)  # when this repository first saw it
    commits: frozenset[str] = frozenset()  # its commits not in the base
    live: bool = False  # its worktree holds uncommitted work (read by `gitview`)


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

    def beyond_cap(self, cap: int) -> dict[str, str]:
        """Stream name -> why its drafts are disabled, for each stream past its feature's
        cap. The streams that hold the cap are those this repository saw first (`seen`; ties
        by name), never the dates its commits claim: an author writes those."""
        out: dict[str, str] = {}
        for feature, group in self.over_cap(cap).items():
            ordered = sorted(group, key=lambda s: (s.seen, s.name))
            for stream in ordered[cap:]:
                out[stream.name] = (
                    f"stream {stream.name} is over the cap of {cap} for feature {feature}"
                )
        return out


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
    return hardened(root)


def stream_name(regex: re.Pattern[str], branch: str) -> str | None:
    """The stream a branch is (`feature/stream`), or None when the pattern does not match."""
    match = regex.match(branch)
    if not match:
        return None
    groups = match.groupdict()
    return f"{groups.get('feature') or 'default'}/{groups['stream']}"


def discover(
    repo: Any, base: str, branch_pattern: str, now: datetime, *, live: bool = False
) -> StreamSet:
    """Streams matching the pattern that have commits not in `base`; each knows when this
    repository first saw it (`first_seen`, `now` for a new one). With `live`, also the
    branches a worktree has out with no commit yet (their uncommitted work may make them a
    stream: `gitview` reads it). `worktree` is set only for a checkout git's record and its
    own `.git` agree on (`refs.Worktree.verified`); the others are named in `problems`."""
    regex = pattern_regex(branch_pattern)
    key = refs.commit_key(repo)
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
    remote = refs.remote_branches(repo)
    if base in heads:
        base_commit = heads[base].commit
    elif base in remote:  # a fresh CI checkout: the base only as `origin/main`
        base_commit = remote[base][1]
    else:
        result.problems.append(
            f"base branch {base!r} does not exist (neither here nor as a remote-tracking branch)"
        )
        return result
    result.base_commit = base_commit.hexsha
    worktrees: dict[str, str] = {}
    for tree in refs.worktrees(refs.dirs_of(repo))[1:]:  # linked ones: the main is no agent's
        if not tree.branch or not regex.match(tree.branch):
            continue
        if tree.verified and tree.path is not None:
            worktrees[tree.branch] = os.path.realpath(tree.path)
        elif tree.path is not None and os.path.lexists(tree.path):  # (gone: git prunes it)
            result.problems.append(
                f"worktree of {_safe(tree.branch)} ({_safe(str(tree.path))}) does not point back to this "
                "repository: its work is not read"
            )
    # local branches, then remote-tracking ones no local branch of the same name stands for
    candidates = {name: (name, head.commit) for name, head in heads.items()}
    for name, (tracking, commit) in remote.items():
        candidates.setdefault(name, (tracking, commit))
    found: list[Stream] = []
    # branches whose tip the base already contains have no commit ahead of it: found in one
    # call, not two per branch (a repository keeps hundreds of merged stream branches)
    merged = set(
        repo.git.for_each_ref(
            f"--merged={base_commit.hexsha}", "--format=%(objectname)", "refs/heads", "refs/remotes"
        ).split()
    )
    live_names: list[str] = []  # worktrees' branches with no commit yet: seen, if not kept
    for name, (branch, commit) in sorted(candidates.items()):
        match = regex.match(name)
        if not match or name == base:
            continue
        checked_out = name in worktrees and branch == name
        if commit.hexsha in merged and not checked_out:
            continue
        merge_bases = repo.merge_base(base_commit, commit)
        if not merge_bases:
            continue
        ids = []
        if commit.hexsha not in merged:
            ids = repo.git.log("--format=%H", f"{base_commit.hexsha}..{commit.hexsha}").split()
        if not ids:
            if checked_out:
                live_names.append(name)
            if not (checked_out and live):
                continue
        groups = match.groupdict()
        feature = groups.get("feature") or "default"
        found.append(
            Stream(
                name=f"{feature}/{groups['stream']}",
                feature=feature,
                branch=branch,
                head=commit.hexsha,
                merge_base=merge_bases[0].hexsha,
                ahead=len(ids),
                worktree=worktrees.get(name),
                commits=frozenset(ids),
            )
        )
    names = [s.name for s in found]
    names += [n for n in map(lambda b: stream_name(regex, b), live_names) if n and n not in names]
    seen = first_seen(refs.dirs_of(repo).common_dir, names, now)
    result.streams = [replace(stream, seen=seen[stream.name]) for stream in found]
    return result


SEEN_FILE = "stitch/streams-seen.json"  # in git's common dir: one per repository
MAX_SEEN_BYTES = 1024 * 1024


def _safe(text: str) -> str:
    # start-up: git's post-commit hook does not load safetext
    from stitch_ls.core.safetext import one_line

    return one_line(text)


def first_seen(common_dir: Path, names: list[str], now: datetime) -> dict[str, datetime]:
    """When this repository first saw each stream, kept in `<git common dir>/stitch/
    streams-seen.json`: the streams seen first hold a feature's cap, and unlike a commit's
    date (which its author writes, pushed from anywhere), no one but this repository's own
    Stitch sets it. A stream not in the record is seen `now` and added; one gone from the
    repository is dropped (a new stream of the same name is new). A missing, oversized or
    broken record, or one of its entries, means "seen now": every stream the same, ties by
    name; never an error. Written atomically under a lock, only when the names changed."""
    path = common_dir / SEEN_FILE
    recorded = _read_seen(path, now)
    if set(recorded) == set(names):
        return recorded
    try:
        folder = os.lstat(path.parent)
    except FileNotFoundError:
        pass  # made below, as a real folder
    else:
        if not stat.S_ISDIR(folder.st_mode):  # a symlink planted in `.git`: no write through it
            return {name: recorded.get(name, now) for name in names}
    try:
        with locked(path.with_suffix(".lock")):
            recorded = _read_seen(path, now)  # another process may have added some meanwhile
            seen = {name: recorded.get(name, now) for name in sorted(names)}
            if set(recorded) != set(names):
                data = {n: when.isoformat().replace("+00:00", "Z") for n, when in seen.items()}
                atomic_write(path, json.dumps({"version": 1, "streams": data}, indent=1) + "\n")
    except OSError:  # a repository Stitch cannot write into: seen now, each time
        seen = {name: recorded.get(name, now) for name in names}
    return seen


def _read_seen(path: Path, now: datetime) -> dict[str, datetime]:
    text = refs.read_small(path, MAX_SEEN_BYTES)
    try:
        data = parse_json(text) if text is not None else {}
    except ValueError:
        return {}
    streams = data.get("streams") if isinstance(data, dict) else None
    found: dict[str, datetime] = {}
    for name, when in (streams if isinstance(streams, dict) else {}).items():
        try:
            at = datetime.fromisoformat(when) if isinstance(when, str) else None
        except ValueError:
            continue
        if at is not None and at.tzinfo is not None:
            found[name] = min(at, now)  # a time yet to come is now at the latest
    return found


REMOTE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)*")
FETCH_TIMEOUT_S = 120


def stream_refspec(remote: str, branch_pattern: str) -> str:
    """The refspec that fetches only the branches the pattern can match: everything under
    the pattern's fixed start (`stream/{feature}/{stream}` -> `refs/heads/stream/*`)."""
    prefix = branch_pattern.split("{", 1)[0]
    prefix = prefix[: prefix.rfind("/") + 1]  # whole folders only: `stream/`
    return f"+refs/heads/{prefix}*:refs/remotes/{remote}/{prefix}*"


def fetch_streams(repo: Any, branch_pattern: str) -> list[str]:
    """Fetch every remote's stream branches into their remote-tracking refs (nothing else:
    no tags, no other branches, no FETCH_HEAD), through the hardened runner: no credential
    helper, no prompt, only the usual transports. The problems, one per remote that failed."""
    problems: list[str] = []
    for remote in sorted(r.name for r in repo.remotes):
        if not REMOTE_NAME.fullmatch(remote):
            problems.append(f"remote {remote!r}: not a name Stitch fetches from")
            continue
        try:
            repo.git.fetch(
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                # git takes the FIRST `remote.<name>.uploadpack` it reads, so the runner's
                # override cannot replace a repository's; the command line does
                "--upload-pack=git-upload-pack",
                remote,
                stream_refspec(remote, branch_pattern),
                kill_after_timeout=FETCH_TIMEOUT_S,
            )
        except Exception as exc:  # noqa: BLE001 - a remote that cannot be reached is said
            text = str(getattr(exc, "stderr", "") or exc).strip().splitlines()
            problems.append(f"fetch from {remote} failed: {text[-1] if text else exc}")
    return problems


@dataclass(frozen=True)
class Hunk:
    """One hunk of a unified diff, as 0-based half-open line ranges in the old and new file
    (an insertion has old_lo == old_hi: the old line it goes before), and its body lines."""

    old_lo: int
    old_hi: int
    new_lo: int
    new_hi: int
    lines: tuple[str, ...] = ()

    def marked(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Inclusive (new, old) line ranges to map to symbols: a pure deletion marks the new
        line where it happened; a pure insertion the old line it follows."""
        if self.new_hi == self.new_lo:
            at = max(0, self.new_lo - 1)
            new = (at, at)
        else:
            new = (self.new_lo, self.new_hi - 1)
        old = (self.old_lo, self.old_lo + max(self.old_hi - self.old_lo, 1) - 1)
        return new, old


@dataclass
class FileDiff:
    """What one `diff --git` section changes: `path` is the new name (the old one for a
    deleted file)."""

    path: str
    old_path: str | None
    new_path: str | None
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False

    @property
    def deleted(self) -> bool:
        return self.new_path is None

    @property
    def added(self) -> bool:
        return self.old_path is None


def _unquote(name: str) -> str:
    """A path as git prints it: C-quoted (with octal escapes for bytes) when unusual."""
    if len(name) < 2 or not (name.startswith('"') and name.endswith('"')):
        return name
    raw = bytearray()
    body, i = name[1:-1], 0
    simple = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, '"': 34}
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and i + 3 < len(body) + 1:
                raw.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            raw.append(simple.get(nxt, ord(nxt)))
            i += 2
            continue
        raw.extend(char.encode())
        i += 1
    return raw.decode("utf-8", "surrogateescape")


def _header_path(value: str, prefix: str) -> str | None:
    """The file named by a `---`/`+++`/`rename` header value; None for /dev/null."""
    if value.endswith("\t"):  # git adds a tab after a name holding a space
        value = value[:-1]
    if value == "/dev/null":
        return None
    name = _unquote(value)
    return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def _git_line_names(rest: str) -> tuple[str, str] | None:
    """Both names of `diff --git a/x b/x` when no other header gives them (mode-only or
    binary changes): quoted names, or two equal halves."""
    if rest.startswith('"'):
        end = rest.find('" ', 1)
        while end != -1 and rest[end - 1] == "\\":
            end = rest.find('" ', end + 1)
        if end == -1:
            return None
        return _header_path(rest[: end + 1], "a/") or "", _header_path(rest[end + 2 :], "b/") or ""
    half = (len(rest) - 1) // 2
    old, new = rest[:half], rest[half + 1 :]
    if old.startswith("a/") and new.startswith("b/") and old[2:] == new[2:]:
        return old[2:], new[2:]
    return None


def parse_hunks(lines: list[str], pos: int, out: list[Hunk]) -> int:
    """Read hunks from `lines[pos]` on, each body exactly as long as its `@@` header says (a
    body line is never taken for a header, whatever its text); returns where they end."""
    while pos < len(lines):
        match = HUNK.match(lines[pos])
        if not match:
            break
        old_start, old_count = int(match.group(1)), int(match.group(2) or 1)
        new_start, new_count = int(match.group(3)), int(match.group(4) or 1)
        old_lo = old_start - 1 if old_count else old_start
        new_lo = new_start - 1 if new_count else new_start
        pos += 1
        body: list[str] = []
        old_left, new_left = old_count, new_count
        while pos < len(lines) and (old_left > 0 or new_left > 0):
            line = lines[pos]
            kind = line[:1]
            if kind == " " or (kind == "" and old_left > 0 and new_left > 0):
                old_left, new_left = old_left - 1, new_left - 1
            elif kind == "-":
                old_left -= 1
            elif kind == "+":
                new_left -= 1
            elif kind != "\\":
                break  # a truncated hunk: stop rather than read the next header as a line
            body.append(line)
            pos += 1
        while pos < len(lines) and lines[pos].startswith("\\"):
            body.append(lines[pos])
            pos += 1
        out.append(Hunk(old_lo, old_lo + old_count, new_lo, new_lo + new_count, tuple(body)))
    return pos


def minimal_hunks(hunks: list[Hunk]) -> list[Hunk]:
    """The changes of hunks read with context, each run of removed and added lines a hunk of
    its own (what `-U0` shows, but from a diff git ran on the whole files: at `-U0` git trims
    the files' common tail first, which can move where an ambiguous insertion lands)."""
    out: list[Hunk] = []
    for hunk in hunks:
        old, new = hunk.old_lo, hunk.new_lo
        start: tuple[int, int] | None = None  # (old, new) where the current run began
        run: list[str] = []
        for line in [*hunk.lines, " "]:  # a last context line closes the last run
            kind = line[:1]
            if kind == "\\":  # "no newline at end of file": belongs to the line before
                if start is not None:
                    run.append(line)
            elif kind in ("-", "+"):
                if start is None:
                    start, run = (old, new), []
                run.append(line)
                old, new = (old + 1, new) if kind == "-" else (old, new + 1)
            else:  # context: ends the run
                if start is not None:
                    out.append(Hunk(start[0], old, start[1], new, tuple(run)))
                    start = None
                old, new = old + 1, new + 1
    return out


def parse_diff(diff: str) -> list[FileDiff]:
    """Files and hunks of `git diff` output, read by structure: names come from header lines
    only, and hunk bodies are consumed by the counts in their `@@` headers."""
    lines = diff.split("\n")
    files: list[FileDiff] = []
    pos = 0
    while pos < len(lines):
        line = lines[pos]
        pos += 1
        if not line.startswith("diff --git "):
            continue
        old: str | None = ""
        new: str | None = ""
        seen_old = seen_new = binary = False
        while pos < len(lines) and not lines[pos].startswith(("diff --git ", "@@ ")):
            header = lines[pos]
            pos += 1
            if header.startswith("--- "):
                old, seen_old = _header_path(header[4:], "a/"), True
            elif header.startswith("+++ "):
                new, seen_new = _header_path(header[4:], "b/"), True
            elif header.startswith(("rename from ", "copy from ")):
                old, seen_old = _header_path(header.split(" ", 2)[2], ""), True
            elif header.startswith(("rename to ", "copy to ")):
                new, seen_new = _header_path(header.split(" ", 2)[2], ""), True
            elif header.startswith("new file mode"):
                old, seen_old = None, True
            elif header.startswith("deleted file mode"):
                new, seen_new = None, True
            elif header.startswith("Binary files "):
                binary = True
        if not (seen_old and seen_new) or old == "" or new == "":
            names = _git_line_names(line[len("diff --git ") :])
            if names is not None:
                old = names[0] if (not seen_old or old == "") else old
                new = names[1] if (not seen_new or new == "") else new
        path = new if new is not None else old
        if not path:
            continue
        entry = FileDiff(path, old or None, new or None, binary=binary)
        pos = parse_hunks(lines, pos, entry.hunks)
        files.append(entry)
    return files


def hunk_ranges(diff: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """0-based inclusive line ranges each hunk of a -U0 diff covers: (in the new version, in
    the old one). A pure deletion marks the new line where it happened; a pure insertion the
    old line it follows."""
    hunks: list[Hunk] = []
    lines = diff.split("\n")
    pos = 0
    while pos < len(lines):
        if HUNK.match(lines[pos]):
            pos = parse_hunks(lines, pos, hunks)
        else:
            pos += 1
    marked = [hunk.marked() for hunk in hunks]
    return [m[0] for m in marked], [m[1] for m in marked]


def diff_texts(old: str, new: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Changed line ranges of two texts (the engineer's buffer against the base): in `new`,
    and the same changes in `old`. The common head and tail are trimmed first, so a local
    edit to a large file diffs only the lines around it."""
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
    """A file's text at a commit, read from git's object store through the repository's
    long-lived `cat-file --batch` (no process per file; no filter or textconv runs), or
    None when there is no such file."""
    if "\n" in path or "\n" in commit:  # one request per line on cat-file's stdin
        return None
    try:
        _sha, kind, _size, data = repo.git.get_object_data(f"{commit}:{path}")
    except Exception:  # noqa: BLE001 - the file (or the commit) does not exist
        return None
    if kind != b"blob" and kind != "blob":
        return None
    return data.decode("utf-8", "surrogateescape")


def files_changed(repo: Any, old: str, new: str) -> list[str]:
    """Paths changed between two commits, NUL-separated (a name with a newline or quotes
    stays one unquoted name)."""
    out = repo.git.diff(
        "--no-color", "--no-ext-diff", "--name-only", "-z", old, new, strip_newline_in_stdout=False
    )
    return [name for name in out.split("\x00") if name]


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
    sources: list[dict[str, str]] = []
    evidence: list[dict[str, str]] = []
    fields: dict[str, Any] = {}
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


def _split_hunk(hunk: Hunk) -> tuple[str, str]:
    old, new = [], []
    for line in hunk.lines:
        if line.startswith("\\"):
            continue
        kind, text = (line[:1] or " "), line[1:]
        if kind in (" ", "-"):
            old.append(text + "\n")
        if kind in (" ", "+"):
            new.append(text + "\n")
    return "".join(old), "".join(new)


def commit_drafts(repo: Any, stream: Stream, engineer_ref: str) -> tuple[list[Draft], list[str]]:
    """Drafts from the stream's agent commits not yet in the engineer's branch.

    Two `git log`s per stream at most (a subprocess per commit would cost seconds on a long
    stream): one, NUL-separated, for every commit's trailers; then, only if some commit has
    Stitch trailers, one `-p` for the hunks, split at marker lines no diff line can start
    with (diff lines start with a prefix), never at a character inside a file's content.
    """
    drafts: list[Draft] = []
    problems: list[str] = []
    span = f"{engineer_ref}..{stream.head}"
    listing = repo.git.log(
        "-z",
        "--reverse",
        "--no-merges",
        "--format=%H%x1f%an%x1f%ct%x1f%s%x1f%(trailers:only,unfold)",
        span,
        strip_newline_in_stdout=False,
    )
    agent_commits: list[tuple[str, str, str, str, list[tuple[str, str]]]] = []
    for record in listing.split("\0"):
        fields = record.strip("\n").split("\x1f", 4)
        if len(fields) != 5:
            continue
        sha, author, stamp, summary, trailer_text = fields
        pairs = []
        for line in trailer_text.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in TRAILER_KEYS:
                pairs.append((key.strip(), value.strip()))
        if pairs:
            agent_commits.append((sha, author, stamp, summary, pairs))
    if not agent_commits:
        return drafts, problems
    log = repo.git.log(
        "--reverse",
        "--no-merges",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "-p",
        f"-U{CONTEXT}",
        f"--format={COMMIT_MARK}%H",
        span,
        strip_newline_in_stdout=False,
    )
    diffs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in log.split("\n"):
        if line.startswith(COMMIT_MARK):
            current = diffs.setdefault(line[len(COMMIT_MARK) :].strip(), [])
        elif current is not None:
            current.append(line)
    for sha, author, stamp, summary, pairs in agent_commits:
        diff = "\n".join(diffs.get(sha, []))
        meta = parse_trailers(pairs)
        for file_diff in parse_diff(diff):
            if file_diff.deleted:
                continue
            path = file_diff.path
            for index, hunk in enumerate(file_diff.hunks, start=1):
                start = hunk.old_lo
                old, new = _split_hunk(hunk)
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


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", path)[-60:]


def streams_summary(streams: Any, cap: int) -> dict[str, Any]:
    """Streams by feature, and the features over the cap (the editor's and the CLI's)."""
    if streams is None:
        return {"features": {}, "over_cap": {}, "cap": None, "beyond_cap": [], "live": []}
    return {
        "features": {f: [s.name for s in group] for f, group in streams.by_feature().items()},
        "over_cap": {f: [s.name for s in group] for f, group in streams.over_cap(cap).items()},
        "cap": cap,
        "beyond_cap": sorted(streams.beyond_cap(cap)),  # their drafts are disabled
        "live": sorted(s.name for s in streams.streams if s.live),  # uncommitted work in worktrees
    }
