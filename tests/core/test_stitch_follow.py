"""Code one stream edits and another deletes, renames or moves is a stitch point that says
so: real repositories, two stream branches, what `check` and the editor read."""

from __future__ import annotations

from pathlib import Path

from test_stitch_conflicts import A, B, points, repo_with

from gitrepos import commit_on, git

PRICES = '''\
"""Prices."""


def net(amount):
    """The amount without tax."""
    total = amount
    total = total - amount * 0.2
    return round(total, 2)


def gross(amount):
    return amount * 1.2


def unrelated():
    return 0
'''


def by_symbol(root: Path, path: str) -> dict[str, object]:
    return {p.symbol: p for p in points(root, path)}


def test_a_symbol_edited_on_one_stream_and_deleted_on_the_other(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/prices.py": PRICES})
    commit_on(root, A, "src/prices.py", "* 0.2", "* 0.21", "a: tax rate")
    start = PRICES.index("def gross")
    gross = PRICES[start : PRICES.index("def unrelated")]
    commit_on(root, B, "src/prices.py", gross, "", "b: gross goes")
    commit_on(root, A, "src/prices.py", "* 1.2", "* 1.21", "a: gross too")
    found = by_symbol(root, "src/prices.py")
    point = found["gross"]
    assert point.streams == ("checkout/a", "checkout/b")
    assert point.note == "deleted on checkout/b"
    assert point.versions["checkout/b"] != point.versions["checkout/a"]
    assert "deleted on checkout/b" in point.describe()
    assert "unrelated" not in found and "net" not in found  # a's edit of net meets nothing


def test_a_symbol_renamed_on_one_stream_and_edited_on_the_other(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/prices.py": PRICES})
    commit_on(root, A, "src/prices.py", "* 0.2", "* 0.21", "a: tax rate")
    commit_on(root, B, "src/prices.py", "def net(amount):", "def net_price(amount):", "b: rename")
    point = by_symbol(root, "src/prices.py")["net"]
    assert point.streams == ("checkout/a", "checkout/b")
    assert point.note == "renamed to net_price on checkout/b"
    assert point.base_lines is not None and point.base_lines[0] == 3  # where net was


def test_a_rewrite_under_a_new_name_is_a_deletion_not_a_rename(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/prices.py": PRICES})
    commit_on(root, A, "src/prices.py", "* 0.2", "* 0.21", "a: tax rate")
    start = PRICES.index("def net")
    net = PRICES[start : PRICES.index("def gross")]
    rewrite = "def after_tax(x):\n    raise NotImplementedError\n\n\n"
    commit_on(root, B, "src/prices.py", net, rewrite, "b: rewrite")
    assert by_symbol(root, "src/prices.py")["net"].note == "deleted on checkout/b"


def test_a_file_edited_on_one_stream_and_moved_on_the_other(tmp_path: Path):
    root = repo_with(tmp_path / "ws", {"src/prices.py": PRICES})
    commit_on(root, A, "src/prices.py", "* 0.2", "* 0.21", "a: tax rate")
    git(root, "checkout", "-q", "-b", B, "main")
    (root / "src" / "money").mkdir()
    git(root, "mv", "src/prices.py", "src/money/prices.py")
    git(root, "commit", "-qm", "b: move")
    git(root, "checkout", "-q", "main")
    [point] = points(root, "src/prices.py")
    assert point.symbol == "whole file" and point.streams == ("checkout/a", "checkout/b")
    assert point.note == "renamed to src/money/prices.py on checkout/b"
