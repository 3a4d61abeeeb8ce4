"""Records of the file formats, and how they are validated and written.

Every format (drafts, prompts, source-log lines, the team file, the editor settings,
state.json) is a slotted stdlib dataclass. Pydantic validates them where a file or a message
is read: it understands stdlib dataclasses, their `__post_init__` checks and the `Annotated`
rules below, which make pydantic's own metadata (`Field`, `StringConstraints`, validators)
only when pydantic builds a schema. So importing the formats costs no pydantic: the language
server, which receives records its indexer process validated and only writes them, never
loads it (~12 MiB and ~0.1 s of imports, one 20-50 ms stall that holds the GIL). Writing
is plain `json` (`to_json`): the same text in every process.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from typing import Annotated, Any, Self, TypeVar, dataclass_transform


def _pydantic() -> Any:
    # start-up: the language server unpickles records and never loads pydantic
    import pydantic

    return pydantic


class Rule:
    """`Annotated` metadata that becomes pydantic's when pydantic builds the schema:
    `make(source type)` returns the annotation to validate with."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self._make = make

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return handler.generate_schema(self._make(source))


def rule(
    *,
    before: Callable[[Any], Any] | None = None,
    after: Callable[[Any], Any] | None = None,
    **limits: Any,
) -> Rule:
    """A field's rules, all in one `Rule` (pydantic builds each `Rule` from its own source
    type, so two on one annotation would drop the first): `before` converts the raw value
    (`pydantic.BeforeValidator`), `after` checks the parsed one (`AfterValidator`; raise
    ValueError to refuse), `limits` are `pydantic.Field`'s (bounds, lengths, a pattern, a
    description)."""

    def make(source: Any) -> Any:
        pydantic = _pydantic()
        parts: list[Any] = []
        if before is not None:
            parts.append(pydantic.BeforeValidator(before))
        if after is not None:
            parts.append(pydantic.AfterValidator(after))
        if limits:
            parts.append(pydantic.Field(**limits))
        return Annotated[(source, *parts)]

    return Rule(make)


def _stdlib_zone(value: datetime) -> datetime:
    """pydantic gives a parsed offset its own tzinfo class (`pydantic_core.TzInfo`); a stdlib
    one instead, so records pickle to the language server without pydantic in the way."""
    if not type(value.tzinfo).__module__.startswith("pydantic"):
        return value
    offset = value.utcoffset()
    return value.replace(tzinfo=UTC if not offset else timezone(offset))


# A datetime; with a time zone (pydantic.AwareDatetime).
Instant = Annotated[datetime, rule(after=_stdlib_zone)]
Aware = Annotated[
    datetime,
    Rule(lambda source: Annotated[_pydantic().AwareDatetime, rule(after=_stdlib_zone)]),
]


def empty(kind: Callable[[], Any]) -> Any:
    """An empty list or dict as a field's default (`empty(list)`), a new one per record, and
    still shown in the published JSON Schema (`"default": []`), which a default factory alone
    would not be (pydantic reads `json_schema_extra` from the field's metadata)."""
    return dataclasses.field(
        default_factory=kind, metadata={"json_schema_extra": {"default": kind()}}
    )


_T = TypeVar("_T")


@dataclass_transform(kw_only_default=True, frozen_default=True)
def record(*, frozen: bool = True) -> Callable[[type[_T]], type[_T]]:
    """The dataclass shape of every record: slotted (a validated draft is ~1.3 KB, a
    BaseModel's would be ~4.7 KB with its `__dict__` and fields-set) and keyword-only."""
    return dataclasses.dataclass(frozen=frozen, slots=True, kw_only=True)


@cache
def _adapter(cls: type) -> Any:
    return _pydantic().TypeAdapter(cls)


@cache
def _schema(cls: type) -> dict[str, Any]:
    schema: dict[str, Any] = _adapter(cls).json_schema()
    return schema


