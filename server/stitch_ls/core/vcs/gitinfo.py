"""Who is at the keyboard, as git knows them: the name written into logs and sign-offs."""

from __future__ import annotations

import getpass
import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=16)
def user_email(root: Path) -> str:
    """`git config user.email` for the workspace, else the login name; never raises."""
    try:
        import git

        try:
            reader = git.Repo(root, search_parent_directories=True).config_reader()
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            reader = git.GitConfigParser([os.path.expanduser("~/.gitconfig")], read_only=True)
        email = reader.get_value("user", "email", default="")
        if email:
            return str(email)
    except Exception:  # noqa: BLE001 - git missing or broken: fall back, never fail
        pass
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "unknown"
