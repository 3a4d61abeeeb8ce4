"""Stitch points: code that two or more streams change, to be signed off by one owner.

Each stream's changed lines in a file are mapped to the innermost symbols (functions, methods,
classes) of that stream's version of the file; a symbol changed by two or more streams is a
stitch point. Files without a grammar fall back to overlapping line ranges in the base. A
sign-off holds while every stream's version of the symbol is the one that was signed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.fsio import append_line
from stitch_ls.core.paths import glob_match
from stitch_ls.core.syntax import SyntaxDoc, language_for_path


@dataclass(frozen=True)
class StreamChange:
    """One stream's version of a file and what it changed there."""

    stream: str
    text: str | None  # the stream's version (None: deleted)
    new_ranges: tuple[tuple[int, int], ...]  # changed lines in `text`, 0-based inclusive
    base_ranges: tuple[tuple[int, int], ...]  # the same changes in base coordinates


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
    # sign-offs of this point's versions by someone who is not its owner: they never count
    forged_by: tuple[str, ...] = ()
    # the owner's sign-offs that do not count where the team signs them: "who: why not"
    unverified: tuple[str, ...] = ()

    @property
    def signed(self) -> bool:
        return self.signed_by is not None

    def describe(self) -> str:
        parts = [f"stitch point: streams {', '.join(self.streams)}"]
        parts.append(f"owner {self.owner or 'none named'}")
        parts.append(f"signed by {self.signed_by}" if self.signed_by else "not signed")
        if self.conflict:
            parts.append("will conflict")
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
    return "sp-" + hashlib.sha1(f"{path}\0{symbol}".encode()).hexdigest()[:12]


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _slice(text: str, start: tuple[int, int], end: tuple[int, int]) -> str:
    lines = text.split("\n")
    chunk = lines[start[0] : end[0] + 1]
    return "\n".join(chunk)


def find_points(
    path: str,
    changes: list[StreamChange],
    conflicts: frozenset[frozenset[str]] = frozenset(),
) -> list[StitchPoint]:
    """Stitch points in one file from each stream's changes (conflicts rank first)."""
    language = language_for_path(path)
    touched: dict[str, dict[str, str]] = {}
    if language is not None:
        for change in changes:
            if change.text is None:
                continue
            doc = parsed(change.text, language)
            for first, last in change.new_ranges:
                for symbol in doc.symbols_touching(first, last):
                    version = _slice(change.text, symbol.start, symbol.end)
                    touched.setdefault(symbol.name, {})[change.stream] = _digest(version)
        points = [
            StitchPoint(
                stitch_id(path, name), path, name, tuple(sorted(v)), dict(sorted(v.items()))
            )
            for name, v in touched.items()
            if len(v) >= 2
        ]
    else:
        points = _line_points(path, changes)
    for point in points:
        point.conflict = any(pair <= set(point.streams) for pair in conflicts)
    points.sort(key=lambda p: (not p.conflict, p.path, p.symbol))
    return points


def _line_points(path: str, changes: list[StreamChange]) -> list[StitchPoint]:
    """Without a grammar: base line ranges that two or more streams overlap."""
    spans = sorted(
        (first, last, change) for change in changes for first, last in change.base_ranges
    )
    groups: list[tuple[int, int, list[StreamChange]]] = []
    for first, last, change in spans:
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
        name = f"lines {first + 1}-{last + 1}"
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
            )
        )
    return points


# -- owners ---------------------------------------------------------------------------------

CODEOWNERS_PLACES = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")


def codeowners_rules(root: Path) -> list[tuple[str, list[str]]]:
    for place in CODEOWNERS_PLACES:
        file = root / place
        if file.is_file():
            rules = []
            for raw in file.read_text(errors="replace").splitlines():
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                pattern, *owners = line.split()
                rules.append((pattern, owners))
            return rules
    return []


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
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            return cls()
        for line in text.splitlines():
            try:
                entry = json.loads(line)
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
            from stitch_ls.core.signing import verified_signer

            point.signed_by, point.unverified = verified_signer(
                signoffs.entries_of(point), owners, verifier
            )


def record_signoff(
    path: Path, point: StitchPoint, signer: str, at: datetime, sign: Any = None
) -> dict[str, Any]:
    """Append a sign-off; only the point's owner may sign (checked by the caller's policy).
    `sign(entry)` gives its signature where the team signs sign-offs (`signing.sign`)."""
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
    }
    if sign is not None:
        entry["signature"] = sign(entry)
    append_line(path, json.dumps(entry, sort_keys=True))
    return entry
