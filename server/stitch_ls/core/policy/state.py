"""The engineer's switches and counters for one workspace, kept between runs.

They live outside the workspace (`StitchPaths.state`, in the per-user state directory), so an
agent that can write anywhere in the repository still cannot turn read-only off or reset the
trust budget. Written only by `update_state`, under a lock and atomically, so the server and
the CLI can both change it. An unreadable state file never loosens anything: it reads as
read-only on. A `.stitch/state.json` from before the move is migrated once, the first time
this user's state for the workspace is read; after that it is never read again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from stitch_ls.core.files.fsio import atomic_write, locked, parse_json, read_bytes_limited
from stitch_ls.core.files.paths import StitchPaths
from stitch_ls.core.records import Aware, Record, record

MAX_STATE_BYTES = 20 * 1024 * 1024


@record(frozen=False)
class ReadOnlySwitch(Record):
    on: bool = False
    by: str | None = None
    since: Aware | None = None
    reason: str | None = None


@record(frozen=False)
class Outcome(Record):
    """What became of a draft: applied or rejected, by whom, when and why."""

    outcome: Literal["applied", "rejected"]
    at: Aware
    by: str
    reason: str | None = None
    title: str = ""
    stream: str = ""
    agent: str = ""
    confidence: float | None = None
    sourced: bool = True


@record(frozen=False)
class Verification(Record):
    """A verification run the engineer made (`stitch-ls verify`): kept here, outside the
    workspace, so no agent can forge one. It holds for the draft's content it ran against."""

    outcome: Literal["passed", "failed"]
    at: Aware
    by: str
    digest: str  # gate.draft_digest of the draft verified
    command: list[str] = field(default_factory=list)
    exit_code: int | None = None
    duration_s: float = 0.0
    tail: str = ""
    refs: list[str] = field(default_factory=list)


@record(frozen=False)
class Vouch(Record):
    """A human's word for a draft parked without sources (`stitch-ls draft vouch`): kept here,
    outside the workspace, because a `human` source an agent writes into its own draft is a
    forgery the gate ignores. It holds for the draft's content it was given for."""

    note: str
    at: Aware
    by: str
    digest: str  # gate.draft_digest of the draft vouched for


@record(frozen=False)
class State(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "ignore"}

    version: Literal[1] = 1
    read_only: ReadOnlySwitch = field(default_factory=ReadOnlySwitch)
    focus_until: Aware | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    activity_minutes: list[int] = field(default_factory=list)
    unsourced_arrivals: dict[str, Aware] = field(default_factory=dict)
    verifications: dict[str, Verification] = field(default_factory=dict)
    vouches: dict[str, Vouch] = field(default_factory=dict)


def read_state(paths: StitchPaths) -> State:
    """The current state; a missing file is a fresh state, a broken one is read-only on."""
    try:
        raw = read_bytes_limited(paths.state, MAX_STATE_BYTES)
    except FileNotFoundError:
        return _migrated(paths)
    except (OSError, ValueError) as exc:
        return _unreadable(f"cannot read {paths.state}: {_why(exc)}")
    try:
        return State.from_data(parse_json(raw))
    except ValueError as exc:  # not JSON, or not a state
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _unreadable(f"{paths.state} is unreadable ({first}); fix or delete it")


def _why(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _migrated(paths: StitchPaths) -> State:
    """No state of this user's yet: take over a valid `.stitch/state.json` from before the
    move (once: the next write creates the user's file); otherwise a fresh state."""
    try:
        raw = read_bytes_limited(paths.legacy_state, MAX_STATE_BYTES)
        return State.from_data(parse_json(raw))
    except (OSError, ValueError):
        return State()


def _unreadable(reason: str) -> State:
    return State(
        read_only=ReadOnlySwitch(on=True, by="stitch", since=datetime.now(UTC), reason=reason)
    )


def update_state(paths: StitchPaths, change: Callable[[State], None]) -> State:
    """Read, change and write the state under the workspace lock; returns the new state."""
    with locked(paths.state_lock):
        state = read_state(paths)
        change(state)
        atomic_write(paths.state, state.to_json(indent=1, exclude_none=True) + "\n")
        return state
