"""Diagnostics are a part of their own: a real workspace read by a real in-process indexer,
real open documents; what would go to the editor is collected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lsprotocol import types

from stitch_ls.core.operations import streams_summary
from stitch_ls.indexer.process import Indexer
from stitch_ls.lsp.diagnostics import Diagnostics
from stitch_ls.lsp.documents import OpenDocument, new_document
from stitch_ls.lsp.points import PointTracker
from workspaces import make_workspace

TYPO = "[agents]\nconfidence_flor = 0.65\n"  # a misspelt key


class Editor:
    """The server as diagnostics see it (`diagnostics.Host`): the indexer's workspace, the
    open buffers; and what diagnostics are built with."""

    encoding = "utf-16"

    def __init__(self, root: Path) -> None:
        self.indexer = Indexer(root)
        self.indexer.load(datetime.now(UTC))
        self.ws: Any = self.indexer.ws
        self.docs: dict[str, OpenDocument] = {}
        self.points = PointTracker(self._points_of, self._recount, self._parse)
        self.sent: list[types.PublishDiagnosticsParams] = []
        self.tasks: list[asyncio.Task[Any]] = []

    async def _points_of(self, path: str, text: str | None) -> Any:
        return self.indexer.points(path, text)

    async def _recount(self) -> Any:
        return self.indexer.recount_points()

    async def check_team(self, text: str) -> Any:
        return self.indexer.check_team(text)

    async def _parse(self, doc: OpenDocument) -> None:
        pass

    def quiet_now(self) -> bool:
        return False

    def evaluations(self, doc: OpenDocument) -> Any:
        return ()

    def streams_status(self) -> dict[str, Any]:
        return streams_summary(None, 0)

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        return task

    def send(self, params: types.PublishDiagnosticsParams) -> None:
        self.sent.append(params)

    def diagnostics(self) -> Diagnostics:
        return Diagnostics(
            self, points=self.points, check_team=self.check_team, send=self.send, spawn=self.spawn
        )

    def messages(self, uri: str) -> list[str]:
        last = [p for p in self.sent if p.uri == uri][-1]
        return [d.message for d in last.diagnostics]


async def test_closed_files_problems_are_sent_once_and_cleared_when_fixed(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    (root / ".stitch" / "drafts").mkdir(parents=True, exist_ok=True)
    broken = root / ".stitch" / "drafts" / "broken.json"
    broken.write_text("{ not json")
    editor = Editor(root)
    diagnostics = editor.diagnostics()

    diagnostics.publish_config_problems()
    await asyncio.gather(*editor.tasks)
    [message] = editor.messages(broken.as_uri())
    assert "not valid JSON" in message
    sent = len(editor.sent)
    diagnostics.publish_config_problems()
    await asyncio.gather(*editor.tasks)
    assert len(editor.sent) == sent  # nothing changed: nothing sent

    broken.unlink()
    editor.indexer.reload(None, datetime.now(UTC))
    diagnostics.publish_config_problems()
    await asyncio.gather(*editor.tasks)
    assert editor.sent[-1].uri == broken.as_uri() and editor.sent[-1].diagnostics == []


async def test_a_flood_of_broken_draft_files_is_sent_a_slice_per_turn_of_the_loop(
    tmp_path: Path,
):
    """A thousand broken drafts are a thousand notifications: sent a slice at a time, so the
    editor's requests are answered in between; each file's latest, once."""
    from stitch_ls.lsp.diagnostics import SEND_SLICE

    root = make_workspace(tmp_path / "ws")
    drafts = root / ".stitch" / "drafts"
    drafts.mkdir(parents=True, exist_ok=True)
    for n in range(3 * SEND_SLICE + 1):
        (drafts / f"broken-{n}.json").write_text("{ not json")
    editor = Editor(root)
    diagnostics = editor.diagnostics()
    diagnostics.publish_config_problems()
    assert len(editor.sent) <= 1  # the team file's at most: nothing waits for the slices
    await asyncio.sleep(0)
    assert 0 < len(editor.sent) <= SEND_SLICE + 1
    diagnostics.publish_config_problems()  # again meanwhile: nothing is sent twice
    await asyncio.gather(*editor.tasks)
    uris = [p.uri for p in editor.sent if "broken-" in p.uri]
    assert len(uris) == len(set(uris)) == 3 * SEND_SLICE + 1


async def test_the_team_file_as_typed_is_checked_by_the_indexer_and_republished(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    editor = Editor(root)
    diagnostics = editor.diagnostics()
    config = editor.ws.paths.config
    doc = new_document(config.as_uri(), root, 1, TYPO)
    editor.docs[doc.uri] = doc

    diagnostics.publish(doc)
    assert editor.messages(doc.uri) == []  # the answer for this text is not in yet
    await asyncio.gather(*editor.tasks)
    [problem] = editor.messages(doc.uri)
    assert "confidence_flor" in problem
    assert editor.sent[-1].version == 1

    code = new_document((root / "src" / "checkout.py").as_uri(), root, 1, "x = 1\n")
    editor.docs[code.uri] = code
    diagnostics.publish(code)
    sent = len(editor.sent)
    diagnostics.publish(code)
    assert len(editor.sent) == sent  # the same version, drafts and points: not sent again
    diagnostics.forget(code.uri)
    diagnostics.publish(code)
    assert len(editor.sent) == sent + 1


async def test_a_file_opened_while_its_closed_diagnostics_wait_is_not_overwritten_by_them(
    tmp_path: Path,
):
    root = make_workspace(tmp_path / "ws")
    editor = Editor(root)
    diagnostics = editor.diagnostics()
    config = editor.ws.paths.config
    config.write_text(TYPO)
    editor.indexer.reload(None, datetime.now(UTC))
    diagnostics.publish_config_problems()  # the team file, closed: waits for the next turn
    doc = new_document(config.as_uri(), root, 7, "[agents]\n")
    editor.docs[doc.uri] = doc
    diagnostics.publish(doc)  # opened meanwhile: its buffer's diagnostics go out now
    await asyncio.gather(*editor.tasks)
    mine = [p.version for p in editor.sent if p.uri == doc.uri]
    assert mine and set(mine[mine.index(7) :]) == {7}  # never the closed file's after it
