"""Where Stitch keeps its files, and the one check that keeps agent paths inside the workspace."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

RESERVED_TOP = (".git", ".stitch")


def user_state_dir() -> Path:
    """Where the engineer's own switches live: the platform's per-user state directory
    (`$XDG_STATE_HOME/stitch`, by default `~/.local/state/stitch`), outside every workspace,
    so an agent confined to the repository cannot flip them."""
    base = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative value is invalid, ignore it
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "stitch"


@lru_cache(maxsize=64)
def workspace_key(root: Path) -> str:
    """One file name per workspace: its folder's name (for people) and a hash of its real
    path (so two folders of the same name never share a state)."""
    real = str(root.resolve())
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(real).name)[:40] or "root"
    return f"{name}-{digest}"


@dataclass(frozen=True)
class StitchPaths:
    """The `.stitch/` layout of one workspace (see DESIGN.md, "The workspace")."""

    root: Path

    @property
    def dir(self) -> Path:
        return self.root / ".stitch"

    @property
    def config(self) -> Path:
        return self.dir / "config.toml"

    @property
    def drafts(self) -> Path:
        return self.dir / "drafts"

    @property
    def prompts(self) -> Path:
        return self.dir / "prompts"

    @property
    def source_log(self) -> Path:
        return self.dir / "source-log.jsonl"

    @property
    def signoffs(self) -> Path:
        return self.dir / "signoffs.jsonl"

    @property
    def lock(self) -> Path:
        return self.dir / ".lock"

    @property
    def legacy_state(self) -> Path:
        """Where the switches lived before they moved out of the workspace (migrated once)."""
        return self.dir / "state.json"

    @property
    def user_dir(self) -> Path:
        return user_state_dir()

    @property
    def state(self) -> Path:
        """The engineer's switches for this workspace: read-only, focus, budget, outcomes."""
        return self.user_dir / f"{workspace_key(self.root)}.json"

    @property
    def state_lock(self) -> Path:
        return self.user_dir / f"{workspace_key(self.root)}.lock"

    @property
    def last_good(self) -> Path:
        """The last valid team file this machine saw in force here (the fallback after the
        committed versions, before a lock-down)."""
        return self.user_dir / f"{workspace_key(self.root)}.last-good.json"


def check_relative_path(raw: str) -> str:
    """Validate a workspace-relative path as an agent wrote it; return it normalised.

    Refuses absolute paths, `..`, backslashes, NUL and paths into `.git/` or `.stitch/`.
    Symlinks are checked against the real workspace by `resolve_inside`.
    """
    if not raw or len(raw) > 1024:
        raise ValueError("path must be 1-1024 characters")
    if "\x00" in raw or "\\" in raw:
        raise ValueError("path must not contain NUL or backslashes")
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise ValueError(f"path must be relative to the workspace, not absolute: {raw!r}")
    parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
    if not parts:
        raise ValueError("path names no file")
    if ".." in parts:
        raise ValueError(f"path must not leave the workspace: {raw!r}")
    reserved = reserved_part(parts)
    if reserved is not None:
        raise ValueError(f"drafts may not write into {reserved}/")
    return "/".join(parts)


def reserved_part(parts: tuple[str, ...] | list[str]) -> str | None:
    """The first component that is a `.git` or `.stitch` folder, at any depth and in any case
    (a nested repository's `.git/config` names programs git runs; on a case-insensitive file
    system `.GIT` is `.git`)."""
    return next((part for part in parts if part.casefold() in RESERVED_TOP), None)


def resolve_inside(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`, refusing anything that escapes it (symlinks too)."""
    real_root = root.resolve()
    target = (real_root / relative).resolve()
    if target != real_root and real_root not in target.parents:
        raise ValueError(f"{relative!r} leads outside the workspace")
    reserved = reserved_part(target.relative_to(real_root).parts)
    if reserved is not None:
        raise ValueError(f"{relative!r} leads into {reserved}/")
    return target


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