class Record:
    """Reading (validated by pydantic) and writing (plain json) for the record classes.
    A class sets `__pydantic_config__` (e.g. `{"extra": "forbid"}`) as pydantic reads it."""

    __slots__ = ()

    @classmethod
    def from_data(cls, data: Any) -> Self:
        """Validate parsed JSON or TOML; raises ValueError (a pydantic ValidationError)."""
        return _adapter(cls).validate_python(data)  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse and validate JSON in one pass; raises ValueError (a ValidationError)."""
        return _adapter(cls).validate_json(text)  # type: ignore[arg-type]

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The class's JSON Schema, built once per process (building it takes ~4 ms, and a
        scan explains every invalid draft against it): shared, so never changed in place."""
        return _schema(cls)  # type: ignore[arg-type]

    def to_data(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """JSON-ready data: dicts, lists, strings (ISO 8601 for times), numbers."""
        return _plain(self, exclude_none)

    def to_json(self, *, indent: int | None = None, exclude_none: bool = False) -> str:
        compact = (",", ":") if indent is None else None
        return json.dumps(
            self.to_data(exclude_none=exclude_none),
            indent=indent,
            separators=compact,
            ensure_ascii=False,
            allow_nan=False,
        )

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (not validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _plain(value: Any, exclude_none: bool) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for item in dataclasses.fields(value):
            field_value = getattr(value, item.name)
            if field_value is None and exclude_none:
                continue
            out[item.name] = _plain(field_value, exclude_none)
        return out
    if isinstance(value, dict):
        return {str(key): _plain(item, exclude_none) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item, exclude_none) for item in value]
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def _iso(value: datetime) -> str:
    """As pydantic writes it: UTC as `Z`."""
    if value.utcoffset() == timedelta(0):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def validation_errors(exc: ValueError) -> list[dict[str, Any]]:
    """pydantic's error list (`loc`, `msg`, `type`) of a failed `from_data`/`from_json`;
    one entry for any other ValueError."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return list(errors())
    return [{"loc": (), "msg": str(exc), "type": "value_error"}]


_BOUNDS = {
    "greater_than_equal": "at least",
    "greater_than": "more than",
    "less_than_equal": "at most",
    "less_than": "less than",
}


def plain_error(error: dict[str, Any], schema: dict[str, Any] | None = None) -> str:
    """One pydantic error as a person reads it (`confidence: must be between 0 and 1`,
    `draft: required`): the field, then what it must be; never the input, the error's type
    tag or pydantic's web link. `schema`: the JSON Schema validated against, for both bounds
    of a number when one is broken."""
    where, message = plain_parts(error, schema)
    return f"{where}: {message}" if where else message


def plain_parts(error: dict[str, Any], schema: dict[str, Any] | None = None) -> tuple[str, str]:
    """`plain_error` as the field's dotted path and what it must be."""
    where = ".".join(str(p) for p in error.get("loc", ()))
    kind = error.get("type", "")
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        message = "required"
    elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
        message = "unknown field"
    elif kind in _BOUNDS:
        low, high = _bounds(schema, error.get("loc", ()))
        if low is not None and high is not None:
            message = f"must be between {_number(low)} and {_number(high)}"
        else:
            limit = next(iter((error.get("ctx") or {}).values()), "")
            message = f"must be {_BOUNDS[kind]} {_number(limit)}"
    else:
        message = re.sub(r"^(Input|String|List|Dictionary|Tuple|Set|Value) should", "must", message)
        message = message.replace(" after validation", "")  # pydantic's, not the reader's
        if message.startswith("must be a valid "):
            message = message.partition(",")[0].replace("a valid ", "a ", 1)
    return where, message


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _bounds(schema: dict[str, Any] | None, loc: Any) -> tuple[Any, Any]:
    """The lower and upper bound the schema gives the value at `loc` (None where none)."""
    if schema is None:
        return None, None
    defs = schema.get("$defs", {})
    node: Any = schema

    def resolve(node: Any) -> Any:
        while isinstance(node, dict):
            if "$ref" in node:
                node = defs.get(str(node["$ref"]).rpartition("/")[2])
            elif "anyOf" in node:  # `X | None`: the branch that is not null
                node = next((b for b in node["anyOf"] if b.get("type") != "null"), None)
            else:
                return node
        return node

    for part in loc:
        node = resolve(node)
        if not isinstance(node, dict):
            return None, None
        node = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
    node = resolve(node)
    if not isinstance(node, dict):
        return None, None
    low = node.get("minimum", node.get("exclusiveMinimum"))
    return low, node.get("maximum", node.get("exclusiveMaximum"))
