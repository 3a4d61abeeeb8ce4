"""The source log: what was accepted, the facts it used, where from, why trusted, who said yes.

Append-only JSON lines (`merge=union` in git); `render_markdown` writes it for people.
"""

from __future__ import annotations

from pathlib import Path

from stitch_ls.core.fsio import append_line, parse_json, read_bytes_limited
from stitch_ls.core.model import SourceLogEntry

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
        except (ValueError, RecursionError):  # not JSON, or not an entry
            problems.append(f"source-log.jsonl line {number} is not a valid entry; skipped")
    return entries, problems


def _plain(text: str) -> str:
    """Agent text on one line, with Markdown's active characters escaped."""
    from stitch_ls.core.render import escape_markdown

    return escape_markdown(" ".join(text.split()))


def render_markdown(entries: list[SourceLogEntry]) -> str:
    if not entries:
        return "# Source log\n\nNothing has been accepted yet.\n"
    lines = ["# Source log", ""]
    for entry in entries:
        lines.append(f"## {_plain(entry.title)}")
        lines.append("")
        lines.append(
            f"Accepted by {_plain(entry.accepted_by)} on {entry.at:%Y-%m-%d %H:%M} UTC · "
            f"draft `{entry.draft}` from {_plain(entry.stream)}/{_plain(entry.agent)} · "
            f"confidence {entry.confidence:.2f}"
        )
        lines.append("")
        lines.append("Files: " + ", ".join(_plain(f) for f in entry.files))
        lines.append("")
        if entry.sources:
            lines.append("Facts used:")
            for source in entry.sources:
                lines.append(
                    f"- {_plain(source.kind)}: {_plain(source.ref)} — trusted because "
                    f"{_plain(source.why)}"
                )
        else:
            lines.append("Facts used: none cited.")
        if entry.evidence:
            lines.append("")
            lines.append("Test evidence:")
            for item in entry.evidence:
                run = f" (run {_plain(item.run)})" if item.run else ""
                lines.append(f"- {_plain(item.ref)}: {item.status}{run} · claimed by the agent")
        verified = entry.verification
        if verified is not None:
            lines.append("")
            lines.append(
                f"Evidence verified here: {verified.outcome} · exit {verified.exit_code} · "
                f"{_plain(' '.join(verified.command))} · by {_plain(verified.by)}"
            )
        elif entry.evidence:
            lines.append("")
            lines.append("Evidence not verified here (claimed only).")
        lines.append("")
    return "\n".join(lines)
