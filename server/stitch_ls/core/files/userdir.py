"""Where the engineer's own files live: outside every workspace, one set per repository.

Kept free of heavy imports: the agents' guard (`stitch-ls guard`) reads these paths on every
tool call.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

from stitch_ls.core.vcs import refs


def user_state_dir() -> Path:
    """Where the engineer's own switches live: the platform's per-user state directory
    (`$XDG_STATE_HOME/stitch`, by default `~/.local/state/stitch`), outside every workspace,
    so an agent confined to the repository cannot flip them."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative value is invalid, ignore it
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "stitch"


def _key(name: str, real: str) -> str:
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)[:40] or 'root'}-{digest}"


def in_user_state(path: Path | str) -> bool:
    """Whether `path` is the per-user state folder or lies in it: the engineer's alone, so
    `fsio` writes it 0600 (folders 0700) whatever the umask."""
    folder = user_state_dir()
    path = Path(path)
    return path == folder or folder in path.parents


@lru_cache(maxsize=64)
def workspace_key(root: Path | str) -> str:
    """One file name per checkout: its folder's name (for people) and a hash of its real path
    (so two folders of the same name never share a name). What is kept per checkout (the
    guard's compiled facts, whose branch is the checkout's) uses it."""
    real = os.path.realpath(root)
    return _key(Path(real).name, real)


@lru_cache(maxsize=64)
def repository_key(root: Path | str) -> str:
    """One file name per repository, the same from every worktree of it: the main checkout's
    folder name (for people) and a hash of the real path of git's common directory. What is
    the engineer's or the team's (switches, outcomes, budget, the apply lock and journal, the
    last good team file) is kept under it. Outside a repository: the folder's own key."""
    dirs = refs.locate(root)
    if dirs is None:  # its git folder cannot be read: the repository it was, if known
        return _known(root) or workspace_key(root)
    common = Path(refs.repository_root(dirs))
    main = common.parent if common.name == ".git" else common
    key = _key(main.name, str(common))
    _know(root, key)
    return key


def _known_file() -> Path:
    return user_state_dir() / "checkouts.json"


def _checkouts() -> dict[str, str]:
    try:
        with open(_known_file(), "rb") as handle:
            data = json.loads(handle.read(1024 * 1024))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _known(root: Path | str) -> str | None:
    """The repository a checkout belonged to when its git folder was last readable: a broken
    or replaced `.git` must not hand the checkout fresh switches (read-only off)."""
    found = _checkouts().get(os.path.realpath(root))
    return found if isinstance(found, str) else None


def _know(root: Path | str, key: str) -> None:
    """Remember which repository a checkout belongs to (once; a failure changes nothing)."""
    # start-up: the guard's path and the server's first answer load userdir
    import tempfile

    real = os.path.realpath(root)
    known = _checkouts()
    if known.get(real) == key:
        return
    known[real] = key
    folder = user_state_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".checkouts.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(known, handle)
        os.replace(tmp, _known_file())
    except OSError:
        pass


def legacy_key(root: Path | str) -> str | None:
    """The name the repository's files had when they were kept per checkout (before every
    worktree shared them): the main checkout's `workspace_key`, to take its switches over
    once. None when that is the name already."""
    dirs = refs.locate(root)
    if dirs is None:
        return None
    common = Path(refs.repository_root(dirs))
    if common.name != ".git":
        return None
    old = workspace_key(common.parent)
    return None if old == repository_key(root) else old
