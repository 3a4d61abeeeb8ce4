"""The field report's outcome tests: for each stream merged into the branch that touched a
service, the week before the merge against the week after, from the team's own exports.

The team exports what it already measures (incidents, SLO breaches, p95 latency, support
tickets: one row each, with the time, the service, the kind and a value) as CSV with a
header row (`time,service,kind,value`) or as JSON lines (`{"time", "service", "kind",
"value"}`). Nothing is fetched: the file is all there is. A line that cannot be read is
reported with its number and skipped; the rest still count.

Which services a merge touched comes from the team file's `[outcomes.services]` (a service
and the paths that are it) and the files the merge changed. Counting kinds (incidents, SLO
breaches, tickets, and any other kind) are summed (a row without a value counts one); kinds
measured in milliseconds (`p95_ms`, any `*_ms`) are averaged. Where the export has no row of
a kind for the service at all, the cell says "no data"; where the week after is not over,
"too early".
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stitch_ls.core.files.fsio import read_bytes_limited
from stitch_ls.core.files.globs import glob_match
from stitch_ls.core.vcs import notes

KINDS = ("incident", "slo_breach", "p95_ms", "ticket")
LABELS = {
    "incident": "incidents",
    "slo_breach": "SLO breaches",
    "p95_ms": "p95 (ms)",
    "ticket": "tickets",
}
WEEK = timedelta(days=7)
MAX_SIGNAL_BYTES = 256 * 1024 * 1024
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Signal:
    at: datetime
    service: str
    kind: str
    value: float


@dataclass(frozen=True)
class MergeEvent:
    """A stream reaching the branch: when, by which commit, and the files it changed."""

    stream: str
    at: datetime
    commit: str
    files: tuple[str, ...]


def averaged(kind: str) -> bool:
    return kind.endswith("_ms")


def _time(raw: Any) -> datetime:
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        return datetime.fromtimestamp(float(raw), UTC)
    text = str(raw).strip()
    if text.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(text), UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {text[:40]!r} is not an ISO 8601 time or epoch seconds") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _signal(row: dict[str, Any]) -> Signal:
    missing = [k for k in ("time", "service", "kind") if not str(row.get(k) or "").strip()]
    if missing:
        raise ValueError(f"no {', '.join(missing)}")
    kind = str(row["kind"]).strip()
    raw = row.get("value")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if averaged(kind):
            raise ValueError(f"a {kind} row needs a value")
        value = 1.0
    else:
        if isinstance(raw, bool):
            raise ValueError("value is not a number")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"value {str(raw)[:40]!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError("value is not a finite number")
    return Signal(_time(row["time"]), str(row["service"]).strip(), kind, value)


def read_signals(path: Path) -> tuple[list[Signal], list[str]]:
    """Every readable signal in the file, and one problem per line that is not (with its
    number). CSV unless the file is JSON lines (`.jsonl`, `.ndjson`, or a first `{`)."""
    try:
        raw = read_bytes_limited(path, MAX_SIGNAL_BYTES)
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc}") from None
    text = raw.decode("utf-8-sig", "replace")
    name = path.name
    json_lines = path.suffix in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{")
    signals: list[Signal] = []
    problems: list[str] = []

    def bad(number: int, why: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(f"{name} line {number}: {why}; skipped")
        elif len(problems) == MAX_PROBLEMS:
            problems.append(f"{name}: more lines could not be read; not listed")

    if json_lines:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
                signals.append(_signal(row))
            except RecursionError:
                bad(number, "nested too deeply")
            except ValueError as exc:
                bad(number, str(exc) if not isinstance(exc, json.JSONDecodeError) else "not JSON")
        return signals, problems
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            if not {"time", "service", "kind"} <= set(header):
                raise ValueError(
                    f"{name} line {number}: the header must name time, service, kind (and value)"
                )
            continue
        if len(row) > len(header):
            bad(number, f"{len(row)} fields, the header has {len(header)}")
            continue
        try:
            signals.append(_signal(dict(zip(header, row, strict=False))))
        except ValueError as exc:
            bad(number, str(exc))
    return signals, problems


def touched(files: tuple[str, ...], services: dict[str, list[str]]) -> list[str]:
    return sorted(
        name
        for name, patterns in services.items()
        if any(glob_match(f, p) for p in patterns for f in files)
    )


def _cell(values: list[float], kind: str, known: bool) -> Any:
    if not known or (averaged(kind) and not values):
        return "no data"
    value = sum(values) / len(values) if averaged(kind) else sum(values)
    return {"value": int(value) if value == int(value) else round(value, 2), "n": len(values)}


def compare(
    signals: list[Signal],
    events: list[MergeEvent],
    services: dict[str, list[str]],
    now: datetime,
) -> list[dict[str, Any]]:
    """One row per merged stream and service it touched: per kind, the week before the
    merge and the week after."""
    by: dict[tuple[str, str], list[Signal]] = {}
    kinds: dict[str, set[str]] = {}
    for signal in signals:
        by.setdefault((signal.service, signal.kind), []).append(signal)
        kinds.setdefault(signal.service, set()).add(signal.kind)
    rows = []
    for event in sorted(events, key=lambda e: (e.at, e.stream)):
        for service in touched(event.files, services):
            present = kinds.get(service, set())
            cells: dict[str, Any] = {}
            early = now < event.at + WEEK
            for kind in [*KINDS, *sorted(present - set(KINDS))]:
                rows_of = by.get((service, kind), [])
                before = [s.value for s in rows_of if event.at - WEEK <= s.at < event.at]
                after = [s.value for s in rows_of if event.at <= s.at < event.at + WEEK]
                cells[kind] = {
                    "before": _cell(before, kind, kind in present),
                    "after": "too early" if early else _cell(after, kind, kind in present),
                }
            rows.append(
                {
                    "stream": event.stream,
                    "merged_at": event.at.isoformat(),
                    "commit": event.commit,
                    "service": service,
                    "kinds": cells,
                }
            )
    return rows


def merge_events(
    repo: Any,
    chain: list[tuple[str, int, int, str]],
    landings: dict[str, set[str]],
    branch: str,
    merged_stream: Any,
) -> list[MergeEvent]:
    """Streams that reached the branch: a merge commit brings the streams whose AI lines it
    landed, and the stream its subject names ("Merge branch 'stream/checkout/a'"); commits
    made on the branch itself (a fast-forward, a rebase) that carry one stream's lines in a
    row are one merge, at the last of them. `chain` is the branch's first-parent history,
    oldest first: (commit, time, number of parents, subject)."""

    def changed(old: str, new: str) -> tuple[str, ...]:
        out = notes.git(repo, "diff-tree", "-r", "--name-only", "-z", "--no-commit-id", old, new)
        return tuple(sorted(p for p in (out or "").split("\x00") if p))

    events: list[MergeEvent] = []
    run: list[Any] = []  # [stream, first commit, last commit, time]

    def flush() -> None:
        if run:
            stream, first, last, time = run
            parent = notes.first_parent(repo, first)
            if parent:
                events.append(
                    MergeEvent(
                        stream, datetime.fromtimestamp(time, UTC), last, changed(parent, last)
                    )
                )
            run.clear()

    for sha, time, parents, subject in chain:
        streams = {s for s in landings.get(sha, set()) if s and s != branch}
        if parents > 1:
            flush()
            named = merged_stream(subject) if merged_stream else None
            if named:
                streams.add(named)
            if streams:
                files = changed(f"{sha}^1", sha)
                for stream in sorted(streams):
                    events.append(MergeEvent(stream, datetime.fromtimestamp(time, UTC), sha, files))
            continue
        if len(streams) == 1:
            stream = next(iter(streams))
            if run and run[0] == stream:
                run[2], run[3] = sha, time
                continue
            flush()
            run.extend([stream, sha, sha, time])
        else:
            flush()
    flush()
    return events


_MERGE_SUBJECTS = (
    re.compile(r"^Merge branch '([^']+)'"),
    re.compile(r"^Merge remote-tracking branch '[^'/]+/([^']+)'"),
    re.compile(r"^Merge pull request #\d+ from [^/\s]+/(\S+)"),
)


def merged_branch(subject: str) -> str | None:
    """The branch a merge commit's subject says it merged (git's and the forges' wording)."""
    for pattern in _MERGE_SUBJECTS:
        found = pattern.match(subject)
        if found:
            return found.group(1)
    return None
