"""Plans placed by the anchor, compared whole: kind, range, text, what moved, and the reason
a draft is stale (written against surviving mutants, docs/testing.md)."""

from __future__ import annotations

import pytest

from stitch_ls.core.drafts import anchor
from stitch_ls.core.drafts.anchor import Plan, PlannedEdit, line_index, plan_draft
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.syntax import lookup_symbol
from workspaces import CHECKOUT, draft, range_edit

PATH = "src/checkout.py"


def find_symbol(path: str, text: str, name: str):
    assert text.startswith("def f") == (path == "other.py")  # looked for in its own file
    return lookup_symbol(path, text, name)


def plan(edits, files: dict[str, str | None]) -> Plan:
    return plan_draft(Draft.from_data(draft("d", edits=edits)), files.get, find_symbol)


def test_each_kind_is_planned_whole():
    edits = [
        range_edit(PATH, 12, 4, "return cart.total()", "return 0"),
        {"path": "new.py", "create": True, "text": "x = 1\n"},
        {"path": "empty.py", "create": True, "text": ""},
        {"path": "old.py", "delete": True},
        {"path": "other.py", "symbol": "f", "text": "def f():\n    return 2"},
    ]
    files = {PATH: CHECKOUT, "old.py": "y", "other.py": "def f():\n    return 1\n"}
    result = plan(edits, files)
    assert result == Plan(
        (
            PlannedEdit(PATH, "replace", (12, 4), (12, 23), "return 0"),
            PlannedEdit("new.py", "create", text="x = 1\n"),
            PlannedEdit("empty.py", "create", text=""),
            PlannedEdit("old.py", "delete"),
            PlannedEdit("other.py", "replace", (0, 0), (1, 12), "def f():\n    return 2"),
        )
    )
    assert result.ok


def find_any(path: str, text: str, name: str):
    return lookup_symbol(path, text, name)


def test_a_symbol_edit_matching_its_expect_replaces_the_symbol():
    body = draft(
        "d",
        edits=[
            {
                "path": PATH,
                "symbol": "pay",
                "expect": "def pay(cart):\n    return cart.total()",
                "text": "def pay(cart):\n    return 0",
            }
        ],
    )
    result = plan_draft(Draft.from_data(body), {PATH: CHECKOUT}.get, find_any)
    assert result.edits == (
        PlannedEdit(PATH, "replace", (11, 0), (12, 23), "def pay(cart):\n    return 0"),
    )
    body["edits"][0]["symbol"] = "nowhere"
    result = plan_draft(Draft.from_data(body), {PATH: CHECKOUT}.get, find_any)
    assert result.stale == f"{PATH}: symbol nowhere not found (or not unique)"


def test_a_range_edit_with_empty_expect_applies_only_where_it_says():
    edit = range_edit(PATH, 0, 0, "", "# header\n")
    assert plan([edit], {PATH: CHECKOUT}).edits == (
        PlannedEdit(PATH, "replace", (0, 0), (0, 0), "# header\n"),
    )
    edit["range"] = {"start": {"line": 99, "character": 0}, "end": {"line": 99, "character": 0}}
    assert plan([edit], {PATH: CHECKOUT}).stale == (
        f"{PATH}: the range is not where the draft expects it"
    )


def test_reanchored_edits_say_so_and_keep_their_length():
    moved = "\n\n" + CHECKOUT
    [edit] = plan([range_edit(PATH, 12, 4, "return cart.total()", "x")], {PATH: moved}).edits
    assert edit == PlannedEdit(PATH, "replace", (14, 4), (14, 23), "x", reanchored=True)


@pytest.mark.parametrize(
    ("edits", "files", "stale"),
    [
        (
            [{"path": "new.py", "create": True, "text": "x"}],
            {"new.py": ""},
            "new.py: the file it would create already exists",
        ),
        ([{"path": "old.py", "delete": True}], {}, "old.py: the file does not exist"),
        (
            [range_edit(PATH, 12, 4, "return cart.total()", "x")],
            {PATH: "\n" + CHECKOUT + "\nreturn cart.total()\n"},
            f"{PATH}: the expected text moved and could not be re-anchored: it occurs 2 times",
        ),
        (
            [
                {"path": "a.py", "create": True, "text": "x"},
                {"path": "b.py", "delete": True},
            ],
            {},
            "edit 2 (b.py): the file does not exist",
        ),
        (
            [
                {"path": "a.py", "delete": True},
                range_edit("a.py", 0, 0, "a", "b"),
            ],
            {"a.py": "a\n"},
            "a.py: a file is created or deleted and also edited",
        ),
        (
            [range_edit("a.py", 0, 0, "abc", "x"), range_edit("a.py", 0, 2, "c", "y")],
            {"a.py": "abc\n"},
            "a.py: two edits overlap",
        ),
    ],
)
def test_stale_reasons_are_exact(edits, files, stale):
    assert plan(edits, files).stale == stale


