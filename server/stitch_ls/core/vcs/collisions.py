"""The collision index: which lines of each file other streams have changed, for the guard.

Before an agent's edit is written, the guard asks whether another stream (committed, or live:
uncommitted in its worktree) or the engineer's buffer has changed the same lines. It must
answer within its time budget, so it never diffs or parses anything: whichever Stitch process
last looked at git (the editor's indexer, or `stitch-ls watch`) writes, per changed file, one
small JSON file in the repository's common git folder:

    <git common dir>/stitch/changes/<sha256 of the path>.json      streams' changes
    <git common dir>/stitch/changes/<sha256 of the path>.you.json  the engineer's buffers
    <git common dir>/stitch/changes/looked.json                    when a process last looked

Each change names its stream, branch and checkout, its changed lines in base coordinates (the
file where the stream left the base), the base symbols those lines touch with their extents,
and the stitch owner. The guard (`collisions_for`) maps the lines an edit replaces onto the
base through its own stream's changes, and answers with the other streams' changes it meets.

The index is advice for coordination, not a security boundary: it lives where agents can
write (as git's refs do). Everything read from it is bounded, validated and escaped; an index
missing, stale or unreadable means "no collision known", said with its age when old.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from stitch_ls.core.files.fsio import parse_json, remove_temps
from stitch_ls.core.vcs.refs import read_small

FOLDER = "stitch/changes"
LOOKED = "looked.json"
VERSION = 1
MAX_ENTRY_BYTES = 256 * 1024  # one file's index: a few streams' ranges and symbols
MAX_EDITED_BYTES = 4 * 1024 * 1024  # the agent's own file, read to find the lines it edits
STALE_S = 10.0  # older than this, the guard says how old its knowledge is
MAX_RANGES = 2000  # per stream and file; more is one whole-file range
MAX_SYMBOLS = 200
WHOLE = (0, 1 << 30)


class Touch(NamedTuple):
    """One stream's change to one file, in base lines (0-based, inclusive). (Named tuples,
    not dataclasses, here: the guard reads these, and `dataclasses` alone costs it ~6 ms.)"""

    stream: str
    branch: str
    checkout: str | None  # the worktree whose files these are (None: committed only)
    live: bool  # uncommitted work in that worktree
    ranges: tuple[tuple[int, int], ...]  # changed lines, in the base
    new: tuple[tuple[int, int], ...]  # the same changes in the stream's version
    symbols: tuple[tuple[str, int, int], ...] = ()  # base symbols touched: name, first, last
    owner: str | None = None
    unsaved: bool = False  # the engineer's buffer differs from the file on disk
    # the diff's hunks, half-open (base first, base end, new first, new end): how the
    # stream's lines map to the base's (what an insertion moved, `to_base`)
    hunks: tuple[tuple[int, int, int, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "branch": self.branch,
            "checkout": self.checkout,
            "live": self.live,
            "ranges": [list(r) for r in self.ranges],
            "new": [list(r) for r in self.new],
            "symbols": [list(s) for s in self.symbols],
            "owner": self.owner,
            "unsaved": self.unsaved,
            "hunks": [list(h) for h in self.hunks],
        }

    @classmethod
    def from_json(cls, data: Any) -> Touch | None:
        """A touch from the index, or None when it is not one (the index is writable by
        anyone who can write git's folder: nothing in it is trusted to be well formed)."""
        if not isinstance(data, dict):
            return None
        stream, branch = data.get("stream"), data.get("branch")
        checkout, owner = data.get("checkout"), data.get("owner")
        if not (isinstance(stream, str) and isinstance(branch, str)):
            return None
        if checkout is not None and not isinstance(checkout, str):
            return None
        ranges, new = _ranges(data.get("ranges")), _ranges(data.get("new"))
        if ranges is None or new is None:
            return None
        symbols = []
        for item in data.get("symbols") or () if isinstance(data.get("symbols"), list) else ():
            if (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], str)
                and all(isinstance(n, int) and not isinstance(n, bool) for n in item[1:])
            ):
                symbols.append((item[0], item[1], item[2]))
        hunks = []
        for item in data.get("hunks") or () if isinstance(data.get("hunks"), list) else ():
            if (
                isinstance(item, list)
                and len(item) == 4
                and all(isinstance(n, int) and not isinstance(n, bool) for n in item)
            ):
                hunks.append((item[0], item[1], item[2], item[3]))
        return cls(
            stream[:200],
            branch[:300],
            checkout,
            data.get("live") is True,
            ranges,
            new,
            tuple(symbols[:MAX_SYMBOLS]),
            owner[:200] if isinstance(owner, str) else None,
            data.get("unsaved") is True,
            tuple(hunks[:MAX_RANGES]),
        )


