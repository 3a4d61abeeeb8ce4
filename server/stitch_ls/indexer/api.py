"""The indexer's calls: one typed entry each, declaring how it runs.

`IndexerApi` is the contract both ends keep. The indexer process implements it
(`process.Indexer` subclasses it, so the type checker holds the two together); the language
server calls it through `link.IndexerLink.call(IndexerApi.load, now)`, whose arguments and
answer are typed by the entry itself. Nothing else crosses the pipe: a name that is not an
entry here is refused by the indexer.

How a call runs is declared beside it (`@runs`):
- `in order` (the default): answered one at a time in the order sent, so what one call changes
  the next one sees, and the server adopts their changes in that order;
- `background`: long, changing nothing (counts, lists): one at a time in a thread, so a new
  draft never waits behind a count of 10,000;
- `alone`: minutes long (the team's test command, a fetch): each in a thread of its own.
`timeout` is how long the server waits before it counts the indexer as stuck (None: the link's
default). A refusal (`Refused`) is an answer: it is raised again, with its words, on the
server's side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from stitch_ls.indexer.wire import Changed, Delta, GitUpdate, PointCount

if TYPE_CHECKING:
    from stitch_ls.core.drafts.anchor import Plan
    from stitch_ls.core.drafts.gate import GateContext
    from stitch_ls.core.drafts.index import DraftRecord
    from stitch_ls.core.drafts.model import Draft, Prompt
    from stitch_ls.core.drafts.verify import Verdict
    from stitch_ls.core.listing import Page
    from stitch_ls.core.operations import Settled, Vouched
    from stitch_ls.core.policy.config import ConfigProblem, EditorSettings, TeamConfig
    from stitch_ls.core.record.keeping import Session
    from stitch_ls.core.vcs.gitview import Comparison
    from stitch_ls.core.vcs.stitchpoints import StitchPoint
    from stitch_ls.core.workspace import DraftSummary

F = TypeVar("F")


class Mode(StrEnum):
    IN_ORDER = "in order"
    BACKGROUND = "background"
    ALONE = "alone"


@dataclass(frozen=True)
class Runs:
    mode: Mode = Mode.IN_ORDER
    timeout: float | None = None  # seconds the server waits; None: the link's default


def runs(mode: Mode = Mode.IN_ORDER, timeout: float | None = None) -> Callable[[F], F]:
    """Declare how an entry of `IndexerApi` runs (module docstring)."""

    def declare(entry: F) -> F:
        vars(entry)["runs"] = Runs(mode, timeout)
        return entry

    return declare


LONG = 300.0  # a first load, a count or a look at git on a large repository, on a busy machine
A_DAY = 24 * 3600 + 600.0  # the team's test command: its timeout_s is at most a day


class IndexerApi(Protocol):
    # -- drafts and the engineer's state -------------------------------------------------

    @runs(timeout=LONG)
    def load(self, now: datetime) -> Delta:
        """Everything read afresh (a new server or a new indexer), after finishing or undoing
        an apply a crash interrupted."""
        ...

    def reload(self, changed: set[Path] | None, now: datetime) -> Delta:
        """What changed under `.stitch/` (None: everything) read again."""
        ...

    def watch(self, paths: frozenset[str]) -> list[DraftRecord]:
        """The paths the editor shows now; answers the drafts on those not shown before."""
        ...

    def record(self, draft_id: str) -> DraftRecord | None:
        """A draft by id; None when there is no such draft (an answer, not a failure)."""
        ...

    @runs(Mode.BACKGROUND, timeout=LONG)
    def counts(self, now: datetime, ctx: GateContext) -> dict[str, int]:
        """Pending drafts by gate under the server's context, against the files on disk."""
        ...

    @runs(Mode.BACKGROUND, timeout=LONG)
    def summaries(
        self, ctx: GateContext, texts: dict[str, str], path: str | None, limit: int
    ) -> Page[DraftSummary]:
        """The first `limit` pending drafts (or those on `path`) judged against the open
        buffers' texts, and how many there are (`operations.list_drafts`)."""
        ...

    def user(self) -> str:
        """Who is at the keyboard, as git knows them."""
        ...

    def settings(self, raw: object) -> tuple[EditorSettings, list[str]]:
        """The editor's `stitch.*` settings, validated (and kept: applies are checked here)."""
        ...

    def check_team(self, text: str) -> list[ConfigProblem]:
        """Problems of a team file as the editor's buffer holds it."""
        ...

    def reject(self, draft_id: str, reason: str | None, by: str, now: datetime) -> Delta:
        """Reject a pending draft (refused when it was decided already, or is unknown)."""
        ...

    def set_read_only(self, on: bool, reason: str | None, by: str, now: datetime) -> Delta:
        """The read-only switch (never between another process's apply check and commit)."""
        ...

    def set_focus(self, minutes: int, now: datetime) -> Delta:
        """A focus session of `minutes` (0 ends it)."""
        ...

    def note_activity(self, now: datetime) -> Changed[bool]:
        """An editing minute, for the trust budget's hour; whether the budget's window moved."""
        ...

    def vouch(self, draft_id: str, note: str, by: str, now: datetime) -> Changed[Vouched]:
        """A human's word for a draft parked for want of sources."""
        ...

    def begin_apply(
        self,
        draft_id: str,
        texts: dict[str, str],
        now: datetime,
        by: str,
        session: Session | None = None,
    ) -> tuple[Draft, Plan]:
        """Check an apply against the editor's texts under the apply lock, which stays held
        until `finish_apply`; `session`: the editor session whose buffers get it."""
        ...

    def finish_apply(
        self, applied: bool, now: datetime, draft_id: str | None = None
    ) -> Changed[Settled | None]:
        """The editor applied the edit (or did not): it waits to reach the disk (kept at once
        when the editor wrote it there), the lock released; None when it was not applied.
        With `draft_id`, also an answer a crashed indexer never got (the new one recovered
        the apply as waiting: applied, it goes on waiting; not, it is withdrawn)."""
        ...

    def settle(
        self,
        event: str,
        path: str | None,
        buffers: dict[str, str],
        now: datetime,
        session: Session,
    ) -> Changed[list[Settled]]:
        """Something happened to a file of an apply waiting to be saved ("saved", "closed",
        "changed"), or "check" / "ended" for every one of `session`'s: each judged again
        against the disk and the session's `buffers` (the open ones), and logged as accepted
        (kept) or not kept when that is decided."""
        ...

    @runs(Mode.ALONE, timeout=A_DAY)
    def verify(self, draft_id: str, by: str, now: datetime, approve_command: bool) -> Verdict:
        """Run the team's test command against a draft (refused when it cannot run, and the
        first time a command would run here unless a person just said yes to it)."""
        ...

    def evidence_to_approve(self, draft_id: str) -> list[str] | None:
        """The team's test command, when `draft_id` can be verified and the command has not run
        on this machine before (a person sees it and says yes first); None when it has.
        Refused as `verify` would be (a decided draft, an unknown one, nothing to run)."""
        ...

    def approve_team_file(self, by: str, now: datetime, door: str) -> Delta:
        """A person approves the team file waiting for approval (refused when none waits)."""
        ...

    def cancel_verify(self, draft_id: str | None) -> bool:
        """Stop the verification of `draft_id` (every one: None); whether one was running."""
        ...

    # -- prompts and the record ------------------------------------------------------------

    def prompts(self) -> tuple[list[tuple[Path, Prompt]], list[str]]:
        """Agents' prompts (oldest first) and the files that could not be read."""
        ...

    def answer(self, path: Path, answer: str, by: str, at: datetime) -> Prompt:
        """Write the engineer's answer into a prompt of this workspace."""
        ...

    def dismiss_prompts(self, ids: list[str]) -> list[str]:
        """Remember prompts the engineer dismissed unanswered (forgetting those no longer
        pending); every prompt dismissed so far. `[]` only reads them."""
        ...

    def source_log(self) -> str:
        """The source log as readable text."""
        ...

    # -- git ---------------------------------------------------------------------------------

    @runs(timeout=LONG)
    def git(self, team: TeamConfig, now: datetime) -> GitUpdate | None:
        """A new snapshot when the commits (or the team file) moved since the last; None
        when nothing moved or there is no repository to look at."""
        ...

    @runs(timeout=120.0)
    def points(self, path: str, text: str | None) -> list[StitchPoint]:
        """Stitch points in `path` with the engineer's live text as one more stream."""
        ...

    @runs(Mode.BACKGROUND, timeout=LONG)
    def write_collisions(self, now: datetime) -> int:
        """The repository's collision index written for the last snapshot (what the agents'
        guard reads before an edit: `core.vcs.collisions`); how many files it rewrote."""
        ...

    @runs(Mode.BACKGROUND, timeout=LONG)
    def recount_points(self) -> PointCount | None:
        """The workspace's stitch points counted (None before the first look at git)."""
        ...

    def sign_off(self, point: StitchPoint, signer: str, at: datetime) -> dict[str, object]:
        """Append a sign-off (refused unless `signer` owns the point, or signing failed)."""
        ...

    def compare(self, path: str, symbol: str, streams: list[str]) -> Comparison:
        """Each stream's version of `path` and the base's, at a stitch point."""
        ...

    @runs(Mode.ALONE, timeout=600.0)
    def fetch_streams(self) -> list[str]:
        """Fetch the remotes' stream branches; the problems."""
        ...


def _declared() -> dict[str, Runs]:
    found: dict[str, Runs] = {}
    for name, entry in vars(IndexerApi).items():
        if not name.startswith("_") and callable(entry):
            declared = getattr(entry, "runs", None)
            found[name] = declared if isinstance(declared, Runs) else Runs()
    return found


CALLS: dict[str, Runs] = _declared()
"""Every call by name, and how it runs: the indexer answers these and nothing else."""
