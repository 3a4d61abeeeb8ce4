"""The team's policy file (`.stitch/config.toml`) and the engineer's editor settings.

A broken team file must never crash the server nor loosen policy: `load_team_config`
returns either a config or a list of problems, each at the line it comes from.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from stitch_ls.core.files.fsio import parse_toml
from stitch_ls.core.policy.quiet import QuietWindow, parse_timezone
from stitch_ls.core.records import Record, empty, record, rule, validation_errors

Fraction = Annotated[float, rule(ge=0.0, le=1.0, allow_inf_nan=False)]


def _check_timezone(name: str | None) -> str | None:
    if name is not None:
        parse_timezone(name)
    return name


TimeZoneName = Annotated[str | None, rule(after=_check_timezone)]


DURATION = re.compile(r"(\d{1,6})([smh])")
FETCH_LEAST_S = 30  # a fetch is network work: not more often than this


def duration_seconds(value: str) -> int:
    """`"90s"`, `"5m"`, `"1h"` -> seconds; ValueError otherwise."""
    match = DURATION.fullmatch(value.strip())
    if match is None:
        raise ValueError(f'{value!r} is not a duration such as "30s", "5m" or "1h"')
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


def _fetch_every(value: str | None) -> str | None:
    if value is not None and duration_seconds(value) < FETCH_LEAST_S:
        raise ValueError(f"fetch_every must be at least {FETCH_LEAST_S}s")
    return value


def _placeholders(value: str) -> str:
    if "{stream}" not in value:
        raise ValueError("branch_pattern needs a {stream} placeholder")
    return value


class _Team(Record):
    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


@record()
class AgentsPolicy(_Team):
    confidence_floor: Fraction = 0.65
    irreversible_paths: list[str] = empty(list)
    read_only: bool = False
    direct_edits: Literal["any", "drafts-only"] = "any"
    # "verified": an irreversible draft needs evidence the engineer's `stitch-ls verify` ran;
    # "claimed": the agent's own word that its tests passed is enough. Unset: "verified" where
    # `[evidence]` names a command to run, else "claimed" (`TeamConfig.irreversible_rule`)
    irreversible_requires: Literal["claimed", "verified"] | None = None


@record()
class TrustPolicy(_Team):
    unsourced_per_hour: Annotated[int, rule(ge=0, le=10_000)] = 3
    on_exhausted: Literal["raise_floor", "read_only"] = "raise_floor"
    scrutiny_raise: Fraction = 0.15
    # every agent's unsourced drafts together, per hour of development (None: no team cap);
    # each agent also has its own `unsourced_per_hour`
    team_per_hour: Annotated[int, rule(ge=0, le=100_000)] | None = None


@record()
class QuietHoursPolicy(_Team):
    timezone: TimeZoneName = None
    engineers_may_remove: bool = False
    windows: list[QuietWindow] = empty(list)


@record()
class StreamsPolicy(_Team):
    base: str = "main"
    branch_pattern: Annotated[str, rule(after=_placeholders)] = "stream/{feature}/{stream}"
    max_per_feature: Annotated[int, rule(ge=1, le=100)] = 2
    # opt-in: fetch the remotes' stream branches in the background this often ("5m")
    fetch_every: Annotated[str | None, rule(after=_fetch_every)] = None
    # an agent's edit of lines another stream (or the engineer's buffer) changed: allowed
    # with a message naming it, the person asked, or refused
    on_collision: Literal["warn", "ask", "deny"] = "warn"


def _argv(value: list[str]) -> list[str]:
    if value and not value[0].strip():
        raise ValueError("the command's first item names the program to run")
    return value


@record()
class EvidencePolicy(_Team):
    """How `stitch-ls verify` runs a draft's tests: an argv list (no shell); `{refs}` stands
    for the draft's test refs, one argument each. The tests see only an allow-listed
    environment (`verify.BASE_ENV`) plus the variables `env` names, so the engineer's cloud
    keys and tokens stay out of code an agent wrote."""

    command: Annotated[
        list[Annotated[str, rule(max_length=4000)]], rule(max_length=100, after=_argv)
    ] = empty(list)
    timeout_s: Annotated[float, rule(gt=0, le=24 * 3600, allow_inf_nan=False)] = 600.0
    env: Annotated[
        list[Annotated[str, rule(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]],
        rule(max_length=100),
    ] = empty(list)


@record()
class StitchPointsPolicy(_Team):
    """`signing = "ssh"`: a sign-off counts only when signed with the owner's SSH key, as
    listed in the committed `.stitch/allowed_signers`."""

    signing: Literal["none", "ssh"] = "none"


@record()
class FeaturePolicy(_Team):
    stitch_owner: str | None = None
    paths: list[str] = empty(list)


@record()
class OutcomesPolicy(_Team):
    """What the report compares outcomes by: each service and the paths that are it
    (`payments = ["src/payments/**"]`), matched against what a merged stream touched."""

    services: dict[
        Annotated[str, rule(min_length=1, max_length=100)],
        Annotated[list[Annotated[str, rule(min_length=1, max_length=1000)]], rule(max_length=1000)],
    ] = empty(dict)


@record()
class TeamConfig(_Team):
    """`.stitch/config.toml`, as DESIGN.md describes it."""

    agents: AgentsPolicy = AgentsPolicy()
    trust: TrustPolicy = TrustPolicy()
    quiet_hours: QuietHoursPolicy = QuietHoursPolicy()
    streams: StreamsPolicy = StreamsPolicy()
    features: dict[str, FeaturePolicy] = empty(dict)
    evidence: EvidencePolicy = EvidencePolicy()
    stitch_points: StitchPointsPolicy = StitchPointsPolicy()
    outcomes: OutcomesPolicy = OutcomesPolicy()

    def irreversible_rule(self) -> tuple[str, str]:
        """What an irreversible draft's test evidence must be, and why: "verified" (the
        engineer ran `stitch-ls verify`) or "claimed" (the agent's word), as the team file
        sets it, else by default: verified wherever there is a command to verify with."""
        chosen = self.agents.irreversible_requires
        if chosen is not None:
            return chosen, "team file"
        if self.evidence.command:
            return "verified", "default ([evidence] names a command)"
        return "claimed", "default (no [evidence] command to verify with)"

    @property
    def requires_verified(self) -> bool:
        return self.irreversible_rule()[0] == "verified"


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


class _Editor(Record):
    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {
        "extra": "ignore",
        "alias_generator": _camel,
        "populate_by_name": True,
    }


@record()
class EditorQuietHours(_Editor):
    timezone: TimeZoneName = None
    windows: list[QuietWindow] = empty(list)
    remove_team_windows: bool = False


@record()
class EditorTrust(_Editor):
    unsourced_per_hour: Annotated[int, rule(ge=0)] | None = None


@record()
class EditorSettings(_Editor):
    """`stitch.*` settings from the editor: they may tighten the team's policy, not loosen it."""

    confidence_floor: Fraction | None = None
    trust: EditorTrust = EditorTrust()
    quiet_hours: EditorQuietHours = EditorQuietHours()


@dataclass(frozen=True)
class ConfigProblem:
    line: int  # 0-based
    message: str


def load_team_config(text: str) -> TeamConfig | list[ConfigProblem]:
    """Parse and validate a team file; on failure, problems located at their lines."""
    try:
        data = parse_toml(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) - 1 if match else 0
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return [ConfigProblem(line, f"not valid TOML: {message}")]
    except ValueError as exc:
        return [ConfigProblem(0, f"not valid TOML: {exc}")]
    try:
        return TeamConfig.from_data(data)
    except ValueError as exc:
        return [_problem(text, error) for error in validation_errors(exc)]


def _problem(text: str, error: Any) -> ConfigProblem:
    loc = tuple(error["loc"])
    where = ".".join(str(part) for part in loc)
    if error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        message = f"unknown key `{where}`"
    else:
        message = f"`{where}`: {_plain(error)}"
    return ConfigProblem(locate_key(text, loc), message)


def _plain(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


def locate_key(text: str, loc: tuple[Any, ...]) -> int:
    """Best line for a validation error at `loc` in a TOML text (0-based).

    Walks table headers (counting `[[array]]` entries) and `key =` lines; falls back to the
    nearest enclosing table, then to the first line.
    """
    keys = [str(part) for part in loc]
    best = 0
    best_depth = -1
    table: list[str] = []
    array_counts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines()):
        header = _HEADER.match(raw)
        if header:
            names = [part.strip().strip("\"'") for part in header.group(2).split(".")]
            if header.group(1) == "[[":
                dotted = ".".join(names)
                index = array_counts.get(dotted, -1) + 1
                array_counts[dotted] = index
                table = [*names, str(index)]
            else:
                table = names
            depth = _prefix_depth(table, keys)
            if depth > best_depth:
                best, best_depth = number, depth
            continue
        key = _KEY.match(raw)
        if key:
            path = [*table, key.group(1).strip("\"'")]
            depth = _prefix_depth(path, keys)
            if depth > best_depth:
                best, best_depth = number, depth
    return best


def _prefix_depth(path: list[str], keys: list[str]) -> int:
    """How many leading keys of `keys` a TOML path matches, or -1 if it diverges."""
    for index, name in enumerate(path):
        if index >= len(keys):
            return -1
        if name != keys[index]:
            return -1
    return len(path)


def settings_table(raw: Any) -> dict[str, Any]:
    """The `stitch` table from any shape clients send: VS Code's section dict, Neovim's
    `{"stitch": {...}}` / `{"settings": {"stitch": {...}}}`, or a one-item list."""
    data = raw
    for key in ("settings", "stitch"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
    if isinstance(data, list):
        data = data[0] if data and isinstance(data[0], dict) else {}
    return data if isinstance(data, dict) else {}


def merge_settings(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, table by table (initializationOptions < workspace/configuration)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_settings(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_editor_settings(raw: Any) -> tuple[EditorSettings, list[str]]:
    """Editor settings in any shape `settings_table` reads. Invalid ones are ignored (with a
    note) rather than trusted halfway."""
    data = settings_table(raw)
    try:
        return EditorSettings.from_data(data), []
    except ValueError as exc:
        notes = [
            f"stitch.{'.'.join(str(p) for p in e['loc'])}: {_plain(e)}"
            for e in validation_errors(exc)
        ]
        return EditorSettings(), notes
