"""Stitch points: code that two or more streams change, to be signed off by one owner.

Each stream's changed lines in a file are mapped to the innermost symbols (functions, methods,
classes) of that stream's version of the file; a symbol changed by two or more streams is a
stitch point. Files without a grammar fall back to overlapping line ranges in the base, and
so do files that take longer than the parse budget (a point there says so). A sign-off holds
while every stream's version of the symbol is the one that was signed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stitch_ls.core.files.fsio import append_line, parse_json, read_bytes_limited
from stitch_ls.core.files.paths import glob_match
from stitch_ls.core.syntax import PARSE_BUDGET_S, SyntaxDoc, language_for_path
from stitch_ls.core.vcs.conflicts import Conflict
from stitch_ls.core.vcs.signing import verified_signer

if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_SIGNOFF_BYTES = 64 * 1024 * 1024  # shared files read whole: bounded


@dataclass(frozen=True)
class StreamChange:
    """One stream's version of a file and what it changed there."""

    stream: str
    text: str | None  # the stream's version (None: deleted)
    new_ranges: tuple[tuple[int, int], ...]  # changed lines in `text`, 0-based inclusive
    base_ranges: tuple[tuple[int, int], ...]  # the same changes in base coordinates
    deleted: bool = False  # the stream deleted the file (or moved it: `renamed_to`)
    renamed_to: str | None = None  # git's rename detection: the file's new path there


@dataclass
class StitchPoint:
    id: str
    path: str
    symbol: str  # qualified name, or "lines 12-20" without a grammar
    streams: tuple[str, ...]
    versions: dict[str, str]
    conflict: bool = False
    owner: str | None = None
    signed_by: str | None = None
    base_lines: tuple[int, int] | None = None
    # where its symbol starts (line, character) in the engineer's text it was found for
    start: tuple[int, int] | None = None
    note: str = ""  # what else to know: "deleted on checkout/a"
    # sign-offs of this point's versions by someone who is not its owner: they never count
    forged_by: tuple[str, ...] = ()
    # the owner's sign-offs that do not count where the team signs them: "who: why not"
    unverified: tuple[str, ...] = ()
    # the streams whose version here is uncommitted work in their worktrees (a live point)
    live: tuple[str, ...] = ()

    @property
    def signed(self) -> bool:
        return self.signed_by is not None

    def describe(self) -> str:
        parts = [f"stitch point: streams {', '.join(self.streams)}"]
        parts.append(f"owner {self.owner or 'none named'}")
        parts.append(f"signed by {self.signed_by}" if self.signed_by else "not signed")
        if self.note:
            parts.append(self.note)
        if self.conflict:
            parts.append("will conflict")
        if self.live:
            parts.append(f"uncommitted on {', '.join(self.live)}")
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "symbol": self.symbol,
            "streams": list(self.streams),
            "owner": self.owner,
            "signed": self.signed,
            "signed_by": self.signed_by,
            "forged_by": list(self.forged_by),
            "unverified": list(self.unverified),
            "conflict": self.conflict,
            "note": self.note,
            "live": list(self.live),
        }


_PARSED: dict[tuple[str, int], SyntaxDoc] = {}
_PARSED_LOCK = threading.Lock()


def parsed(text: str, language: str) -> SyntaxDoc:
    """Stream versions repeat between calls (only the live buffer changes): parse each once."""
    key = (language, hash(text))
    doc = _PARSED.get(key)
    if doc is None or doc.text != text:
        doc = SyntaxDoc(text, language)
        doc.symbols()  # built before it is shared: later lookups only read it
        with _PARSED_LOCK:  # points are found in worker threads, sometimes two at once
            if len(_PARSED) > 64:
                _PARSED.pop(next(iter(_PARSED)))
            _PARSED[key] = doc
    return doc


def stitch_id(path: str, symbol: str) -> str:
    return (
        "sp-" + hashlib.sha1(f"{path}\0{symbol}".encode(errors="surrogateescape")).hexdigest()[:12]
    )


