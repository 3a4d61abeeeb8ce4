"""Stitch: a language server for teams in which coding agents work beside engineers.

Started as `python -m stitch_ls` from inside a repository, Python puts the current folder
first on `sys.path`, so a `queue.py` or `logging.py` at the repository's root would be
imported in place of the standard module. Nothing a repository contains may run: the
current folder leaves `sys.path` before anything else is imported (editors should also pass
`-I`; the console script `stitch-ls` never adds it).
"""

import os as _os
import sys as _sys


def _drop_working_directory() -> None:
    if _sys.flags.safe_path or not _sys.path:
        return
    first = _sys.path[0]
    try:
        here = _os.getcwd()
    except OSError:
        here = None
    if first == "" or (here is not None and _os.path.abspath(first) == here):
        del _sys.path[0]


_drop_working_directory()

__version__ = "0.1.0"
