"""Where the engineer's own files live: outside every workspace, one set per workspace.

Kept free of heavy imports: the agents' guard (`stitch-ls guard`) reads these paths on every
tool call.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path


def user_state_dir() -> Path:
    """Where the engineer's own switches live: the platform's per-user state directory
    (`$XDG_STATE_HOME/stitch`, by default `~/.local/state/stitch`), outside every workspace,
    so an agent confined to the repository cannot flip them."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative value is invalid, ignore it
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "stitch"


def in_user_state(path: Path | str) -> bool:
    """Whether `path` is the per-user state folder or lies in it: the engineer's alone, so
    `fsio` writes it 0600 (folders 0700) whatever the umask."""
    folder = user_state_dir()
    path = Path(path)
    return path == folder or folder in path.parents


@lru_cache(maxsize=64)
def workspace_key(root: Path | str) -> str:
    """One file name per workspace: its folder's name (for people) and a hash of its real
    path (so two folders of the same name never share a state)."""
    real = os.path.realpath(root)
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(real).name)[:40] or "root"
    return f"{name}-{digest}"
