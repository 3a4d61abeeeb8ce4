"""The source log: what was accepted, the facts it used, where from, why trusted, who said yes.

Append-only JSON lines (`merge=union` in git); `logbook` writes it for people.
"""

from __future__ import annotations

from pathlib import Path

from stitch_ls.core.drafts.model import SourceLogEntry
from stitch_ls.core.files.fsio import append_line, parse_json, read_bytes_limited

MAX_LOG_BYTES = 256 * 1024 * 1024  # a team's log of years; read whole, so bounded


def append_entry(path: Path, entry: SourceLogEntry) -> None:
    append_line(path, entry.to_json())


def read_entries(path: Path) -> tuple[list[SourceLogEntry], list[str]]:
    """Every well-formed entry, and a note for each line that is not (never fatal)."""
    entries: list[SourceLogEntry] = []
    problems: list[str] = []
    try:
        text = read_bytes_limited(path, MAX_LOG_BYTES).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return entries, problems
    except (OSError, ValueError) as exc:
        return entries, [f"{path.name} cannot be read: {exc}"]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(SourceLogEntry.from_data(parse_json(line)))
        except ValueError:  # not JSON, or not an entry
            problems.append(f"source-log.jsonl line {number} is not a valid entry; skipped")
    return entries, problems
