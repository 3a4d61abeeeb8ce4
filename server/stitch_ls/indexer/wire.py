"""What crosses the pipe between the language server and its indexer process, besides the core's
own records: both ends import this module, and nothing else of each other.

A call goes out as `(call id, method name, args)`; its reply comes back as a `Reply`, whose
`kind` says what the value is: the answer, a refusal the indexer's verbs made (`Refused`, raised
again on the server's side with the same words), or a failure (a bug, or an error the call did
not expect: one call fails, the indexer goes on). What the indexer says unasked (files changed
under `.stitch/`) comes with call id `EVENT`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Literal, NamedTuple, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from stitch_ls.core.drafts.index import DraftRecord, ScanResult
    from stitch_ls.core.policy.state import State
    from stitch_ls.core.policy.teamfile import TeamSource
    from stitch_ls.core.vcs.streams import StreamSet
    from stitch_ls.core.workspace import Reloaded

T = TypeVar("T")

EVENT = 0  # the call id of what the indexer says unasked (calls count from 1)
ReplyKind = Literal["ok", "refused", "failed", "event"]


class Reply(NamedTuple):
    call_id: int
    kind: ReplyKind
    value: object  # the answer; the refusal's or failure's words; an event's changed paths


def event(changed: set[Path] | None) -> Reply:
    """Files changed under `.stitch/` (or the engineer's state); None: read everything."""
    return Reply(EVENT, "event", changed)


def _nothing_scanned() -> ScanResult:
    # start-up: the language server imports this module before its first answer, and the
    # core's draft modules only after it (lsp/server.py, LATER_IMPORTS)
    from stitch_ls.core.drafts.index import ScanResult

    return ScanResult()


@dataclass
class Delta:
    """What a call changed: the drafts in the index, and the state and team file when they
    were read or written (the server adopts them in call order)."""

    result: ScanResult = field(default_factory=_nothing_scanned)
    records: list[DraftRecord] = field(default_factory=list)  # moved drafts on watched paths
    invalid: list[DraftRecord] | None = None  # the broken draft files, when they changed
    state: State | None = None  # when it was read or written
    team: TeamSource | None = None  # when the team file was read
    reloaded: Reloaded | None = None  # what a reload found changed


@dataclass
class Changed(Generic[T]):
    """A change's answer and what it changed."""

    value: T
    delta: Delta


@dataclass
class GitUpdate:
    """A new git snapshot, as the server needs it (the rest stays in the indexer)."""

    streams: StreamSet | None  # None without a usable repository
    problems: list[str]
    delta: Delta


@dataclass(frozen=True)
class PointCount:
    """The workspace's stitch points, for the status: counts by kind and every point's id."""

    counts: dict[str, int]
    ids: list[str]


IndexerErrorKind = Literal["down", "timeout", "failed"]


class IndexerError(Exception):
    """The indexer could not answer: it is not running (`down`), did not answer in time
    (`timeout`, and is restarted), or the call failed in it (`failed`). Never a refusal, and
    never "not found": those are answers."""

    def __init__(self, message: str, kind: IndexerErrorKind = "failed") -> None:
        super().__init__(message)
        self.kind: IndexerErrorKind = kind
