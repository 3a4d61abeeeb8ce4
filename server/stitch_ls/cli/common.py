"""What every verb of `stitch-ls` shares: the workspace it works in, the clock, a person's
confirmation at the terminal, printing data or text, and small argument readers."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.listing import LIMIT_ERROR, check_limit

EXIT_USAGE = 2


EXIT_REFUSED = 3


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def find_workspace(start: Path) -> Path:
    """The enclosing git work tree (or folder holding `.stitch/`), else `start` itself."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / ".stitch").is_dir():
            return folder
    return here


def workspace_of(args: argparse.Namespace):
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.operations import open_workspace

    root = Path(args.workspace) if args.workspace else find_workspace(Path.cwd())
    if not root.is_dir():
        raise CliError(f"workspace {root} is not a folder", EXIT_USAGE)
    ws, notes = open_workspace(root, now=clock_now())
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in ws.config_problems:
        print(
            f"warning: {ws.paths.config}:{problem.line + 1}: {problem.message} "
            f"(in force: {ws.team_source.label})",
            file=sys.stderr,
        )
    return ws


def clock_now() -> datetime:
    return datetime.now(UTC)


def as_a_person(question: str, token: str) -> None:
    """A human-only verb goes on only when a person at the terminal types `token`
    (`stitch_ls.terminal`); otherwise one clear refusal."""
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.safetext import plain
    from stitch_ls.terminal import NotAPerson, confirm

    try:  # the question quotes agent text: no control character reaches the terminal
        confirm(plain(question), token)
    except NotAPerson as exc:
        raise CliError(f"refused: {exc}", EXIT_REFUSED) from None


def emit(data: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else text(data))


def summaries(ws: Any, limit: int) -> Any:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.operations import list_drafts

    scan_everything(ws)
    return list_drafts(ws, ws.gate_context(clock_now(), ignore_quiet=True), {}, limit=limit)


def scan_everything(ws: Any) -> None:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.operations import scan_all

    scan_all(ws, clock_now())


def zone_of(ws: Any) -> Any:
    return ws.display_zone()


def when_text(ws: Any, value: Any) -> str | None:
    # start-up: the guard and --help load this module; the core loads per verb
    from stitch_ls.core.timefmt import human_time

    return human_time(value, zone_of(ws))


def minutes_of(text: str) -> int:
    """`90m`, `2h`, `1h30m` or `45` (minutes) as minutes; one clear error otherwise."""
    match = re.fullmatch(r"\s*(?:(\d+)h)?\s*(?:(\d+)m?)?\s*", text)
    if not match or not any(match.groups()):
        raise CliError(f"focus: {text!r} is not a duration (90m, 2h, 1h30m, 45)", EXIT_USAGE)
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    total = hours * 60 + minutes
    if not 1 <= total <= 24 * 60:
        raise CliError("focus: a session lasts 1 minute to 24 hours", EXIT_USAGE)
    return total


def since_of(value: str | None) -> datetime | None:
    """`--since 2026-11-01` (or a full ISO time) as an aware instant (UTC when no zone)."""
    if not value:
        return None
    try:
        since = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--since takes a date like 2026-11-01, not {value!r}", EXIT_USAGE) from None
    return since if since.tzinfo is not None else since.replace(tzinfo=UTC)


def limit_of(text: str) -> int:
    try:
        return check_limit(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(LIMIT_ERROR) from None
