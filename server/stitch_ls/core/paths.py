"""Where Stitch keeps its files, and the one check that keeps agent paths inside the workspace."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from stitch_ls.core.globs import glob_match

RESERVED_TOP = (".git", ".stitch")
__all__ = ["RESERVED_TOP", "StitchPaths", "check_relative_path", "glob_match", "resolve_inside"]


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
    def state(self) -> Path:
        return self.dir / "state.json"

    @property
    def lock(self) -> Path:
        return self.dir / ".lock"


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
    if parts[0] in RESERVED_TOP:
        raise ValueError(f"drafts may not write into {parts[0]}/")
    return "/".join(parts)


def resolve_inside(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`, refusing anything that escapes it (symlinks too)."""
    real_root = root.resolve()
    target = (real_root / relative).resolve()
    if target != real_root and real_root not in target.parents:
        raise ValueError(f"{relative!r} leads outside the workspace")
    inside = target.relative_to(real_root).parts
    if inside and inside[0] in RESERVED_TOP:
        raise ValueError(f"{relative!r} leads into {inside[0]}/")
    return target
