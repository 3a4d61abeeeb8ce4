"""The engineer's switches and counters for one repository, kept between runs.

They live outside the workspace (`StitchPaths.state`, in the per-user state directory, one
file per repository that every worktree shares), so an agent that can write anywhere in the
repository still cannot turn read-only off or reset the trust budget. Written only by
`update_state`, under a lock and atomically, so the server and the CLI can both change it. An
unreadable state file never loosens anything: it reads as read-only on.

The read-only switch and focus are also kept in git's common directory
(`StitchPaths.shared_switches`), where every process of the repository sees them: an agent in
another worktree, running as another OS user, in a container, or with another state folder.
Read-only is on when either copy says on, focus lasts until the later of the two, and a shared
copy that cannot be read turns read-only on; a missing one changes nothing.

Taken over once, the first time this user's state for the repository is read: the state kept
per checkout before every worktree shared it, else a `.stitch/state.json` from before the
switches moved out of the workspace.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from stitch_ls.core.files.fsio import atomic_write, locked, parse_json, read_bytes_limited
from stitch_ls.core.files.paths import StitchPaths
from stitch_ls.core.records import Aware, Record, record

MAX_STATE_BYTES = 20 * 1024 * 1024
MAX_SWITCHES_BYTES = 64 * 1024


@record(frozen=False)
class ReadOnlySwitch(Record):
    on: bool = False
    by: str | None = None
    since: Aware | None = None
    reason: str | None = None
    door: str = ""  # terminal, editor, agent (core.policy.decisions)
    # where the team signs, turning it off is signed by `by` (`off_body`)
    signature: str | None = None

    def off_body(self) -> dict[str, Any]:
        """What a signature of turning read-only off covers."""
        return {"read_only": "off", "by": self.by, "since": _iso(self.since), "door": self.door}


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
    door: str = ""  # terminal, editor (core.policy.decisions); empty before doors were kept


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
    door: str = ""  # terminal, editor (core.policy.decisions)
    signature: str | None = None  # where the team signs: `body` signed by `by`

    def body(self, draft_id: str) -> dict[str, Any]:
        """What a signature of this vouch covers."""
        return {
            "draft": draft_id,
            "digest": self.digest,
            "note": self.note,
            "by": self.by,
            "at": _iso(self.at),
            "door": self.door,
        }


@record(frozen=False)
class Waiting(Record):
    """An apply the editor made that waits to reach the disk (`core.record.keeping` keeps
    the whole of it): enough for every door to count and list it."""

    at: Aware  # applied in the editor
    by: str
    title: str
    stream: str
    agent: str
    files: list[str] = field(default_factory=list)
    pid: int = 0  # the editor session whose buffers hold it (`keeping.Session`)
    started: str = ""


@record(frozen=False)
class State(Record):
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "ignore"}

    version: Literal[1] = 1
    read_only: ReadOnlySwitch = field(default_factory=ReadOnlySwitch)
    focus_until: Aware | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    activity_minutes: list[int] = field(default_factory=list)
    unsourced_arrivals: dict[str, Aware] = field(default_factory=dict)
    # whose each unsourced arrival is (draft id -> agent): each agent has its own budget
    unsourced_agents: dict[str, str] = field(default_factory=dict)
    verifications: dict[str, Verification] = field(default_factory=dict)
    vouches: dict[str, Vouch] = field(default_factory=dict)
    # applies the editor made that wait to reach the disk, by draft id (not yet accepted)
    unsaved: dict[str, Waiting] = field(default_factory=dict)
    # the team's `[evidence]` settings a person saw and let run here (core.drafts.verify)
    evidence_commands: list[str] = field(default_factory=list)
    # decisions made here through a human door (answers, sign-offs), by their receipt key:
    # the door (core.policy.decisions.remember)
    receipts: dict[str, str] = field(default_factory=dict)
    # prompts the engineer dismissed unanswered: listed as pending, never popped up again
    dismissed_prompts: list[str] = field(default_factory=list)


@record(frozen=False)
class SharedSwitches(Record):
    """What every process of the repository reads: the read-only switch and focus."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "ignore"}

    version: Literal[1] = 1
    read_only: ReadOnlySwitch = field(default_factory=ReadOnlySwitch)
    focus_until: Aware | None = None


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def read_state(paths: StitchPaths) -> State:
    """The current state, with the repository's shared switches joined in (module
    docstring); a missing file is a fresh state, a broken one is read-only on."""
    return _joined(_own_state(paths), read_shared(paths))