def _ranges(value: Any) -> tuple[tuple[int, int], ...] | None:
    if not isinstance(value, list) or len(value) > MAX_RANGES:
        return None
    out = []
    for item in value:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in item)
        ):
            return None
        out.append((item[0], item[1]))
    return tuple(out)


def folder_of(common_dir: Path) -> Path:
    return common_dir / FOLDER


def entry_name(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:40]


# -- writing (the indexer, `stitch-ls watch`) ---------------------------------------------------


def _replace(path: Path, text: str) -> None:
    """Write a whole file by rename (no fsync: the index is rebuilt from git at any time)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _folder(common_dir: Path) -> Path | None:
    """The index folder, made if missing; None when it cannot be (or is a symlink: a
    planted one would send our writes elsewhere)."""
    folder = folder_of(common_dir)
    try:
        for step in (folder.parent, folder):
            if step.is_symlink():
                return None
            step.mkdir(exist_ok=True)
    except OSError:
        return None
    return folder


class IndexWriter:
    """Keeps one repository's index in step with what a process sees: a file per changed
    path, rewritten only when its content changes, removed when no stream changes it."""

    def __init__(self, common_dir: Path) -> None:
        self.common_dir = common_dir
        self.written: dict[str, str] | None = None  # path -> the text written (None: unknown)
        self.buffers: dict[str, str] = {}  # path -> the engineer's touch written
        remove_killed_writes(folder_of(common_dir))

    def write(self, touches: dict[str, list[Touch]], now: datetime) -> int:
        """The whole index for these touches; returns how many files were (re)written."""
        folder = _folder(self.common_dir)
        if folder is None:
            return 0
        wanted = {
            entry_name(path): json.dumps(
                {"version": VERSION, "path": path, "touches": [t.to_json() for t in found]},
                separators=(",", ":"),
            )
            for path, found in sorted(touches.items())
            if found
        }
        if self.written is None:  # a fresh process: what an earlier one left is not known
            self.written = {}
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder):
                    name = entry.name
                    if name.endswith(".json") and not name.endswith(".you.json"):
                        stem = name.removesuffix(".json")
                        if stem != LOOKED.removesuffix(".json") and stem not in wanted:
                            with contextlib.suppress(OSError):
                                os.unlink(entry.path)
        count = 0
        for stem, text in wanted.items():
            if self.written.get(stem) != text:
                with contextlib.suppress(OSError):
                    _replace(folder / f"{stem}.json", text)
                    count += 1
                self.written[stem] = text
        for stem in [s for s in self.written if s not in wanted]:
            with contextlib.suppress(OSError):
                os.unlink(folder / f"{stem}.json")
            del self.written[stem]
        self.looked(now)
        return count

    def write_buffer(self, path: str, touch: Touch | None) -> None:
        """The engineer's change to one open file (None: none, or the file was closed)."""
        if touch is None:
            if self.buffers.pop(path, None) is not None:
                with contextlib.suppress(OSError):
                    os.unlink(folder_of(self.common_dir) / f"{entry_name(path)}.you.json")
            return
        text = json.dumps({"version": VERSION, "path": path, "touches": [touch.to_json()]})
        if self.buffers.get(path) == text:
            return
        folder = _folder(self.common_dir)
        if folder is None:
            return
        with contextlib.suppress(OSError):
            _replace(folder / f"{entry_name(path)}.you.json", text)
            self.buffers[path] = text

    def looked(self, now: datetime) -> None:
        """Say that a Stitch process has looked at git (and keeps looking) as of `now`."""
        folder = _folder(self.common_dir)
        if folder is not None:
            with contextlib.suppress(OSError):
                _replace(folder / LOOKED, json.dumps({"at": now.isoformat(), "pid": os.getpid()}))


