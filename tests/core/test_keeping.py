"""Accepted means kept: an editor's apply waits until its change is on disk, then is logged as
accepted; undone, closed or reverted unsaved, or its session gone, it is logged as not kept
and its draft is back in the inbox. Decided by text, with time as an argument."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.errors import Refused
from stitch_ls.core.operations import (
    EditorApply,
    Settled,
    apply_on_disk,
    list_drafts,
    open_workspace,
    settle,
)
from stitch_ls.core.record import keeping
from stitch_ls.core.record.sourcelog import read_log
from stitch_ls.core.workspace import StitchWorkspace
from workspaces import CHECKOUT, draft, make_workspace, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3)
BY = "dev@example.com"
PATH = "src/checkout.py"
APPLIED = CHECKOUT.replace("return cart.total()", "return round(cart.total(), 2)")
ME = keeping.Session.current()


def gone_session() -> keeping.Session:
    """A session whose process has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return keeping.Session(int(done.stdout), "")


def applied_in_editor(tmp_path: Path, session: keeping.Session = ME) -> StitchWorkspace:
    """A draft applied to an open buffer (not saved): the editor's door, as the indexer runs it."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("d"))
    ws, _ = open_workspace(root, now=T0)
    ws.scan_drafts(T0)
    apply = EditorApply(ws)
    apply.begin("d", {PATH: CHECKOUT}, T0, BY, session)
    assert apply.finish(True, T0) == Settled("d", None, None, [PATH])
    return ws


def disk(ws: StitchWorkspace) -> str:
    return (ws.root / PATH).read_text()


def test_saved_is_accepted_and_logged_when_the_disk_holds_it(tmp_path: Path):
    ws = applied_in_editor(tmp_path)
    assert not ws.paths.source_log.exists()  # in a buffer only: nothing accepted
    waiting = keeping.file_of(ws.paths, "d")  # the engineer's alone, as every per-user file
    assert waiting.stat().st_mode & 0o777 == 0o600
    assert waiting.parent.stat().st_mode & 0o777 == 0o700
    assert [r["gate"] for r in list_drafts(ws, ws.gate_context(T0), {}).rows] == ["unsaved"]
    assert ws.status(T0, ws.read_disk, ws.find_symbol_on_disk)["drafts"]["unsaved"] == 1
    with pytest.raises(Refused, match="waits to be saved"):
        apply_on_disk(ws, "d", T0, BY)  # no second apply of it meanwhile
    with pytest.raises(Refused, match="waits to be saved"):
        ws.reject("d", "no", BY, T0, door="terminal")
    # the engineer typed a line above it, then saved: kept where it landed
    typed = "# reviewed\n" + APPLIED
    (ws.root / PATH).write_text(typed)
    [settled] = settle(ws, "saved", LATER, ME, PATH, {PATH: typed})
    assert settled == Settled("d", True, "saved", [PATH])
    log = read_log(ws.paths.source_log)
    [entry] = log.accepted
    assert (entry.draft, entry.accepted_by, entry.at, entry.event) == ("d", BY, LATER, "accepted")
    assert entry.ranges == {PATH: [(14, 14)]}  # line 13 applied, a line typed above it
    assert entry.range_hashes == {PATH: [keeping.line_hash(["    return round(cart.total(), 2)"])]}
    state = ws.load_state()
    assert state.outcomes["d"].outcome == "applied" and not state.unsaved
    assert not (ws.paths.drafts / "d.json").exists()
    assert not list(keeping.folder(ws.paths).iterdir())


@pytest.mark.parametrize(
    ("event", "buffer", "what"),
    [
        ("closed", None, f"{PATH}: closed without saving"),
        ("changed", CHECKOUT, f"{PATH}: undone or reverted in the editor before it was saved"),
        ("saved", CHECKOUT, f"{PATH}: undone or reverted in the editor before it was saved"),
        ("ended", APPLIED, "the editor session ended before it was saved"),
    ],
    ids=["closed-unsaved", "undone", "undone-then-saved", "session-ended"],
)
def test_not_kept_is_logged_and_the_draft_goes_back(
    tmp_path: Path, event: str, buffer: str | None, what: str
):
    ws = applied_in_editor(tmp_path)
    buffers = {} if buffer is None else {PATH: buffer}
    [settled] = settle(ws, event, LATER, ME, PATH, buffers)
    assert settled == Settled("d", False, what, [PATH])
    log = read_log(ws.paths.source_log)
    assert log.accepted == []
    [line] = log.not_kept
    assert (line.draft, line.applied_by, line.applied_at, line.at, line.what) == (
        "d",
        BY,
        T0,
        LATER,
        what,
    )
    raw = json.loads(ws.paths.source_log.read_text())
    assert raw["event"] == "not kept" and raw["version"] == 2
    state = ws.load_state()
    assert "d" not in state.outcomes and not state.unsaved
    # back in the inbox, never used up: listed, and applicable again
    assert [r["id"] for r in list_drafts(ws, ws.gate_context(LATER), {}).rows] == ["d"]
    assert apply_on_disk(ws, "d", LATER, BY).draft == "d"


def test_still_in_the_buffer_waits_and_a_changed_text_keeps_it(tmp_path: Path):
    ws = applied_in_editor(tmp_path)
    assert settle(ws, "changed", LATER, ME, PATH, {PATH: APPLIED + "# more\n"}) == [
        Settled("d", None, None, [PATH])
    ]
    assert settle(ws, "check", LATER, ME) == [Settled("d", None, None, [PATH])]
    # the engineer rewrote part of the applied line before saving: still theirs to keep
    edited = CHECKOUT.replace("return cart.total()", "return round(cart.total(), 3)")
    (ws.root / PATH).write_text(edited)
    # ... which holds none of the applied text: undone before the save, not kept
    [settled] = settle(ws, "saved", LATER, ME, PATH, {PATH: edited})
    assert settled.kept is False


def test_another_sessions_apply_is_judged_by_the_disk_alone(tmp_path: Path):
    other = keeping.Session(1, "not this one")
    ws = applied_in_editor(tmp_path, other)
    # this session's buffers say nothing about another session's apply
    assert settle(ws, "closed", LATER, ME, PATH, {}) == [Settled("d", None, None, [PATH])]
    (ws.root / PATH).write_text(APPLIED)  # its editor saved it
    assert settle(ws, "check", LATER, ME)[0].kept is True


def test_every_door_settles_an_apply_whose_session_is_gone(tmp_path: Path):
    ws = applied_in_editor(tmp_path, gone_session())
    again, notes = open_workspace(ws.root, now=LATER)  # the CLI, MCP or a new indexer
    assert notes == [
        "draft d: not kept (the editor session ended before it was saved); back in the inbox"
    ]
    assert [n.draft for n in read_log(ws.paths.source_log).not_kept] == ["d"]
    assert not again.state.unsaved

    ws = applied_in_editor(tmp_path / "saved", gone_session())
    (ws.root / PATH).write_text(APPLIED)  # saved before the session ended
    _, notes = open_workspace(ws.root, now=LATER)
    assert notes == ["draft d: saved, logged as accepted"]


def test_a_live_sessions_apply_waits_for_every_other_door(tmp_path: Path):
    ws = applied_in_editor(tmp_path)
    again, notes = open_workspace(ws.root, now=LATER)
    assert notes == [] and set(again.state.unsaved) == {"d"}
    again.scan_drafts(LATER)
    assert again.pending_records() == []


def test_a_crash_after_the_decision_is_finished_by_the_next_door(tmp_path: Path):
    ws = applied_in_editor(tmp_path, gone_session())
    [waiting], _ = keeping.read_all(ws.paths)
    (ws.root / PATH).write_text(APPLIED)
    waiting.verdict = keeping.Verdict(kept=True, what="saved", at=LATER)
    keeping.write(ws.paths, waiting)  # decided, then the process died
    _, notes = open_workspace(ws.root, now=LATER + timedelta(hours=1))
    assert notes == ["draft d: saved, logged as accepted"]
    [entry] = read_log(ws.paths.source_log).accepted
    assert entry.at == LATER  # the time it was decided, once
    _, notes = open_workspace(ws.root, now=LATER + timedelta(hours=2))
    assert notes == [] and len(read_log(ws.paths.source_log).accepted) == 1


def test_a_state_summary_a_crash_lost_is_restored_and_a_stray_one_dropped(tmp_path: Path):
    from stitch_ls.core.policy.state import update_state

    ws = applied_in_editor(tmp_path)
    update_state(ws.paths, lambda state: state.unsaved.clear())  # the file, but no summary
    again, _ = open_workspace(ws.root, now=LATER)
    assert set(again.state.unsaved) == {"d"}
    keeping.remove(ws.paths, "d")  # a summary, but no file
    again, _ = open_workspace(ws.root, now=LATER)
    assert again.state.unsaved == {}


def test_what_holds_an_apply(tmp_path: Path):
    pieces = [["return cart.total()", "return round(cart.total(), 2)"]]
    assert keeping.holds(pieces, CHECKOUT, APPLIED, APPLIED)
    assert keeping.holds(pieces, CHECKOUT, APPLIED, "# typed\n" + APPLIED + "# more\n")
    assert not keeping.holds(pieces, CHECKOUT, APPLIED, CHECKOUT)
    assert not keeping.holds(pieces, CHECKOUT, APPLIED, None)
    removal = [["    return cart.total()\n", ""]]
    without = CHECKOUT.replace("    return cart.total()\n", "")
    assert keeping.holds(removal, CHECKOUT, without, without)
    assert not keeping.holds(removal, CHECKOUT, without, CHECKOUT)
    assert keeping.holds([["", "x = 1\n"]], None, "x = 1\n", "x = 1\n")  # created: there
    assert not keeping.holds([["", "x = 1\n"]], None, "x = 1\n", None)
    assert keeping.holds([["old\n", ""]], "old\n", None, None)  # deleted: gone
    assert not keeping.holds([["old\n", ""]], "old\n", None, "old\n")


def test_a_killed_writers_temp_file_is_removed_and_the_apply_kept_waiting(tmp_path: Path):
    ws = applied_in_editor(tmp_path)
    stray = keeping.folder(ws.paths) / f".d.json.{gone_session().pid}.0a0b0c0d.tmp"
    stray.write_text("{half")
    lost = keeping.folder(ws.paths) / f".e.json.{gone_session().pid}.0a0b0c0d.tmp"
    lost.write_text("{half")  # killed before its first write landed
    again, _ = open_workspace(ws.root, now=LATER)
    assert not stray.exists() and not lost.exists()
    assert set(again.state.unsaved) == {"d"}
