"""The source log as Agent Trace records (the open attribution format Cursor published, v0.1),
so attribution tools can read what Stitch knows. Stitch's own facts (sources, confidence,
evidence, who accepted) travel under the namespaced metadata key `dev.stitch`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stitch_ls import __version__
from stitch_ls.core.drafts.model import SourceLogEntry
from stitch_ls.core.record.durability import revision_ranges
from stitch_ls.core.record.ledger import history
from stitch_ls.core.vcs.gitrun import open_repo

SPEC_VERSION = "0.1"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://stitch.invalid/agent-trace")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contributor(_Closed):
    type: Literal["human", "ai", "mixed", "unknown"]
    model_id: Annotated[str, Field(max_length=250)] | None = None


class LineRange(_Closed):
    start_line: Annotated[int, Field(ge=1)]
    end_line: Annotated[int, Field(ge=1)]
    content_hash: str | None = None


class Conversation(_Closed):
    contributor: Contributor | None = None
    ranges: list[LineRange]


class TraceFile(_Closed):
    path: str
    conversations: list[Conversation]


class Vcs(_Closed):
    type: Literal["git", "jj", "hg", "svn"]
    revision: str


class Tool(_Closed):
    name: str
    version: str


class TraceRecord(_Closed):
    """One Agent Trace record, with the spec's required fields and shapes."""

    version: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$")]
    id: uuid.UUID
    timestamp: Annotated[str, Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$")]
    vcs: Vcs | None = None
    tool: Tool | None = None
    files: list[TraceFile]
    metadata: dict[str, Any] = {}


def to_trace(
    entry: SourceLogEntry,
    tool_version: str,
    revision: str | None = None,
    ranges_at_revision: dict[str, list[tuple[int, int]]] | None = None,
) -> dict[str, Any]:
    """One applied draft as one record: every file it touched, attributed to an AI contributor
    (the agent; Stitch does not know the model), with the lines it wrote where known.

    `revision` is the commit that first contains the change and `ranges_at_revision` the
    applied lines in that commit's version of each file (`durability.revision_ranges`); without
    them the ranges are the ones logged at apply time."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    files = []
    for path in entry.files:
        logged = (
            ranges_at_revision.get(path, [])
            if ranges_at_revision is not None
            else entry.ranges.get(path, [])
        )
        ranges = [{"start_line": first, "end_line": last} for first, last in logged]
        files.append(
            {"path": path, "conversations": [{"contributor": {"type": "ai"}, "ranges": ranges}]}
        )
    record: dict[str, Any] = {
        "version": SPEC_VERSION,
        "id": str(uuid.uuid5(NAMESPACE, f"{entry.draft}\0{at.isoformat()}")),
        "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": {"name": "stitch", "version": tool_version},
        "files": files,
        "metadata": {
            "dev.stitch": {
                "draft": entry.draft,
                "title": entry.title,
                "stream": entry.stream,
                "agent": entry.agent,
                "confidence": entry.confidence,
                "sources": [s.to_data() for s in entry.sources],
                "evidence": [e.to_data(exclude_none=True) for e in entry.evidence],
                "accepted_by": entry.accepted_by,
                "irreversible": entry.irreversible,
            }
        },
    }
    if revision:
        record["vcs"] = {"type": "git", "revision": revision}
    TraceRecord.model_validate(record)  # what we write must be a record by the spec's rules
    return record


def commit_traces(
    commit: str,
    time: int,
    files: dict[str, dict[int, Any]],
    tool_version: str,
) -> list[dict[str, Any]]:
    """A commit's AI lines (`ledger.history`) as Agent Trace records, one per author: the
    agents' direct edits and agent commits (drafts applied through Stitch have their own
    record from the source log, and are left out here)."""
    by_author: dict[Any, dict[str, list[int]]] = {}
    for path, lines in files.items():
        for number, author in lines.items():
            if author.door != "draft":
                by_author.setdefault(author, {}).setdefault(path, []).append(number)
    records = []
    moment = datetime.fromtimestamp(time, UTC)
    for author, paths in by_author.items():
        trace_files = []
        for path, numbers in sorted(paths.items()):
            spans: list[list[int]] = []
            for n in sorted(numbers):
                if spans and spans[-1][1] == n - 1:
                    spans[-1][1] = n
                else:
                    spans.append([n, n])
            contributor: dict[str, Any] = {"type": "ai"}
            if author.model and author.model != "unknown":
                contributor["model_id"] = author.model[:250]
            trace_files.append(
                {
                    "path": path,
                    "conversations": [
                        {
                            "contributor": contributor,
                            "ranges": [{"start_line": a, "end_line": b} for a, b in spans],
                        }
                    ],
                }
            )
        record: dict[str, Any] = {
            "version": SPEC_VERSION,
            "id": str(uuid.uuid5(NAMESPACE, f"{commit}\0{author.session}\0{author.door}")),
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "vcs": {"type": "git", "revision": commit},
            "tool": {"name": "stitch", "version": tool_version},
            "files": trace_files,
            "metadata": {
                "dev.stitch": {
                    "agent": author.agent,
                    "stream": author.stream,
                    "door": author.door,
                    "session": author.session,
                    "sources": author.source_list(),
                }
            },
        }
        TraceRecord.model_validate(record)
        records.append(record)
    return records


def export(
    root: Path, entries: list[SourceLogEntry], stream: str | None, since: datetime | None
) -> tuple[list[dict[str, Any]], int]:
    """Agent Trace records for the applied drafts `entries` (each at the first commit holding
    its lines) and for the agents' direct edits and agent commits the notes attribute, those
    of `stream` only when given; and how many applied drafts have no commit yet."""
    repo = open_repo(root)
    records: list[dict[str, Any]] = []
    waiting = 0
    for entry in entries:
        found = revision_ranges(repo, entry)
        if found is None:  # a record names the commit holding the lines: none yet
            waiting += 1
            continue
        revision, ranges = found
        records.append(to_trace(entry, __version__, revision, ranges))
    if repo is not None:  # agents' direct edits and agent commits, from the notes
        for commit, time, files in history(repo, since.isoformat() if since else None):
            for record in commit_traces(commit, time, files, __version__):
                if stream is None or record["metadata"]["dev.stitch"]["stream"] == stream:
                    records.append(record)
    return records, waiting
