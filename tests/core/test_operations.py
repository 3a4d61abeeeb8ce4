"""The operations layer in-process: adding a draft, and the rule that a decided id is spent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stitch_ls.core.drafts.model import Draft, Source, SourceLogEntry
from stitch_ls.core.errors import Refused
from stitch_ls.core.operations import Added, add_draft
from stitch_ls.core.record.sourcelog import append_entry
from stitch_ls.core.workspace import StitchWorkspace
from workspaces import TEAM, draft, make_workspace, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
QUIET_NOW = TEAM + (
    '\n[quiet_hours]\ntimezone = "UTC"\n[[quiet_hours.windows]]\n'
    'days = ["mon"]\nstart = "08:00"\nend = "10:00"\n'
)


def workspace(root: Path, team: str = TEAM) -> StitchWorkspace:
    make_workspace(root, team)
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    return ws


def test_add_writes_the_draft_and_says_what_the_gate_says(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    added = add_draft(ws, Draft.from_data(draft("new")), T0)
    assert added == Added("new", ws.paths.drafts / "new.json", "actionable", None)
    assert added.file.is_file()
    low = add_draft(ws, Draft.from_data(draft("low", confidence=0.5)), T0)
    assert (low.gate, low.reason) == ("below_floor", "0.50 < floor 0.65")
    assert set(ws.drafts.by_id) == {"new", "low"}


def test_add_ignores_quiet_hours_when_saying_the_gate(tmp_path: Path):
    ws = workspace(tmp_path / "ws", QUIET_NOW)  # T0 is a Monday at 09:00, inside the window
    assert ws.gate_context(T0).quiet is True
    added = add_draft(ws, Draft.from_data(draft("q")), T0)
    assert (added.gate, added.reason) == ("actionable", None)


def test_a_pending_id_is_replaced_only_when_asked(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    add_draft(ws, Draft.from_data(draft("d")), T0)
    with pytest.raises(Refused) as caught:
        add_draft(ws, Draft.from_data(draft("d", title="Other")), T0)
    assert str(caught.value) == "a draft with id 'd' is pending (replace it explicitly)"
    replaced = add_draft(ws, Draft.from_data(draft("d", title="Other")), T0, replace=True)
    assert replaced.id == "d"
    assert ws.drafts.by_id["d"].draft.title == "Other"


def test_a_rejected_or_logged_id_is_refused_even_with_replace(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    assert ws.decided("r") is None and ws.decided("l") is None
    add_draft(ws, Draft.from_data(draft("r")), T0)
    ws.reject("r", "wrong", "dev@example.com", T0, door="terminal")
    assert ws.decided("r") == "rejected"
    with pytest.raises(Refused) as caught:
        add_draft(ws, Draft.from_data(draft("r")), T0, replace=True)
    assert str(caught.value) == "draft id 'r' was already rejected; ids are never reused"
    # applied elsewhere: only the team's shared source log knows
    source = Source(kind="doc", ref="d", why="w")
    append_entry(
        ws.paths.source_log,
        SourceLogEntry(
            at=T0,
            draft="l",
            title="t",
            stream="s",
            agent="a",
            confidence=0.9,
            sources=[source],
            evidence=[],
            accepted_by="other@example.com",
            files=["src/checkout.py"],
        ),
    )
    assert ws.decided("l") == "applied"
    assert ws.decided("other") is None
    with pytest.raises(Refused) as caught:
        add_draft(ws, Draft.from_data(draft("l")), T0, replace=True)
    assert str(caught.value) == "draft id 'l' was already applied; ids are never reused"
    assert not (ws.paths.drafts / "l.json").exists()


def test_a_draft_removed_right_after_it_was_written_is_reported(tmp_path: Path, monkeypatch):
    ws = workspace(tmp_path / "ws")
    import stitch_ls.core.operations as operations

    real_write = operations.write_draft

    def write_then_vanish(folder, body):
        path = real_write(folder, body)
        path.unlink()
        return path

    monkeypatch.setattr(operations, "write_draft", write_then_vanish)
    with pytest.raises(Refused) as caught:
        add_draft(ws, Draft.from_data(draft("gone")), T0)
    assert str(caught.value) == "draft 'gone' was written but is no longer there"


def test_a_draft_dropped_in_the_folder_is_counted_when_an_add_first_sees_it(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    write_draft(ws.root, draft("dropped", sources=[]))  # an agent writing the file itself
    add_draft(ws, Draft.from_data(draft("added")), T0)
    assert ws.state.unsourced_arrivals == {"dropped": T0}  # the budget counts it from now
    assert ws.budget().used == 1


def test_a_symlinked_drafts_folder_refuses_the_add_and_says_why(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    drafts = ws.paths.drafts
    drafts.rmdir()
    (tmp_path / "elsewhere").mkdir()
    drafts.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(Refused) as caught:
        add_draft(ws, Draft.from_data(draft("d")), T0)
    assert str(caught.value) == f"{drafts} is a symlink: Stitch writes nothing through it"
    assert list((tmp_path / "elsewhere").iterdir()) == []
