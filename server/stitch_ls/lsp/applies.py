"""The editor's applies, as one part: each from the check to the record, and on until it is kept.

An apply is checked and committed by the indexer (the process that owns `.stitch/`), which
holds the apply lock from `begin_apply` to `finish_apply`; in between, the editor applies a
versioned workspace edit (an editor that moved on rejects it rather than overwrite what was
typed). Then the apply waits to reach the disk (`core.record.keeping`): its buffers' saves,
edits and closes, and the session's end, are told to the indexer, which logs it as accepted
once on disk, or as not kept. An answer the indexer died before hearing is told to the next
one (`after_restart`), which recovered the apply from its journal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar

from lsprotocol import types

from stitch_ls.core.drafts.anchor import Plan
from stitch_ls.core.errors import Refused
from stitch_ls.core.text import LineIndex, to_client_units
from stitch_ls.indexer.api import IndexerApi
from stitch_ls.indexer.link import Entry
from stitch_ls.indexer.wire import Changed, IndexerError
from stitch_ls.lsp.documents import OncePaused, OpenDocument

if TYPE_CHECKING:  # the core loads after the initialize result
    from stitch_ls.core.drafts.index import DraftRecord
    from stitch_ls.core.record.keeping import Session
    from stitch_ls.core.workspace import StitchWorkspace

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

WARNING = types.MessageType.Warning
SETTLE_DELAY = 0.3  # seconds typing pauses before a buffer is looked at again for its apply
SETTLE_ALL_TIMEOUT = 5.0  # seconds the session's applies may take to be judged, at most


class Host(Protocol):
    """What an apply reads of the server, and what it tells it."""

    ws: StitchWorkspace | None
    docs: dict[str, OpenDocument]

    @property
    def encoding(self) -> str: ...  # the position encoding the editor negotiated
    def capability(self, path: str, default: Any = None) -> Any: ...
    def drafts_changed(self, ids: set[str]) -> None: ...
    def refresh_editor(self) -> None: ...


class Call(Protocol):
    """A typed call to the indexer (`StitchServer.call`)."""

    async def __call__(self, entry: Entry[P, R], *args: P.args, **kwargs: P.kwargs) -> R: ...


class Change(Protocol):
    """A change the indexer makes and answers, its delta adopted in call order
    (`StitchServer.change_answered`)."""

    async def __call__(
        self, entry: Entry[P, Changed[R]], *args: P.args, **kwargs: P.kwargs
    ) -> Changed[R]: ...


class Applies:
    """The applies of this editor session (a part of `StitchServer`)."""

    def __init__(
        self,
        host: Host,
        *,
        call: Call,
        change: Change,
        indexer_running: Callable[[], bool],
        draft_record: Callable[[str], Awaitable[DraftRecord | None]],
        apply_edit: Callable[
            [types.ApplyWorkspaceEditParams], Awaitable[types.ApplyWorkspaceEditResult]
        ],
        user: Callable[[], str],
        clock: Callable[[], datetime],
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
        log_line: Callable[[str, types.MessageType], None],
    ) -> None:
        """`call`, `change`, `indexer_running`: the indexer; `draft_record(id)`: a draft, from
        the open files' view or the indexer; `apply_edit`: `workspace/applyEdit` to the editor;
        `user`: who is at the keyboard; `log_line(message, kind)`: a line in the editor's log."""
        self.host = host
        self._call, self._change, self._indexer_running = call, change, indexer_running
        self._draft_record, self._apply_edit = draft_record, apply_edit
        self._user, self._clock, self._spawn, self._log_line = user, clock, spawn, log_line
        # one apply at a time; the read-only switch and focus take it too (an apply queued
        # after them sees what they set)
        self.lock = asyncio.Lock()
        self.session: Session | None = None  # this editor session, once the core loads
        # the editor's answers to applies whose indexer died before it heard them: draft id ->
        # applied (told to the next indexer, which recovered the apply from its journal)
        self.undelivered: dict[str, bool] = {}
        self._look_again = OncePaused(self._changed_now, spawn)

    # -- an apply --------------------------------------------------------------------------

    async def apply(self, draft_id: str) -> dict[str, Any]:
        """Checked and committed by the indexer under the apply lock, which it holds while
        the editor applies the edit in between; the command's answer."""
        async with self.lock:
            record = await self._draft_record(draft_id)
            paths = record.draft.paths if record is not None and record.draft is not None else []
            buffers = {
                d.relative: d for d in self.host.docs.values() if d.relative and d.relative in paths
            }
            texts = {path: doc.text for path, doc in buffers.items()}
            versions = {path: doc.version for path, doc in buffers.items()}  # of those texts
            draft, plan = await self._call(
                IndexerApi.begin_apply, draft_id, texts, self._clock(), self._user(), self.session
            )
            applied = False
            try:
                edit = self.workspace_edit(plan, versions)
                result = await self._apply_edit(
                    types.ApplyWorkspaceEditParams(edit=edit, label=f"Apply draft: {draft.title}")
                )
                applied = bool(result.applied)
                if not applied:
                    reason = result.failure_reason or "the editor did not apply the edit"
                    raise Refused(f"not applied: {reason}")
            finally:
                try:
                    finished = await self._change(
                        IndexerApi.finish_apply, applied, self._clock(), draft.id
                    )
                except IndexerError as exc:
                    # the indexer that comes next recovers the apply from its journal: it is
                    # told then what the editor answered (`after_restart`)
                    self.undelivered[draft.id] = applied
                    if applied:
                        raise Refused(
                            f"applied, not recorded yet: {exc} (recorded when the indexer is back)"
                        ) from None
                    self._log_line(f"an apply that did not happen was not released: {exc}", WARNING)
            settled = finished.value
            if settled is None:
                raise Refused("applied, but not recorded: the indexer had no apply in progress")
            self.host.drafts_changed({draft.id})
        self.host.refresh_editor()
        files = ", ".join(settled.files)
        message = (
            f"applied draft {draft.id} ({files}): accepted once saved"
            if settled.kept is None
            else f"applied draft {draft.id} ({files}): on disk, logged as accepted"
        )
        return {
            "applied": True,
            "draft": draft.id,
            "files": settled.files,
            # accepted means kept: logged once the change is on disk (the buffers saved)
            "kept": settled.kept is True,
            "waiting": settled.kept is None,
            "message": message,
        }

    def workspace_edit(
        self, plan: Plan, versions: dict[str, int] | None = None
    ) -> types.WorkspaceEdit:
        """A versioned workspace edit: open files carry the version of the text the plan was
        checked against (`versions`), so an editor that has moved on rejects it rather than
        overwrite what was typed."""
        ws = self.host.ws
        assert ws is not None
        enc = self.host.encoding
        open_docs = {d.relative: d for d in self.host.docs.values() if d.relative}
        capability = self.host.capability
        document_changes = bool(capability("workspace.workspace_edit.document_changes", False))
        operations = capability("workspace.workspace_edit.resource_operations", []) or []
        changes: list[Any] = []
        plain: dict[str, list[types.TextEdit]] = {}
        for path, edits in plan.by_path().items():
            uri = (ws.root / path).as_uri()
            doc = open_docs.get(path)
            kind = edits[0].kind
            if kind in ("create", "delete"):
                needed = (
                    types.ResourceOperationKind.Create
                    if kind == "create"
                    else types.ResourceOperationKind.Delete
                )
                if not document_changes or needed not in operations:
                    raise Refused(
                        f"this editor cannot {kind} files through LSP; apply it with the CLI"
                    )
                if kind == "delete":
                    changes.append(types.DeleteFile(uri=uri))
                    continue
                changes.append(
                    types.CreateFile(
                        uri=uri,
                        options=types.CreateFileOptions(overwrite=False, ignore_if_exists=False),
                    )
                )
                text_edits = [types.TextEdit(range=_zero(), new_text=edits[0].text)]
                version = None
            else:
                text = doc.text if doc else ws.read_disk(path) or ""  # not open: the disk's
                lines = LineIndex(text)
                text_edits = [
                    types.TextEdit(
                        range=types.Range(
                            start=types.Position(
                                line=e.start[0],
                                character=to_client_units(lines.line(e.start[0]), e.start[1], enc),
                            ),
                            end=types.Position(
                                line=e.end[0],
                                character=to_client_units(lines.line(e.end[0]), e.end[1], enc),
                            ),
                        ),
                        new_text=e.text,
                    )
                    for e in edits
                ]
                version = doc.version if doc else None
                if doc is not None and versions is not None and path in versions:
                    version = versions[path]  # the text the plan was checked against
            if document_changes:
                changes.append(
                    types.TextDocumentEdit(
                        text_document=types.OptionalVersionedTextDocumentIdentifier(
                            uri=uri, version=version
                        ),
                        edits=text_edits,
                    )
                )
            else:
                plain[uri] = text_edits
        if document_changes:
            return types.WorkspaceEdit(document_changes=changes)
        return types.WorkspaceEdit(changes=plain)

    async def after_restart(self) -> None:
        """A new indexer runs: the answers its predecessor died before hearing, told; then
        every apply of this session judged again (one the old indexer left: its buffers, now)."""
        await self._deliver_finish()
        await self.settle_all("check")

    async def _deliver_finish(self) -> None:
        """Tell a new indexer what the editor answered to the applies its predecessor died
        during: applied, they wait to be saved; not, they are withdrawn (never logged)."""
        for draft_id, applied in list(self.undelivered.items()):
            try:
                await self._change(IndexerApi.finish_apply, applied, self._clock(), draft_id)
            except Refused:
                pass  # nothing of it was left to recover
            except IndexerError as exc:
                log.debug("apply answer not delivered yet: %s", exc)
                continue
            self.undelivered.pop(draft_id, None)
            self.host.drafts_changed({draft_id})

    # -- applies waiting to be saved (`core.record.keeping`) ------------------------------

    def unsaved_paths(self) -> set[str]:
        """The files of this session's applies that wait to reach the disk."""
        ws, session = self.host.ws, self.session
        if ws is None or session is None:
            return set()
        mine = (session.pid, session.started)
        return {
            path
            for waiting in ws.state.unsaved.values()
            if (waiting.pid, waiting.started) == mine
            for path in waiting.files
        }

    def changed(self, doc: OpenDocument) -> None:
        """A buffer was edited: if it holds an apply waiting to be saved, looked at again
        once typing pauses (an undo or a revert takes it back out)."""
        if doc.relative in self.unsaved_paths():
            self._look_again(doc, SETTLE_DELAY)

    async def _changed_now(self, doc: OpenDocument) -> None:
        if self.host.docs.get(doc.uri) is doc and doc.relative is not None:
            await self.settle("changed", doc.relative)

    async def saved(self, doc: OpenDocument) -> None:
        """A buffer was saved: an apply waiting on it is on disk now, logged as accepted."""
        if doc.relative is not None and doc.relative in self.unsaved_paths():
            await self.settle("saved", doc.relative)

    def closed(self, doc: OpenDocument) -> None:
        """A buffer was closed: an apply waiting on it is never kept unless it was saved first."""
        if doc.relative is not None and doc.relative in self.unsaved_paths():
            self._spawn(self.settle("closed", doc.relative))

    async def settle(self, event: str, path: str | None) -> None:
        """Ask the indexer to judge the applies waiting on `path` (all of this session's,
        without one) now that it was saved, closed or changed: logged as accepted once on
        disk, as not kept when undone, reverted or closed without saving."""
        if self.host.ws is None or self.session is None:
            return
        buffers = {
            d.relative: d.text
            for d in self.host.docs.values()
            if d.relative and (path is None or d.relative == path)
        }
        try:
            answer = await self._change(
                IndexerApi.settle, event, path, buffers, self._clock(), self.session
            )
        except (IndexerError, Refused) as exc:  # judged again at the next event, or by the disk
            self._log_line(f"an apply waiting to be saved was not looked at: {exc}", WARNING)
            return
        decided = [s for s in answer.value if s.kept is not None]
        for settled in decided:
            self._log_line(settled.say(), types.MessageType.Info)
        if decided:
            self.host.drafts_changed({s.draft for s in decided})
            self.host.refresh_editor()

    async def settle_all(self, event: str) -> None:
        """Every apply of this session judged (`event` "check", or "ended" when the session
        closes), bounded: an indexer that does not answer leaves them to the next reader."""
        if not self.unsaved_paths() or not self._indexer_running():
            return
        try:
            await asyncio.wait_for(self.settle(event, None), timeout=SETTLE_ALL_TIMEOUT)
        except TimeoutError:
            log.warning("applies waiting to be saved not settled in time (%s)", event)


def _zero() -> types.Range:
    return types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
    )