def _digest(text: str) -> str:
    """Of the bytes as git holds them: a version that is not UTF-8 (read with
    surrogateescape) hashes too, the same as before for every one that is."""
    return hashlib.sha1(text.encode(errors="surrogateescape")).hexdigest()[:16]


def _slice(text: str, start: tuple[int, int], end: tuple[int, int]) -> str:
    lines = text.split("\n")
    chunk = lines[start[0] : end[0] + 1]
    return "\n".join(chunk)


WHOLE_FILE = "whole file"


def find_points(
    path: str,
    changes: list[StreamChange],
    conflicts: Iterable[Conflict] = (),
    base: str | None = None,
) -> list[StitchPoint]:
    """Stitch points in one file from each stream's changes (conflicts rank first).

    A point is flagged "will conflict" only when it holds one of `conflicts` (the places where
    two streams' changes overlap or touch, as git's merge sees them); every such place gets a
    point, even when the two sides' own changes fall in different symbols. With the file's
    `base` text, a symbol one stream edits and another deletes or renames is a point that
    says so ("renamed to Cart.sum on checkout/b").
    """
    conflicts = list(conflicts)
    streams = sorted({change.stream for change in changes})
    if len(streams) < 2:
        return []
    deleted = [change for change in changes if change.deleted]
    if deleted:
        said = ", ".join(
            f"renamed to {c.renamed_to} on {c.stream}" if c.renamed_to else f"deleted on {c.stream}"
            for c in sorted(deleted, key=lambda c: c.stream)
        )
        return [_whole_file_point(path, changes, conflicts, said)]
    language = language_for_path(path)
    note = ""
    if language is not None and _too_slow(language, changes, base):
        language = None  # no version's symbols are trusted when one version has none
        note = f"line ranges: {path} takes over {PARSE_BUDGET_S:g} s to parse"
    found = _Found(path, language, note)
    by_stream = {change.stream: change for change in changes}
    for change in changes:
        for new_range, base_range in zip(change.new_ranges, change.base_ranges, strict=False):
            found.add(change, new_range, base_range)
    if base is not None and language is not None:
        for change in changes:
            found.gone(change, parsed(base, language))
    whole = []
    for conflict in conflicts:
        if conflict.base is None:
            whole.append(conflict)
            continue
        lo, hi = conflict.base
        base_range = (lo, max(lo, hi - 1))
        names: set[str] = set()
        loose = False
        for stream, (first, end) in sorted(conflict.sides.items()):
            side = by_stream.get(stream)
            if side is None:
                continue
            new_range = (first, end - 1) if end > first else (max(0, first - 1),) * 2
            got, side_loose = found.add(side, new_range, base_range)
            names.update(got)
            loose = loose or side_loose
        for name in names:  # both streams hold this place, whichever one's hunks reached it
            for stream in conflict.streams:
                if stream in by_stream and stream not in found.touched.get(name, {}):
                    found.touched.setdefault(name, {})[stream] = found.version(
                        by_stream[stream], name
                    )
            found.flagged.setdefault(name, set()).add(conflict.streams)
        if loose or not names:
            for stream in conflict.streams:
                if stream in by_stream:
                    found.spans.append((*base_range, by_stream[stream]))
            found.flagged_spans.append((*base_range, conflict.streams))
    points = found.points()
    for conflict in whole:
        holders = [p for p in points if conflict.streams <= set(p.streams)]
        for point in holders:
            point.conflict = True
        if not holders:
            involved = [c for c in changes if c.stream in conflict.streams]
            points.append(_whole_file_point(path, involved, [conflict], conflict.note))
    points.sort(key=lambda p: (not p.conflict, p.path, p.symbol))
    return points


def _too_slow(language: str, changes: list[StreamChange], base: str | None) -> bool:
    """Whether some version of the file (a stream's, or the base's) is over the parse budget."""
    texts = [change.text for change in changes if change.text is not None]
    if base is not None:
        texts.append(base)
    return any(parsed(text, language).over_budget for text in texts)


