"""The source log: what was accepted, the facts it used, where from, why trusted, who said yes;
and what was applied in an editor but never kept.

Append-only JSON lines (`merge=union` in git); `logbook` writes it for people. Two kinds of
line: an accepted draft (`SourceLogEntry`, version 1 or 2) and an apply that never reached the
disk (`NotKeptEntry`, `"event": "not kept"`). Readers that only count what was accepted read
`read_entries`; the ones that tell the whole story read `read_log`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stitch_ls.core.drafts.model import NotKeptEntry, SourceLogEntry
from stitch_ls.core.files.fsio import append_line, parse_json, read_bytes_limited

MAX_LOG_BYTES = 256 * 1024 * 1024  # a team's log of years; read whole, so bounded


def append_entry(path: Path, entry: SourceLogEntry | NotKeptEntry) -> None:
    append_line(path, entry.to_json())


@dataclass
class Log:
    accepted: list[SourceLogEntry] = field(default_factory=list)
    not_kept: list[NotKeptEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_log(path: Path) -> Log:
    """Every well-formed line of either kind, and a note for each line that is not (never
    fatal)."""
    log = Log()
    try:
        text = read_bytes_limited(path, MAX_LOG_BYTES).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return log
    except (OSError, ValueError) as exc:
        log.problems.append(f"{path.name} cannot be read: {exc}")
        return log
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = parse_json(line)
            if isinstance(data, dict) and data.get("event") == "not kept":
                log.not_kept.append(NotKeptEntry.from_data(data))
            else:
                log.accepted.append(SourceLogEntry.from_data(data))
        except ValueError:  # not JSON, or not an entry
            log.problems.append(f"source-log.jsonl line {number} is not a valid entry; skipped")
    return log


def read_entries(path: Path) -> tuple[list[SourceLogEntry], list[str]]:
    """Every well-formed accepted entry, and a note for each line that is not (never fatal)."""
    log = read_log(path)
    return log.accepted, log.problems
