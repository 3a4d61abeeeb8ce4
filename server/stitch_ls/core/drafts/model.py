"""The file formats of the public contract: drafts, prompts and source-log lines.

One record per format (`records.py`: a dataclass pydantic validates); `stitch-ls schema`
publishes them as JSON Schema so agents can validate before they write. Everything here is agent-written and therefore untrusted:
limits are explicit, numbers must be finite, paths are checked.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from stitch_ls.core.files.paths import check_relative_path
from stitch_ls.core.records import Aware, Instant, Record, empty, record, rule

DraftId = Annotated[str, rule(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
ShortText = Annotated[str, rule(min_length=1, max_length=200)]
LongText = Annotated[str, rule(min_length=1, max_length=4000)]
WorkspacePath = Annotated[str, rule(after=check_relative_path)]
Confidence = Annotated[float, rule(ge=0.0, le=1.0, allow_inf_nan=False)]

MAX_EDITS = 1000
MAX_EDIT_TEXT = 1_000_000


class _Contract(Record):
    """Agent-written: an unknown field is an error (a typo must not pass as a default)."""

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@record()
class Position(_Contract):
    """0-based line and character; characters count Unicode code points."""

    line: Annotated[int, rule(ge=0, le=10_000_000)]
    character: Annotated[int, rule(ge=0, le=10_000_000)]


@record()
class Range(_Contract):
    start: Position
    end: Position

    def __post_init__(self) -> None:
        if (self.end.line, self.end.character) < (self.start.line, self.start.character):
            raise ValueError("range end comes before its start")


@record()
class Source(_Contract):
    """One fact the agent used: what kind, where it is, and why it deserves trust."""

    kind: Annotated[
        str,
        rule(
            min_length=1,
            max_length=40,
            description="doc, url, api, dashboard, test, commit, ...",
        ),
    ]
    ref: LongText
    why: LongText


@record()
class Evidence(_Contract):
    """A test run that backs the draft."""

    kind: Annotated[str, rule(min_length=1, max_length=40)] = "test"
    ref: LongText
    status: Literal["passed", "failed", "error", "skipped", "pending"]
    run: Annotated[str, rule(max_length=400)] | None = None


@record()
class Edit(_Contract):
    """One change: a range with the text it expects, a symbol, a new file, or a deletion."""

    path: WorkspacePath
    range: Range | None = None
    expect: Annotated[str, rule(max_length=MAX_EDIT_TEXT)] | None = None
    symbol: Annotated[str, rule(min_length=1, max_length=400)] | None = None
    text: Annotated[str, rule(max_length=MAX_EDIT_TEXT)] | None = None
    create: bool = False
    delete: bool = False

    def __post_init__(self) -> None:
        kinds = [
            name
            for name, present in (
                ("range", self.range is not None),
                ("symbol", self.symbol is not None),
                ("create", self.create),
                ("delete", self.delete),
            )
            if present
        ]
        if len(kinds) != 1:
            raise ValueError("an edit needs exactly one of range, symbol, create or delete")
        kind = kinds[0]
        if kind == "range" and self.expect is None:
            raise ValueError("a range edit needs `expect`: the exact text now in that range")
        if kind in ("range", "symbol", "create") and self.text is None:
            raise ValueError(f"a {kind} edit needs `text`")
        if kind == "delete" and self.text is not None:
            raise ValueError("a delete edit takes no `text`")
        if kind == "create" and self.expect is not None:
            raise ValueError("a create edit takes no `expect`")

    @property
    def kind(self) -> str:
        if self.range is not None:
            return "range"
        if self.symbol is not None:
            return "symbol"
        return "create" if self.create else "delete"


@record()
class Draft(_Contract):
    """A change an agent proposes; a human decides whether it makes the cut."""

    version: Literal[1] = 1
    id: DraftId
    title: ShortText
    stream: ShortText
    agent: ShortText
    created: Aware | None = None  # `draft add` and MCP fill in the moment they add it
    confidence: Confidence
    sources: Annotated[list[Source], rule(max_length=100)] = empty(list)
    evidence: Annotated[list[Evidence], rule(max_length=100)] = empty(list)
    irreversible: bool = False
    edits: Annotated[list[Edit], rule(min_length=1, max_length=MAX_EDITS)]

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(edit.path for edit in self.edits))


@record()
class Prompt(_Contract):
    """A question from an agent to the engineer; the server writes the answer back."""

    version: Literal[1] = 1
    id: DraftId
    agent: ShortText
    stream: ShortText
    question: LongText
    options: Annotated[list[ShortText], rule(min_length=1, max_length=10)]
    sources: Annotated[list[Source], rule(max_length=100)] = empty(list)
    created: Aware | None = None
    answer: ShortText | None = None
    answered_by: ShortText | None = None
    answered_at: Aware | None = None
    answered_door: ShortText | None = None  # terminal, editor (core.policy.decisions)
    # where the team signs decisions: `answer_body()` signed by `answered_by`
    signature: LongText | None = None

    def answer_body(self) -> dict[str, Any]:
        """What a signature of the answer covers: the question as asked, and the answer."""
        at = self.answered_at.isoformat() if self.answered_at is not None else None
        return {
            "prompt": self.id,
            "question": self.question,
            "options": list(self.options),
            "answer": self.answer,
            "answered_by": self.answered_by,
            "answered_at": at,
            "door": self.answered_door,
        }


@record()
class VerifiedRun(_Contract):
    """The engineer's own run of the team's test command on the draft (`stitch-ls verify`),
    as opposed to the evidence the agent claimed."""

    outcome: Literal["passed", "failed"]
    at: Instant
    by: str
    command: list[str] = empty(list)
    exit_code: int | None = None
    duration_s: float = 0.0


@record()
class Vouched(_Contract):
    """A human vouched for a draft parked without sources: who, when and why."""

    by: str
    at: Instant
    note: str


@record()
class SourceLogEntry(_Contract):
    """One accepted draft and its provenance: a line of `.stitch/source-log.jsonl`.

    Version 2 (this one writes it) says `event` ("accepted"), whether the change was
    irreversible, and a hash of each range's lines as they reached the disk; a version 1
    line (none of them) reads as accepted and not marked irreversible. An apply that did not
    reach the disk is a `NotKeptEntry` line beside these."""

    version: Literal[1, 2] = 2
    event: Literal["accepted"] = "accepted"
    at: Instant
    draft: str
    title: str
    stream: str
    agent: str
    confidence: float
    sources: list[Source]
    evidence: list[Evidence]
    accepted_by: str
    files: list[str]
    # 1-based inclusive line ranges each file has after the edit (absent for older entries)
    ranges: dict[str, list[tuple[int, int]]] = empty(dict)
    verification: VerifiedRun | None = None  # absent: the evidence is only what was claimed
    vouched: Vouched | None = None  # a human's word for a draft that cited no sources
    # the gate judged it irreversible (its own flag, or a path the team names)
    irreversible: bool = False
    # per file, for each of `ranges`: sha256 of its lines as they reached the disk, so the
    # commit that first holds them is found by their text (`durability.applying_commit`)
    range_hashes: dict[str, list[str]] = empty(dict)


@record()
class NotKeptEntry(_Contract):
    """An apply from the editor that never reached the disk (undone, closed or reverted
    without saving, or the editor's session ended first): a line of the source log, so the
    record says it happened and that the draft went back to the inbox."""

    version: Literal[2] = 2
    event: Literal["not kept"] = "not kept"
    at: Instant  # when Stitch saw it was not kept
    draft: str
    title: str
    stream: str
    agent: str
    applied_by: str
    applied_at: Instant
    what: str  # what happened, in a few words: "closed without saving"
    files: list[str]
    irreversible: bool = False
