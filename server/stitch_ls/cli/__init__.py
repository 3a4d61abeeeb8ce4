"""`stitch-ls`: the server, and the same core for agents, scripts, CI and people.

Each verb takes `--workspace DIR` (default: the enclosing git work tree) and `--json` where
it prints data. Bad input gets one clear line on stderr and a non-zero exit.

The package, by concern: `parser` (the verbs and their options), `verbs` (each verb: parse
its arguments, call an operation of the core, hand the answer to a formatter), `formatters`
(answers as people read them), `common` (what every verb shares: the workspace it works in,
the clock, a person's confirmation, printing). Imports of the core are made inside each verb,
so `stitch-ls guard`, run once per agent tool call, loads only what the guard needs.
"""

from __future__ import annotations

import os
import sys

from stitch_ls.cli.common import CliError, find_workspace
from stitch_ls.cli.formatters import PlainText
from stitch_ls.cli.parser import build_parser

__all__ = ["CliError", "find_workspace", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb not in ("serve", "mcp"):  # those speak a protocol on stdout, not to people
        sys.stdout, sys.stderr = PlainText(sys.stdout), PlainText(sys.stderr)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"stitch-ls: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `stitch-ls … | head`: the reader is gone, nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # what is still buffered goes nowhere, quietly, at exit
        return 0
