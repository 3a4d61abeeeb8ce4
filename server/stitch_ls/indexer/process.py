"""The indexer process: what is big or slow about a workspace, kept off the editor's loop.

The language server (`lsp/indexer_client.py`) starts `main()` in a child process with its own
interpreter and calls it over the child's stdin and stdout: length-prefixed pickle frames, `(call id, method,
args)` in and `(call id, ok, result or one-line error)` out, answered one at a time in order.

The indexer holds the whole draft index (every draft file read and validated), counts drafts
by gate, counts unsourced arrivals against the trust budget, and does all the git work
(streams, agent commits' drafts, stitch points). It is also the one that reads and writes
`.stitch/`'s other files (the team file, state.json, prompts, the source log) and checks the
editor's settings: everything validated with pydantic happens here, and the server, which
never imports pydantic, gets the records. The server keeps only the drafts of the files
open in the editor (`DraftView`), sent here as they change. A process rather than a thread:
its Python work never holds the server's GIL, so reading 10,000 drafts or diffing four streams
leaves the editor's requests at their usual speed, and the server's memory holds what the
editor shows, not the whole index (neither the drafts, GitPython nor pydantic are loaded
there).

"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from stitch_ls.core.drafts.gate import GateContext
from stitch_ls.core.drafts.index import DraftRecord, ScanResult, record_paths
from stitch_ls.core.errors import Refused
from stitch_ls.core.workspace import Reloaded, StitchWorkspace, draft_summary
from stitch_ls.indexer.frames import EVENT, encode_frame, read_frame


@dataclass
class Delta:
    """What a call changed: the drafts in the index, and the state and team file when they
    were read or written."""

    result: ScanResult = field(default_factory=ScanResult)
    records: list[DraftRecord] = field(default_factory=list)  # moved drafts on watched paths
    invalid: list[DraftRecord] | None = None  # the broken draft files, when they changed
    state: Any = None  # state.State, when it was read or written
    team: Any = None  # teamfile.TeamSource, when the team file was read
    reloaded: Reloaded | None = None  # what a reload found changed


# The workspace's changes the server asks for: they write the engineer's state.
CHANGES = frozenset({"reject", "set_read_only", "set_focus", "note_activity"})
# ... and those that wait for any apply in progress in another process (never between its
# check and its commit: a switch-on is never followed by an apply checked before it)
LOCKED_CHANGES = frozenset({"set_read_only", "set_focus"})


@dataclass
class GitUpdate:
    """A new git snapshot, as the server needs it (the rest stays here)."""

    streams: Any  # streams.StreamSet, or None without a usable repository
    problems: list[str]
    delta: Delta


class Indexer:
    """The indexer's calls, in-process (tests call it directly; `serve` runs it in the child)."""

    METHODS = frozenset(
        {
            *("load", "reload", "watch", "record", "counts", "summaries", "git", "points"),
            *("user", "state", "change", "settings", "prompts", "answer"),
            *("begin_apply", "finish_apply", "check_team", "sign_off", "recount_points"),
            *("vouch", "source_log", "verify", "cancel_verify", "fetch_streams", "compare"),
        }
    )

    def __init__(self, root: Path) -> None:
        from stitch_ls.core.operations import EditorApply

        self.ws = StitchWorkspace(root)
        self.applying = EditorApply(self.ws)
        self.watched: frozenset[str] = frozenset()
        self.snapshot: Any = None  # gitview.Snapshot
        self.team: Any = None  # the team config that snapshot was taken under
        self._invalid_sent: list[DraftRecord] | None = None
        self.verifying: dict[str, threading.Event] = {}  # draft id -> its run's cancel switch

    # -- drafts --------------------------------------------------------------------------

    def load(self, now: datetime) -> Delta:
        """Everything, read afresh (a new server, or a new indexer), after finishing or
        undoing an apply a crash interrupted."""
        from stitch_ls.core.files.fsio import locked
        from stitch_ls.core.operations import recover

        self.applying.abandon()
        if self.ws.paths.apply_journal.exists():
            with locked(self.ws.paths.apply_lock):
                note = recover(self.ws)
            if note:
                print(f"stitch indexer: {note}", file=sys.stderr)
        found = self.ws.reload(None, now)
        return self._delta(found.drafts, None, None, reloaded=found)

    def reload(self, changed: set[Path] | None, now: datetime) -> Delta:
        before = self.ws.state, self.ws.team_source
        found = self.ws.reload(changed, now)
        return self._delta(found.drafts, *before, reloaded=found)

    def state(self) -> Any:
        """state.json as it is now on disk (before an apply: the CLI may have changed it)."""
        return self.ws.load_state()

    def change(self, name: str, *args: Any) -> tuple[Any, Delta]:
        """One of the workspace's `CHANGES`, with what it changed (the state, and the draft
        file an apply or reject retired)."""
        if name not in CHANGES:
            raise ValueError(f"no workspace change {name!r}")
        from stitch_ls.core.files.fsio import locked

        ids, before = set(self.ws.drafts.by_id), self.ws.state
        try:
            if name in LOCKED_CHANGES:  # not between another process's check and commit
                with locked(self.ws.paths.apply_lock):
                    value = getattr(self.ws, name)(*args)
            else:
                value = getattr(self.ws, name)(*args)
        except Refused as exc:  # an answer ("needs a reason"), not a failure
            value = exc
        retired = ScanResult(removed=sorted(ids - self.ws.drafts.by_id.keys()))
        return value, self._delta(retired, before)

    def vouch(self, draft_id: str, note: str, by: str, now: datetime) -> tuple[Any, Delta]:
        """A human's vouch for a parked draft (`operations.vouch`): (the vouch or the
        refusal, with the state it wrote)."""
        from stitch_ls.core.operations import vouch

        before = self.ws.state
        try:
            value: Any = vouch(self.ws, draft_id, note, by, now)
        except Refused as exc:
            value = exc
        return value, self._delta(ScanResult(), before)

    def verify(self, draft_id: str, by: str, now: datetime) -> Any:
        """Run the team's test command against a draft (`core.drafts.verify`), in a thread of its
        own (minutes long): the verdict, or why it could not run. `cancel_verify` stops it."""
        from stitch_ls.core.drafts.verify import CouldNotRun, verify

        if draft_id in self.verifying:
            return Refused(f"draft {draft_id!r} is being verified already")
        self.verifying[draft_id] = cancel = threading.Event()
        try:
            return verify(self.ws, draft_id, by, now, cancel=cancel)
        except (CouldNotRun, Refused) as exc:
            return exc
        finally:
            del self.verifying[draft_id]

    def fetch_streams(self) -> list[str]:
        """Fetch the remotes' stream branches (network: in a thread of its own); the
        problems. The refs it moves are seen by the next look at git."""
        from stitch_ls.core.operations import fetch_streams

        return fetch_streams(self.ws)

    def cancel_verify(self, draft_id: str | None = None) -> bool:
        """Stop the verification of `draft_id` (every one: None); whether one was running."""
        runs = [e for i, e in self.verifying.items() if draft_id is None or i == draft_id]
        for cancel in runs:
            cancel.set()
        return bool(runs)

    def source_log(self) -> str:
        """The source log as readable text (`logbook`): read here, where `.stitch/` is read."""
        from stitch_ls.core.record import logbook

        return logbook.to_text(logbook.gather(self.ws))

    def settings(self, raw: Any) -> tuple[Any, list[str]]:
        """The editor's `stitch.*` settings, validated: (EditorSettings, notes); kept here
        too, since applies are checked here."""
        from stitch_ls.core.policy.config import parse_editor_settings

        parsed = parse_editor_settings(raw)
        self.ws.use_editor_settings(*parsed)
        return parsed

    def sign_off(self, point: Any, signer: str, at: datetime) -> Any:
        """Append a sign-off (the owner only): the entry, or the refusal."""
        from stitch_ls.core.vcs.stitchpoints import record_signoff

        sign = None
        if self.ws.team.stitch_points.signing == "ssh":  # signed with git's SSH signing key
            from stitch_ls.core.vcs.signing import sign as ssh_sign

            def sign(entry: dict[str, Any]) -> str:
                return ssh_sign(self.ws.root, entry)

        try:
            return record_signoff(self.ws.paths.signoffs, point, signer, at, sign)
        except Exception as exc:  # noqa: BLE001 - not the owner, or signing failed: said
            return PermissionError(str(exc))

    def recount_points(self) -> tuple[dict[str, int], list[str]] | None:
        """The workspace's stitch points (every file streams or the engineer changed, as on
        disk), for the status: counted in the background after each snapshot and sign-off,
        so the open files' points never wait for them."""
        from stitch_ls.core.operations import point_counts, points_of

        if self.snapshot is None:
            return None
        points = points_of(self.ws, self.snapshot, self.team)[0]
        return point_counts(points), sorted({p.id for p in points})

    def check_team(self, text: str) -> list[Any]:
        """Problems of a team file as the editor's buffer holds it (validated here: the
        language server never loads pydantic)."""
        from stitch_ls.core.policy.config import load_team_config

        loaded = load_team_config(text)
        return loaded if isinstance(loaded, list) else []

    def begin_apply(self, draft_id: str, texts: dict[str, str], now: datetime, by: str) -> Any:
        """Check an apply against the editor's texts, under the apply lock (held until
        `finish_apply`): (draft, plan), or the refusal."""
        try:
            return self.applying.begin(draft_id, texts, now, by)
        except Refused as exc:
            return exc

    def finish_apply(self, applied: bool, now: datetime) -> tuple[Any, Delta]:
        """The editor applied the edit (or did not): commit it, release the lock."""
        ids, before = set(self.ws.drafts.by_id), self.ws.state
        entry = self.applying.finish(applied, now)
        retired = ScanResult(removed=sorted(ids - self.ws.drafts.by_id.keys()))
        return entry, self._delta(retired, before)

    def prompts(self) -> tuple[list[tuple[Path, Any]], list[str]]:
        from stitch_ls.core.drafts.prompts import scan_prompts

        return scan_prompts(self.ws.paths.prompts)

    def answer(self, path: Path, answer: str, by: str, at: datetime) -> Any:
        from stitch_ls.core.drafts.prompts import answer_prompt

        if path.parent != self.ws.paths.prompts:
            raise ValueError(f"{path} is not a prompt of this workspace")
        return answer_prompt(path, self.ws.paths.lock, answer, by, at)

    def watch(self, paths: frozenset[str]) -> list[DraftRecord]:
        """The paths the editor shows now; answers the drafts on those not shown before."""
        added, self.watched = paths - self.watched, paths
        by_path = self.ws.drafts.by_path
        found = {r.id: r for path in sorted(added) for r in by_path.get(path, ())}
        return list(found.values())

    def record(self, draft_id: str) -> DraftRecord | None:
        return self.ws.drafts.by_id.get(draft_id)

    def _delta(
        self,
        result: ScanResult,
        state_before: Any,
        team_before: Any = None,
        reloaded: Reloaded | None = None,
    ) -> Delta:
        """The drafts that moved, and the state and team file if they are new objects."""
        ws = self.ws
        by_id, watched = ws.drafts.by_id, self.watched
        records = [
            record
            for draft_id in (*result.added, *result.changed)
            if (record := by_id.get(draft_id)) is not None
            and not watched.isdisjoint(record_paths(record))
        ]
        invalid = ws.drafts.invalid  # a new list at every reindex: compared by value
        sent = None if invalid == self._invalid_sent else invalid
        self._invalid_sent = invalid
        state = ws.state if ws.state is not state_before else None
        team = None
        if reloaded is not None and ws.team_source is not team_before:
            team = ws.team_source
        return Delta(result, records, sent, state, team, reloaded)

    def counts(self, now: datetime, ctx: GateContext) -> dict[str, int]:
        """Pending drafts by gate under the server's context, against the files on disk."""
        read, find_symbol = self.ws.readers({})
        return self.ws.draft_counts(now, read, find_symbol, ctx)

    def summaries(
        self, ctx: GateContext, texts: dict[str, str], path: str | None
    ) -> list[dict[str, Any]]:
        """Every pending draft (or those on `path`) judged against the open buffers' texts."""
        records = self.ws.pending_records()
        if path is not None:
            records = [r for r in records if path in (r.draft.paths if r.draft else [])]
        return [draft_summary(e) for e in self.ws.evaluate_all(records, ctx, texts)]

    def user(self) -> str:
        from stitch_ls.core.vcs.gitinfo import user_email

        return user_email(self.ws.root)

    # -- git -----------------------------------------------------------------------------

    def git(self, team: Any, now: datetime) -> GitUpdate | None:
        """A new snapshot when the commits (or the team file) moved since the last; None
        when nothing moved or there is no repository to look at."""
        from stitch_ls.core.vcs.gitview import current_key, take_snapshot

        key = current_key(self.ws.root)
        if key is None:
            return None
        if self.snapshot is not None and self.snapshot.key == key and self.team == team:
            return None
        snap = take_snapshot(self.ws.root, team, self.snapshot)
        self.snapshot, self.team = snap, team
        if snap is None:
            return GitUpdate(None, [], Delta())
        state = self.ws.state
        self.ws.streams = snap.streams
        delta = self._delta(self.ws.set_git_drafts(snap.drafts, now), state)
        return GitUpdate(snap.streams, list(snap.problems), delta)

    def points(self, path: str, text: str | None) -> list[Any]:
        """Stitch points in `path` with the engineer's live text as one more stream."""
        from stitch_ls.core.vcs.gitview import points_for
        from stitch_ls.core.vcs.stitchpoints import SignOffs

        if self.snapshot is None:
            return []
        signoffs = SignOffs.read(self.ws.paths.signoffs)
        return points_for(self.ws.root, self.team, self.snapshot, path, text, signoffs)

    def compare(self, path: str, symbol: str, streams: list[str]) -> Any:
        """Each stream's version of `path` and the base's, for the engineer to compare at a
        stitch point (`gitview.compare_versions`): the comparison, or the refusal."""
        from stitch_ls.core.vcs.gitview import compare_versions

        if self.snapshot is None:
            return Refused("git has not been read yet; try again in a moment")
        try:
            return compare_versions(self.ws.root, self.snapshot, path, symbol, list(streams))
        except ValueError as exc:
            return Refused(str(exc))


