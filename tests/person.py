"""`stitch-ls` run as a person runs it: in the foreground of a terminal (a pseudo-terminal the
test makes, the command's controlling terminal), typing the confirmation a human-only verb
asks for. Every other verb runs as a plain process, as an agent's shell tool runs it.

`stitch()` is what the tests' own `cli()` helpers call: a human-only verb (`draft apply`,
`vouch`, `reject`, `answer`, `sign-off`, `read-only off`, `focus`, `init`, `approve`) gets a
person who types what is asked (`typed` overrides it, to type something else), unless
`person=False` runs it as a program would.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

STITCH = str(Path(sys.executable).with_name("stitch-ls"))
HUMAN = (
    ("draft", "apply"),
    ("draft", "reject"),
    ("draft", "vouch"),
    ("answer",),
    ("sign-off",),
    ("read-only", "off"),
    ("init",),
    ("approve",),
    ("verify",),  # asks only the first time a team's command would run here
)
ASKED = re.compile(rb"Type '([^']*)' to confirm: ")


def human_verb(args: tuple[str, ...] | list[str]) -> bool:
    words = [a for a in args if not a.startswith("-")]
    if words[:1] == ["focus"]:
        return len(words) > 1  # `focus` alone shows the status
    return any(tuple(words[: len(verb)]) == verb for verb in HUMAN)


def stitch(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    person: bool | None = None,
    typed: str | None = None,
    timeout: float = 60,
    program: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`stitch-ls ARGS` (or `program ARGS`: `python -m stitch_ls`, say), as a person
    (human-only verbs, unless `person=False`) or as a program."""
    env = dict(os.environ if env is None else env)
    argv = [*(program or [STITCH]), *args]
    if person is None:
        person = human_verb(args)
    if not person:
        return subprocess.run(
            argv,
            input=stdin,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    return at_a_terminal(argv, env=env, cwd=cwd, stdin=stdin, typed=typed, timeout=timeout)


def at_a_terminal(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None,
    stdin: str | None,
    typed: str | None,
    timeout: float,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` with a pseudo-terminal as its controlling terminal (in its foreground),
    standard input, output and error on pipes; answer its confirmation with what it asks for
    (or `typed`). What the terminal showed comes back after stdout, under a marker."""
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    in_r, in_w = os.pipe()
    pid, master = pty.fork()
    if pid == 0:  # the child: a new session whose controlling terminal is the pty
        try:
            # the terminal stays open in the child (and what it runs) once its standard
            # streams are pipes: with no descriptor on it, the pty reads as hung up
            os.set_inheritable(os.dup(0), True)
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    for fd in (in_r, out_w, err_w):
        os.close(fd)
    if stdin:
        os.write(in_w, stdin.encode())
    os.close(in_w)
    streams = {out_r: b"", err_r: b"", master: b""}
    answered = False
    deadline = time.monotonic() + timeout
    open_fds = set(streams)
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            raise subprocess.TimeoutExpired(argv, timeout)
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the pty's end once the child is gone
                chunk = b""
            if not chunk:
                open_fds.discard(fd)
                continue
            streams[fd] += chunk
            if fd == master and not answered:
                asked = ASKED.search(streams[master])
                if asked:
                    answer = typed if typed is not None else asked.group(1).decode()
                    os.write(master, answer.encode() + b"\n")
                    answered = True
    _, status = os.waitpid(pid, 0)
    os.close(master)
    for fd in (out_r, err_r):
        os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return subprocess.CompletedProcess(
        argv,
        code,
        streams[out_r].decode("utf-8", "replace"),
        streams[err_r].decode("utf-8", "replace"),
    )


def answered(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 60) -> int:
    """Start `argv` at a terminal, type what its confirmation asks for, and return its pid as
    soon as the answer is written (the verb is then under way: a test may kill it mid-way).
    Its output is drained in the background; reap it with `os.waitpid`."""
    import threading

    pid, master = pty.fork()
    if pid == 0:
        try:
            os.set_inheritable(os.dup(0), True)  # the terminal stays open (see at_a_terminal)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execvpe(argv[0], argv, dict(os.environ if env is None else env))
        finally:
            os._exit(127)
    seen = b""
    deadline = time.monotonic() + timeout
    while not ASKED.search(seen):
        ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            raise subprocess.TimeoutExpired(argv, timeout)
        chunk = os.read(master, 4096)
        if not chunk:
            raise RuntimeError(f"{argv} ended before it asked: {seen!r}")
        seen += chunk
    os.write(master, ASKED.search(seen).group(1) + b"\n")

    def drain() -> None:
        try:
            while os.read(master, 4096):
                pass
        except OSError:
            pass
        os.close(master)

    threading.Thread(target=drain, daemon=True).start()
    return pid
