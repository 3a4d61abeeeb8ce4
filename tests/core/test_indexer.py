"""The indexer's calls in-process, and the view the language server keeps of them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stitch_ls.core.drafts.gate import GateContext, ReadOnly
from stitch_ls.core.drafts.index import DraftView, ScanResult
from stitch_ls.core.errors import Refused
from stitch_ls.indexer.process import Indexer
from workspaces import draft, make_workspace, range_edit, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CHECKOUT = "src/checkout.py"


def other(draft_id: str) -> dict:
    body = draft(draft_id)
    body["edits"] = [range_edit("src/other.py", 0, 0, "x = 1", "x = 2")]
    return body


def loaded(tmp_path: Path) -> tuple[Indexer, Path]:
    root = make_workspace(tmp_path / "ws")
    (root / "src" / "other.py").write_text("x = 1\n")
    write_draft(root, draft("a"))
    write_draft(root, other("b"))
    indexer = Indexer(root)
    delta = indexer.load(T0)
    assert sorted(delta.result.added) == ["a", "b"]
    assert delta.records == []  # nothing is open yet: no draft is sent
    return indexer, root


def test_only_drafts_of_watched_paths_are_sent(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    assert [r.id for r in indexer.watch(frozenset({CHECKOUT}))] == ["a"]
    assert indexer.watch(frozenset({CHECKOUT})) == []  # nothing newly watched

    write_draft(root, draft("c", title="new"))
    write_draft(root, other("d"))
    folder = root / ".stitch" / "drafts"
    delta = indexer.reload({folder / "c.json", folder / "d.json"}, T0)
    assert sorted(delta.result.added) == ["c", "d"]
    assert [r.id for r in delta.records] == ["c"]  # d is on a file no editor shows

    (folder / "a.json").unlink()
    delta = indexer.reload({folder / "a.json"}, T0)
    assert delta.result.removed == ["a"] and delta.records == []


def test_broken_files_are_sent_when_they_change_and_not_again(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    bad = root / ".stitch" / "drafts" / "bad.json"
    bad.write_text("{not json")
    delta = indexer.reload({bad}, T0)
    assert [r.file.name for r in delta.invalid or []] == ["bad.json"]
    write_draft(root, other("e"))
    delta = indexer.reload({root / ".stitch" / "drafts" / "e.json"}, T0)
    assert delta.invalid is None  # the same broken files as last sent


def test_unsourced_arrivals_are_counted_and_said(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    path = write_draft(root, draft("u", sources=[]))
    delta = indexer.reload({path}, T0)
    assert delta.state is not None and "u" in delta.state.unsourced_arrivals
    path = write_draft(root, draft("s"))
    assert indexer.reload({path}, T0).state is None  # nothing written: nothing sent


def test_state_and_team_file_are_sent_when_read_or_written(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    fresh = Indexer(root).load(T0)
    assert fresh.state is not None and fresh.team is not None  # a load sends everything
    config = root / ".stitch" / "config.toml"
    config.write_text("[agents]\nconfidence_floor = 0.9\n")
    delta = indexer.reload({config}, T0)
    assert delta.reloaded is not None and delta.reloaded.config and delta.state is None
    source = delta.team
    assert source.team.agents.confidence_floor == 0.9 and source.problems == ()
    config.write_text("[agents]\nconfidence_floor = 2\n")
    source = indexer.reload({config}, T0).team
    assert source.origin == "HEAD" and source.team.agents.confidence_floor == 0.65  # committed
    assert "confidence_floor" in source.problems[0].message


def test_changes_answer_refusals_and_send_what_they_changed(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    with pytest.raises(Refused, match="needs a reason"):
        indexer.set_read_only(True, "  ", "dev", T0)
    delta = indexer.set_read_only(True, "reviewing", "dev", T0)
    assert delta.state is not None and delta.state.read_only.on
    delta = indexer.reject("a", "wrong", "dev", T0)
    assert delta.result.removed == ["a"] and delta.state.outcomes["a"].outcome == "rejected"
    assert not (root / ".stitch" / "drafts" / "a.json").exists()
    with pytest.raises(Refused, match="already rejected"):
        indexer.reject("a", "again", "dev", T0)


def test_only_the_declared_calls_are_answered_each_as_its_entry_says(tmp_path: Path):
    from stitch_ls.indexer.api import CALLS, IndexerApi, Mode
    from stitch_ls.indexer.process import answer

    indexer, _ = loaded(tmp_path)
    assert answer(indexer, 1, "load_config", ()).kind == "failed"  # a workspace method, not a call
    assert answer(indexer, 2, "__init__", (tmp_path,)).kind == "failed"
    refused = answer(indexer, 3, "set_read_only", (True, " ", "dev", T0))
    assert refused.kind == "refused" and "needs a reason" in str(refused.value)
    assert answer(indexer, 4, "record", ("a",)).value.id == "a"
    assert answer(indexer, 5, "record", ("nope",)) == (5, "ok", None)  # not found: an answer
    # every entry is implemented, and how each runs is declared where it is typed
    assert all(callable(getattr(indexer, name)) for name in CALLS)
    assert CALLS["counts"].mode is Mode.BACKGROUND and CALLS["verify"].mode is Mode.ALONE
    assert CALLS["load"].mode is Mode.IN_ORDER and CALLS["record"].timeout is None
    assert set(CALLS) == {
        n for n in vars(IndexerApi) if not n.startswith("_") and callable(getattr(IndexerApi, n))
    }


def test_counts_follow_the_context_they_are_given(tmp_path: Path):
    indexer, _ = loaded(tmp_path)
    open_ctx = GateContext(False, ReadOnly(False), 0.65, "team file", ())
    counts = indexer.counts(T0, open_ctx)
    assert counts["pending"] == 2 and counts["actionable"] == 2
    read_only = GateContext(False, ReadOnly(True, "you", T0, "reviewing"), 0.65, "team", ())
    assert indexer.counts(T0, read_only)["actionable"] == 0


def test_summaries_read_the_open_buffers_not_the_disk(tmp_path: Path):
    indexer, _ = loaded(tmp_path)
    ctx = GateContext(False, ReadOnly(False), 0.65, "team file", ())
    on_disk = {s["id"]: s["gate"] for s in indexer.summaries(ctx, {}, None, 10).rows}
    assert on_disk == {"a": "actionable", "b": "actionable"}
    edited = {"src/other.py": "y = 1\n"}  # the buffer no longer holds what b expects
    [b] = indexer.summaries(ctx, edited, "src/other.py", 10).rows
    assert b["id"] == "b" and b["gate"] == "stale"
    first = indexer.summaries(ctx, {}, None, 1)
    assert len(first.rows) == 1 and (first.total, first.left_out) == (2, 1)


def test_view_keeps_what_is_shown_and_drops_what_moved(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    view = DraftView()
    paths = frozenset({CHECKOUT})
    view.watch(paths, indexer.watch(paths))
    assert list(view.by_path) == [CHECKOUT] and list(view.by_id) == ["a"]

    moved = draft("a")
    moved["edits"] = [range_edit("src/other.py", 0, 0, "x = 1", "x = 3")]
    path = write_draft(root, moved)
    delta = indexer.reload({path}, T0)
    view.adopt(delta.result, delta.records)
    assert view.by_id == {} and view.by_path == {}  # a left the open file: out of the view

    b = indexer.record("b")
    assert b is not None
    view.keep(b)  # asked for by id (a command on a draft whose file is not open)
    assert view.by_path == {"src/other.py": [b]}
    assert view.update([b.file]) == ScanResult(removed=["b"])
    view.watch(frozenset(), [])
    assert view.records() == []


def test_answers_go_only_to_this_workspaces_prompts(tmp_path: Path):
    indexer, root = loaded(tmp_path)
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}")
    with pytest.raises(Refused, match="not a prompt of this workspace"):
        indexer.answer(outside, "yes", "dev", T0)
    assert outside.read_text() == "{}"
