"""Paths under `.stitch`: every folder from `.stitch` down must be a real folder, whatever
lies above it (a workspace opened through a symlink is fine), and the helpers that reach
inside never create what they only read or clean."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_fsio_exact import error

from stitch_ls.core.files.fsio import (
    append_line,
    check_stitch_folders,
    read_inside,
    remove_temps_inside,
    unlink_path,
)


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / ".stitch" / "drafts").mkdir(parents=True)
    return root


def refusal(call) -> str:
    return error(call, OSError)


def test_a_stitch_folder_that_is_a_file_or_a_link_is_named_whole(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".stitch").write_text("not a folder")
    assert refusal(lambda: check_stitch_folders(root / ".stitch" / "drafts" / "x.json")) == (
        f"{root / '.stitch'} is not a folder: Stitch writes nothing through it"
    )
    assert refusal(lambda: check_stitch_folders(root / ".stitch" / "state.json")) == (
        f"{root / '.stitch'} is not a folder: Stitch writes nothing through it"
    )
    (root / ".stitch").unlink()
    (tmp_path / "elsewhere").mkdir()
    (root / ".stitch").symlink_to(tmp_path / "elsewhere")
    assert refusal(lambda: check_stitch_folders(root / ".stitch" / "log.jsonl")) == (
        f"{root / '.stitch'} is a symlink: Stitch writes nothing through it"
    )


def test_a_workspace_reached_through_a_symlink_is_written_as_usual(tmp_path: Path):
    """Only `.stitch` and what is under it must be real folders: the folders above it are
    the engineer's (a workspace opened through a symlinked path)."""
    real = workspace(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real)
    draft = link / ".stitch" / "drafts" / "d.json"
    check_stitch_folders(draft)  # no refusal
    draft.write_text("{}")
    unlink_path(draft)
    assert not (real / ".stitch" / "drafts" / "d.json").exists()
    append_line(link / ".stitch" / "log.jsonl", "one")
    assert (real / ".stitch" / "log.jsonl").read_text() == "one\n"


def test_unlink_path_never_removes_through_a_symlinked_stitch_folder(tmp_path: Path):
    root = workspace(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "d.json").write_text("theirs")
    (root / ".stitch" / "drafts").rmdir()
    (root / ".stitch" / "drafts").symlink_to(elsewhere)
    assert error(lambda: unlink_path(root / ".stitch" / "drafts" / "d.json")) == (
        "'.stitch/drafts/d.json': drafts is not a plain folder"
    )
    assert (elsewhere / "d.json").read_text() == "theirs"
    outside = tmp_path / "plain.txt"  # outside .stitch: an ordinary removal
    outside.write_text("x")
    unlink_path(outside)
    unlink_path(outside)  # gone already: fine
    assert not outside.exists()


def test_append_line_under_stitch_makes_its_folders_and_a_readable_file(tmp_path: Path):
    root = workspace(tmp_path)
    log = root / ".stitch" / "new" / "deeper" / "log.jsonl"
    old = os.umask(0)
    try:
        append_line(log, "é")
    finally:
        os.umask(old)
    assert log.read_bytes() == "é\n".encode()
    assert stat.S_IMODE(log.stat().st_mode) == 0o644


def test_reading_and_cleaning_create_no_folder(tmp_path: Path):
    root = workspace(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_inside(root, "missing/deeper/a.py", 100)
    remove_temps_inside(root, "missing/deeper/a.py")
    assert not (root / "missing").exists()


def test_a_folder_named_like_a_temp_file_is_left_alone(tmp_path: Path):
    root = workspace(tmp_path)
    (root / "src").mkdir()
    (root / "src" / ".a.py.12.ab.tmp").mkdir()
    (root / "src" / ".a.py.13.cd.tmp").write_text("torn")
    remove_temps_inside(root, "src/a.py")
    assert [p.name for p in (root / "src").iterdir()] == [".a.py.12.ab.tmp"]
