"""Applies from the editor waiting to be kept: an apply counts as accepted once it is on disk.

The editor applies a draft to its buffers (`workspace/applyEdit`); nothing reaches the disk
until a buffer is saved (or, for a file it had closed, until the editor writes it). Until
then the apply waits here, one file per draft in the per-user state folder (outside the
workspace, beside the apply journal): the draft, the log entry it will get, each file's text
before and after, the pieces of text it changed, and the editor session whose buffers hold it.
The engineer's state mirrors a short summary (`State.unsaved`), so every door counts and lists
what waits without reading these files.

Whether an apply is kept is decided by text, never by a client's word (`judge`): kept when
the disk holds the change in every file it touched; not kept when a file's buffer was closed
without it reaching the disk, when a buffer no longer holds it and holds what the disk holds
(undone, or reverted), when a save wrote a buffer without it, or when the session ended first.
An engineer who edits the applied text before saving still kept it: a file holds the change
while any of its pieces stands.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from stitch_ls.core.drafts.model import Draft, SourceLogEntry
from stitch_ls.core.files.fsio import atomic_write, parse_json, read_bytes_limited
from stitch_ls.core.records import Aware, Record, record
from stitch_ls.core.text import LineIndex

MAX_UNSAVED_BYTES = 128 * 1024 * 1024  # a draft's files before and after, at most 20 MiB each

# what happened to an apply that was not kept, as the log and every door say it
CLOSED = "closed without saving"
UNDONE = "undone or reverted in the editor before it was saved"
SAVED_WITHOUT = "saved without it (undone or replaced before the save)"
ENDED = "the editor session ended before it was saved"
NEVER = "the editor never applied it"


@dataclass(frozen=True)
class Session:
    """An editor session: the language server process whose buffers hold an apply. Its start
    time (where the system says it) tells it apart from a later process with the same pid."""

    pid: int
    started: str = ""

    @classmethod
    def current(cls) -> Session:
        return cls(os.getpid(), _started(os.getpid()))

    def alive(self) -> bool:
        """Whether the session's process still runs (a zombie, killed and not yet reaped,
        does not)."""
        if self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except (ProcessLookupError, OverflowError, ValueError):
            return False
        except PermissionError:  # it runs, as someone else: not ours, so not that session
            return False
        fields = _stat(self.pid)
        if fields and fields[0] in ("Z", "X"):
            return False
        return not self.started or _started(self.pid) == self.started


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name (Linux), or []."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return raw.rpartition(")")[2].split()


def _started(pid: int) -> str:
    """A process's start time in clock ticks since boot (Linux), or "" where unknown."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else ""


@record(frozen=False)
class Verdict(Record):
    """What became of an apply, written before it is carried out (a crash midway is
    finished by whoever comes next)."""

    kept: bool
    what: str  # "saved", or what happened to an apply not kept
    at: Aware


@record(frozen=False)
class Unsaved(Record):
    """An apply from the editor waiting to reach the disk (module docstring)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "ignore"}

    version: Literal[1] = 1
    draft: Draft
    entry: SourceLogEntry  # as logged once kept (its time and ranges are the keep's)
    by: str
    at: Aware  # applied in the editor
    pid: int
    started: str = ""
    # path -> [text before, text after] (None: no file)
    files: dict[str, list[str | None]] = field(default_factory=dict)
    # path -> the pieces the apply changed, each [old text, new text]
    changes: dict[str, list[list[str]]] = field(default_factory=dict)
    verdict: Verdict | None = None

    @property
    def session(self) -> Session:
        return Session(self.pid, self.started)

    def holds(self, path: str, text: str | None) -> bool:
        """Whether `text` (the file now, on disk or in a buffer) holds this apply's change."""
        before, after = self.files[path]
        return holds(self.changes.get(path, []), before, after, text)


def changes_of(plan: Any, before: dict[str, str | None]) -> dict[str, list[list[str]]]:
    """Per file, the [old, new] text of each of the plan's edits (a created file: ["", its
    text]; a deleted one: [its text, ""])."""
    out: dict[str, list[list[str]]] = {}
    for edit in plan.edits:
        text = before.get(edit.path)
        if edit.kind == "create":
            out.setdefault(edit.path, []).append(["", edit.text])
        elif edit.kind == "delete":
            out.setdefault(edit.path, []).append([text or "", ""])  # `files` says it is gone
        else:
            index = LineIndex(text or "")
            a, b = index.offset(*edit.start), index.offset(*edit.end)
            old = (text or "")[a:b] if a is not None and b is not None else ""
            out.setdefault(edit.path, []).append([old, edit.text])
    return out


