"""The file formats of the public contract: drafts, prompts and source-log lines.

One pydantic model per format; `stitch-ls schema` publishes them as JSON Schema so agents
can validate before they write. Everything here is agent-written and therefore untrusted:
limits are explicit, numbers must be finite, paths are checked.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)
from pydantic.dataclasses import dataclass

from stitch_ls.core.paths import check_relative_path

DraftId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,128}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
WorkspacePath = Annotated[str, AfterValidator(check_relative_path)]
Confidence = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

MAX_EDITS = 1000
MAX_EDIT_TEXT = 1_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A draft and its parts are slotted pydantic dataclasses, not BaseModels: the same validation,
# at ~1.3 KB a validated draft instead of ~4.7 KB (a BaseModel carries a __dict__ and a
# fields-set per object). A workspace holds every draft in memory: 10,000 of them are ~34 MiB
# less. `_Contract` gives them the BaseModel methods the rest of the code uses.
_record = dataclass(frozen=True, slots=True, kw_only=True, config=ConfigDict(extra="forbid"))


@cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


class _Contract:
    __slots__ = ()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        return _adapter(cls).validate_python(data)

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        return _adapter(cls).validate_json(data)

    @classmethod
    def model_json_schema(cls) -> dict[str, Any]:
        return _adapter(cls).json_schema()

    def model_dump(self, **options: Any) -> Any:
        return _adapter(type(self)).dump_python(self, **options)

    def model_dump_json(self, *, indent: int | None = None, **options: Any) -> str:
        return _adapter(type(self)).dump_json(self, indent=indent, **options).decode()


@_record
class Position(_Contract):
    """0-based line and character; characters count Unicode code points."""

    line: Annotated[int, Field(ge=0, le=10_000_000)]
    character: Annotated[int, Field(ge=0, le=10_000_000)]


@_record
class Range(_Contract):
    start: Position
    end: Position

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if (self.end.line, self.end.character) < (self.start.line, self.start.character):
            raise ValueError("range end comes before its start")
        return self


@_record
class Source(_Contract):
    """One fact the agent used: what kind, where it is, and why it deserves trust."""

    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="doc, url, api, dashboard, test, commit, ..."
    )
    ref: LongText
    why: LongText


@_record
class Evidence(_Contract):
    """A test run that backs the draft."""

    kind: Annotated[str, StringConstraints(min_length=1, max_length=40)] = "test"
    ref: LongText
    status: Literal["passed", "failed", "error", "skipped", "pending"]
    run: Annotated[str, StringConstraints(max_length=400)] | None = None


@_record
class Edit(_Contract):
    """One change: a range with the text it expects, a symbol, a new file, or a deletion."""

    path: WorkspacePath
    range: Range | None = None
    expect: Annotated[str, StringConstraints(max_length=MAX_EDIT_TEXT)] | None = None
    symbol: Annotated[str, StringConstraints(min_length=1, max_length=400)] | None = None
    text: Annotated[str, StringConstraints(max_length=MAX_EDIT_TEXT)] | None = None
    create: bool = False
    delete: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Edit:
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
        return self

    @property
    def kind(self) -> str:
        if self.range is not None:
            return "range"
        if self.symbol is not None:
            return "symbol"
        return "create" if self.create else "delete"


@_record
class Draft(_Contract):
    """A change an agent proposes; a human decides whether it makes the cut."""

    version: Literal[1] = 1
    id: DraftId
    title: ShortText
    stream: ShortText
    agent: ShortText
    created: AwareDatetime
    confidence: Confidence
    sources: Annotated[list[Source], Field(max_length=100)] = field(default_factory=list)
    evidence: Annotated[list[Evidence], Field(max_length=100)] = field(default_factory=list)
    irreversible: bool = False
    edits: Annotated[list[Edit], Field(min_length=1, max_length=MAX_EDITS)]

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(edit.path for edit in self.edits))


class Prompt(_Strict):
    """A question from an agent to the engineer; the server writes the answer back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    id: DraftId
    agent: ShortText
    stream: ShortText
    question: LongText
    options: Annotated[list[ShortText], Field(min_length=1, max_length=10)]
    sources: Annotated[list[Source], Field(max_length=100)] = []
    created: AwareDatetime | None = None
    answer: ShortText | None = None
    answered_by: ShortText | None = None
    answered_at: AwareDatetime | None = None


class SourceLogEntry(_Strict):
    """One accepted draft and its provenance: a line of `.stitch/source-log.jsonl`."""

    version: Literal[1] = 1
    at: datetime
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
    ranges: dict[str, list[tuple[int, int]]] = {}