def remove_killed_writes(folder: Path) -> None:
    """The temp files a killed writer of the index left (`.<name>.<pid>.<random>.tmp`, its
    pid gone), as `fsio` recovers every other file Stitch writes."""
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if entry.startswith(".") and entry.endswith(".tmp") and ".json." in entry:
            remove_temps(folder / entry[1 : entry.index(".json.") + 5])


def touches_of(root: Path, team: Any, snap: Any) -> dict[str, list[Touch]]:
    """Every stream's change per file of a snapshot, with the base symbols each touches and
    the stitch owner (the indexer's side: parses base versions, cached per text)."""
    # start-up: the guard's path reads the index; only writing it needs this
    from stitch_ls.core.vcs.gitview import owner_for

    by_stream = {s.name: s for s in snap.streams.streams}
    out: dict[str, list[Touch]] = {}
    for path, changes in sorted(snap.changes.items()):
        for name, change in sorted(changes.items()):
            stream = by_stream.get(name)
            work = snap.work.get(name)
            if stream is None or work is None:
                continue
            if change.deleted:
                ranges: tuple[tuple[int, int], ...] = (WHOLE,)
                new: tuple[tuple[int, int], ...] = ()
            else:
                ranges, new = change.base_ranges, change.new_ranges
                if len(ranges) > MAX_RANGES:
                    ranges, new = (WHOLE,), (WHOLE,)
            checkout = str(work.live.checkout) if work.live is not None else None
            diff = work.diffs.get(path)
            hunks = tuple(
                (h.old_lo, h.old_hi, h.new_lo, h.new_hi) for h in (diff.hunks if diff else ())
            )
            out.setdefault(path, []).append(
                Touch(
                    name,
                    stream.branch,
                    checkout,
                    snap.live_in(name, path),
                    ranges,
                    new,
                    _base_symbols(root, snap, stream.merge_base, path, ranges),
                    owner_for(team, snap, path, (name,)),
                    hunks=hunks[:MAX_RANGES],
                )
            )
    return out


_BASE_SYMBOLS: dict[tuple[str, str], list[tuple[str, int, int]]] = {}


def _base_symbols(
    root: Path, snap: Any, commit: str, path: str, ranges: tuple[tuple[int, int], ...]
) -> tuple[tuple[str, int, int], ...]:
    """The base symbols (innermost) the changed base lines touch, with their extents."""
    symbols = base_symbols(root, commit, path)
    found: dict[str, tuple[str, int, int]] = {}
    for name, first, last in symbols:
        if any(lo <= last and first <= hi for lo, hi in ranges):
            found[name] = (name, first, last)
    # innermost only: drop a symbol that holds another found one (a class around a method)
    inner = [
        s
        for s in found.values()
        if not any(o is not s and s[1] <= o[1] and o[2] <= s[2] and o != s for o in found.values())
    ]
    return tuple(sorted(inner, key=lambda s: s[1])[:MAX_SYMBOLS])


def base_symbols(root: Path, commit: str, path: str) -> list[tuple[str, int, int]]:
    """Every symbol of `path` at `commit` with its lines (cached: a commit's file never
    changes)."""
    key = (commit, path)
    if key not in _BASE_SYMBOLS:
        # start-up: the guard's path reads the index; only writing it needs this
        from stitch_ls.core.syntax import language_for_path
        from stitch_ls.core.vcs import streams as st
        from stitch_ls.core.vcs.stitchpoints import parsed

        language = language_for_path(path)
        text = None
        if language is not None:
            repo = st.open_repo(root)
            text = st.file_at(repo, commit, path) if repo is not None else None
        symbols: list[tuple[str, int, int]] = []
        if text is not None and language is not None:
            doc = parsed(text, language)
            if not doc.over_budget:
                symbols = [(s.name, s.start[0], s.last_line) for s in doc.symbols()]
        if len(_BASE_SYMBOLS) > 4096:
            _BASE_SYMBOLS.pop(next(iter(_BASE_SYMBOLS)))
        _BASE_SYMBOLS[key] = symbols
    return _BASE_SYMBOLS[key]


# -- reading (the guard) ----------------------------------------------------------------------


class Collision(NamedTuple):
    """Another stream's (or the engineer's) change the edit meets."""

    stream: str
    branch: str
    live: bool
    where: str  # "Cart.total", or "lines 18-19", or "the file"
    owner: str | None
    engineer: bool = False