def holds(pieces: list[list[str]], before: str | None, after: str | None, text: str | None) -> bool:
    """Whether `text` (a file now; None: no file) holds the change `pieces` made to `before`
    (giving `after`): a deleted file is gone, a created one is there, and otherwise some piece
    stands (its new text occurs more often than before the apply, or a removal's old text less
    often)."""
    if after is None:
        return text is None  # the file was deleted
    if text is None:
        return False
    if before is None:
        return True  # a file the apply created is there
    for old, new in pieces:
        if new == old:
            continue
        if new and text.count(new) > before.count(new):
            return True
        if not new and old and text.count(old) < before.count(old):
            return True
    return False


def judge(
    waiting: Unsaved,
    disk: dict[str, str | None],
    buffers: dict[str, str],
    event: str,
    path: str | None = None,
) -> tuple[bool, str] | None:
    """Kept (True, "saved"), not kept (False, what happened), or None while it waits.

    `disk`: each of its files as on disk; `buffers`: those open in its session, as their
    buffers hold them; `event`: what happened to `path` ("saved", "closed", "changed"), or
    "check" (look, nothing happened), or "ended" (the session is over: buffers are gone)."""
    if all(waiting.holds(p, disk.get(p)) for p in waiting.files):
        return True, "saved"
    for name in waiting.files:
        if waiting.holds(name, disk.get(name)):
            continue
        if event == "ended":
            return False, ENDED
        buffer = buffers.get(name)
        if buffer is None:
            if event == "closed" and name == path:
                return False, f"{name}: {CLOSED}"
            continue  # not open: the editor may still write it
        if waiting.holds(name, buffer):
            continue  # in the buffer, not saved yet
        if buffer == disk.get(name):
            return False, f"{name}: {UNDONE}"
        if event == "saved" and name == path:
            return False, f"{name}: {SAVED_WITHOUT}"
    return None


# -- where the change landed: line ranges and their hashes, as the disk holds them ----------


def line_hash(lines: list[str]) -> str:
    """What a range's text is known by in the log (`SourceLogEntry.range_hashes`)."""
    return hashlib.sha256("\n".join(line.rstrip("\r") for line in lines).encode()).hexdigest()


def find_block(lines: list[str], block: list[str], near: int) -> int | None:
    """The 0-based start of `block` in `lines` nearest to `near`, or None."""
    if not block or len(block) > len(lines):
        return None
    first = block[0]
    starts = [
        n
        for n, line in enumerate(lines[: len(lines) - len(block) + 1])
        if line == first and lines[n : n + len(block)] == block
    ]
    return min(starts, key=lambda n: abs(n - near)) if starts else None


def landed(entry: SourceLogEntry, after: dict[str, str | None], disk: dict[str, str | None]) -> Any:
    """`entry` with its line ranges where the disk now holds the applied lines (the
    engineer may have typed above them before saving) and each range's hash."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    hashes: dict[str, list[str]] = {}
    for path, spans in entry.ranges.items():
        written = (after.get(path) or "").splitlines()
        now = (disk.get(path) or "").splitlines()
        for first, last in spans:
            block = written[first - 1 : last]
            start = find_block(now, block, first - 1)
            if start is None:
                continue  # rewritten before the save: no lines of it to attribute
            ranges.setdefault(path, []).append((start + 1, start + len(block)))
            hashes.setdefault(path, []).append(line_hash(block))
    return entry.replace(ranges=ranges, range_hashes=hashes)


# -- the store -------------------------------------------------------------------------------


def folder(paths: Any) -> Path:
    return Path(paths.unsaved)


def file_of(paths: Any, draft_id: str) -> Path:
    return folder(paths) / f"{draft_id}.json"


def write(paths: Any, waiting: Unsaved) -> None:
    atomic_write(file_of(paths, waiting.draft.id), waiting.to_json())


def remove(paths: Any, draft_id: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        file_of(paths, draft_id).unlink()


def read_all(paths: Any) -> tuple[list[Unsaved], list[str]]:
    """Every apply waiting here (by draft id order), and the files that could not be read."""
    found: list[Unsaved] = []
    problems: list[str] = []
    try:
        names = sorted(os.listdir(folder(paths)))
    except (FileNotFoundError, NotADirectoryError):
        return found, problems
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        file = folder(paths) / name
        try:
            found.append(Unsaved.from_data(parse_json(read_bytes_limited(file, MAX_UNSAVED_BYTES))))
        except (OSError, ValueError) as exc:
            problems.append(f"{file}: {exc}")
    return found, problems