def test_touching_edits_do_not_overlap():
    edits = [range_edit("a.py", 0, 0, "ab", "x"), range_edit("a.py", 0, 2, "c", "y")]
    result = plan(edits, {"a.py": "abc\n"})
    assert result.ok and len(result.edits) == 2


def test_a_refused_read_makes_the_plan_stale_and_keeps_what_was_placed():
    def read(path: str):
        if path == "secret.py":
            raise ValueError("outside the workspace")
        return {"new.py": None}.get(path)

    body = draft(
        "d",
        edits=[
            {"path": "new.py", "create": True, "text": "x"},
            {"path": "secret.py", "delete": True},
        ],
    )
    result = plan_draft(Draft.from_data(body), read, find_symbol)
    assert result.stale == "secret.py: outside the workspace"
    assert result.edits == (PlannedEdit("new.py", "create", text="x"),)


def test_the_line_index_is_shared_per_text_and_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(anchor, "_RECENT", {})
    text = "a\nb\n"
    first = line_index(text)
    assert line_index(text) is first and first.text is text
    texts = [f"t{i}\n" for i in range(600)]
    for item in texts:
        line_index(item)
    assert len(anchor._RECENT) == 512
    assert id(texts[-1]) in anchor._RECENT and id(texts[0]) not in anchor._RECENT
    equal_but_other = "".join(["a\n", "b\n"])
    assert line_index(equal_but_other) is not first


def test_the_same_file_created_twice_is_a_conflict():
    edits = [
        {"path": "a.py", "create": True, "text": "x"},
        {"path": "a.py", "create": True, "text": "y"},
    ]
    assert plan(edits, {}).stale == "a.py: a file is created or deleted and also edited"


def test_an_edit_to_empty_text_deletes_the_range():
    [moved] = plan([range_edit("a.py", 0, 0, "zz", "")], {"a.py": "\nzz\n"}).edits
    assert moved == PlannedEdit("a.py", "replace", (1, 0), (1, 2), "", reanchored=True)
    [kept] = plan([range_edit("a.py", 0, 0, "zz", "")], {"a.py": "zz\n"}).edits
    assert kept == PlannedEdit("a.py", "replace", (0, 0), (0, 2), "")


def test_overlapping_copies_of_the_expected_text_are_ambiguous():
    # "aa" moved into "aaa": it occurs at 1 and at 2, overlapping
    result = plan([range_edit("a.py", 0, 0, "aa", "b")], {"a.py": "xaaa\n"})
    assert result.stale == (
        "a.py: the expected text moved and could not be re-anchored: it occurs 2 times"
    )


NESTED = """\
import os


class Outer:
    class Inner:
        def method(self):
            return 1
"""


def test_a_nested_symbol_edit_takes_the_symbols_indentation_on_later_lines():
    """The text reads at column 0; its later non-blank lines get the symbol's indentation
    (here 8 spaces, found on the symbol's own line), blank lines stay empty, and the
    trailing newlines (only those) are dropped."""
    text = "def method(self):\n    total = MAX  \n\n    return total\r\n\n"
    edit = {"path": "src/n.py", "symbol": "Outer.Inner.method", "text": text}
    (placed,) = plan([edit], {"src/n.py": NESTED}).edits
    assert placed.start == (5, 8)
    assert placed.text == (
        "def method(self):\n            total = MAX  \n\n            return total"
    )


def test_symbol_text_drops_only_trailing_newlines():
    assert anchor.symbol_text("x = MAX\n\n", "") == "x = MAX"
    assert anchor.symbol_text("x = 1  \r\n", "") == "x = 1  "
    assert anchor.symbol_text("def f():\n\n    pass\n", "  ") == "def f():\n\n      pass"
    assert anchor.symbol_text("  def f():\n    pass\n", "  ") == "def f():\n    pass"  # as written
