"""The apply verbs in-process: the CLI's `apply_on_disk`, the editor's `EditorApply` and the
crash `recover`y between them: checked and committed under one lock, through a journal, so a
crash leaves applied-and-logged or nothing applied."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.errors import Refused
from stitch_ls.core.files.fsio import locked
from stitch_ls.core.operations import Applied, EditorApply, Settled, apply_on_disk, recover
from stitch_ls.core.record.sourcelog import read_entries, read_log
from stitch_ls.core.workspace import StitchWorkspace
from workspaces import CHECKOUT, TEAM, draft, make_workspace, range_edit, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BY = "dev@example.com"
NEW_PAY = CHECKOUT.replace("return cart.total()", "return round(cart.total(), 2)")


def workspace(root: Path, *bodies: dict) -> StitchWorkspace:
    make_workspace(root, TEAM)
    for body in bodies:
        write_draft(root, body)
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    ws.scan_drafts(T0)
    return ws


def checkout(ws: StitchWorkspace) -> str:
    return (ws.root / "src" / "checkout.py").read_text()


def lock_is_free(ws: StitchWorkspace) -> bool:
    """Whether another holder could take the apply lock right now (flock is per open file,
    so a second open here waits like another process would)."""
    import fcntl

    fd = os.open(ws.paths.apply_lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def two_file_draft(draft_id: str = "two") -> dict:
    """Edits src/checkout.py and creates src/money.py."""
    body = draft(draft_id)
    body["edits"] = [
        range_edit(
            "src/checkout.py", 12, 4, "return cart.total()", "return round(cart.total(), 2)"
        ),
        {"path": "src/money.py", "create": True, "text": "CENTS = 100\n"},
    ]
    return body


# -- apply_on_disk -----------------------------------------------------------------------------


def test_apply_on_disk_writes_logs_records_and_retires(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    applied = apply_on_disk(ws, "d", T0, BY)
    assert applied == Applied("d", ["src/checkout.py"])
    assert checkout(ws) == NEW_PAY
    entries, problems = read_entries(ws.paths.source_log)
    assert problems == [] and len(entries) == 1
    (entry,) = entries
    assert (entry.draft, entry.accepted_by, entry.at, entry.files) == (
        "d",
        BY,
        T0,
        ["src/checkout.py"],
    )
    outcome = ws.load_state().outcomes["d"]
    assert (outcome.outcome, outcome.by, outcome.at, outcome.sourced) == ("applied", BY, T0, True)
    assert not (ws.paths.drafts / "d.json").exists()
    assert not ws.paths.apply_journal.exists()
    assert lock_is_free(ws)


def test_apply_on_disk_edits_and_creates_several_files(tmp_path: Path):
    ws = workspace(tmp_path / "ws", two_file_draft())
    applied = apply_on_disk(ws, "two", T0, BY)
    assert applied == Applied("two", ["src/checkout.py", "src/money.py"])
    assert (ws.root / "src" / "money.py").read_text() == "CENTS = 100\n"
    assert checkout(ws) == NEW_PAY


def test_apply_on_disk_deletes_a_file(tmp_path: Path):
    body = draft("del")
    body["edits"] = [{"path": "docs/typing.md", "delete": True}]
    ws = workspace(tmp_path / "ws", body)
    assert apply_on_disk(ws, "del", T0, BY) == Applied("del", ["docs/typing.md"])
    assert not (ws.root / "docs" / "typing.md").exists()


def test_apply_on_disk_refuses_what_the_gate_refuses_and_changes_nothing(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("low", confidence=0.5))
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "low", T0, BY)
    assert str(caught.value) == "0.50 < floor 0.65"
    assert checkout(ws) == CHECKOUT
    assert not ws.paths.source_log.exists()
    assert "low" not in ws.load_state().outcomes
    assert not ws.paths.apply_journal.exists() and lock_is_free(ws)


def test_apply_on_disk_sees_a_draft_added_after_the_workspace_was_loaded(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    write_draft(ws.root, draft("late"))
    assert apply_on_disk(ws, "late", T0, BY).draft == "late"


def test_apply_on_disk_sees_an_outcome_another_door_recorded_since(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    other = StitchWorkspace(ws.root)
    other.load_state()
    other.load_config()
    other.scan_drafts(T0)
    other.reject("d", "not now", "lead@example.com", T0, door="terminal")
    write_draft(ws.root, draft("d"))  # the agent writes it again
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "d", T0, BY)
    assert str(caught.value) == "draft 'd' was already rejected"
    assert checkout(ws) == CHECKOUT


def test_apply_on_disk_honours_the_stream_cap_without_a_snapshot(tmp_path: Path):
    from gitrepos import STREAM_TEAM, commit_on

    root = tmp_path / "ws"
    make_workspace(root, STREAM_TEAM)
    for name in ("a", "b", "c"):
        commit_on(root, f"stream/checkout/{name}", "docs/typing.md", "# Typing", f"# {name}", name)
    write_draft(root, draft("third", stream="checkout/c"))
    write_draft(root, draft("first", stream="checkout/a"))
    ws = StitchWorkspace(root)
    ws.load_state()
    ws.load_config()
    assert ws.streams is None
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "third", T0, BY)
    assert str(caught.value) == "stream checkout/c is over the cap of 2 for feature checkout"
    assert ws.streams is not None  # loaded for the check
    assert apply_on_disk(ws, "first", T0, BY).draft == "first"


def test_apply_on_disk_refuses_a_symlinked_source_log_before_writing(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_text("")
    ws.paths.source_log.symlink_to(elsewhere)
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "d", T0, BY)
    assert str(caught.value) == (
        f"{ws.paths.source_log} is not a regular file (a symlink?): nothing applied"
    )
    assert checkout(ws) == CHECKOUT and elsewhere.read_text() == ""
    assert lock_is_free(ws)


def test_apply_on_disk_refuses_a_symlinked_drafts_folder(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    (tmp_path / "elsewhere").mkdir()
    for child in ws.paths.drafts.iterdir():
        child.rename(tmp_path / "elsewhere" / child.name)
    ws.paths.drafts.rmdir()
    ws.paths.drafts.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "d", T0, BY)
    assert str(caught.value) == f"{ws.paths.drafts} is a symlink: Stitch writes nothing through it"
    assert checkout(ws) == CHECKOUT


def test_an_edit_of_a_file_that_is_gone_is_refused(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    (ws.root / "src" / "checkout.py").unlink()
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "d", T0, BY)
    assert str(caught.value) == "stale: src/checkout.py: the file does not exist"
    assert not ws.paths.source_log.exists()


def test_a_folder_where_the_target_was_is_refused_with_its_path(tmp_path: Path):
    body = draft("big")
    body["edits"] = [{"path": "docs/typing.md", "delete": True}]
    ws = workspace(tmp_path / "ws", body)
    (ws.root / "docs" / "typing.md").unlink()
    (ws.root / "docs" / "typing.md").mkdir()  # a folder where the file was
    with pytest.raises(Refused) as caught:
        apply_on_disk(ws, "big", T0, BY)
    assert str(caught.value) == "stale: docs/typing.md: typing.md is not a regular file"
    assert (ws.root / "docs" / "typing.md").is_dir()


def test_apply_on_disk_waits_for_the_lock(tmp_path: Path):
    """A held apply lock (another door's check-and-commit) is waited for, not skipped."""
    import threading

    ws = workspace(tmp_path / "ws", draft("d"))
    done = threading.Event()
    with locked(ws.paths.apply_lock):
        worker = threading.Thread(target=lambda: (apply_on_disk(ws, "d", T0, BY), done.set()))
        worker.start()
        assert not done.wait(0.5)
        assert checkout(ws) == CHECKOUT
    worker.join(10)
    assert done.is_set() and checkout(ws) == NEW_PAY


# -- recover -------------------------------------------------------------------------------------


def journal_of(ws: StitchWorkspace, draft_id: str, door: str = "disk") -> dict:
    """The journal an apply of `draft_id` writes before any file changes (taken from a real
    editor apply's `begin`)."""
    apply = EditorApply(ws)
    apply.begin(draft_id, {}, T0, BY)
    data = json.loads(ws.paths.apply_journal.read_text())
    apply.abandon()
    data["door"] = door
    ws.paths.apply_journal.write_text(json.dumps(data))
    return data


def test_recover_without_a_journal_does_nothing(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    assert recover(ws) is None
    assert (ws.paths.drafts / "d.json").exists()


def test_a_journal_whose_changes_never_landed_is_dropped_and_the_draft_stays(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    journal = journal_of(ws, "d")
    assert journal["version"] == 1 and journal["by"] == BY and journal["draft"]["id"] == "d"
    assert journal["entry"]["draft"] == "d"
    assert journal["files"] == {"src/checkout.py": [CHECKOUT, NEW_PAY]}
    assert recover(ws) == "draft d: an interrupted apply changed nothing; it stays pending"
    assert not ws.paths.apply_journal.exists()
    assert checkout(ws) == CHECKOUT
    assert (ws.paths.drafts / "d.json").exists()
    assert "d" not in ws.load_state().outcomes
    assert not ws.paths.source_log.exists()


def test_a_disk_apply_cut_after_one_file_is_finished_and_logged(tmp_path: Path):
    ws = workspace(tmp_path / "ws", two_file_draft())
    journal_of(ws, "two", door="disk")
    (ws.root / "src" / "money.py").write_text("CENTS = 100\n")  # the first file landed
    note = recover(ws)
    assert note == "draft two: an interrupted apply was finished and logged"
    assert checkout(ws) == NEW_PAY  # the rest written
    entries, _ = read_entries(ws.paths.source_log)
    assert [(e.draft, e.at, e.accepted_by) for e in entries] == [("two", T0, BY)]
    assert ws.load_state().outcomes["two"].outcome == "applied"
    assert not (ws.paths.drafts / "two.json").exists()
    assert not ws.paths.apply_journal.exists()


def test_an_editor_apply_is_accepted_only_when_the_editor_wrote_all_of_it(tmp_path: Path):
    """A crash between the editor's apply and its answer: the files are the editor's to
    write. Half of it on disk and its session gone: not kept (the other half died with the
    buffers), logged as such; all of it on disk: kept, logged as accepted."""
    ws = workspace(tmp_path / "ws", two_file_draft())
    journal_of(ws, "two", door="editor")
    (ws.root / "src" / "money.py").write_text("CENTS = 100\n")
    assert recover(ws, T0) == (
        "draft two: an interrupted apply from the editor: draft two: not kept (the editor "
        "session ended before it was saved); back in the inbox"
    )
    assert checkout(ws) == CHECKOUT  # the editor wrote what it wrote; Stitch writes no more
    assert "two" not in ws.load_state().outcomes and "two" not in ws.state.unsaved
    log = read_log(ws.paths.source_log)
    assert log.accepted == [] and [(n.draft, n.what) for n in log.not_kept] == [
        ("two", "the editor session ended before it was saved")
    ]
    assert (ws.paths.drafts / "two.json").exists()  # back in the inbox

    ws = workspace(tmp_path / "all", two_file_draft())
    journal_of(ws, "two", door="editor")
    (ws.root / "src" / "money.py").write_text("CENTS = 100\n")
    (ws.root / "src" / "checkout.py").write_text(NEW_PAY)
    assert recover(ws, T0) == (
        "draft two: an interrupted apply from the editor: draft two: saved, logged as accepted"
    )
    assert ws.load_state().outcomes["two"].outcome == "applied"
    [entry] = read_entries(ws.paths.source_log)[0]
    assert entry.at == T0 and entry.range_hashes  # kept when seen on disk, known by its text


def test_a_file_a_human_changed_since_is_not_overwritten_by_the_finish(tmp_path: Path):
    ws = workspace(tmp_path / "ws", two_file_draft())
    journal_of(ws, "two", door="disk")
    (ws.root / "src" / "money.py").write_text("CENTS = 100\n")
    (ws.root / "src" / "checkout.py").write_text("# typed by a human\n")
    recover(ws)
    assert checkout(ws) == "# typed by a human\n"


def test_an_apply_already_logged_is_not_logged_twice(tmp_path: Path):
    from stitch_ls.core.drafts.model import SourceLogEntry
    from stitch_ls.core.record.sourcelog import append_entry

    ws = workspace(tmp_path / "ws", draft("d"))
    journal = journal_of(ws, "d")
    (ws.root / "src" / "checkout.py").write_text(NEW_PAY)
    append_entry(ws.paths.source_log, SourceLogEntry.from_data(journal["entry"]))  # then: crash
    assert recover(ws) == "draft d: an interrupted apply was finished and logged"
    entries, _ = read_entries(ws.paths.source_log)
    assert [e.draft for e in entries] == ["d"]
    assert ws.load_state().outcomes["d"].outcome == "applied"


def test_an_entry_for_the_same_id_at_another_time_does_not_count_as_logged(tmp_path: Path):
    from stitch_ls.core.drafts.model import SourceLogEntry
    from stitch_ls.core.record.sourcelog import append_entry

    ws = workspace(tmp_path / "ws", draft("d"))
    journal = journal_of(ws, "d")
    (ws.root / "src" / "checkout.py").write_text(NEW_PAY)
    earlier = dict(journal["entry"], at=(T0 - timedelta(days=1)).isoformat())
    append_entry(ws.paths.source_log, SourceLogEntry.from_data(earlier))
    recover(ws)
    entries, _ = read_entries(ws.paths.source_log)
    assert [(e.draft, e.at) for e in entries] == [("d", T0 - timedelta(days=1)), ("d", T0)]


def test_an_apply_already_recorded_only_loses_its_file_and_journal(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    journal_of(ws, "d")
    apply_on_disk(ws, "d", T0, BY)  # everything happened; only the journal came back
    journal_of_text = json.dumps(
        {
            "version": 1,
            "door": "disk",
            "by": BY,
            "draft": json.loads(json.dumps(draft("d"))),
            "entry": read_entries(ws.paths.source_log)[0][0].to_data(),
            "files": {"src/checkout.py": [CHECKOUT, NEW_PAY]},
        },
        default=str,
    )
    ws.paths.apply_journal.write_text(journal_of_text)
    write_draft(ws.root, draft("d"))  # and the draft file, as if not yet retired
    assert recover(ws) == "draft d: an interrupted apply was finished and logged"
    entries, _ = read_entries(ws.paths.source_log)
    assert [e.draft for e in entries] == ["d"]  # not logged again
    assert not (ws.paths.drafts / "d.json").exists()
    assert not ws.paths.apply_journal.exists()


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"version": 1}',
        '{"draft": {}, "entry": {}, "files": {}, "by": "x"}',
    ],
)
def test_an_unreadable_journal_is_dropped_and_said(tmp_path: Path, text: str):
    ws = workspace(tmp_path / "ws", draft("d"))
    ws.paths.apply_journal.parent.mkdir(parents=True, exist_ok=True)
    ws.paths.apply_journal.write_text(text)
    note = recover(ws)
    assert note is not None and note.startswith("an unreadable apply journal was dropped (")
    assert not ws.paths.apply_journal.exists()
    assert checkout(ws) == CHECKOUT and (ws.paths.drafts / "d.json").exists()


def test_recover_removes_the_temp_files_a_crash_left_beside_the_targets(tmp_path: Path):
    ws = workspace(tmp_path / "ws", two_file_draft())
    journal_of(ws, "two")
    torn = [ws.root / "src" / ".checkout.py.123.abcd.tmp", ws.root / "src" / ".money.py.9.ff.tmp"]
    for temp in torn:
        temp.write_text("half a wri")
    kept = ws.root / "src" / ".other.py.1.2.tmp"
    kept.write_text("not ours to touch")
    assert recover(ws) == "draft two: an interrupted apply changed nothing; it stays pending"
    assert not any(temp.exists() for temp in torn)
    assert kept.read_text() == "not ours to touch"


# -- EditorApply ---------------------------------------------------------------------------------


def test_begin_checks_against_the_editors_text_and_holds_the_lock_until_finish(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    apply = EditorApply(ws)
    typed = CHECKOUT.replace("class Cart:", "class Cart:  # typed")
    found, plan = apply.begin("d", {"src/checkout.py": typed}, T0, BY)
    assert found.id == "d" and [e.path for e in plan.edits] == ["src/checkout.py"]
    journal = json.loads(ws.paths.apply_journal.read_text())
    assert journal["door"] == "editor"
    assert journal["files"]["src/checkout.py"][0] == typed  # the buffer, not the disk
    assert not lock_is_free(ws)
    settled = apply.finish(True, T0)
    # in the buffer, not on disk: waiting to be saved, not accepted
    assert settled == Settled("d", None, None, ["src/checkout.py"])
    assert lock_is_free(ws) and not ws.paths.apply_journal.exists()
    state = ws.load_state()
    assert "d" not in state.outcomes and state.unsaved["d"].by == BY
    assert not ws.paths.source_log.exists()
    assert checkout(ws) == CHECKOUT  # the editor writes the files, not this
    assert (ws.paths.drafts / "d.json").exists()


def test_an_edit_the_editor_did_not_apply_records_nothing(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    apply = EditorApply(ws)
    apply.begin("d", {}, T0, BY)
    assert apply.finish(False, T0) is None
    assert lock_is_free(ws) and not ws.paths.apply_journal.exists()
    assert "d" not in ws.load_state().outcomes
    assert not ws.paths.source_log.exists()
    assert (ws.paths.drafts / "d.json").exists()
    with pytest.raises(Refused) as caught:
        apply.finish(True, T0)  # nothing in flight any more
    assert str(caught.value) == "no apply is in progress"


def test_finish_without_begin_is_refused(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    with pytest.raises(Refused) as caught:
        EditorApply(ws).finish(True, T0)
    assert str(caught.value) == "no apply is in progress"


def test_a_refused_begin_releases_the_lock_and_writes_no_journal(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("low", confidence=0.5))
    apply = EditorApply(ws)
    with pytest.raises(Refused) as caught:
        apply.begin("low", {}, T0, BY)
    assert str(caught.value) == "0.50 < floor 0.65"
    assert lock_is_free(ws) and not ws.paths.apply_journal.exists()
    with pytest.raises(Refused):
        apply.finish(True, T0)


def test_a_stale_buffer_is_refused_at_begin(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    typed = CHECKOUT.replace("return cart.total()", "return cart.sum()")
    with pytest.raises(Refused) as caught:
        EditorApply(ws).begin("d", {"src/checkout.py": typed}, T0, BY)
    assert str(caught.value) == "stale: src/checkout.py: the expected text is not in the file"
    assert lock_is_free(ws) and not ws.paths.apply_journal.exists()


def test_abandon_leaves_the_journal_for_recover_and_frees_the_lock(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    apply = EditorApply(ws)
    apply.begin("d", {}, T0, BY)
    apply.abandon()
    assert lock_is_free(ws) and ws.paths.apply_journal.exists()
    apply.abandon()  # twice is harmless
    with pytest.raises(Refused):
        apply.finish(True, T0)
    # the editor did write it after all: the next holder of the lock records it
    (ws.root / "src" / "checkout.py").write_text(NEW_PAY)
    assert recover(ws) == (
        "draft d: an interrupted apply from the editor: draft d: saved, logged as accepted"
    )


def test_a_second_begin_abandons_the_first(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"), draft("e", title="E"))
    apply = EditorApply(ws)
    apply.begin("d", {}, T0, BY)
    # the first apply's answer never came: its journal changed nothing, so it is dropped
    _, plan = apply.begin("e", {}, T0, BY)
    assert json.loads(ws.paths.apply_journal.read_text())["draft"]["id"] == "e"
    apply.finish(True, T0)
    assert set(ws.load_state().unsaved) == {"e"} and not ws.state.outcomes
    assert lock_is_free(ws)


def test_begin_finishes_an_interrupted_apply_first(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"), draft("e", title="E"))
    journal_of(ws, "d", door="disk")
    (ws.root / "src" / "checkout.py").write_text(NEW_PAY)  # d landed; the crash came after
    apply = EditorApply(ws)
    with pytest.raises(Refused) as caught:  # e edits the same line, which d changed
        apply.begin("e", {}, T0, BY)
    assert str(caught.value) == "stale: src/checkout.py: the expected text is not in the file"
    assert ws.load_state().outcomes["d"].outcome == "applied"
    assert lock_is_free(ws)


# -- a crash in the middle of apply_on_disk, then recover ------------------------------------


class Crash(BaseException):
    """Stands in for the process dying (not an Exception: nothing may catch it)."""


def crash_after_writes(monkeypatch, writes: int) -> None:
    import stitch_ls.core.operations as operations

    real = operations._set_file
    done = []

    def set_file(root, path, text):
        if len(done) == writes:
            raise Crash
        real(root, path, text)
        done.append(path)

    monkeypatch.setattr(operations, "_set_file", set_file)


def test_a_disk_apply_that_died_half_way_is_finished_by_the_next_holder(tmp_path, monkeypatch):
    body = two_file_draft()
    ws = workspace(tmp_path / "ws", body)
    crash_after_writes(monkeypatch, 1)
    with pytest.raises(Crash):
        apply_on_disk(ws, "two", T0, BY)
    journal = json.loads(ws.paths.apply_journal.read_text())
    assert (journal["version"], journal["door"], journal["by"]) == (1, "disk", BY)
    assert journal["files"] == {
        "src/checkout.py": [CHECKOUT, NEW_PAY],
        "src/money.py": [None, "CENTS = 100\n"],  # created: there was no file before
    }
    assert checkout(ws) == NEW_PAY and not (ws.root / "src" / "money.py").exists()
    assert not ws.paths.source_log.exists()  # applied-but-unlogged, until recovered
    monkeypatch.undo()
    later = StitchWorkspace(ws.root)  # a new process
    later.load_state()
    later.load_config()
    later.scan_drafts(T0 + timedelta(hours=1))
    assert recover(later) == "draft two: an interrupted apply was finished and logged"
    assert (ws.root / "src" / "money.py").read_text() == "CENTS = 100\n"
    outcome = later.load_state().outcomes["two"]
    assert (outcome.outcome, outcome.by, outcome.at) == ("applied", BY, T0)
    entries, _ = read_entries(ws.paths.source_log)
    assert [(e.draft, e.accepted_by, e.at) for e in entries] == [("two", BY, T0)]


def test_a_disk_apply_that_died_before_any_write_leaves_the_draft_pending(tmp_path, monkeypatch):
    ws = workspace(tmp_path / "ws", draft("d"))
    crash_after_writes(monkeypatch, 0)
    with pytest.raises(Crash):
        apply_on_disk(ws, "d", T0, BY)
    monkeypatch.undo()
    assert apply_on_disk(ws, "d", T0, BY) == Applied("d", ["src/checkout.py"])  # recovers first
    entries, _ = read_entries(ws.paths.source_log)
    assert [e.draft for e in entries] == ["d"]


def test_an_interrupted_delete_that_landed_is_recorded(tmp_path: Path):
    body = draft("del")
    body["edits"] = [{"path": "docs/typing.md", "delete": True}]
    ws = workspace(tmp_path / "ws", body)
    journal = journal_of(ws, "del")
    assert journal["files"] == {"docs/typing.md": ["# Typing\n", None]}
    (ws.root / "docs" / "typing.md").unlink()
    assert recover(ws) == "draft del: an interrupted apply was finished and logged"
    assert ws.load_state().outcomes["del"].outcome == "applied"


SYMBOL_PAY = {
    "path": "src/checkout.py",
    "symbol": "pay",
    "expect": "def pay(cart):\n    return cart.total()",
    "text": "def pay(cart):\n    return round(cart.total(), 2)",
}


def test_symbol_edits_are_placed_by_parsing_on_either_door(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("disk", edits=[SYMBOL_PAY]))
    assert apply_on_disk(ws, "disk", T0, BY) == Applied("disk", ["src/checkout.py"])
    assert checkout(ws) == NEW_PAY
    ws = workspace(tmp_path / "other", draft("editor", edits=[SYMBOL_PAY]))
    moved = "# a line the engineer typed\n" + CHECKOUT
    _, plan = EditorApply(ws).begin("editor", {"src/checkout.py": moved}, T0, BY)
    (edit,) = plan.edits
    assert (edit.start, edit.end) == ((12, 0), (13, 23))  # a line down, where pay is now
