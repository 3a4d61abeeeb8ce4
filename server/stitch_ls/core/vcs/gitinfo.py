"""Who is at the keyboard, as git knows them: the name written into logs and sign-offs."""

from __future__ import annotations

import getpass
from functools import lru_cache
from pathlib import Path

from stitch_ls.core.vcs.gitrun import config_value


@lru_cache(maxsize=16)
def user_email(root: Path) -> str:
    """`git config user.email` for the workspace, else the login name; never raises."""
    email = config_value(root, "user.email")
    if email:
        return email
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "unknown"
