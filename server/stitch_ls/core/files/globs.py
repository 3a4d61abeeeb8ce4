"""Gitignore-style globs on workspace-relative paths (the team file's path patterns).

Apart from `core.files.paths` so that the guard, which runs before every agent tool call, can match
paths without importing what `paths` needs.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """Gitignore-style glob on a workspace-relative posix path: `**` spans folders, `*` does not."""
    return _glob_regex(pattern.lstrip("/")).match(path) is not None


RESERVED_TOP = (".git", ".stitch")


def reserved_part(parts: tuple[str, ...] | list[str]) -> str | None:
    """The first component that is a `.git` or `.stitch` folder, at any depth and in any case
    (a nested repository's `.git/config` names programs git runs; on a case-insensitive file
    system `.GIT` is `.git`)."""
    return next((part for part in parts if part.casefold() in RESERVED_TOP), None)