def _whole_file_point(
    path: str, changes: list[StreamChange], conflicts: list[Conflict], note: str
) -> StitchPoint:
    streams = tuple(sorted({change.stream for change in changes}))
    versions = {
        c.stream: "deleted" if c.deleted else _digest(c.text or "")
        for c in sorted(changes, key=lambda c: c.stream)
    }
    point = StitchPoint(stitch_id(path, WHOLE_FILE), path, WHOLE_FILE, streams, versions, note=note)
    point.conflict = any(c.streams <= set(streams) for c in conflicts)
    return point


class _Found:
    """What each stream's changes touch in one file: symbols and module statements by name,
    and line spans (in base lines) for code that has no name."""

    def __init__(self, path: str, language: str | None, note: str = "") -> None:
        self.path = path
        self.language = language
        self.note = note  # said on each line-range point: why there are no symbols
        self.touched: dict[str, dict[str, str]] = {}  # name -> stream -> version digest
        self.base_of: dict[str, tuple[int, int]] = {}
        self.spans: list[tuple[int, int, StreamChange]] = []
        self.flagged: dict[str, set[frozenset[str]]] = {}
        self.flagged_spans: list[tuple[int, int, frozenset[str]]] = []
        self.notes: dict[str, dict[str, str]] = {}  # name -> stream -> "deleted", "renamed to X"

    def doc(self, change: StreamChange) -> SyntaxDoc | None:
        if self.language is None or change.text is None:
            return None
        return parsed(change.text, self.language)

    def add(
        self, change: StreamChange, new_range: tuple[int, int], base_range: tuple[int, int]
    ) -> tuple[set[str], bool]:
        """Record what the changed lines touch; returns the names, and whether some of the
        lines are unnamed code (then the base span is kept for line-range points)."""
        doc = self.doc(change)
        if doc is None or change.text is None:
            self.spans.append((*base_range, change))
            return set(), True
        first, last = new_range
        names: dict[str, str] = {}
        for symbol in doc.symbols_touching(first, last):
            names[symbol.name] = _digest(_slice(change.text, symbol.start, symbol.end))
        loose = False
        lines = change.text.split("\n")
        for run_first, run_last in _uncovered(doc, first, last):
            statements = doc.module_statements(run_first, run_last)
            for label, start, end in statements:
                if label is None:
                    loose = True
                else:
                    names[label] = _digest(_slice(change.text, (start, 0), (end, 0)))
            if not statements and any(line.strip() for line in lines[run_first : run_last + 1]):
                loose = True  # comments, or code the grammar could not read
        for name, digest in names.items():
            self.touched.setdefault(name, {})[change.stream] = digest
            lo, hi = self.base_of.get(name, base_range)
            self.base_of[name] = (min(lo, base_range[0]), max(hi, base_range[1]))
        if loose:
            self.spans.append((*base_range, change))
        return set(names), loose

    def gone(self, change: StreamChange, base: SyntaxDoc) -> None:
        """Base symbols in the lines this stream changed that its version no longer has:
        deleted, or renamed (a new symbol of the same kind whose body is mostly the old one's)."""
        doc = self.doc(change)
        if doc is None or change.text is None or base.text is None:
            return
        present = {symbol.name for symbol in doc.symbols()}
        removed = [  # only what another stream touched can become a point
            symbol
            for symbol in base.symbols()
            if symbol.name not in present
            and set(self.touched.get(symbol.name, ())) - {change.stream}
            and any(
                lo <= symbol.last_line and symbol.start[0] <= hi for lo, hi in change.base_ranges
            )
        ]
        if not removed:
            return
        base_names = {symbol.name for symbol in base.symbols()}
        added = [s for s in doc.symbols() if s.name not in base_names]
        for symbol in removed:
            renamed = _renamed(base.text, symbol, change.text, added)
            what = f"renamed to {renamed[1]}" if renamed[0] >= RENAMED_SIMILARITY else "deleted"
            self.touched.setdefault(symbol.name, {})[change.stream] = _digest(what)
            self.notes.setdefault(symbol.name, {})[change.stream] = what
            lo, hi = self.base_of.get(symbol.name, (symbol.start[0], symbol.last_line))
            self.base_of[symbol.name] = (min(lo, symbol.start[0]), max(hi, symbol.last_line))

    def version(self, change: StreamChange, name: str) -> str:
        doc = self.doc(change)
        symbol = doc.find_symbol(name) if doc is not None else None
        if symbol is None or change.text is None:
            return _digest("")
        return _digest(_slice(change.text, symbol.start, symbol.end))

    def points(self) -> list[StitchPoint]:
        points = []
        for name, versions in self.touched.items():
            if len(versions) < 2:
                continue
            point = StitchPoint(
                stitch_id(self.path, name),
                self.path,
                name,
                tuple(sorted(versions)),
                dict(sorted(versions.items())),
                base_lines=self.base_of.get(name),
                note=", ".join(
                    f"{what} on {stream}"
                    for stream, what in sorted(self.notes.get(name, {}).items())
                ),
            )
            point.conflict = any(pair <= set(point.streams) for pair in self.flagged.get(name, ()))
            points.append(point)
        label = "lines" if self.language is None else "module (lines"
        for point in _line_points(self.path, self.spans, label, self.note):
            first, last = point.base_lines or (0, 0)
            point.conflict = any(
                lo <= last and first <= hi and pair <= set(point.streams)
                for lo, hi, pair in self.flagged_spans
            )
            points.append(point)
        return points


