"""Reading `.stitch/drafts/*.json`: every file becomes a valid draft or one clear error.

The inbox is the repository's: the drafts folder of every checkout of it (the main one and each
linked worktree agents work in). A draft found in another checkout's folder is that checkout's
stream's, whatever it says (`Inbox.stream`). The index re-reads only files whose size or
mtime changed, so a rescan after a file event costs a `scandir`, not a re-parse of thousands
of drafts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from stat import S_ISREG
from typing import Any, TypeVar

from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.drafts.sources import SourceReport, unsourced
from stitch_ls.core.files.fsio import (
    atomic_write,
    parse_json,
    read_bytes_limited,
    read_text_limited,
)
from stitch_ls.core.records import plain_error, validation_errors

MAX_DRAFT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """One draft file: the draft, or why it is invalid (with what could still be read)."""

    file: Path
    draft: Draft | None
    error: str | None = None
    error_line: int = 0
    raw_id: str | None = None
    raw_title: str | None = None
    raw_edits: tuple[dict[str, Any], ...] = ()
    origin: str = "file"  # "file" (.stitch/drafts) or "git" (a hunk of an agent commit)
    sources: SourceReport | None = None  # its sources as checked when it was read
    base: str | None = None  # an agent commit's draft: that commit (its tests may be there)

    @property
    def unsourced(self) -> bool:
        """No sources, or every one it cites missing: parked, and counted against the budget."""
        return self.draft is not None and unsourced(self.draft, self.sources)

    @property
    def id(self) -> str:
        if self.draft is not None:
            return self.draft.id
        return self.raw_id or self.file.stem

    @property
    def title(self) -> str:
        if self.draft is not None:
            return self.draft.title
        return self.raw_title or self.file.name


_Record = TypeVar("_Record")


def parse_draft_text(text: str) -> Draft:
    """Validate a draft document; raises ValueError with one readable line on failure."""
    return parse_document(text, Draft.from_data)


def parse_document(
    text: str, build: Callable[[Any], _Record], schema: dict[str, Any] | None = None
) -> _Record:
    """A JSON document an agent wrote, validated into a record by `build`; ValueError with
    one readable line on failure (bad JSON, or the fields that are wrong)."""
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    try:
        return build(data)
    except ValueError as exc:
        raise ValueError(describe_validation(exc, schema)) from None


def describe_validation(exc: ValueError, schema: dict[str, Any] | None = None) -> str:
    """Pydantic errors as one line in plain words: `confidence: must be between 0 and 1;
    edits.0.path: path must not leave the workspace` (`plain_error`). `schema`: the JSON
    Schema validated against (the draft's when left out)."""
    errors = validation_errors(exc)
    if schema is None:
        schema = Draft.json_schema()
    parts = [plain_error(error, schema) or "draft" for error in errors[:5]]
    more = len(errors) - len(parts)
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def load_draft_file(path: Path) -> DraftRecord:
    """Read one draft file; never raises for bad content."""
    try:
        text = read_text_limited(path, MAX_DRAFT_BYTES)
    except (OSError, ValueError) as exc:
        return DraftRecord(path, None, f"{path.name}: cannot read: {exc}")
    try:  # the usual case, parsed and validated in one pass, leaving no dicts behind
        return DraftRecord(path, Draft.from_json(text))
    except ValueError:  # pydantic's own parser bounds the depth it reads
        pass  # read again below, for a message that points at the line
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        return DraftRecord(
            path, None, f"{path.name}: not valid JSON: {exc.msg}", error_line=exc.lineno - 1
        )
    except ValueError as exc:
        return DraftRecord(path, None, f"{path.name}: not valid JSON: {exc}")
    try:
        return DraftRecord(path, Draft.from_data(data))
    except ValueError as exc:
        raw = data if isinstance(data, dict) else {}
        errors = validation_errors(exc)
        first = errors[0]["loc"] if errors else ()
        return DraftRecord(
            path,
            None,
            f"{path.name}: {describe_validation(exc)}",
            error_line=_line_of_field(text, first),
            raw_id=raw.get("id") if isinstance(raw.get("id"), str) else None,
            raw_title=raw.get("title") if isinstance(raw.get("title"), str) else None,
            raw_edits=tuple(e for e in raw.get("edits", ()) if isinstance(e, dict))
            if isinstance(raw.get("edits"), list)
            else (),
        )


def _line_of_field(text: str, loc: tuple[Any, ...]) -> int:
    """The line of the last named key in `loc`, found by text search (good enough to point)."""
    names = [part for part in loc if isinstance(part, str)]
    for name in reversed(names):
        needle = json.dumps(name) + ":"
        index = text.find(needle)
        if index == -1:
            index = text.find(json.dumps(name))
        if index != -1:
            return text.count("\n", 0, index)
    return 0


@dataclass(frozen=True)
class Inbox:
    """One drafts folder of the repository, and the stream a draft found there belongs to
    (None: the one it names; set for a worktree checked out on a stream branch)."""

    folder: Path
    stream: str | None = None


@dataclass
class ScanResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def ids(self) -> set[str]:
        return {*self.added, *self.changed, *self.removed}


class DraftIndex:
    """All draft files of one repository's inbox, indexed by id and by the paths they
    touch. Files are keyed by their full path."""

    def __init__(
        self,
        inboxes: Path | Callable[[], list[Inbox]],
        check: Callable[[Draft, str | None], SourceReport] | None = None,
    ) -> None:
        """`inboxes`: the drafts folders (one folder, or what they are now: worktrees come
        and go); `check`: how a draft's sources are checked as it is read
        (`sources.SourceChecker`)."""
        self._inboxes = (lambda: [Inbox(inboxes)]) if isinstance(inboxes, Path) else inboxes
        self.check = check
        self._files: dict[Path, tuple[tuple[int, int, int], DraftRecord]] = {}
        # path -> (the stat key it was read at, its bytes' digest): for telling a committed
        # draft file's copies in other worktrees from a second draft with the same id
        self._digests: dict[Path, tuple[tuple[int, int, int] | None, str]] = {}
        self._streams: dict[Path, str | None] = {}  # folder -> its stream, as last scanned
        self.by_id: dict[str, DraftRecord] = {}
        self.by_path: dict[str, list[DraftRecord]] = {}
        self.extra: list[DraftRecord] = []
        self.invalid: list[DraftRecord] = []  # records of broken draft files, for diagnostics

    @property
    def folders(self) -> list[Path]:
        return [inbox.folder for inbox in self._inboxes()]

    def set_extra(self, records: list[DraftRecord]) -> ScanResult:
        """Drafts that come from elsewhere (agent commits): indexed beside the files."""
        if not records and not self.extra:
            return ScanResult()  # nothing before, nothing now: no reindex of every file
        old = {r.id for r in self.extra}
        new = {r.id for r in records}
        self.extra = [self._checked(r) for r in records]
        self._reindex()
        return ScanResult(added=sorted(new - old), removed=sorted(old - new))

    def scan(self) -> ScanResult:
        """Bring the index up to date with every folder; returns the ids that moved."""
        seen: dict[Path, tuple[int, int, int]] = {}
        inboxes = self._inboxes()
        moved = {i.folder for i in inboxes if self._streams.get(i.folder, i.stream) != i.stream}
        self._streams = {inbox.folder: inbox.stream for inbox in inboxes}
        for inbox in inboxes:
            try:
                entries = list(os.scandir(inbox.folder))
            except OSError:
                entries = []
            for entry in entries:
                if not _is_draft_name(entry.name):
                    continue
                try:
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
                seen[Path(entry.path)] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        for path in [p for p in self._files if p.parent in moved]:  # a worktree changed branch
            self._files.pop(path)
        gone = [path for path in self._files if path not in seen]
        return self._apply(seen, gone)

    def update(self, files: Iterable[Path]) -> ScanResult:
        """Bring only the named files up to date (a watcher said they changed): a new draft
        costs one read, not a pass over thousands of files."""
        if not self._streams:
            self._streams = {inbox.folder: inbox.stream for inbox in self._inboxes()}
        seen: dict[Path, tuple[int, int, int]] = {}
        gone = []
        for path in set(files):
            if not _is_draft_name(path.name) or path.parent not in self._streams:
                continue
            try:
                stat = path.lstat()
            except OSError:
                stat = None
            if stat is None or not S_ISREG(stat.st_mode):
                gone.append(path)
            else:
                seen[path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        return self._apply(seen, [path for path in gone if path in self._files])

    def _apply(self, seen: dict[Path, tuple[int, int, int]], gone: list[Path]) -> ScanResult:
        result = ScanResult()
        for path, key in seen.items():
            old = self._files.get(path)
            if old is not None and old[0] == key:
                continue
            record = self._checked(
                _of_stream(load_draft_file(path), self._streams.get(path.parent))
            )
            self._files[path] = (key, record)
            (result.changed if old else result.added).append(record.id)
        for path in gone:
            result.removed.append(self._files.pop(path)[1].id)
        if result.any:
            self._reindex()
        return result

    def _checked(self, record: DraftRecord) -> DraftRecord:
        if self.check is None or record.draft is None:
            return record
        return replace(record, sources=self.check(record.draft, record.base))

    def recheck(self) -> ScanResult:
        """Check every draft's sources again (cited files come and go); the drafts whose
        report changed come back as changed records."""
        if self.check is None:
            return ScanResult()
        result = ScanResult()
        for path, (key, record) in list(self._files.items()):
            fresh = self._checked(record)
            if fresh.sources != record.sources:
                self._files[path] = (key, fresh)
                result.changed.append(record.id)
        extra = [self._checked(r) for r in self.extra]
        for old, new in zip(self.extra, extra, strict=True):
            if old.sources != new.sources:
                result.changed.append(old.id)
        self.extra = extra
        if result.any:
            self._reindex()
        return result

    def _reindex(self) -> None:
        by_id: dict[str, DraftRecord] = {}
        by_path: dict[str, list[DraftRecord]] = {}
        order = {folder: n for n, folder in enumerate(self._streams)}  # this checkout's first
        files = sorted(self._files, key=lambda p: (order.get(p.parent, len(order)), p.name))
        records = [self._files[path][1] for path in files] + self.extra
        for record in records:
            name = record.file.name
            clash = by_id.get(record.id)
            if clash is not None and self._copy_of(clash, record):
                continue  # the same draft file, committed: every worktree has a copy of it
            if clash is not None:
                where = clash.file.name if clash.file.parent == record.file.parent else clash.file
                record = DraftRecord(
                    record.file,
                    None,
                    f"{name}: duplicate id {record.id!r} (also in {where}); ids are one per "
                    "repository",
                    raw_id=f"{record.id}@{name}",
                    raw_title=record.title,
                )
            by_id[record.id] = record
            for path in record_paths(record):
                by_path.setdefault(path, []).append(record)
        self.by_id = by_id
        self.by_path = by_path
        self.invalid = [r for r in by_id.values() if r.draft is None and r.error]

    def records(self) -> list[DraftRecord]:
        return list(self.by_id.values())

    def _copy_of(self, first: DraftRecord, other: DraftRecord) -> bool:
        """Whether `other` is another checkout's copy of `first`'s file (same name, same
        bytes): a draft file committed to git is in every worktree, and is one draft."""
        if first.origin != "file" or other.origin != "file" or first.file == other.file:
            return False
        if first.file.name != other.file.name or first.file.parent == other.file.parent:
            return False
        return self._digest(first.file) == self._digest(other.file) is not None

    def _digest(self, path: Path) -> str | None:
        entry = self._files.get(path)
        key = entry[0] if entry is not None else None
        cached = self._digests.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            data = read_bytes_limited(path, MAX_DRAFT_BYTES)
        except (OSError, ValueError):
            return None
        digest = hashlib.sha256(data).hexdigest()
        self._digests[path] = (key, digest)
        return digest


class DraftView:
    """The drafts of the files open in an editor: what the language server process keeps.

    The indexer process holds the whole `DraftIndex`; the server asks it for the drafts of
    the paths it shows (`replace`) and takes what changes since (`adopt`). Same read API
    as `DraftIndex` (`by_id`, `by_path`, `invalid`, `records`)."""

    def __init__(self) -> None:
        self.by_id: dict[str, DraftRecord] = {}
        self.by_path: dict[str, list[DraftRecord]] = {}
        self.invalid: list[DraftRecord] = []

    def watch(self, paths: frozenset[str], records: Iterable[DraftRecord]) -> None:
        """The view now shows `paths`: drafts on none of them leave, `records` (the drafts of
        the paths just added) come in."""
        by_id = {i: r for i, r in self.by_id.items() if not paths.isdisjoint(record_paths(r))}
        by_id.update((record.id, record) for record in records)
        self.by_id = by_id
        self._reindex()

    def adopt(self, result: ScanResult, records: Iterable[DraftRecord]) -> None:
        """Drafts that moved: `records` are the new versions of those still on a watched path;
        any other id in `result` leaves the view (gone, or moved to a path not shown)."""
        by_id = dict(self.by_id)
        for draft_id in result.ids:
            by_id.pop(draft_id, None)
        for record in records:
            by_id[record.id] = record
        self.by_id = by_id
        self._reindex()

    def keep(self, record: DraftRecord) -> None:
        """One more draft, asked for by id (a command on a draft of a file not open)."""
        self.by_id = {**self.by_id, record.id: record}
        self._reindex()

    def update(self, files: Iterable[Path]) -> ScanResult:
        """Files this process removed itself (an applied draft): out of the view at once;
        the indexer hears of it from the watcher as well."""
        names = set(files)
        gone = [r.id for r in self.by_id.values() if r.origin == "file" and r.file in names]
        if gone:
            self.by_id = {i: r for i, r in self.by_id.items() if i not in gone}
            self._reindex()
        return ScanResult(removed=gone)

    def _reindex(self) -> None:
        by_path: dict[str, list[DraftRecord]] = {}
        for record in sorted(self.by_id.values(), key=_file_order):
            for path in record_paths(record):
                by_path.setdefault(path, []).append(record)
        self.by_path = by_path

    def records(self) -> list[DraftRecord]:
        return list(self.by_id.values())


def _file_order(record: DraftRecord) -> tuple[bool, str]:
    """The index's order: draft files by name, then agent commits' drafts."""
    return record.origin != "file", record.file.name


def _of_stream(record: DraftRecord, stream: str | None) -> DraftRecord:
    """A draft found in a worktree checked out on a stream branch is that stream's."""
    if stream is None or record.draft is None or record.draft.stream == stream:
        return record
    return replace(record, draft=record.draft.replace(stream=stream))


def _is_draft_name(name: str) -> bool:
    return name.endswith(".json") and not name.startswith(".")


def record_paths(record: DraftRecord) -> list[str]:
    """Paths a record is shown on; for invalid drafts, whatever edit paths look plausible."""
    if record.draft is not None:
        return record.draft.paths
    paths = []
    for edit in record.raw_edits:
        path = edit.get("path")
        if isinstance(path, str) and path and not path.startswith("/") and ".." not in path:
            paths.append(path)
    return list(dict.fromkeys(paths))


def write_draft(folder: Path, draft: Draft) -> Path:
    """Write a validated draft as `<id>.json`, atomically."""
    target = folder / f"{draft.id}.json"
    atomic_write(target, draft.to_json(indent=2, exclude_none=True) + "\n")
    return target
