"""The locks in fsio are really taken: an append waits for a holder of the log's lock.

(Two appenders would rarely tear a line even without the lock on a local Linux file system,
so 'every line kept' cannot tell whether append_line locks; waiting on a held lock can.)
Whether a thread waits is read from /proc/locks, where a blocked request is listed with
'->': a positive sign, not a timeout.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from stitch_ls.core.files.fsio import append_line, locked

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/locks")


def waiting_on(path: Path) -> bool:
    inode = os.stat(path).st_ino
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and fields[fields.index("->") + 5].endswith(f":{inode}"):
            return True
    return False


def until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)


def test_append_line_waits_for_the_lock_and_then_writes(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    log.write_text("")
    holder = os.open(log, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    writer = threading.Thread(target=append_line, args=(log, "after the lock"))
    try:
        writer.start()
        until(lambda: waiting_on(log) or not writer.is_alive())
        assert writer.is_alive() and log.read_text() == ""  # it waits, nothing written
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
        writer.join(timeout=10)
    assert log.read_text() == "after the lock\n"


def test_locked_excludes_a_second_holder(tmp_path: Path):
    lock = tmp_path / "sub" / ".lock"
    entered = threading.Event()

    def second() -> None:
        with locked(lock):
            entered.set()

    with locked(lock):
        assert lock.exists()
        thread = threading.Thread(target=second)
        thread.start()
        until(lambda: waiting_on(lock) or entered.is_set())
        assert not entered.is_set()
    thread.join(timeout=10)
    assert entered.is_set()


def test_append_line_refuses_newlines_and_adds_exactly_one(tmp_path: Path):
    log = tmp_path / "new" / "log.jsonl"
    append_line(log, "one")
    append_line(log, "two")
    assert log.read_bytes() == b"one\ntwo\n"
    with pytest.raises(ValueError, match="a log line must not contain a newline"):
        append_line(log, "a\nb")
    assert log.read_bytes() == b"one\ntwo\n"
