"""Writes stay in the workspace whatever an agent does to its folders meanwhile."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from stitch_ls.core.drafts.anchor import Plan, PlannedEdit
from stitch_ls.core.drafts.edits import apply_plan_to_disk
from stitch_ls.core.drafts.index import parse_draft_text
from stitch_ls.core.files.paths import check_relative_path
from test_cli import cli
from workspaces import draft, make_workspace, write_draft


def create(path: str, text: str = "x = 1\n") -> Plan:
    return Plan((PlannedEdit(path, "create", (0, 0), (0, 0), text, False),), False)


@pytest.mark.parametrize(
    "path",
    ["vendor/lib/.git/config", ".GIT/config", "a/.Stitch/state.json", "x/.git", ".stitch"],
)
def test_git_and_stitch_folders_are_refused_at_any_depth_and_in_any_case(path: str):
    with pytest.raises(ValueError, match="may not write into"):
        check_relative_path(path)
    body = draft("nested")
    body["edits"][0]["path"] = path
    with pytest.raises(ValueError):
        parse_draft_text(json.dumps(body))


def test_a_symlinked_folder_is_never_followed(tmp_path: Path):
    root, outside = tmp_path / "ws", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "src").symlink_to(outside)  # points outside
    (root / "lib").symlink_to(root)  # points inside: still a link, still refused
    for path in ("src/evil.py", "lib/evil.py"):
        with pytest.raises(ValueError, match="not a plain folder"):
            apply_plan_to_disk(root, create(path))
    assert list(outside.iterdir()) == [] and not (root / "evil.py").exists()


def test_a_folder_swapped_for_a_link_during_applies_never_sends_a_write_outside(tmp_path: Path):
    root, outside = tmp_path / "ws", tmp_path / "outside"
    (root / "src").mkdir(parents=True)
    outside.mkdir()
    stop = threading.Event()

    src, real = root / "src", root / "real"

    def put_back() -> None:
        """`real` back to `src`, merging a `src` the applies made meanwhile."""
        while True:
            try:
                os.rename(real, src)
                return
            except OSError:
                for made in src.iterdir():
                    os.rename(made, real / made.name)
                os.rmdir(src)

    def swap_once() -> None:
        os.rename(src, real)
        try:
            src.symlink_to(outside)
        except FileExistsError:  # an apply made the folder again meanwhile
            pass
        else:
            os.unlink(src)
        put_back()

    def swap() -> None:
        while not stop.is_set():
            try:
                swap_once()
            except OSError:  # the applies raced this step: try the next one
                continue

    swapper = threading.Thread(target=swap)
    swapper.start()
    outcomes = {"written": 0, "refused": 0}
    try:
        # at least 300 applies, and on until the race went both ways (a busy machine may
        # need more); the assertion below fails if it never did
        n = 0
        while n < 300 or not (outcomes["written"] and outcomes["refused"]) and n < 20_000:
            n += 1
            try:
                apply_plan_to_disk(root, create(f"src/f{n}.py"))
                outcomes["written"] += 1
            except (ValueError, FileNotFoundError):
                outcomes["refused"] += 1
    finally:
        stop.set()
        swapper.join()
    assert list(outside.iterdir()) == []
    assert outcomes["written"] and outcomes["refused"]  # the race was really run, both ways


def test_an_apply_keeps_the_files_mode_and_leaves_no_temp_files(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    script = root / "src" / "checkout.py"
    script.chmod(0o755)
    write_draft(root, draft("ready"))
    assert cli(root, "draft", "apply", "ready").returncode == 0
    assert "round(" in script.read_text() and script.stat().st_mode & 0o777 == 0o755
    assert not [p for p in (root / "src").iterdir() if p.name.endswith(".tmp")]


def test_stitch_writes_go_through_the_path_safe_opener_during_a_swap(tmp_path: Path):
    from stitch_ls.core.files.fsio import append_line, atomic_write

    root, outside = tmp_path / "ws", tmp_path / "outside"
    drafts = root / ".stitch" / "drafts"
    drafts.mkdir(parents=True)
    outside.mkdir()
    stop = threading.Event()

    def swap() -> None:
        real = root / ".stitch" / "real"
        while not stop.is_set():
            try:
                os.rename(drafts, real)
                try:
                    drafts.symlink_to(outside)
                except FileExistsError:
                    pass
                else:
                    time.sleep(0.001)  # long enough for a write to look through it
                    os.unlink(drafts)
                os.rename(real, drafts)
            except OSError:
                continue

    swapper = threading.Thread(target=swap)
    swapper.start()
    try:
        for n in range(300):
            for write in (
                lambda n=n: atomic_write(drafts / f"d{n}.json", "{}"),
                lambda: append_line(drafts / "log.jsonl", "{}"),
            ):
                try:
                    write()
                except (OSError, ValueError):  # refused while the folder is a link
                    pass
    finally:
        stop.set()
        swapper.join()
    assert list(outside.iterdir()) == []
