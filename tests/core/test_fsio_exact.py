"""fsio's bounded reads, its walk-by-descriptor writes and its messages, exactly (written
against surviving mutants: docs/testing.md)."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from stitch_ls.core.files.fsio import (
    append_line,
    atomic_write,
    locked,
    parse_json,
    parse_toml,
    read_bytes_limited,
    read_inside,
    read_text_limited,
    unlink_inside,
    write_inside,
)


def error(call, kind: type[Exception] = ValueError) -> str:
    """The message of the `kind` error `call` raises (it must raise one)."""
    with pytest.raises(kind) as caught:
        call()
    return str(caught.value)


def test_read_bytes_limited_reads_up_to_the_limit_exactly(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_bytes_limited(path, 10) == b"x" * 10
    assert read_bytes_limited(path, 11) == b"x" * 10
    assert error(lambda: read_bytes_limited(path, 9)) == "file is 10 bytes; the limit is 9"
    big = tmp_path / "big"
    big.write_bytes(b"ab" * (3 << 20))  # more than one read chunk
    assert read_bytes_limited(big, 6 << 20) == b"ab" * (3 << 20)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert read_bytes_limited(empty, 0) == b""


def test_read_bytes_limited_refuses_what_is_not_a_regular_file(tmp_path: Path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert error(lambda: read_bytes_limited(fifo, 10)) == "pipe is not a regular file"
    assert (
        error(lambda: read_bytes_limited(tmp_path, 10)) == f"{tmp_path.name} is not a regular file"
    )
    assert error(lambda: read_bytes_limited(Path("/dev/zero"), 10)) == "zero is not a regular file"


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path, monkeypatch):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 5)
    real_fstat = os.fstat

    def stale_size(fd):  # the size checked first, then the file grows before the read
        info = real_fstat(fd)
        path.write_bytes(b"x" * 50)
        return info

    monkeypatch.setattr(os, "fstat", stale_size)
    assert error(lambda: read_bytes_limited(path, 10)) == "file is over the limit of 10 bytes"


def test_read_text_limited_decodes_utf8_or_says_where_it_is_not(tmp_path: Path):
    path = tmp_path / "t"
    path.write_bytes("é\n".encode())
    assert read_text_limited(path, 10) == "é\n"
    path.write_bytes(b"ok\xff")
    assert error(lambda: read_text_limited(path, 10)) == "not UTF-8 (byte 2)"


def test_read_inside_refuses_links_folders_and_oversize(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("é")
    (root / "src" / "link.py").symlink_to(root / "src" / "a.py")
    (root / "linked").symlink_to(root / "src")
    assert read_inside(root, "src/a.py", 2) == "é"
    assert error(lambda: read_inside(root, "src/a.py", 1)) == (
        "'src/a.py' is over the limit of 1 bytes"
    )
    assert error(lambda: read_inside(root, "src/link.py", 10)) == "'src/link.py' is a symlink"
    os.mkfifo(root / "src" / "pipe")
    assert error(lambda: read_inside(root, "src/pipe", 10)) == "'src/pipe' is not a regular file"
    with pytest.raises(IsADirectoryError):
        read_inside(root, "src", 10)
    assert error(lambda: read_inside(root, "linked/a.py", 10)) == (
        "'linked/a.py': linked is not a plain folder"
    )
    (root / "src" / "bad.py").write_bytes(b"\xff")
    assert error(lambda: read_inside(root, "src/bad.py", 10)) == "not UTF-8 (byte 0)"
    with pytest.raises(FileNotFoundError):
        read_inside(root, "missing/a.py", 10)
    with pytest.raises(FileNotFoundError):
        read_inside(root, "src/missing.py", 10)


def test_write_inside_creates_folders_keeps_modes_and_refuses_non_files(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    old = os.umask(0o027)
    try:
        write_inside(root, "new/deeper/a.py", "é")
    finally:
        os.umask(old)
    created = root / "new" / "deeper" / "a.py"
    old = os.umask(0)
    try:
        write_inside(root, "open.py", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((root / "open.py").stat().st_mode) == 0o666
    (root / "open.py").unlink()
    assert created.read_text() == "é"
    assert stat.S_IMODE(created.stat().st_mode) == 0o640
    assert stat.S_IMODE((root / "new").stat().st_mode) == 0o750
    created.chmod(0o751)
    write_inside(root, "new/deeper/a.py", b"bytes")
    assert created.read_bytes() == b"bytes"
    assert stat.S_IMODE(created.stat().st_mode) == 0o751
    assert sorted(p.name for p in created.parent.iterdir()) == ["a.py"]
    (root / "dir.py").mkdir()
    assert error(lambda: write_inside(root, "dir.py", "x")) == "'dir.py' is not a regular file"
    (root / "link.py").symlink_to(created)
    assert error(lambda: write_inside(root, "link.py", "x")) == "'link.py' is not a regular file"
    assert created.read_bytes() == b"bytes"
    (root / "out").symlink_to(tmp_path)
    assert (
        error(lambda: write_inside(root, "out/x.py", "x"))
        == "'out/x.py': out is not a plain folder"
    )
    assert not (tmp_path / "x.py").exists()


def test_a_failed_write_inside_leaves_no_temp_file(tmp_path: Path, monkeypatch):
    root = tmp_path / "ws"
    root.mkdir()

    def refuse(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_inside(root, "a.py", "x")
    assert list(root.iterdir()) == []


def test_unlink_inside_removes_files_only_and_never_through_a_link(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_text("x")
    (root / "linked").symlink_to(root / "src")
    unlink_inside(root, "src/a.py")
    assert not (root / "src" / "a.py").exists()
    unlink_inside(root, "src/a.py")  # already gone: fine
    (root / "src" / "b.py").write_text("x")
    assert error(lambda: unlink_inside(root, "linked/b.py")) == (
        "'linked/b.py': linked is not a plain folder"
    )
    assert (root / "src" / "b.py").exists()
    with pytest.raises(FileNotFoundError):
        unlink_inside(root, "missing/b.py")
    with pytest.raises(IsADirectoryError):
        unlink_inside(root, "src")


def test_atomic_write_creates_parents_and_leaves_only_the_target(tmp_path: Path, monkeypatch):
    target = tmp_path / "a" / "b" / "state.json"
    atomic_write(target, "é")
    assert target.read_bytes() == "é".encode()
    atomic_write(target, b"\xff")
    assert target.read_bytes() == b"\xff"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]
    names = []
    real_replace = os.replace

    def seen(src, dst):
        names.append(Path(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", seen)
    atomic_write(target, "x")
    [tmp] = names
    assert tmp.parent == target.parent
    assert tmp.name.startswith(".state.json.") and tmp.name.endswith(".tmp")

    def refuse(src, dst):
        raise OSError("no")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        atomic_write(target, "y")
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]
    assert target.read_text() == "x"


def test_atomic_write_keeps_modes_and_the_per_user_folder_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    old = os.umask(0o022)
    try:
        shared = tmp_path / "repo" / ".gitattributes"
        atomic_write(shared, "a")
        assert stat.S_IMODE(shared.stat().st_mode) == 0o644  # the umask's, as any tool's
        shared.chmod(0o664)
        atomic_write(shared, "b")
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664  # kept
        mine = tmp_path / "state" / "stitch" / "ws-1.json"
        atomic_write(mine, "{}")
        append_line(mine.with_suffix(".jsonl"), "{}")
        with locked(mine.with_suffix(".lock")):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(mine.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o755  # not Stitch's
    made = sorted(mine.parent.iterdir())
    assert [p.name for p in made] == ["ws-1.json", "ws-1.jsonl", "ws-1.lock"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in made} == {0o600}


def test_append_line_creates_a_readable_log(tmp_path: Path):
    log = tmp_path / "deep" / "log.jsonl"
    old = os.umask(0)
    try:
        append_line(log, "é")
    finally:
        os.umask(old)
    assert log.read_bytes() == "é\n".encode()
    assert stat.S_IMODE(log.stat().st_mode) == 0o644
    with pytest.raises(ValueError) as caught:
        append_line(log, "a\nb")
    assert str(caught.value) == "a log line must not contain a newline"


def test_parse_json_turns_deep_nesting_into_one_value_error():
    assert parse_json('{"a": [1]}') == {"a": [1]}
    assert parse_json(b"[]") == []
    too_deep = "nested too deeply (more than 64 levels)"
    assert error(lambda: parse_json("[" * 100_000 + "]" * 100_000)) == too_deep
    assert parse_json("[" * 64 + "]" * 64) is not None  # the bound, not the interpreter's stack
    assert error(lambda: parse_json("[" * 65 + "]" * 65)) == too_deep
    assert error(lambda: parse_json(b'{"a": ' * 65 + b"1" + b"}" * 65)) == too_deep
    assert parse_json('"[[[[{{{{"') == "[[[[{{{{"
    with pytest.raises(ValueError):
        parse_json("{")


def test_parse_toml_has_the_same_bound_even_without_brackets():
    assert parse_toml("a.b = 1\n") == {"a": {"b": 1}}
    dotted = ".".join(["k"] * 65) + " = 1\n"
    assert error(lambda: parse_toml(dotted)) == "nested too deeply (more than 64 levels)"
    assert error(lambda: parse_toml("x = " + "[" * 5000 + "]" * 5000)).startswith("nested too")
    with pytest.raises(tomllib.TOMLDecodeError):
        parse_toml("x = [")


def test_only_the_temp_files_of_writers_that_are_gone_are_removed(tmp_path: Path):
    import subprocess
    import sys

    from stitch_ls.core.files.fsio import remove_temps, temps_of

    target = tmp_path / "ws-1.json"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True
    )
    names = {
        "live": f".ws-1.json.{os.getpid()}.0a1b2c3d.tmp",  # a write under way, here
        "killed": f".ws-1.json.{int(gone.stdout)}.0a1b2c3d.tmp",
        "older": ".ws-1.json.k2j4_x9z.tmp",  # an older Stitch's (tempfile's) name: no pid
        "other": ".ws-1.jsonl.1.0a1b2c3d.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_text("x")
    assert sorted(p.name for p in temps_of(target)) == sorted([names["killed"], names["older"]])
    remove_temps(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names["live"], names["other"]])


def test_a_killed_writer_its_parent_has_not_collected_yet_is_gone(tmp_path: Path):
    """A writer killed with SIGKILL stays a zombie until its parent waits for it (the server
    for its indexer): it writes nothing more, so its temp file is a killed write's."""
    import signal
    import subprocess
    import time

    from stitch_ls.core.files.fsio import temps_of

    target = tmp_path / "looked.json"
    writer = subprocess.Popen(["sleep", "60"])
    temp = tmp_path / f".looked.json.{writer.pid}.0a1b2c3d.tmp"
    temp.write_text("x")
    try:
        assert temps_of(target) == []  # it runs: its write may be under way
        os.kill(writer.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while temps_of(target) != [temp]:  # a zombie now, not collected
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        writer.kill()
        writer.wait()