RENAMED_SIMILARITY = 0.6  # a new symbol whose body is this much the old one's: a rename


def _renamed(base: str, symbol: Any, text: str, added: list[Any]) -> tuple[float, str]:
    """The new symbol of the same kind whose body is most like `symbol`'s (its similarity
    and name); cheap upper bounds first, so a file of a thousand new symbols stays fast."""
    body = _body(base, symbol)
    best = (0.0, "")
    for new in added:
        if new.kind != symbol.kind:
            continue
        matcher = SequenceMatcher(None, body, _body(text, new), autojunk=False)
        if matcher.real_quick_ratio() < RENAMED_SIMILARITY:
            continue
        if matcher.quick_ratio() < RENAMED_SIMILARITY:
            continue
        ratio = matcher.ratio()
        if ratio > best[0]:
            best = (ratio, new.name)
    return best


def _body(text: str, symbol: Any) -> str:
    """A symbol's text without its first line (where the name is)."""
    return "\n".join(text.split("\n")[symbol.start[0] + 1 : symbol.end[0] + 1])


def _uncovered(doc: SyntaxDoc, first: int, last: int) -> list[tuple[int, int]]:
    """Runs of lines in first..last that no symbol holds (module-level code)."""
    runs = []
    cursor = first
    for symbol in doc.symbols():  # sorted by start, outer before inner
        if symbol.start[0] > last:
            break
        if symbol.last_line < cursor:
            continue
        if symbol.start[0] > cursor:
            runs.append((cursor, symbol.start[0] - 1))
        cursor = max(cursor, symbol.last_line + 1)
    if cursor <= last:
        runs.append((cursor, last))
    return runs


def _line_points(
    path: str, spans: list[tuple[int, int, StreamChange]], label: str = "lines", note: str = ""
) -> list[StitchPoint]:
    """Base line ranges that two or more streams overlap."""
    ordered = sorted(spans, key=lambda span: (span[0], span[1], span[2].stream))
    groups: list[tuple[int, int, list[StreamChange]]] = []
    for first, last, change in ordered:
        if groups and first <= groups[-1][1]:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, last), [*members, change])
        else:
            groups.append((first, last, [change]))
    points = []
    for first, last, members in groups:
        streams = sorted({m.stream for m in members})
        if len(streams) < 2:
            continue
        name = f"{label} {first + 1}-{last + 1}" + (")" if label.endswith("(lines") else "")
        versions = {
            m.stream: _digest(
                "\n".join(_slice(m.text or "", (a, 0), (b, 0)) for a, b in m.new_ranges)
            )
            for m in members
        }
        points.append(
            StitchPoint(
                stitch_id(path, name),
                path,
                name,
                tuple(streams),
                dict(sorted(versions.items())),
                base_lines=(first, last),
                note=note,
            )
        )
    return points


# -- owners ---------------------------------------------------------------------------------

CODEOWNERS_PLACES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")


