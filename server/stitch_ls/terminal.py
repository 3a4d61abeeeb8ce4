"""A person at a terminal: how the command line makes sure a human-only verb is a person's.

Vouching, applying, rejecting, answering an agent's question, signing off, turning read-only
off, focus, `init` and approving the team file are a person's decisions: agents run shell
commands as the engineer, so "the command was run" proves nothing. The command line performs
these only when it runs in the foreground of an interactive terminal (the controlling
terminal's foreground process group is its own: what a person started at their prompt, not a
program's child in the background) and the person types a confirmation naming what is
approved, read from that terminal (`/dev/tty`), never from standard input: a pipe, a here-
document or an agent's shell tool cannot answer it. What it cannot see: a program that
drives a real terminal as a person would (a terminal multiplexer's `send-keys`, an
`expect` script on a pseudo-terminal it made) — see docs/security.md.
"""

from __future__ import annotations

import os
import select

WAIT_S = 120.0  # a person reads the question and types; nothing waits longer than this


class NotAPerson(Exception):
    """The verb was not confirmed by a person at a terminal (the message says why)."""


def confirm(question: str, token: str, *, wait_s: float = WAIT_S) -> None:
    """Ask the person at the controlling terminal to type `token`; NotAPerson unless they do."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise NotAPerson(
            "this is a person's decision, and there is no terminal to ask one at: run it "
            "yourself in an interactive terminal (it asks you to type what you approve), or "
            "use the editor. Agents and scripts cannot."
        ) from None
    try:
        try:
            foreground = os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            foreground = False
        if not foreground:
            raise NotAPerson(
                "this is a person's decision: run it yourself at your terminal's prompt (it "
                "is running in the background of one, as a program's child does)"
            )
        os.write(fd, f"{question}\nType {token!r} to confirm: ".encode())
        answer = _read_line(fd, wait_s)
    finally:
        os.close(fd)
    if answer is None:
        raise NotAPerson(f"no confirmation within {wait_s:g} s: nothing was done")
    if answer.strip() != token:
        raise NotAPerson("not confirmed (what was typed is not what was asked): nothing was done")


def _read_line(fd: int, wait_s: float) -> str | None:
    data = b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], wait_s)
        if not ready:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        if len(data) > 4096:
            break
    return data.decode("utf-8", "replace")