def read_entry(file: Path) -> list[Touch]:
    text = read_small(file, MAX_ENTRY_BYTES)
    if text is None:
        return []
    try:
        data = parse_json(text)
    except ValueError:
        return []
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return []
    touches = data.get("touches")
    found = [Touch.from_json(t) for t in touches[:64]] if isinstance(touches, list) else []
    return [t for t in found if t is not None]


def age_of(common_dir: Path, now: datetime) -> float | None:
    """Seconds since a Stitch process last looked at git (None: no index, or unreadable)."""
    text = read_small(folder_of(common_dir) / LOOKED, 4096)
    try:
        data = parse_json(text) if text is not None else None
        at = datetime.fromisoformat(data["at"]) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
    if at is None or at.tzinfo is None:
        return None
    return max(0.0, (now - at).total_seconds())


def edited_lines(file: Path, replaces: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """The lines of the agent's file its edit replaces (0-based, inclusive), from the texts
    it replaces; None: the whole file (a new file, a write, or texts not found in it)."""
    if not replaces:
        return None
    text = read_small(file, MAX_EDITED_BYTES)
    if text is None:
        return None
    found = []
    for old in replaces:
        at = text.find(old) if old else -1
        if at < 0:
            return None
        first = text.count("\n", 0, at)
        found.append((first, first + old.count("\n")))
    return found


def to_base(lines: list[tuple[int, int]], own: Touch | None) -> list[tuple[int, int]]:
    """Lines of the agent's version mapped to the base through its own stream's hunks: a
    line inside one of its changes is that change's base lines, one outside is shifted by
    what its changes above it added or removed."""
    if own is None or not own.hunks:
        return lines
    hunks = sorted(own.hunks, key=lambda h: h[2])
    out = []
    for first, last in lines:
        mapped = [_line_to_base(line, hunks) for line in (first, last)]
        out.append((min(m[0] for m in mapped), max(m[1] for m in mapped)))
    return out


def _line_to_base(line: int, hunks: list[tuple[int, int, int, int]]) -> tuple[int, int]:
    shift = 0
    for base_lo, base_hi, new_lo, new_hi in hunks:
        if new_lo <= line < new_hi:  # a line the stream wrote: the base lines it replaced
            return base_lo, max(base_lo, base_hi - 1)
        if new_hi <= line:
            shift += (base_hi - base_lo) - (new_hi - new_lo)
    return line + shift, line + shift


def meets(touch: Touch, base_lines: list[tuple[int, int]] | None) -> str | None:
    """Where `touch` meets the edit's base lines (None: the whole file): the innermost base
    symbol both are in, else the touch's lines next to the edit's; None if they do not meet."""
    if base_lines is None:
        names = [s[0] for s in touch.symbols[:3]]
        return ", ".join(names) if names else "the file"
    for first, last in base_lines:
        for name, lo, hi in touch.symbols:
            if lo <= last and first <= hi:
                return name
        for lo, hi in touch.ranges:
            if lo <= last + 1 and first - 1 <= hi:
                return "the file" if (lo, hi) == WHOLE else f"lines {lo + 1}-{hi + 1}"
    return None


def collisions_for(
    common_dir: Path,
    relative: str,
    checkout: str,
    own_stream: str | None,
    replaces: tuple[str, ...],
) -> list[Collision]:
    """The other streams' and the engineer's changes an agent's edit of `relative` (in the
    checkout `checkout`, on `own_stream`) meets, from the index alone."""
    folder = folder_of(common_dir)
    stem = entry_name(relative)
    touches = read_entry(folder / f"{stem}.json")
    buffers = read_entry(folder / f"{stem}.you.json")
    if not touches and not buffers:
        return []
    own = next((t for t in touches if t.stream == own_stream or t.checkout == checkout), None)
    lines = edited_lines(Path(checkout) / relative, replaces)
    base = to_base(lines, own) if lines is not None else None
    found = []
    for touch in touches:
        if touch is own or touch.stream == own_stream or touch.checkout == checkout:
            continue
        where = meets(touch, base)
        if where is not None:
            found.append(Collision(touch.stream, touch.branch, touch.live, where, touch.owner))
    for touch in buffers:
        if touch.checkout == checkout and not touch.unsaved:
            continue  # the engineer's saved work in the agent's own checkout is its file
        where = meets(touch, base)
        if where is not None:
            found.append(Collision("you", touch.branch, touch.unsaved, where, touch.owner, True))
    return found