def codeowners_rules(text: str | None) -> list[tuple[str, list[str]]]:
    """The rules of a CODEOWNERS file's text (the version a person accepted: never the working
    copy's, which any agent can edit)."""
    rules = []
    for raw in (text or "").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append((pattern, owners))
    return rules


def codeowners_match(pattern: str, path: str) -> bool:
    """GitHub's reading of a CODEOWNERS pattern (gitignore rules) against a file path."""
    anchored = pattern.startswith("/") or "/" in pattern.strip("/")
    body = pattern.strip("/")
    if not body:
        return True
    globs = [body] if anchored else [body, f"**/{body}"]
    if pattern.endswith("/"):
        globs = [f"{g}/**" for g in globs]
    return any(glob_match(path, g) or glob_match(path, f"{g}/**") for g in globs)


def codeowner_for(rules: list[tuple[str, list[str]]], path: str) -> str | None:
    """The last matching rule wins, as GitHub reads it."""
    owner = None
    for pattern, owners in rules:
        if codeowners_match(pattern, path):
            owner = ", ".join(owners) if owners else None
    return owner


# -- sign-offs ------------------------------------------------------------------------------


@dataclass
class SignOffs:
    entries: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> SignOffs:
        entries = []
        try:
            text = read_bytes_limited(path, MAX_SIGNOFF_BYTES).decode("utf-8", "replace")
        except (OSError, ValueError):  # missing, or not a bounded regular file: none count
            return cls()
        for line in text.splitlines():
            try:
                entry = parse_json(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("versions"), dict):
                entries.append(entry)
        return cls(entries)

    def entries_of(self, point: StitchPoint) -> list[dict[str, Any]]:
        """The sign-offs of this point's current versions, latest first."""
        return [
            entry
            for entry in reversed(self.entries)
            if entry.get("stitch_id") == point.id and entry.get("versions") == point.versions
        ]

    def signers_of(self, point: StitchPoint) -> list[str]:
        """Who signed off this point's current versions, latest first."""
        return [
            str(entry.get("signer"))
            for entry in reversed(self.entries)
            if entry.get("stitch_id") == point.id and entry.get("versions") == point.versions
        ]


def owners_of(point: StitchPoint) -> set[str]:
    return {o.strip() for o in (point.owner or "").split(",") if o.strip()}


def apply_signoffs(points: list[StitchPoint], signoffs: SignOffs, verifier: Any = None) -> None:
    """A sign-off counts only if its signer is the point's owner as the team file names it
    now: the log is shared through git, so anyone can commit a line to it. With a
    `signing.Verifier` (the team signs sign-offs), it must also be signed by that owner."""
    for point in points:
        owners = owners_of(point)
        signers = signoffs.signers_of(point)
        point.signed_by = next((s for s in signers if s in owners), None)
        point.forged_by = tuple(dict.fromkeys(s for s in signers if s not in owners))
        if verifier is not None:
            point.signed_by, point.unverified = verified_signer(
                signoffs.entries_of(point), owners, verifier
            )


def record_signoff(
    path: Path, point: StitchPoint, signer: str, at: datetime, door: str, sign: Any = None
) -> dict[str, Any]:
    """Append a sign-off; only the point's owner may sign (checked by the caller's policy).
    `door` is how the person signed it off (terminal, editor); `sign(entry)` gives its
    signature where the team signs sign-offs (`core.policy.decisions.signer`)."""
    owners = owners_of(point)
    if not owners:
        raise PermissionError("no stitch owner is named for this code, so nobody can sign it off")
    if signer not in owners:
        raise PermissionError(f"only {point.owner} may sign off this stitch point, not {signer}")
    entry = {
        "version": 1,
        "stitch_id": point.id,
        "path": point.path,
        "symbol": point.symbol,
        "streams": list(point.streams),
        "signer": signer,
        "at": at.isoformat().replace("+00:00", "Z"),
        "versions": point.versions,
        "door": door,
    }
    if sign is not None:
        entry["signature"] = sign(entry)
    append_line(path, json.dumps(entry, sort_keys=True))
    return entry
