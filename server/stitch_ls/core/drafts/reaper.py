"""The process that runs the team's test command for `verify`, and ends everything it started.

A test suite may start processes that leave its process group (`setsid`) or detach by forking
twice, as daemons do: killing the group at the timeout missed them, and they outlived `verify`
with the engineer's rights. So `verify` starts this small process, which starts the command:

- On Linux it makes itself a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): a descendant
  whose parent ends is re-parented here, however it detached, never to init. When the command
  ends, when `verify` asks it to stop (SIGTERM: the timeout, a cancel), or when `verify` itself
  dies (`PR_SET_PDEATHSIG`), it kills every descendant it finds (by parent pid, from /proc) and
  reaps them until it has no child left; then it ends as the command did.
- Elsewhere (no `prctl`, no /proc) it kills the command's process group instead: a process
  that left the group is out of its reach there.

A cgroup would also hold every descendant, but it needs a delegated cgroup (systemd's user
manager) that many machines and containers do not give: the subreaper needs nothing.

Usage: `python -I -m stitch_ls.core.drafts.reaper STATUS_FD PARENT_PID -- ARGV...`. If the
command cannot be started, the reason is written to STATUS_FD; it is closed once it has.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
CANNOT_START = 127


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # not Linux
        return False


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from the parent pids in /proc (none where there is none)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[-1].split()
        except OSError:
            continue
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def end_all(group: int | None) -> None:
    """Kill every descendant (and the command's process group) and reap until no child is
    left: as a subreaper, every descendant becomes a child here once its parent is gone."""
    me = os.getpid()
    while True:
        for pid in descendants(me):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def main(args: list[str]) -> int:
    status_fd, parent, command = int(args[0]), int(args[1]), args[3:]
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    if os.getppid() != parent:  # `verify` ended before the line above took effect
        return CANNOT_START
    group: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        end_all(group[0] if group else None)
        os._exit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, stop)
    try:
        child = subprocess.Popen(command, process_group=0)
    except OSError as exc:
        os.write(status_fd, (exc.strerror or str(exc)).encode("utf-8", "replace"))
        return CANNOT_START
    finally:
        os.close(status_fd)
    group.append(child.pid)
    _, status = os.waitpid(child.pid, 0)
    end_all(child.pid)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed by a signal: end the same way, so `verify` reads the same status
        with contextlib.suppress(OSError, ValueError):  # SIGKILL's action is fixed already
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code  # a signal whose default is to be ignored
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
