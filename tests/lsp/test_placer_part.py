"""Placement is a part of its own: a real workspace reading real draft files, real open
documents edited as an editor edits them; the server around it is this small host."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.policy.teamfile import TeamSource
from stitch_ls.core.workspace import StitchWorkspace
from stitch_ls.lsp.documents import OpenDocument, new_document
from stitch_ls.lsp.placing import DraftPlacer
from stitch_ls.lsp.points import PointTracker
from workspaces import draft, make_workspace, write_draft

CHECKOUT = "src/checkout.py"
PAY_RETURN = 12  # `    return cart.total()`


class Server:
    """What placing reads of the server, and what it tells it (`placing.Host`)."""

    def __init__(self, root: Path) -> None:
        self.ws: StitchWorkspace | None = StitchWorkspace(root)
        self.ws.scan_drafts(datetime.now(UTC))
        self.docs: dict[str, OpenDocument] = {}
        self.generation = 0
        self.published: list[str] = []
        self.lenses_asked = 0

    def publish(self, doc: OpenDocument) -> None:
        self.published.append(doc.uri)

    async def watch_open(self) -> None:
        return None

    def ask_for_lenses(self) -> None:
        self.lenses_asked += 1

    # what the placer is built with
    def read_live(self, relative: str) -> str | None:
        assert self.ws is not None
        for doc in self.docs.values():
            if doc.relative == relative:
                return doc.text
        return self.ws.read_disk(relative)

    def find_symbol(self, relative: str, text: str, name: str) -> Any:
        assert self.ws is not None
        return self.ws.find_symbol_on_disk(relative, text, name)


async def nothing(*args: Any) -> None:
    return None


def placer_for(server: Server) -> DraftPlacer:
    loaded = asyncio.Event()
    loaded.set()
    return DraftPlacer(
        server,
        points=PointTracker(nothing, nothing, nothing),
        loaded=loaded,
        clock=lambda: datetime.now(UTC),
        spawn=asyncio.ensure_future,
        read_live=server.read_live,
        find_symbol=server.find_symbol,
    )


def ids(evaluations) -> list[str]:
    return [e.record.id for e in evaluations]


async def test_drafts_are_placed_once_carried_through_edits_and_judged_again(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("ready"))
    write_draft(root, draft("low", confidence=0.3))
    server = Server(root)
    placer = placer_for(server)
    path = root / CHECKOUT
    doc = new_document(path.as_uri(), root, 1, path.read_text())
    server.docs[doc.uri] = doc

    assert placer.evaluations(doc) == []  # the first placement starts, in a worker
    await placer.wait_placed(doc)
    assert sorted(ids(placer.evaluations(doc))) == ["low", "ready"]
    assert server.published == [doc.uri]  # the first placement publishes
    assert server.lenses_asked == 1  # and asks for lenses again
    gates = {e.record.id: e.decision.gate.value for e in placer.evaluations(doc)}
    assert gates == {"ready": "actionable", "low": "below_floor"}
    assert ids(placer.evaluations_near(doc, PAY_RETURN, PAY_RETURN)) == ["ready", "low"]

    # two lines typed above: the drafts move with their text, by arithmetic
    doc.apply_change((0, 0), (0, 0), "# one\n# two\n", "utf-16")
    assert placer.evaluations_near(doc, PAY_RETURN, PAY_RETURN) == []
    moved = placer.evaluations_near(doc, PAY_RETURN + 2, PAY_RETURN + 2)
    assert ids(moved) == ["ready", "low"]
    assert [line for line, _ in placer.by_line(doc)] == [PAY_RETURN + 2] * 2

    # the engineer types over the line a draft expects: that draft is placed again, stale
    doc.apply_change((PAY_RETURN + 2, 11), (PAY_RETURN + 2, 23), "cart.sum()", "utf-16")
    gates = {e.record.id: e.decision.gate.value for e in placer.evaluations(doc)}
    assert gates == {"ready": "stale", "low": "stale"}

    # typed back: a stale draft comes back once typing pauses (everything placed afresh)
    doc.apply_change((PAY_RETURN + 2, 11), (PAY_RETURN + 2, 21), "cart.total()", "utf-16")
    published = len(server.published)
    await placer.settle(doc)
    gates = {e.record.id: e.decision.gate.value for e in placer.evaluations(doc)}
    assert gates == {"ready": "actionable", "low": "below_floor"}
    assert len(server.published) > published

    # the same places judged again under a new policy generation (no re-placement)
    assert server.ws is not None
    lowered = server.ws.team.replace(agents=server.ws.team.agents.replace(confidence_floor=0.2))
    server.ws.use_team(TeamSource(lowered, "working copy"))
    server.generation += 1
    gates = {e.record.id: e.decision.gate.value for e in placer.evaluations(doc)}
    assert gates == {"ready": "actionable", "low": "actionable"}

    # a draft that changed on disk is placed from its new record; the others keep theirs
    write_draft(root, draft("low", confidence=0.1))
    server.ws.scan_drafts(datetime.now(UTC))
    placer.drafts_changed({"low"})
    gates = {e.record.id: e.decision.gate.value for e in placer.evaluations(doc)}
    assert gates == {"ready": "actionable", "low": "below_floor"}

    placer.forget(doc.uri)
    assert placer.evaluations(doc) == []  # placed afresh from here on
    await placer.wait_placed(doc)
    assert sorted(ids(placer.evaluations(doc))) == ["low", "ready"]
