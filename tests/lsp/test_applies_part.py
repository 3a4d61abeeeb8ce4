"""The editor's applies are a part of their own: a real workspace and a real in-process
indexer checking and recording, a real open buffer; the editor is a function that applies the
workspace edit to that buffer (or refuses it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from stitch_ls.core.errors import Refused
from stitch_ls.core.record.keeping import Session
from stitch_ls.indexer.process import Indexer
from stitch_ls.lsp.applies import Applies
from stitch_ls.lsp.documents import OpenDocument, new_document
from workspaces import draft, make_workspace, write_draft

CHECKOUT = "src/checkout.py"


class Server:
    """The server as an apply sees it (`applies.Host`), and the editor it talks to."""

    encoding = "utf-16"

    def __init__(self, root: Path) -> None:
        self.indexer = Indexer(root)
        self.indexer.load(datetime.now(UTC))
        self.ws: Any = self.indexer.ws
        self.docs: dict[str, OpenDocument] = {}
        self.changed: list[set[str]] = []
        self.refreshed = 0
        self.logged: list[str] = []
        self.edits: list[types.WorkspaceEdit] = []
        self.editor_applies = True

    def capability(self, path: str, default: Any = None) -> Any:
        return True if path == "workspace.workspace_edit.document_changes" else default

    def drafts_changed(self, ids: set[str]) -> None:
        self.changed.append(ids)

    def refresh_editor(self) -> None:
        self.refreshed += 1

    # what the applies are built with: the indexer's calls, the editor's applyEdit
    async def call(self, entry: Any, *args: Any) -> Any:
        return getattr(self.indexer, entry.__name__)(*args)

    async def draft_record(self, draft_id: str) -> Any:
        return self.ws.drafts.by_id.get(draft_id)

    async def apply_edit(
        self, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        self.edits.append(params.edit)
        if not self.editor_applies:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="busy")
        for change in params.edit.document_changes or ():
            assert isinstance(change, types.TextDocumentEdit)
            doc = next(d for d in self.docs.values() if d.uri == change.text_document.uri)
            for edit in sorted(
                change.edits,
                key=lambda e: (e.range.start.line, e.range.start.character),
                reverse=True,
            ):
                r = edit.range
                doc.apply_change(
                    (r.start.line, r.start.character),
                    (r.end.line, r.end.character),
                    edit.new_text,
                    self.encoding,
                )
            doc.version += 1
        return types.ApplyWorkspaceEditResult(applied=True)

    def applies(self) -> Applies:
        applies = Applies(
            self,
            call=self.call,
            change=self.call,
            indexer_running=lambda: True,
            draft_record=self.draft_record,
            apply_edit=self.apply_edit,
            user=lambda: "dev@example.com",
            clock=lambda: datetime.now(UTC),
            spawn=asyncio.ensure_future,
            log_line=lambda message, kind: self.logged.append(message),
        )
        applies.session = Session.current()
        return applies


def open_checkout(server: Server, root: Path, version: int = 3) -> OpenDocument:
    path = root / CHECKOUT
    doc = new_document(path.as_uri(), root, version, path.read_text())
    server.docs[doc.uri] = doc
    return doc


async def test_an_apply_is_a_versioned_edit_that_waits_to_be_saved_then_is_kept(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("ready"))
    server = Server(root)
    doc = open_checkout(server, root)
    applies = server.applies()

    answer = await applies.apply("ready")
    assert answer["applied"] and answer["waiting"] and not answer["kept"]
    [edit] = server.edits
    [change] = edit.document_changes or ()
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 3  # the text the plan was checked against
    assert applies.unsaved_paths() == {CHECKOUT}
    assert server.changed == [{"ready"}] and server.refreshed == 1

    (root / CHECKOUT).write_text(doc.text)  # the editor saves the buffer
    await applies.saved(doc)
    assert server.logged == ["draft ready: saved, logged as accepted"]
    assert applies.unsaved_paths() == set()
    assert server.changed[-1] == {"ready"} and server.refreshed == 2


async def test_an_edit_the_editor_refuses_is_no_apply_and_releases_the_lock(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("ready"))
    server = Server(root)
    open_checkout(server, root)
    applies = server.applies()

    server.editor_applies = False
    with pytest.raises(Refused, match="not applied: busy"):
        await applies.apply("ready")
    assert applies.unsaved_paths() == set() and applies.undelivered == {}

    server.editor_applies = True  # the indexer let go of the apply: the next one goes through
    answer = await applies.apply("ready")
    assert answer["applied"] and applies.unsaved_paths() == {CHECKOUT}
