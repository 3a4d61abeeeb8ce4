"""The Stitch language server: workspace state, timers and watchers around the core.

Handlers live in `features.py` and `commands.py`; they stay thin and ask this class, which
asks the core. What is big or slow (the whole draft index, counts, git) lives in the indexer
process (`stitch_ls.indexer.process`); this process keeps the open files' drafts, and editor requests
read caches.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from stitch_ls import __version__
from stitch_ls.core.errors import Refused
from stitch_ls.core.policy.trust import minute_of, record_activity
from stitch_ls.core.safetext import plain
from stitch_ls.core.syntax import lookup_symbol
from stitch_ls.core.text import NotFound, SymbolSpan
from stitch_ls.indexer.api import IndexerApi
from stitch_ls.indexer.link import Entry, IndexerLink
from stitch_ls.indexer.wire import Changed, Delta, GitUpdate, IndexerError
from stitch_ls.lsp.applies import Applies
from stitch_ls.lsp.diagnostics import Diagnostics
from stitch_ls.lsp.documents import OncePaused, OpenDocument, relative_to, uri_to_path
from stitch_ls.lsp.git_watch import GitWatch
from stitch_ls.lsp.placing import DraftPlacer
from stitch_ls.lsp.points import PointTracker
from stitch_ls.lsp.prompt_desk import PromptDesk
from stitch_ls.lsp.protocol import StitchProtocol
from stitch_ls.lsp.quiet_clock import QuietClock
from stitch_ls.lsp.status import StatusBoard

if TYPE_CHECKING:  # the core loads after the initialize result
    from stitch_ls.core.drafts.index import DraftRecord, DraftView
    from stitch_ls.core.workspace import QuietArrivals, StitchWorkspace

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

DEBOUNCE = 0.05
GO_THROUGH, LATER = "Go through prompts", "Later"  # the end-of-quiet summary's choices


def make_clock() -> Callable[[], datetime]:
    """Wall-clock time; `STITCH_TEST_CLOCK_START` starts it at a given instant (for tests of
    quiet hours that must not wait for a real window)."""
    start = os.environ.get("STITCH_TEST_CLOCK_START")
    if not start:
        return lambda: datetime.now(UTC)
    origin = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(UTC)
    loop_start = datetime.now(UTC)
    return lambda: origin + (datetime.now(UTC) - loop_start)


LATER_IMPORTS = (
    "stitch_ls.core.drafts.index",
    "stitch_ls.core.workspace",
    "stitch_ls.core.policy.config",
    "stitch_ls.core.vcs.gitview",
    "stitch_ls.core.vcs.stitchpoints",
    "stitch_ls.core.record.keeping",
    "tree_sitter",  # its binding; a grammar loads with the first parse, in a worker
)


WARM_METHODS = (  # in the order an editor's first messages come
    types.TEXT_DOCUMENT_DID_OPEN,
    types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.TEXT_DOCUMENT_CODE_LENS,
    types.TEXT_DOCUMENT_HOVER,
    types.TEXT_DOCUMENT_DID_CHANGE,
    types.TEXT_DOCUMENT_DID_CLOSE,
    types.TEXT_DOCUMENT_DID_SAVE,
    types.WORKSPACE_EXECUTE_COMMAND,
    types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
    types.WORKSPACE_DID_CHANGE_CONFIGURATION,
    types.WORKSPACE_CONFIGURATION,
    types.WORKSPACE_APPLY_EDIT,
    types.WORKSPACE_CODE_LENS_REFRESH,
    types.WINDOW_LOG_MESSAGE,
    types.WINDOW_SHOW_MESSAGE,
    types.WINDOW_SHOW_MESSAGE_REQUEST,
)
WARM_TYPES = (types.CodeAction, types.Command, types.Hover, types.CodeLens, types.Diagnostic)


def _import_core(converter: Any) -> dict[str, Any]:
    """What the event loop would otherwise do on first use, done in a worker thread: cattrs
    writes the (de)serializers of a message type on its first use (~2-10 ms each), and the
    core's modules (~30 ms in all) are imported. Not on the first code action, hover, lens
    or keystroke."""
    message_types = [t for m in WARM_METHODS for t in types.METHOD_TO_TYPES[m][:2] if t]
    for cls in (*message_types, *WARM_TYPES):  # first: the editor's first messages need them
        converter.get_structure_hook(cls)
        converter.get_unstructure_hook(cls)
    return {name: importlib.import_module(name) for name in LATER_IMPORTS}


def _trim_heap() -> None:
    """Hand the heap pages freed after start-up back to the OS (glibc keeps them: the
    import-time garbage, the pickles of the first drafts, a placement's extra syntax trees);
    ~1.5 MiB of RSS. Elsewhere than glibc, nothing."""
    import ctypes  # start-up: only after the first answer, once

    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


class StitchServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("stitch-ls", __version__, protocol_cls=StitchProtocol)
        self.clock = make_clock()
        self.root: Path | None = None
        self.ws: StitchWorkspace | None = None
        self.view: DraftView | None = None  # the open files' drafts: ws.drafts, typed as such
        self.docs: dict[str, OpenDocument] = {}
        self.init_settings: Any = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self._reporting = False  # see report_server_error
        self.trusted = True  # False when the editor says it does not trust the workspace
        self.git: GitWatch | None = None  # git, watched once the workspace is open
        self._core: asyncio.Future[dict[str, Any]] | None = None  # see warm_up
        self.generation = 0
        self.loaded = asyncio.Event()  # set once the first load of the workspace is done
        self.points = PointTracker(  # stitch points shown
            lambda path, text: self.call(IndexerApi.points, path, text),
            lambda: self.call(IndexerApi.recount_points),
            self.parse_in_worker,
        )
        self.placer = DraftPlacer(  # the open buffers' drafts, placed and judged
            self,
            points=self.points,
            loaded=self.loaded,
            clock=self.clock,
            spawn=self.spawn,
            read_live=self.read_live,
            find_symbol=self.find_symbol,
        )
        self.lenses: dict[str, tuple[Any, Any, list[Any]]] = {}  # uri -> (key, inputs, lenses)
        self.board = StatusBoard(  # the `stitch/status` notification
            build=self.status,
            count=self._count_drafts,
            generation=lambda: self.generation,
            notify=lambda status: self.protocol.notify("stitch/status", status),
            spawn=self.spawn,
            after_count=self._settle_memory,
        )
        self._git_looked = False  # a first look at git finds what was there: no arrivals
        self._reload_pending = False
        self._reload_all = False
        self._reload_paths: set[Path] = set()
        self._reload_asked = self._reload_done = 0  # rounds asked for, and taken up to
        self._reloaded = asyncio.Condition()  # a reload round finished
        self.quiet = QuietClock(self)  # quiet hours' transitions, as they come
        self.link: IndexerLink | None = None  # the indexer process (lsp/indexer_link.py)
        self._watched: frozenset[str] | None = None  # the paths the indexer sends drafts of
        self._afresh = False  # the next watch answer replaces the view (a new indexer)
        self.user = "unknown"  # who is at the keyboard (git user.email), asked at start
        self._activity_minute: int | None = None
        self._activity_busy = False
        self.prompts = PromptDesk(  # agents' questions: shown, answered, counted
            lambda: self.call(IndexerApi.prompts),
            lambda *answer: self.call(IndexerApi.answer, *answer),
            self._show_prompt,
            quiet=lambda: self.quiet.now_quiet(),
            arrived=self._prompts_arrived,
            user=lambda: self.user,
            clock=lambda: self.clock(),
            log=self.show_log,
            pending_changed=self.send_status,
            dismiss=lambda ids: self.call(IndexerApi.dismiss_prompts, ids),
        )
        self.diagnostics = Diagnostics(  # what the editor shows as diagnostics
            self,
            points=self.points,
            check_team=self.check_team,
            send=self.text_document_publish_diagnostics,
            spawn=self.spawn,
        )
        self.applies = Applies(  # the editor's applies, from the check until kept
            self,
            call=self.call,
            change=self.change_answered,
            indexer_running=lambda: self.indexer_running,
            draft_record=self.draft_record,
            apply_edit=self.workspace_apply_edit_async,
            user=lambda: self.user,
            clock=self.clock,
            spawn=self.spawn,
            log_line=self.show_log,
        )
        self._publish_later = OncePaused(self.placer.settle, self.spawn)
        self._points_later = OncePaused(self._update_and_publish, self.spawn)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        return str(getattr(enc, "value", enc) or "utf-16")

    def capability(self, path: str, default: Any = None) -> Any:
        node: Any = self.client_capabilities
        for name in path.split("."):
            node = getattr(node, name, None)
            if node is None:
                return default
        return node

    async def call(self, entry: Entry[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """A typed call to the indexer process (`indexer.api.IndexerApi`): its answer,
        `Refused` with its reason, or IndexerError when the indexer could not answer."""
        return await self._link().call(entry, *args, **kwargs)

    async def call_then(
        self, then: Callable[[R], None], entry: Entry[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """`call`, with `then(answer)` run as the answer arrives, in call order."""
        return await self._link().call_then(then, entry, *args, **kwargs)

    async def change(self, entry: Entry[P, Delta], *args: P.args, **kwargs: P.kwargs) -> Delta:
        """A change of the engineer's state the indexer makes (this process never loads
        pydantic), its delta adopted in call order."""
        return await self.call_then(self.adopt, entry, *args, **kwargs)

    async def change_answered(
        self, entry: Entry[P, Changed[R]], *args: P.args, **kwargs: P.kwargs
    ) -> Changed[R]:
        """A change the indexer makes that also answers (`Changed`), its delta adopted in
        call order."""
        return await self.call_then(lambda answer: self.adopt(answer.delta), entry, *args, **kwargs)

    def _link(self) -> IndexerLink:
        if self.link is None:
            raise IndexerError(f"the indexer process is not running; {self.indexer_note()}", "down")
        return self.link

    @property
    def indexer_running(self) -> bool:
        return self.link is not None and self.link.running

    @property
    def indexer_down(self) -> str | None:
        return self.link.down if self.link is not None else None

    async def check_team(self, text: str) -> list[Any]:
        """A team file's problems as typed (validated by the indexer)."""
        return await self.call(IndexerApi.check_team, text)

    def indexer_note(self) -> str:
        return self.link.note() if self.link is not None else "it is not started yet"

    async def use_settings(self, raw: Any) -> None:
        """The editor's `stitch.*` settings, checked by the indexer; notes about what was
        ignored go to the log."""
        try:
            parsed = await self.call(IndexerApi.settings, raw)
        except (IndexerError, Refused) as exc:
            self.show_log(f"editor settings not checked: {exc}")
            return
        if self.ws is None:
            return
        for note in self.ws.use_editor_settings(*parsed):
            self.show_log(note)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls shows an out-of-band error as a message; when sending is what failed, that
        message fails too and pygls reports it again, without end. Report once."""
        if self._reporting:
            log.error("while reporting a server error: %s", error)
            return
        self._reporting = True
        try:
            super().report_server_error(error, source)
        finally:
            self._reporting = False

    def shutdown(self) -> None:
        """The process ends: the indexer too (it would also end when its stdin closes)."""
        if self.link is not None:
            self.link.close()
        super().shutdown()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run background work, keeping a reference so it is not garbage collected."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())
            self.show_log(f"internal error in a background task: {task.exception()!r}")

    def show_log(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        text = plain(
            f"stitch: {message}"
        )  # messages quote agent text: no controls reach the editor
        self.window_log_message(types.LogMessageParams(type=kind, message=text))

    def root_from(self, params: types.InitializeParams) -> Path:
        if params.workspace_folders:
            path = uri_to_path(params.workspace_folders[0].uri)
            if path:
                return path
        if params.root_uri:
            path = uri_to_path(params.root_uri)
            if path:
                return path
        if params.root_path:
            return Path(params.root_path)
        return Path.cwd()

    def warm_up(self) -> None:
        """Right after the initialize result is written: the core imported and cattrs'
        (de)serializers of the usual messages written in a thread (`_import_core`), so the
        editor's first messages find most of them ready. Not before the result, which goes
        out as fast as the bare framework's (a thread started earlier slowed it ~10%)."""
        if self._core is None:
            loop = asyncio.get_running_loop()
            self._core = loop.run_in_executor(None, _import_core, self.protocol._converter)

    async def start_workspace(self) -> None:
        """After `initialized`: load everything off the event loop, then start the timers."""
        assert self.root is not None
        try:
            await self._start_workspace()
        except BaseException:
            self._settle_memory()
            raise

    async def _start_workspace(self) -> None:
        assert self.root is not None
        self.placer.load_started = asyncio.get_running_loop().time()
        # Start-up makes a few hundred thousand long-lived objects (the core's modules, the
        # open files' drafts and their places). With the collector on, full collections walk
        # all of them while holding the GIL: stalls for the editor's requests. They are no
        # garbage, so the collector waits until the first count is in, then they are frozen.
        gc.disable()
        self.link = IndexerLink(
            self.root,
            on_change=self.stitch_dir_changed,
            on_restarted=lambda: self.spawn(self._reindex()),
            on_down=self.status_now,
            log=lambda message, error: self.show_log(
                message, types.MessageType.Error if error else types.MessageType.Warning
            ),
        )
        if not self.link.start():  # it imports and reads while this process imports
            self.link = None
        self.warm_up()  # begun at `initialize`, unless a client skipped it
        assert self._core is not None
        modules = await self._core
        self.view = modules["stitch_ls.core.drafts.index"].DraftView()
        self.applies.session = modules["stitch_ls.core.record.keeping"].Session.current()
        self.ws = ws = modules["stitch_ls.core.workspace"].StitchWorkspace(self.root, self.view)
        for doc in self.docs.values():  # opened before the workspace was ready
            doc.relative = relative_to(ws.root, doc.path)
        try:
            await self._load_all()
        finally:
            self.loaded.set()
        if self.init_settings is not None:
            await self.use_settings(self.init_settings)
        await self.pull_settings()
        self.quiet.start()
        self.git = GitWatch(
            ws.root,
            lambda: ws.team,
            lambda team, now: self.call_then(self._adopt_git, IndexerApi.git, team, now),
            lambda: self.call(IndexerApi.fetch_streams),
            lambda now: self.call(IndexerApi.write_collisions, now),
            moved=self._git_moved,
            fetched=self.send_status,
            clock=self.clock,
            log_line=self.show_log,
        )
        self.spawn(self.git.watch())
        self.spawn(self.git.fetch_now_and_then())
        self.refresh_editor()
        self.spawn(self.show_prompts())

    def _settle_memory(self) -> None:
        """Once the first load and count are in: the long-lived objects out of the
        collector's way for good (gc.freeze), then collection resumes for what comes after.
        No collect first: it would stall the event loop, and start-up leaves little cyclic
        garbage (a collect here freed nothing measurable)."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
            self.spawn(asyncio.to_thread(_trim_heap))

    async def _load_all(self) -> None:
        """Everything read by the indexer (the state, the team file, the drafts), which
        then sends the drafts of the open files."""
        assert self.ws is not None and self.view is not None
        # A new indexer sends every open file's drafts afresh (`watch_open`); until then the
        # view keeps what it shows, so an indexer that dies meanwhile leaves it as it was.
        self._watched, self._afresh = None, True
        try:
            await self.call_then(
                lambda delta: self.adopt(delta, view=False), IndexerApi.load, self.clock()
            )
            self.user = await self.call(IndexerApi.user)
            found, _ = await self.call(IndexerApi.prompts)  # already there: not arrivals
        except (IndexerError, Refused) as exc:
            self.show_log(f"the workspace was not loaded: {exc}")
            return
        pending = (p.id for _, p in found if p.answer is None)
        self.ws.arrivals.note("prompts", pending, False)
        self.prompts.seen_at_start()
        await self.watch_open()

    def adopt(self, delta: Delta, *, view: bool = True, first: bool = False) -> None:
        """The indexer's news (drafts, state, team file) into the view and the workspace
        (on the loop, in call order); with `view=False` (a load) not into the view."""
        assert self.ws is not None and self.view is not None
        if delta.state is not None:
            self.ws.use_state(delta.state)
        if delta.team is not None:
            self.ws.use_team(delta.team)
        if view:
            self.view.adopt(delta.result, delta.records)
        if delta.invalid is not None:
            self.view.invalid = delta.invalid
        # a load's drafts (and a first look at git's) were there before: not arrivals
        self.ws.note_arrivals(delta.result, self.clock(), first=first or not view)

    async def watch_open(self) -> None:
        """Tell the indexer which files are open (when that changed): it answers the drafts
        of the newly opened ones, and from then on sends theirs as they change."""
        view = self.view
        if view is None:
            return
        paths = frozenset(d.relative for d in self.docs.values() if d.relative)
        if paths == self._watched:
            return
        self._watched, afresh, self._afresh = paths, self._afresh, False

        def take(found: list[DraftRecord]) -> None:
            if afresh:  # a new indexer's answer replaces what the view held
                view.watch(frozenset(), ())
            view.watch(paths, found)

        try:
            await self.call_then(take, IndexerApi.watch, paths)
        except IndexerError as exc:
            log.debug("open files not watched: %s", exc)
            self._watched, self._afresh = None, afresh  # ask again next time

    async def draft_record(self, draft_id: str) -> DraftRecord | None:
        """A draft by id: from the open files' view, else from the indexer (and kept); None
        when there is no such draft (IndexerError when the indexer could not say)."""
        assert self.view is not None
        record = self.view.by_id.get(draft_id)
        if record is None:
            record = await self.call(IndexerApi.record, draft_id)
            if record is not None:
                self.view.keep(record)
        return record

    async def _reindex(self) -> None:
        await self._load_all()
        if self.link is not None:
            self.link.up()
        if self.git is not None:
            self.git.look_again()  # the new indexer has no git snapshot yet
        self.invalidate(places=True)
        self.refresh_editor()
        await self.applies.after_restart()  # what the old indexer missed, and its applies

    async def pull_settings(self) -> None:
        """Ask the client for `stitch.*` (when it can answer)."""
        if self.ws is None or not self.capability("workspace.configuration", False):
            return
        try:
            result = await self.workspace_configuration_async(
                types.ConfigurationParams(
                    items=[
                        types.ConfigurationItem(section="stitch", scope_uri=self.ws.root.as_uri())
                    ]
                )
            )
        except Exception as exc:  # noqa: BLE001 - a client that cannot answer keeps defaults
            self.show_log(f"could not read editor settings: {exc}")
            return
        # start-up: the server's first answer loads no core; this runs after it
        from stitch_ls.core.policy.config import merge_settings, settings_table

        pulled = settings_table(result[0] if result else None)
        await self.use_settings(merge_settings(settings_table(self.init_settings), pulled))
        self.invalidate()

    # -- change handling -----------------------------------------------------------------

    def invalidate(self, *, places: bool = False) -> None:
        """Decisions may have changed (policy, state); with `places`, where drafts lie may
        have changed too (a buffer other drafts read was closed)."""
        self.generation += 1
        if places:
            self.placer.placement_generation += 1

    def forget(self, uri: str) -> None:
        """A buffer closed: drop what was kept for it."""
        self.lenses.pop(uri, None)
        self.placer.forget(uri)
        self.points.forget(uri)
        self.diagnostics.forget(uri)

    def drafts_changed(self, ids: set[str]) -> None:
        """These drafts came, went or changed: the open buffers place just them again (the
        rest keep their places) and the status counts again."""
        if ids:
            self.placer.drafts_changed(ids)
            self.board.recount()

    def refresh_drafts(self, ids: set[str]) -> None:
        self.drafts_changed(ids)
        self.republish()

    def refresh_editor(self) -> None:
        """Judge every draft again, republish what the editor shows and ask it to re-pull
        lenses (no keystroke needed)."""
        self.invalidate()
        self.republish()

    def republish(self) -> None:
        for doc in list(self.docs.values()):
            self.publish(doc)
        self.publish_config_problems()
        self.ask_for_lenses()
        self.send_status()

    def ask_for_lenses(self) -> None:
        """Ask the editor to pull code lenses again, when it can be asked."""
        if self.capability("workspace.code_lens.refresh_support", False):
            self.spawn(self.refresh_lenses())

    async def refresh_lenses(self) -> None:
        try:
            await self.workspace_code_lens_refresh_async(None)
        except Exception as exc:  # noqa: BLE001
            log.debug("codeLens refresh failed: %s", exc)

    async def reload(self, changed: set[Path] | None = None) -> None:
        """Re-read what changed under `.stitch/` (None: everything), coalescing bursts of
        events; events that arrive while a reload runs are taken by the next round. Returns
        once a round has taken `changed` (a command that changed the state answers only after
        the editor's view holds it)."""
        if self.ws is None:
            return
        if changed is None:
            self._reload_all = True
        else:
            self._reload_paths |= changed
        self._reload_asked += 1
        wanted = self._reload_asked
        if self._reload_pending:
            async with self._reloaded:
                await self._reloaded.wait_for(
                    lambda: self._reload_done >= wanted or not self._reload_pending
                )
            return
        self._reload_pending = True
        try:
            while self._reload_all or self._reload_paths:
                await asyncio.sleep(DEBOUNCE)
                everything, paths = self._reload_all, self._reload_paths
                self._reload_all, self._reload_paths = False, set()
                taking = self._reload_asked
                await self._reload_once(None if everything else paths)
                async with self._reloaded:
                    self._reload_done = taking
                    self._reloaded.notify_all()
        finally:
            self._reload_pending = False
            async with self._reloaded:
                self._reloaded.notify_all()

    async def _reload_once(self, changed: set[Path] | None) -> None:
        assert self.ws is not None
        ws, now = self.ws, self.clock()
        switches = {ws.paths.state, ws.paths.shared_switches}
        if changed is not None and not all(".stitch" in p.parts or p in switches for p in changed):
            changed = None  # a path spelled another way (a symlink): read everything
        gate, state = ws.gate_context(now, ignore_quiet=True), ws.state
        try:
            delta = await self.call_then(self.adopt, IndexerApi.reload, changed, now)
        except IndexerError as exc:
            log.debug("reload skipped: %s", exc)
            return
        if delta.reloaded is None:
            return
        found, drafts = delta.reloaded, delta.result
        self.drafts_changed(drafts.ids)
        if found.everything or found.config or ws.state != state:
            self.refresh_editor()
        elif ws.gate_context(now, ignore_quiet=True) != gate:
            self.refresh_editor()  # the trust budget moved the floor
        elif drafts.any:
            self.republish()
        if (found.everything or found.config) and ws.config_problems:
            self.show_log(
                f"{ws.paths.config.name}: {ws.config_problems[0].message} "
                "(keeping the last good policy)"
            )
        if found.everything or found.prompts:
            self.spawn(self.show_prompts())

    def stitch_dir_changed(self, paths: set[Path] | None) -> None:
        """The indexer's watchers saw files change: under a checkout's `.stitch/` or the
        engineer's switches (read again; None: everything), or in another checkout's work
        (an agent's worktree: its live stream is looked at again)."""
        if self.ws is None:
            return
        if paths is not None:
            switches = {self.ws.paths.state, self.ws.paths.shared_switches}
            work = {p for p in paths if ".stitch" not in p.parts and p not in switches}
            if work and self.git is not None:
                self.git.look_again()  # another checkout's work: its live stream again
            paths = paths - work
            if not paths:
                return
        self.spawn(self.reload(paths))

    async def quiet_ended(self, ended: QuietArrivals) -> None:
        """The end of quiet hours: one summary of what they held back ("while you were in
        quiet hours (09:30–11:30): 3 drafts, 2 prompts queued"). With prompts among it, the
        summary offers to go through them one at a time; otherwise they stay pending and
        listed (Pending Prompts) and do not pop up by themselves."""
        held = await self.prompts.hold()
        ended.prompts.update(held)
        summary = ended.summary()
        if summary is None:
            return
        message = f"Stitch: {summary}"
        if not held:
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Info, message=message)
            )
            return
        choice = await self.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=message,
                actions=[types.MessageActionItem(title=t) for t in (GO_THROUGH, LATER)],
            )
        )
        if choice is not None and choice.title == GO_THROUGH:
            await self.prompts.go_through(held)
        else:
            await self.prompts.dismissed(held)

    # -- streams and stitch points ---------------------------------------------------------

    async def _git_moved(self, update: GitUpdate) -> None:
        """A new git snapshot, adopted (`_adopt_git`): the open buffers' points, then the
        status's count and the agents' collision index; agent commits' drafts that came or
        went are placed, the rest stay."""
        await self.update_all_points()
        self.spawn(self.recount_points())  # the status's, after the buffers'
        assert self.git is not None
        self.spawn(self.git.write_collisions())  # for the agents' guard
        moved = update.delta.result
        self.refresh_drafts({*moved.added, *moved.removed})

    def _adopt_git(self, update: GitUpdate | None) -> None:
        if update is not None:
            beyond = self.ws.gate_context(self.clock()).beyond_cap if self.ws else None
            self.points.streams = update.streams
            if self.ws is not None:
                self.ws.streams = update.streams
            first, self._git_looked = not self._git_looked, True
            self.adopt(update.delta, first=first)
            if self.ws is not None and self.ws.gate_context(self.clock()).beyond_cap != beyond:
                self.refresh_editor()  # a stream came over (or back under) its cap
            self.send_status()

    async def recount_points(self) -> None:
        """The workspace's stitch points counted again (the status's); those first seen
        during quiet hours go into the summary after them (not those of the first count)."""
        found = await self.points.recount()
        if found is None or self.ws is None:
            return
        ids, first = found
        quiet = self.ws.quiet_state(self.clock()).on
        self.ws.arrivals.note("points", ids, quiet and not first)
        self.send_status()

    async def update_all_points(self) -> None:
        for doc in list(self.docs.values()):
            await self.update_points(doc)

    async def update_points(self, doc: OpenDocument) -> None:
        if self.ws is not None:
            await self.points.update(doc, lambda: self.docs.get(doc.uri) is doc)

    async def parse_in_worker(self, doc: OpenDocument) -> None:
        """Bring a buffer's syntax tree and symbols up to date in a worker thread, so the
        symbol lookups that follow on the event loop find them ready (40-110 ms for a
        10,000-line module). Edits meanwhile: the loop parses later, as before."""
        job = doc.syntax.parse_job()
        if job is not None:
            data, snapshot = await asyncio.to_thread(job)
            doc.syntax.adopt(data, snapshot)

    def schedule_publish(self, doc: OpenDocument, delay: float = 0.15) -> None:
        """Republish a buffer's diagnostics (and place its drafts afresh) once typing pauses."""
        self._publish_later(doc, delay)

    def schedule_points(self, doc: OpenDocument, delay: float = 0.3) -> None:
        """Recompute a buffer's stitch points once typing pauses."""
        self._points_later(doc, delay)

    async def _update_and_publish(self, doc: OpenDocument) -> None:
        await self.update_points(doc)
        if self.docs.get(doc.uri) is doc:  # not closed meanwhile
            self.publish(doc)

    def streams_status(self) -> dict[str, Any]:
        # start-up: the server's first answer loads no core; this runs after it
        from stitch_ls.core.vcs.streams import streams_summary

        if self.ws is None:
            return streams_summary(None, 0)
        return streams_summary(self.points.streams, self.ws.team.streams.max_per_feature)

    def note_activity(self) -> None:
        """An edit in the workspace: once a minute, record it for the trust budget's rolling
        hour (a state.json write, so in a worker thread); decisions are recomputed only when
        the budget's change moves the gate."""
        if self.ws is None or self._activity_busy:
            return
        now = self.clock()
        if minute_of(now) == self._activity_minute:
            return
        self._activity_busy, self._activity_minute = True, minute_of(now)
        self.spawn(self._note_activity(self.ws, now))

    async def _note_activity(self, ws: StitchWorkspace, now: datetime) -> None:
        try:
            before = ws.gate_context(now, ignore_quiet=True)
            if record_activity(ws.state.activity_minutes, now) == ws.state.activity_minutes:
                return  # this minute is counted already
            try:
                moved = await self.change_answered(IndexerApi.note_activity, now)
            except IndexerError as exc:  # no indexer: the minute is counted when one runs again
                log.debug("activity not recorded: %s", exc)
                return
            if moved.value:
                if ws.gate_context(now, ignore_quiet=True) != before:
                    self.invalidate()
                self.send_status()
        finally:
            self._activity_busy = False

    # -- evaluation ----------------------------------------------------------------------

    def read_live(self, relative: str) -> str | None:
        """Current text of a workspace file: the open buffer if any, else the disk."""
        assert self.ws is not None
        for doc in self.docs.values():
            if doc.relative == relative:
                return doc.text
        return self.ws.read_disk(relative)

    def find_symbol(self, relative: str, text: str, name: str) -> SymbolSpan | NotFound:
        """A symbol in `text`, on the open buffer's tree when `text` is that buffer's."""
        doc = next((d for d in self.docs.values() if d.relative == relative), None)
        syntax = doc.syntax if doc is not None and doc.text == text else None
        return lookup_symbol(relative, text, name, syntax)

    def can_verify(self, record: Any) -> bool:
        """Whether to offer "Verify draft": a pending draft with test evidence, a command in
        the team file to run, and a workspace the editor trusts."""
        draft = record.draft
        return (
            self.trusted
            and draft is not None
            and self.ws is not None
            and bool(self.ws.team.evidence.command)
            and any(e.kind == "test" for e in draft.evidence)
        )

    def evaluations(self, doc: OpenDocument) -> list[Any]:
        """Gate decisions for every draft on an open buffer (`DraftPlacer.evaluations`)."""
        return self.placer.evaluations(doc)

    def quiet_now(self) -> bool:
        return self.quiet.now_quiet()

    def publish(self, doc: OpenDocument) -> None:
        self.diagnostics.publish(doc)

    def publish_config_problems(self) -> None:
        self.diagnostics.publish_config_problems()

    # -- status --------------------------------------------------------------------------

    def status(self, counts: dict[str, int] | None = None) -> dict[str, Any]:
        """The status object (`operations.status`'s shape) with these draft counts, the
        live buffers' read of the switches, and this process's streams, points and indexer."""
        assert self.ws is not None
        status = self.ws.status(
            self.clock(), self.read_live, self.find_symbol, counts, self.prompts.pending
        )
        status["streams"] = self.streams_status()
        status["indexer"] = {"running": self.indexer_down is None, "problem": self.indexer_down}
        # the workspace's, as the indexer found them on disk at the last git snapshot (the
        # same count the CLI and MCP give); the open buffers' live points are diagnostics
        status["stitch_points"] = self.points.count_or_none()
        # `[streams] fetch_every`: None while it is off
        status["fetch"] = self.git.fetched if self.git is not None else None
        return status

    async def _count_drafts(self) -> dict[str, int] | None:
        """Pending drafts by gate, counted by the indexer against the files on disk."""
        assert self.ws is not None
        now = self.clock()
        try:
            return await self.call(
                IndexerApi.counts, now, self.ws.gate_context(now, ignore_quiet=True)
            )
        except IndexerError as exc:
            log.debug("drafts not counted: %s", exc)
            return None

    async def fresh_status(self) -> dict[str, Any]:
        return await self.board.fresh()

    def status_now(self) -> None:
        if self.ws is not None:
            self.board.send_now()

    def send_status(self) -> None:
        if self.ws is not None:
            self.board.send()

    # -- prompts -------------------------------------------------------------------------

    async def show_prompts(self) -> None:
        """Show unanswered prompts one at a time, never during quiet hours (`PromptDesk`)."""
        if self.ws is not None:
            await self.prompts.run()

    async def _show_prompt(self, message: str, options: list[str]) -> str | None:
        result = await self.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=message,
                actions=[types.MessageActionItem(title=o) for o in options],
            )
        )
        return result.title if result is not None else None

    def _prompts_arrived(self, ids: list[str], during_quiet: bool) -> None:
        if self.ws is not None:
            self.ws.arrivals.note("prompts", ids, during_quiet)
