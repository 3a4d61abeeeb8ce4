"""`.stitch/state.json`: the local switches and counters one workspace keeps between runs.

Written only by `update_state`, under a lock and atomically, so the server and the CLI can
both change it. An unreadable state file never loosens anything: it reads as read-only on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from stitch_ls.core.fsio import atomic_write, locked
from stitch_ls.core.paths import StitchPaths

MAX_STATE_BYTES = 20 * 1024 * 1024


class ReadOnlySwitch(BaseModel):
    on: bool = False
    by: str | None = None
    since: AwareDatetime | None = None
    reason: str | None = None


class Outcome(BaseModel):
    """What became of a draft: applied or rejected, by whom, when and why."""

    outcome: Literal["applied", "rejected"]
    at: AwareDatetime
    by: str
    reason: str | None = None
    title: str = ""
    stream: str = ""
    agent: str = ""
    confidence: float | None = None
    sourced: bool = True


class State(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: Literal[1] = 1
    read_only: ReadOnlySwitch = ReadOnlySwitch()
    focus_until: AwareDatetime | None = None
    outcomes: dict[str, Outcome] = {}
    activity_minutes: list[int] = []
    unsourced_arrivals: dict[str, AwareDatetime] = {}


def read_state(paths: StitchPaths) -> State:
    """The current state; a missing file is a fresh state, a broken one is read-only on."""
    try:
        raw = paths.state.read_bytes()
    except FileNotFoundError:
        return State()
    except OSError as exc:
        return _unreadable(f"cannot read state.json: {exc}")
    if len(raw) > MAX_STATE_BYTES:
        return _unreadable("state.json is too large")
    try:
        return State.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        return _unreadable(f"state.json is unreadable ({first}); fix or delete it")


def _unreadable(reason: str) -> State:
    return State(
        read_only=ReadOnlySwitch(on=True, by="stitch", since=datetime.now(UTC), reason=reason)
    )


def update_state(paths: StitchPaths, change: Callable[[State], None]) -> State:
    """Read, change and write the state under the workspace lock; returns the new state."""
    with locked(paths.lock):
        state = read_state(paths)
        change(state)
        atomic_write(paths.state, state.model_dump_json(indent=1, exclude_none=True) + "\n")
        return state
