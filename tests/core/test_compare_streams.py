"""Each stream's version of a stitch point's file, side by side (issue 19): read from a real
git repository by the core, and through the indexer as the server asks for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitrepos import STREAM_TEAM, commit_on, git, stream_repo
from stitch_ls.core.errors import Refused
from stitch_ls.core.policy.config import load_team_config
from stitch_ls.core.vcs.gitview import compare_versions, take_snapshot
from stitch_ls.indexer.api import CALLS
from stitch_ls.indexer.process import Indexer

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TEAM = load_team_config(STREAM_TEAM)
SOURCE = "src/checkout.py"
STREAMS = ["checkout/a", "checkout/b"]


def test_each_stream_and_the_base_come_whole_with_the_symbols_line(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    snap = take_snapshot(root, TEAM, now=NOW)
    found = compare_versions(root, snap, SOURCE, "Cart.total", STREAMS)
    assert [v.name for v in found.streams] == STREAMS
    a, b = found.streams
    assert a.text == git(root, "show", f"stream/checkout/a:{SOURCE}")
    assert b.text == git(root, "show", f"stream/checkout/b:{SOURCE}")
    assert "return sum(self.items) or 0" in a.text and "# sum of item prices" in b.text
    assert found.base.name == "main"
    assert found.base.text == (root / SOURCE).read_text()
    assert (a.line, b.line, found.base.line) == (7, 7, 7)  # def total(self), in each version
    assert not a.note and not b.note


def test_a_stream_that_left_the_file_alone_and_one_that_deleted_it(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    commit_on(root, "stream/other/c", "README.md", "", "notes\n", "Readme")
    git(root, "checkout", "-q", "-b", "stream/other/d", "main")
    git(root, "rm", "-q", SOURCE)
    git(root, "commit", "-q", "-m", "Drop checkout")
    git(root, "checkout", "-q", "main")
    snap = take_snapshot(root, TEAM, now=NOW)
    found = compare_versions(root, snap, SOURCE, "Cart.total", ["other/c", "other/d"])
    untouched, deleted = found.streams
    assert untouched.text == (root / SOURCE).read_text() and untouched.line == 7
    assert deleted.text is None and deleted.note == "deleted on other/d"


def test_hostile_versions_get_a_bounded_answer(tmp_path: Path):
    """Control characters come as they are (data, shown as text); invalid UTF-8 is replaced;
    a binary or huge version is named without its text; the total is bounded."""
    root = stream_repo(tmp_path / "ws")
    (root / "data.py").write_text("x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "data")
    commit_on(root, "stream/data/ctl", "data.py", "x = 1", "x = '\x1b]0;pwned\x07\x1e'", "ctl")
    commit_on(root, "stream/data/huge", "data.py", "x = 1", "x = 1\n" + "# pad\n" * 300_000, "big")
    commit_on(root, "stream/data/bin", "data.py", "x = 1", "x = 1\x00\x01", "nul")
    git(root, "checkout", "-q", "-b", "stream/data/latin", "main")
    (root / "data.py").write_bytes(b"x = '\xff\xfe'\n")
    git(root, "commit", "-q", "-am", "latin-1")
    git(root, "checkout", "-q", "main")
    snap = take_snapshot(root, TEAM, now=NOW)
    names = ["data/ctl", "data/huge", "data/bin", "data/latin"]
    ctl, huge, binary, latin = compare_versions(root, snap, "data.py", "x", names).streams
    assert ctl.text == "x = '\x1b]0;pwned\x07\x1e'\n"
    assert huge.text is None and huge.note.startswith("too large to compare here (1,800,0")
    assert binary.text is None and binary.note == "a binary file: not compared"
    assert latin.text == "x = '\ufffd\ufffd'\n"
    latin.text.encode("utf-8")  # no lone surrogate reaches JSON
    # over the total: the later versions are named only
    small = compare_versions(root, snap, "data.py", "x", ["data/ctl", "data/latin"], max_total=20)
    assert small.streams[0].text is not None
    assert small.streams[1].note == "left out: the comparison is over its size limit"


@pytest.mark.parametrize(
    "path", ["../outside.py", "/etc/passwd", "src/../../x.py", "", "src//checkout.py", "a\nb"]
)
def test_a_path_outside_the_repository_is_refused(tmp_path: Path, path: str):
    root = stream_repo(tmp_path / "ws")
    snap = take_snapshot(root, TEAM, now=NOW)
    with pytest.raises(ValueError, match="not a path inside the repository"):
        compare_versions(root, snap, path, "x", STREAMS)


def test_an_unknown_stream_is_refused(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    snap = take_snapshot(root, TEAM, now=NOW)
    with pytest.raises(ValueError, match="no stream named checkout/zz"):
        compare_versions(root, snap, SOURCE, "Cart.total", ["checkout/a", "checkout/zz"])


def test_through_the_indexer(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    indexer = Indexer(root)
    assert "compare" in CALLS
    indexer.load(NOW)
    with pytest.raises(Refused, match="git has not been read yet"):
        indexer.compare(SOURCE, "Cart.total", STREAMS)
    indexer.git(indexer.ws.team, NOW)
    found = indexer.compare(SOURCE, "Cart.total", STREAMS)
    assert [v.name for v in found.streams] == STREAMS
    with pytest.raises(Refused, match="not a path inside the repository"):
        indexer.compare("../../etc/passwd", "x", STREAMS)


def test_a_stream_version_that_is_not_utf8_still_makes_its_stitch_point(tmp_path: Path):
    """It used to fail the whole file's points (the version digest encoded strictly)."""
    from stitch_ls.core.vcs.gitview import points_for
    from stitch_ls.core.vcs.stitchpoints import SignOffs

    root = stream_repo(tmp_path / "ws")
    git(root, "checkout", "-q", "stream/checkout/a")
    path = root / SOURCE
    path.write_bytes(path.read_bytes().replace(b"or 0", b"or 0  # \xff\xfe"))
    git(root, "commit", "-q", "-am", "latin-1 comment")
    git(root, "checkout", "-q", "main")
    snap = take_snapshot(root, TEAM, now=NOW)
    [point] = points_for(root, TEAM, snap, SOURCE, None, SignOffs())
    assert point.symbol == "Cart.total" and point.streams == ("checkout/a", "checkout/b")
    found = compare_versions(root, snap, SOURCE, point.symbol, list(point.streams))
    assert "# \ufffd\ufffd" in found.streams[0].text
