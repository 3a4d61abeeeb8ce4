"""The indexer process: what is big or slow about a workspace, kept off the editor's loop.

The language server (`indexer/client.py`) starts `main()` in a child process with its own
interpreter and calls it over the child's stdin and stdout: length-prefixed pickle frames,
`(call id, method, args)` in and a `wire.Reply` out, each call answered as its entry in
`api.IndexerApi` declares.

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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from watchfiles import watch

from stitch_ls.core import operations
from stitch_ls.core.drafts.anchor import Plan
from stitch_ls.core.drafts.gate import GateContext
from stitch_ls.core.drafts.index import DraftRecord, ScanResult, record_paths
from stitch_ls.core.drafts.model import Draft, Prompt
from stitch_ls.core.drafts.prompts import scan_prompts
from stitch_ls.core.drafts.verify import CouldNotRun, Verdict, evidence_digest, runnable, verify
from stitch_ls.core.errors import Refused
from stitch_ls.core.files.fsio import locked, make_folder
from stitch_ls.core.listing import Page
from stitch_ls.core.operations import (
    EditorApply,
    Settled,
    Vouched,
    approve_team_file,
    fetch_streams,
    finish_interrupted,
    list_drafts,
    point_counts,
    points_of,
    settle,
    sign_off,
    vouch,
)
from stitch_ls.core.policy.config import (
    ConfigProblem,
    EditorSettings,
    TeamConfig,
    load_team_config,
    parse_editor_settings,
)
from stitch_ls.core.policy.decisions import EDITOR
from stitch_ls.core.policy.state import State
from stitch_ls.core.policy.teamfile import TeamSource
from stitch_ls.core.record import logbook
from stitch_ls.core.record.keeping import Session
from stitch_ls.core.vcs.collisions import WHOLE, IndexWriter, Touch, base_symbols, touches_of
from stitch_ls.core.vcs.gitinfo import user_email
from stitch_ls.core.vcs.gitview import (
    Comparison,
    Snapshot,
    base_text,
    compare_versions,
    owner_for,
    points_for,
    take_snapshot,
)
from stitch_ls.core.vcs.refs import commits, fingerprint_of, locate
from stitch_ls.core.vcs.stitchpoints import SignOffs, StitchPoint
from stitch_ls.core.vcs.streams import diff_texts
from stitch_ls.core.workspace import DraftSummary, Reloaded, StitchWorkspace
from stitch_ls.indexer.api import CALLS, IndexerApi, Mode
from stitch_ls.indexer.frames import encode_frame, read_frame
from stitch_ls.indexer.wire import Changed, Delta, GitUpdate, PointCount, Reply, event


class Indexer(IndexerApi):
    """The indexer's calls, in-process (tests call it directly; `serve` runs it in the child).
    Each is documented where it is declared (`api.IndexerApi`)."""

    def __init__(self, root: Path) -> None:
        self.ws = StitchWorkspace(root)
        self.applying = EditorApply(self.ws)
        self.watched: frozenset[str] = frozenset()
        self.snapshot: Snapshot | None = None
        self.team: TeamConfig | None = None  # the team config that snapshot was taken under
        self._invalid_sent: list[DraftRecord] | None = None
        self.verifying: dict[str, threading.Event] = {}  # draft id -> its run's cancel switch
        self.live_changed: set[Path] = set()  # files changed in other checkouts since a look
        self._live_lock = threading.Lock()
        self.radar = _index_writer(root)  # the collision index the agents' guard reads
        self._radar_lock = threading.Lock()

    # -- drafts --------------------------------------------------------------------------

    def load(self, now: datetime) -> Delta:
        self.applying.abandon()
        for note in finish_interrupted(self.ws, now):
            print(f"stitch indexer: {note}", file=sys.stderr)
        found = self.ws.reload(None, now)
        return self._delta(found.drafts, None, None, reloaded=found)

    def reload(self, changed: set[Path] | None, now: datetime) -> Delta:
        before = self.ws.state, self.ws.team_source
        found = self.ws.reload(changed, now)
        return self._delta(found.drafts, *before, reloaded=found)

    def reject(self, draft_id: str, reason: str | None, by: str, now: datetime) -> Delta:
        with self._changing() as change:
            self.ws.reject(draft_id, reason, by, now, door=EDITOR)
        return change.delta

    def set_read_only(self, on: bool, reason: str | None, by: str, now: datetime) -> Delta:
        with self._changing() as change, locked(self.ws.paths.apply_lock):
            self.ws.set_read_only(on, reason, by, now, door=EDITOR)
        return change.delta

    def set_focus(self, minutes: int, now: datetime) -> Delta:
        with self._changing() as change, locked(self.ws.paths.apply_lock):
            self.ws.set_focus(minutes, now)
        return change.delta

    def note_activity(self, now: datetime) -> Changed[bool]:
        with self._changing() as change:
            moved = self.ws.note_activity(now)
        return Changed(moved, change.delta)

    def _changing(self) -> _Change:
        """What a change of the engineer's state did: the state, and the draft file an apply
        or reject retired (`with self._changing() as change: ...; change.delta`)."""
        return _Change(self)

    def vouch(self, draft_id: str, note: str, by: str, now: datetime) -> Changed[Vouched]:
        with self._changing() as change:
            vouched = vouch(self.ws, draft_id, note, by, now, door=EDITOR)
        return Changed(vouched, change.delta)

    def verify(self, draft_id: str, by: str, now: datetime, approve_command: bool) -> Verdict:
        if draft_id in self.verifying:
            raise Refused(f"draft {draft_id!r} is being verified already")
        self.verifying[draft_id] = cancel = threading.Event()
        try:
            return verify(
                self.ws, draft_id, by, now, cancel=cancel, approve_command=approve_command
            )
        except CouldNotRun as exc:
            raise Refused(f"verify {draft_id}: could not run: {exc}") from None
        finally:
            del self.verifying[draft_id]

    def evidence_to_approve(self, draft_id: str) -> list[str] | None:
        try:
            _, command, _ = runnable(self.ws, draft_id)
        except CouldNotRun as exc:
            raise Refused(f"verify {draft_id}: could not run: {exc}") from None
        if evidence_digest(self.ws.team.evidence) in self.ws.state.evidence_commands:
            return None
        return command

    def approve_team_file(self, by: str, now: datetime, door: str) -> Delta:
        before = self.ws.state, self.ws.team_source
        approve_team_file(self.ws, by, now, door)
        return self._delta(ScanResult(), *before, reloaded=Reloaded(config=True))

    def fetch_streams(self) -> list[str]:
        return fetch_streams(self.ws)

    def cancel_verify(self, draft_id: str | None) -> bool:
        runs = [e for i, e in self.verifying.items() if draft_id is None or i == draft_id]
        for cancel in runs:
            cancel.set()
        return bool(runs)

    def source_log(self) -> str:
        return logbook.to_text(logbook.gather(self.ws))

    def settings(self, raw: object) -> tuple[EditorSettings, list[str]]:
        parsed = parse_editor_settings(raw)
        self.ws.use_editor_settings(*parsed)
        return parsed

    def sign_off(self, point: StitchPoint, signer: str, at: datetime) -> dict[str, object]:
        return sign_off(self.ws, point, signer, at, door=EDITOR)

    def recount_points(self) -> PointCount | None:
        """Counted in the background after each snapshot and sign-off, so the open files'
        points never wait for them."""
        if self.snapshot is None or self.team is None:
            return None
        points = points_of(self.ws, self.snapshot, self.team)[0]
        return PointCount(point_counts(points), sorted({p.id for p in points}))

    def check_team(self, text: str) -> list[ConfigProblem]:
        """(Validated here: the language server never loads pydantic.)"""
        loaded = load_team_config(text)
        return loaded if isinstance(loaded, list) else []

    def begin_apply(
        self,
        draft_id: str,
        texts: dict[str, str],
        now: datetime,
        by: str,
        session: Session | None = None,
    ) -> tuple[Draft, Plan]:
        return self.applying.begin(draft_id, texts, now, by, session)

    def finish_apply(
        self, applied: bool, now: datetime, draft_id: str | None = None
    ) -> Changed[Settled | None]:
        with self._changing() as change:
            settled = self.applying.finish(applied, now, draft_id)
        return Changed(settled, change.delta)

    def settle(
        self,
        event: str,
        path: str | None,
        buffers: dict[str, str],
        now: datetime,
        session: Session,
    ) -> Changed[list[Settled]]:
        with self._changing() as change:
            settled = settle(self.ws, event, now, session, path, buffers)
        return Changed(settled, change.delta)

    def prompts(self) -> tuple[list[tuple[Path, Prompt]], list[str]]:
        return scan_prompts(self.ws.prompt_folders())

    def dismiss_prompts(self, ids: list[str]) -> list[str]:
        pending = {p.id for _, p in scan_prompts(self.ws.prompt_folders())[0] if p.answer is None}
        self.ws.load_state()
        kept = [i for i in self.ws.state.dismissed_prompts if i in pending]
        wanted = kept + [i for i in dict.fromkeys(ids) if i in pending and i not in kept]
        if wanted != self.ws.state.dismissed_prompts:
            self.ws.dismiss_prompts(wanted)
        return wanted

    def answer(self, path: Path, answer: str, by: str, at: datetime) -> Prompt:
        return operations.answer(self.ws, path, answer, by, at, door=EDITOR)

    def watch(self, paths: frozenset[str]) -> list[DraftRecord]:
        added, closed, self.watched = paths - self.watched, self.watched - paths, paths
        if self.radar is not None:
            with self._radar_lock:
                for path in closed:  # a closed buffer is the file on disk again
                    self.radar.write_buffer(path, None)
        by_path = self.ws.drafts.by_path
        found = {r.id: r for path in sorted(added) for r in by_path.get(path, ())}
        return list(found.values())

    def record(self, draft_id: str) -> DraftRecord | None:
        return self.ws.drafts.by_id.get(draft_id)

    def note_worktree_changes(self, paths: set[Path]) -> None:
        """Files changed in other checkouts (the watcher's thread): their live streams are
        read again at the next look at git."""
        with self._live_lock:
            self.live_changed |= {p for p in paths if ".stitch" not in p.parts}

    def _delta(
        self,
        result: ScanResult,
        state_before: State | None,
        team_before: TeamSource | None = None,
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
        read, find_symbol = self.ws.readers({})
        return self.ws.draft_counts(now, read, find_symbol, ctx)

    def summaries(
        self, ctx: GateContext, texts: dict[str, str], path: str | None, limit: int
    ) -> Page[DraftSummary]:
        return list_drafts(self.ws, ctx, texts, path, limit)

    def user(self) -> str:
        return user_email(self.ws.root)

    # -- git -----------------------------------------------------------------------------

    def git(self, team: TeamConfig, now: datetime) -> GitUpdate | None:
        key = commits(self.ws.root)
        if key is None:
            return None
        with self._live_lock:  # files changed in worktrees: their live streams are read again
            dirty, self.live_changed = self.live_changed, set()
        unmoved = self.snapshot is not None and self.snapshot.key == key and self.team == team
        if unmoved and not dirty:
            return None
        snap = take_snapshot(
            self.ws.root, team, self.snapshot, now=now, dirty=dirty if self.snapshot else None
        )
        self.snapshot, self.team = snap, team
        if snap is None:
            return GitUpdate(None, [], Delta())
        state = self.ws.state
        self.ws.streams = snap.streams
        delta = self._delta(self.ws.set_git_drafts(snap.drafts, now), state)
        return GitUpdate(snap.streams, list(snap.problems), delta)

    def points(self, path: str, text: str | None) -> list[StitchPoint]:
        if self.snapshot is None or self.team is None:
            return []
        signoffs = SignOffs.read(self.ws.paths.signoffs)
        found = points_for(self.ws.root, self.team, self.snapshot, path, text, signoffs)
        if self.radar is not None:
            touch = self._buffer_touch(path, text)
            with self._radar_lock:
                self.radar.write_buffer(path, touch)
        return found

    def _buffer_touch(self, path: str, text: str | None) -> Touch | None:
        """The engineer's change to an open file against where their branch left the base,
        for the collision index (None: no change, or nothing to compare with)."""
        snap, team = self.snapshot, self.team
        if text is None or snap is None or team is None or snap.engineer_base is None:
            return None
        base = base_text(self.ws.root, snap, path)
        if base == text:
            return None
        if base is None:
            ranges, new = [WHOLE], [WHOLE]
            symbols: tuple[tuple[str, int, int], ...] = ()
        else:
            new, ranges = diff_texts(base, text)
            touched = base_symbols(self.ws.root, snap.engineer_base, path)
            symbols = tuple(
                s for s in touched if any(lo <= s[2] and s[1] <= hi for lo, hi in ranges)
            )
        try:
            unsaved = self.ws.read_disk(path) != text
        except (OSError, ValueError):
            unsaved = True
        return Touch(
            "you",
            snap.streams.head_branch or "",
            os.path.realpath(self.ws.root),
            True,
            tuple(ranges),
            tuple(new),
            symbols,
            owner_for(team, snap, path, ()),
            unsaved,
        )

    def write_collisions(self, now: datetime) -> int:
        if self.radar is None or self.snapshot is None or self.team is None:
            return 0
        snap, team = self.snapshot, self.team
        touches = touches_of(self.ws.root, team, snap)
        with self._radar_lock:
            return self.radar.write(touches, now)

    def compare(self, path: str, symbol: str, streams: list[str]) -> Comparison:
        if self.snapshot is None:
            raise Refused("git has not been read yet; try again in a moment")
        try:
            return compare_versions(self.ws.root, self.snapshot, path, symbol, list(streams))
        except ValueError as exc:
            raise Refused(str(exc)) from None


def _index_writer(root: Path) -> IndexWriter | None:
    dirs = locate(root)
    return IndexWriter(dirs.common_dir) if dirs is not None else None


def keep_looking(indexer: Indexer, every: float = 5.0) -> None:
    """Say in the collision index, every few seconds, that this process is looking at git:
    the guard tells agents how old what it knows is when no one has looked for a while."""
    while True:
        time.sleep(every)
        radar = indexer.radar
        if radar is not None and radar.written is not None:
            radar.looked(datetime.now(UTC))


class _Change:
    """`Indexer._changing`: the state before, and after the block the delta it made."""

    def __init__(self, indexer: Indexer) -> None:
        self._indexer = indexer
        self._ids: set[str] = set()
        self._state: State | None = None
        self.delta = Delta()

    def __enter__(self) -> _Change:
        ws = self._indexer.ws
        self._ids, self._state = set(ws.drafts.by_id), ws.state
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            retired = ScanResult(removed=sorted(self._ids - self._indexer.ws.drafts.by_id.keys()))
            self.delta = self._indexer._delta(retired, self._state)


class Outbox:
    """Whole frames onto the pipe, from any thread."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._lock = stream, threading.Lock()

    def send(self, reply: Reply) -> None:
        try:
            frame = encode_frame(reply)
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be sent says why
            frame = encode_frame(Reply(reply.call_id, "failed", f"cannot send the answer: {exc}"))
        with self._lock:
            self._stream.write(frame)
            self._stream.flush()


def answer(indexer: Indexer, call_id: int, method: str, args: tuple[Any, ...]) -> Reply:
    """One call's reply: the answer, the refusal's words, or why it failed."""
    try:
        if method not in CALLS:
            raise ValueError(f"no indexer call {method!r}")
        return Reply(call_id, "ok", getattr(indexer, method)(*args))
    except Refused as exc:  # an answer ("needs a reason"), not a failure
        return Reply(call_id, "refused", str(exc))
    except Exception as exc:  # noqa: BLE001 - one call fails, the indexer goes on
        return Reply(call_id, "failed", f"{type(exc).__name__}: {exc}")


def serve(indexer: Indexer, incoming: IO[bytes], outbox: Outbox) -> None:
    """Answer calls until the server closes the pipe, each as its entry in `api.IndexerApi`
    declares: in order; in the background, one at a time in a thread (they read the index and
    change nothing in it); or alone, each in a thread of its own."""
    background: queue.SimpleQueue[tuple[int, str, tuple[Any, ...]]] = queue.SimpleQueue()

    def work() -> None:
        while True:
            outbox.send(answer(indexer, *background.get()))

    threading.Thread(target=work, daemon=True).start()
    while True:
        try:
            frame = read_frame(incoming)
        except EOFError:
            return
        if not (isinstance(frame, tuple) and len(frame) == 3):
            print(f"stitch indexer: not a call: {type(frame).__name__}", file=sys.stderr)
            continue
        call_id, method, args = frame
        declared = CALLS.get(method)
        mode = declared.mode if declared is not None else Mode.IN_ORDER
        if mode is Mode.BACKGROUND:
            background.put((call_id, method, args))
        elif mode is Mode.ALONE:
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
    while True:
        if not folder.is_dir():
            time.sleep(1.0)
            if folder.is_dir():
                outbox.send(event(None if only is None else {only}))
            continue
        try:
            for changes in watch(folder, debounce=30, step=20, recursive=only is None):
                paths = {Path(p) for _, p in changes if not Path(p).name.startswith(".")}
                if only is not None:
                    paths &= {only}
                if paths:
                    outbox.send(event(paths))
        except (FileNotFoundError, RuntimeError, OSError) as exc:
            print(f"stitch indexer: watcher restarting: {exc}", file=sys.stderr)
            time.sleep(0.5)


def watch_checkouts(indexer: Indexer, outbox: Outbox) -> None:
    """Say which files changed in the repository's other checkouts (agents' worktrees: their
    drafts and prompts, and their work, which makes live streams) and in the shared switches
    in git's common folder. Which checkouts there are is looked at again every 2 s; files
    under `.git` are not news."""

    def targets() -> list[Path]:
        found = [t.path for t in indexer.ws._other_checkouts() if t.path is not None]
        shared = indexer.ws.paths.shared_switches
        if shared is not None and shared.parent.is_dir():
            found.append(shared.parent)
        return [p for p in found if p.is_dir()]

    while True:
        watching = targets()
        if not watching:
            time.sleep(2.0)
            continue
        try:
            for changes in watch(
                *watching, debounce=30, step=20, rust_timeout=2000, yield_on_timeout=True
            ):
                paths = {Path(p) for _, p in changes}
                paths = {p for p in paths if ".git" not in p.parts or p.parent.name == "stitch"}
                if paths:
                    indexer.note_worktree_changes(paths)
                    outbox.send(event(paths))
                if targets() != watching:
                    break
        except (FileNotFoundError, RuntimeError, OSError) as exc:
            print(f"stitch indexer: watcher restarting: {exc}", file=sys.stderr)
            time.sleep(0.5)


class _Aside:
    """An outbox for the watchers when no server listens (`stitch-ls watch`): the changes
    they see are kept by the indexer itself (`note_worktree_changes`)."""

    def send(self, reply: Reply) -> None:
        pass


WATCH_POLL_S = 0.2


def watch_repository(
    root: Path,
    say: Callable[[str], None],
    stop: threading.Event,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """`stitch-ls watch`: what the editor's indexer does for the guard, without an editor —
    look at git whenever a ref moves or a worktree's files change, and keep the repository's
    collision index fresh, until `stop` is set (with it set from the start: one look)."""
    indexer = Indexer(root)
    indexer.load(clock())
    if indexer.radar is None:
        say(f"{root} is not a git checkout: nothing to watch")
        return 1
    if not stop.is_set():
        threading.Thread(target=watch_checkouts, args=(indexer, _Aside()), daemon=True).start()
        threading.Thread(target=keep_looking, args=(indexer,), daemon=True).start()
    seen: tuple[Any, ...] | None = None
    while True:
        config = _stat_of(indexer.ws.paths.config)
        now = (fingerprint_of(root), config)
        if now != seen or indexer.live_changed:
            if seen is not None and now[1] != seen[1]:
                indexer.reload(None, clock())  # the team file changed
            seen = now
            update = indexer.git(indexer.ws.team, clock())
            if update is not None:
                written = indexer.write_collisions(clock())
                snap = indexer.snapshot
                live = snap.live_streams() if snap is not None else []
                names = [s.name for s in update.streams.streams] if update.streams else []
                say(
                    f"{len(names)} stream(s)"
                    + (f" ({', '.join(live)} with uncommitted work)" if live else "")
                    + f"; collision index: {written} file(s) written"
                )
                for problem in update.problems:
                    say(f"problem: {problem}")
        if stop.wait(WATCH_POLL_S):
            return 0


def _stat_of(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


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
    make_folder(paths.user_dir)
    threading.Thread(
        target=watch_folder, args=(paths.user_dir, outbox, paths.state), daemon=True
    ).start()
    threading.Thread(target=watch_checkouts, args=(indexer, outbox), daemon=True).start()
    threading.Thread(target=keep_looking, args=(indexer,), daemon=True).start()
    serve(indexer, incoming, outbox)
    if indexer.cancel_verify(None):  # the server is gone: stop its test runs, remove their trees
        deadline = time.monotonic() + 10
        while indexer.verifying and time.monotonic() < deadline:
            time.sleep(0.05)
    return 0
