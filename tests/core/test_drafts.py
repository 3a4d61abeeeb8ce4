"""Drafts: the schema's limits, loading a folder of agent-written files, and anchoring."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from stitch_ls.core.drafts.anchor import plan_draft
from stitch_ls.core.drafts.index import DraftIndex, parse_draft_text
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.syntax import lookup_symbol
from workspaces import CHECKOUT, draft, write_draft


def find_symbol(path: str, text: str, name: str):
    return lookup_symbol(path, text, name)


def reader(files: dict[str, str]):
    return lambda path: files.get(path)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"confidence": 1.7}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"id": "../evil"}, "id"),
        ({"id": "x" * 129}, "id"),
        ({"edits": []}, "edits"),
        ({"version": 2}, "version"),
        ({"created": "2026-11-28T09:12:00"}, "created"),
        ({"surprise": 1}, "unknown field"),
    ],
)
def test_invalid_drafts_name_the_field(change, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_draft_text(json.dumps(draft("d1", **change)))


def test_nan_confidence_is_refused():
    text = json.dumps(draft("d1")).replace("0.82", "NaN")
    assert math.isnan(json.loads(text)["confidence"])
    with pytest.raises(ValueError, match="confidence"):
        parse_draft_text(text)


@pytest.mark.parametrize(
    "path",
    [
        "../outside.py",
        "/etc/passwd",
        "src/../../x",
        ".git/config",
        ".stitch/state.json",
        "a\\b",
        "C:x",
    ],
)
def test_hostile_paths_are_refused(path):
    body = draft("d1")
    body["edits"][0]["path"] = path
    with pytest.raises(ValueError, match="edits.0.path"):
        parse_draft_text(json.dumps(body))


def test_edit_kinds_are_exclusive():
    body = draft("d1")
    body["edits"] = [{"path": "a.py", "create": True, "delete": True}]
    with pytest.raises(ValueError, match="exactly one"):
        parse_draft_text(json.dumps(body))
    body["edits"] = [{"path": "a.py", "range": body_range(), "text": "x"}]
    with pytest.raises(ValueError, match="expect"):
        parse_draft_text(json.dumps(body))


def body_range():
    return {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}}


def test_truncated_json_is_one_clear_error():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_draft_text(json.dumps(draft("d1"))[:-20])


def test_index_keeps_good_drafts_beside_broken_ones(tmp_path: Path):
    (tmp_path / ".stitch" / "drafts").mkdir(parents=True)
    write_draft(tmp_path, draft("good"))
    write_draft(tmp_path, draft("dup"), name="a.json")
    write_draft(tmp_path, draft("dup"), name="b.json")
    (tmp_path / ".stitch" / "drafts" / "broken.json").write_text('{"id": "broken", ')
    (tmp_path / ".stitch" / "drafts" / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    index = DraftIndex(tmp_path / ".stitch" / "drafts")
    result = index.scan()
    assert len(result.added) == 5
    assert index.by_id["good"].draft is not None
    assert index.by_id["dup"].draft is not None
    assert "duplicate id 'dup'" in index.by_id["dup@b.json"].error
    assert "not valid JSON" in index.by_id["broken"].error
    assert "not UTF-8" in next(r for r in index.records() if r.file.name == "binary.json").error
    assert {r.id for r in index.by_path["src/checkout.py"]} >= {"good", "dup"}


def test_index_rescans_only_what_changed(tmp_path: Path):
    (tmp_path / ".stitch" / "drafts").mkdir(parents=True)
    path = write_draft(tmp_path, draft("one"))
    index = DraftIndex(tmp_path / ".stitch" / "drafts")
    index.scan()
    assert not index.scan().any
    path.write_text(json.dumps(draft("one", title="Changed title")))
    assert index.scan().changed == ["one"]
    assert index.by_id["one"].title == "Changed title"
    path.unlink()
    assert index.scan().removed == ["one"]
    assert index.by_id == {}


def test_update_reads_only_the_named_files(tmp_path: Path):
    folder = tmp_path / ".stitch" / "drafts"
    folder.mkdir(parents=True)
    one = write_draft(tmp_path, draft("one"))
    index = DraftIndex(folder)
    index.scan()
    two = write_draft(tmp_path, draft("two"))
    one.write_text(json.dumps(draft("one", title="Changed title")))
    # only `two` was named: `one`'s change waits for its own event (or a full scan)
    assert index.update([folder / "two.json"]).added == ["two"]
    assert index.by_id["one"].title == "Draft one"
    result = index.update(folder / n for n in ["one.json", "two.json", ".hidden.json", "notes.txt"])
    assert result.changed == ["one"] and not result.added and not result.removed
    assert index.by_id["one"].title == "Changed title"
    (folder / "dir.json").mkdir()  # not a file: never a draft
    two.unlink()
    result = index.update(folder / n for n in ["two.json", "dir.json", "never-existed.json"])
    assert result.removed == ["two"] and not result.added
    assert set(index.by_id) == {"one"}
    assert {r.id for r in index.by_path["src/checkout.py"]} == {"one"}


def test_range_edit_applies_where_expected():
    plan = plan_draft(
        Draft.from_data(draft("d")), reader({"src/checkout.py": CHECKOUT}), find_symbol
    )
    assert plan.ok
    assert plan.edits[0].start == (12, 4) and not plan.edits[0].reanchored


def test_moved_text_is_reanchored_when_unique():
    moved = "# a new comment line\n" + CHECKOUT
    plan = plan_draft(Draft.from_data(draft("d")), reader({"src/checkout.py": moved}), find_symbol)
    assert plan.ok and plan.edits[0].reanchored
    assert plan.edits[0].start == (13, 4)


def test_ambiguous_or_missing_text_is_stale():
    twice = CHECKOUT + "\n\ndef again(cart):\n    return cart.total()\n"
    twice = "\n" + twice
    plan = plan_draft(Draft.from_data(draft("d")), reader({"src/checkout.py": twice}), find_symbol)
    assert plan.stale == (
        "src/checkout.py: the expected text moved and could not be re-anchored: it occurs 2 times"
    )
    typed = CHECKOUT.replace("return cart.total()", "return cart.sum()")
    typed = "\n" + typed
    plan = plan_draft(Draft.from_data(draft("d")), reader({"src/checkout.py": typed}), find_symbol)
    assert plan.stale == "src/checkout.py: the expected text is not in the file"


def test_symbol_edit_is_anchored_by_tree_sitter():
    body = draft(
        "d",
        edits=[
            {
                "path": "src/checkout.py",
                "symbol": "Cart.total",
                "text": "def total(self):\n        return 0",
            }
        ],
    )
    shifted = "import os\n\n" + CHECKOUT
    plan = plan_draft(Draft.from_data(body), reader({"src/checkout.py": shifted}), find_symbol)
    assert plan.ok
    assert plan.edits[0].start == (9, 4)
    body["edits"][0]["symbol"] = "Cart.missing"
    plan = plan_draft(Draft.from_data(body), reader({"src/checkout.py": shifted}), find_symbol)
    assert "not found" in plan.stale


def test_create_and_delete_check_the_file():
    body = draft(
        "d",
        edits=[
            {"path": "new.py", "create": True, "text": "x = 1\n"},
            {"path": "old.py", "delete": True},
        ],
    )
    plan = plan_draft(Draft.from_data(body), reader({"old.py": "y"}), find_symbol)
    assert plan.ok and [e.kind for e in plan.edits] == ["create", "delete"]
    plan = plan_draft(Draft.from_data(body), reader({"old.py": "y", "new.py": ""}), find_symbol)
    assert "already exists" in plan.stale


def test_overlapping_edits_are_stale():
    body = draft("d")
    body["edits"] = [body["edits"][0], body["edits"][0]]
    plan = plan_draft(Draft.from_data(body), reader({"src/checkout.py": CHECKOUT}), find_symbol)
    assert "overlap" in plan.stale


def test_symbol_edit_text_is_relative_to_the_symbol_and_its_trailing_newline_normalised():
    from stitch_ls.core.drafts.edits import apply_text_edits

    expected = CHECKOUT.replace("return sum(self.items)", "return 0")

    def applied(text: str) -> str:
        body = draft("d", edits=[{"path": "src/checkout.py", "symbol": "Cart.total", "text": text}])
        plan = plan_draft(Draft.from_data(body), reader({"src/checkout.py": CHECKOUT}), find_symbol)
        assert plan.ok, plan.stale
        return apply_text_edits(CHECKOUT, [(e.start, e.end, e.text) for e in plan.edits])

    # as the README documents: written at column 0, indented to the symbol's place
    assert applied("def total(self):\n    return 0") == expected
    # a trailing newline leaves no blank line behind
    assert applied("def total(self):\n    return 0\n") == expected
    assert applied("def total(self):\n    return 0\n\n") == expected
    # copied as it stands in the file: taken as written
    assert applied("    def total(self):\n        return 0\n") == expected