IN_BACKGROUND = frozenset({"counts", "summaries", "recount_points"})  # long; change nothing
ALONE = frozenset({"verify", "fetch_streams"})  # long: each in a thread of its own


class Outbox:
    """Whole frames onto the pipe, from any thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._lock = stream, threading.Lock()

    def send(self, value: Any) -> None:
        try:
            frame = encode_frame(value)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be sent says why
            frame = encode_frame((value[0], False, f"cannot send the answer: {exc}"))
        with self._lock:
            self._stream.write(frame)
            self._stream.flush()


def answer(indexer: Indexer, call_id: int, method: str, args: tuple[Any, ...]) -> tuple:
    try:
        if method not in Indexer.METHODS:
            raise ValueError(f"no indexer call {method!r}")
        return (call_id, True, getattr(indexer, method)(*args))
    except Exception as exc:  # noqa: BLE001 - one call fails, the indexer goes on
        return (call_id, False, f"{type(exc).__name__}: {exc}")


def serve(indexer: Indexer, incoming: IO[bytes], outbox: Outbox) -> None:
    """Answer calls until the server closes the pipe: in order, except counts and lists,
    which run one at a time in a thread (a new draft must not wait for a count of
    10,000); they read the index and change nothing in it."""
    background: queue.SimpleQueue[tuple[int, str, tuple[Any, ...]]] = queue.SimpleQueue()

    def work() -> None:
        while True:
            outbox.send(answer(indexer, *background.get()))

    threading.Thread(target=work, daemon=True).start()
    while True:
        try:
            call_id, method, args = read_frame(incoming)
        except EOFError:
            return
        if method in IN_BACKGROUND:
            background.put((call_id, method, args))
        elif method in ALONE:
            threading.Thread(
                target=lambda *call: outbox.send(answer(indexer, *call)),
                args=(call_id, method, args),
                daemon=True,
            ).start()
        else:
            outbox.send(answer(indexer, call_id, method, args))


def watch_folder(folder: Path, outbox: Outbox, only: Path | None = None) -> None:
    """Say which files under `folder` changed (Neovim on Linux offers no file watching,
    and the CLI changes the state behind the editor's back); with `only`, just that file
    (the engineer's state, in a per-user folder shared by every workspace)."""
    from watchfiles import watch

    while True:
        if not folder.is_dir():
            time.sleep(1.0)
            if folder.is_dir():
                outbox.send((EVENT, True, None if only is None else {only}))
            continue
        try:
            for changes in watch(folder, debounce=30, step=20, recursive=only is None):
                paths = {Path(p) for _, p in changes if not Path(p).name.startswith(".")}
                if only is not None:
                    paths &= {only}
                if paths:
                    outbox.send((EVENT, True, paths))
        except (FileNotFoundError, RuntimeError, OSError) as exc:
            print(f"stitch indexer: watcher restarting: {exc}", file=sys.stderr)
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: indexer WORKSPACE_ROOT", file=sys.stderr)
        return 2
    incoming, outgoing = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not land in the frames
    if hasattr(os, "nice"):
        os.nice(10)  # on a busy machine, the editor's process (and the editor) go first
    indexer = Indexer(Path(args[0]))
    outbox = Outbox(outgoing)
    paths = indexer.ws.paths
    threading.Thread(target=watch_folder, args=(paths.dir, outbox), daemon=True).start()
    paths.user_dir.mkdir(parents=True, exist_ok=True)
    threading.Thread(
        target=watch_folder, args=(paths.user_dir, outbox, paths.state), daemon=True
    ).start()
    serve(indexer, incoming, outbox)
    if indexer.cancel_verify():  # the server is gone: stop its test runs, remove their trees
        deadline = time.monotonic() + 10
        while indexer.verifying and time.monotonic() < deadline:
            time.sleep(0.05)
    return 0