def _own_state(paths: StitchPaths) -> State:
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
    """No state of this user's for the repository yet: take over the one kept per checkout
    before, else a valid `.stitch/state.json` from before the move (once: the next write
    creates the user's file); otherwise a fresh state. A per-checkout state that cannot be
    read is read-only on, as the file it was would have been."""
    before = paths.legacy_user_file(".json")
    if before is not None:
        try:
            raw = read_bytes_limited(before, MAX_STATE_BYTES)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            return _unreadable(f"cannot read {before}: {_why(exc)}")
        else:
            try:
                return State.from_data(parse_json(raw))
            except (ValueError, RecursionError):
                return _unreadable(f"{before} is unreadable; fix or delete it")
    try:
        raw = read_bytes_limited(paths.legacy_state, MAX_STATE_BYTES)
        return State.from_data(parse_json(raw))
    except (OSError, ValueError):
        return State()


def read_shared(paths: StitchPaths) -> SharedSwitches | str | None:
    """The repository's shared switches; None when there are none (no repository, or never
    written); the reason when they cannot be read."""
    file = paths.shared_switches
    if file is None:
        return None
    try:
        raw = read_bytes_limited(file, MAX_SWITCHES_BYTES)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return f"cannot read {file}: {_why(exc)}"
    try:
        return SharedSwitches.from_data(parse_json(raw))
    except (ValueError, RecursionError):
        return f"{file} is unreadable"


def _joined(state: State, shared: SharedSwitches | str | None) -> State:
    """Read-only on when either copy says so (the shared one when it cannot be read); focus
    until the later of the two."""
    if shared is None:
        return state
    if isinstance(shared, str):
        if not state.read_only.on:
            state.read_only = ReadOnlySwitch(
                on=True, by="stitch", since=datetime.now(UTC), reason=f"{shared}; fix or delete it"
            )
        return state
    if shared.read_only.on and not state.read_only.on:
        state.read_only = shared.read_only
    if shared.focus_until is not None and (
        state.focus_until is None or shared.focus_until > state.focus_until
    ):
        state.focus_until = shared.focus_until
    return state


def _share(paths: StitchPaths, state: State) -> None:
    """Write the switches where every process of the repository reads them (when they
    differ from what is there): a real folder `stitch` in git's common directory, never a
    symlink in its place."""
    file = paths.shared_switches
    if file is None:
        return
    shared = SharedSwitches(read_only=state.read_only, focus_until=state.focus_until)
    text = shared.to_json(indent=1, exclude_none=True) + "\n"
    folder = file.parent
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        os.mkdir(folder, 0o755)
    else:
        if not stat.S_ISDIR(info.st_mode):
            raise OSError(f"{folder} is not a folder (a symlink?): the switches are not shared")
    try:
        if read_bytes_limited(file, MAX_SWITCHES_BYTES).decode("utf-8", "replace") == text:
            return
    except (OSError, ValueError):
        pass
    atomic_write(file, text)


def _unreadable(reason: str) -> State:
    return State(
        read_only=ReadOnlySwitch(on=True, by="stitch", since=datetime.now(UTC), reason=reason)
    )


def update_state(paths: StitchPaths, change: Callable[[State], None]) -> State:
    """Read, change and write the state under the repository's lock, and the switches where
    every process of the repository sees them; returns the new state."""
    with locked(paths.state_lock):
        state = read_state(paths)
        change(state)
        atomic_write(paths.state, state.to_json(indent=1, exclude_none=True) + "\n")
        _share(paths, state)
        return state
