"""Where Stitch keeps its files, and the one check that keeps agent paths inside the workspace."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from stitch_ls.core.files.globs import RESERVED_TOP, glob_match, reserved_part
from stitch_ls.core.files.userdir import legacy_key, repository_key, user_state_dir
from stitch_ls.core.vcs import refs

__all__ = [
    "RESERVED_TOP",
    "StitchPaths",
    "check_relative_path",
    "glob_match",
    "reserved_part",
    "resolve_inside",
]


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
    def key(self) -> str:
        """The repository's name among the engineer's files: every worktree shares it."""
        return repository_key(self.root)

    @property
    def state(self) -> Path:
        """The engineer's switches for this repository: read-only, focus, budget, outcomes."""
        return self.user_dir / f"{self.key}.json"

    @property
    def state_lock(self) -> Path:
        return self.user_dir / f"{self.key}.lock"

    @property
    def apply_lock(self) -> Path:
        """Held while an apply is checked and committed, and while read-only is switched:
        by the CLI and the indexer alike, so no apply commits after a switch-on."""
        return self.user_dir / f"{self.key}.apply.lock"

    @property
    def apply_journal(self) -> Path:
        """An apply in progress: what each file held before and will hold after, and the
        log entry; a crash leaves it, and the next reader finishes or undoes the apply."""
        return self.user_dir / f"{self.key}.apply-journal.json"

    @property
    def unsaved(self) -> Path:
        """Applies the editor made that have not reached the disk yet, one file per draft
        (`core.record.keeping`): logged as accepted once saved, or as not kept."""
        return self.user_dir / f"{self.key}.unsaved"

    @property
    def accepted(self) -> Path:
        """The version of the team's rules this person's machine holds in force (approved by
        the person, accepted at first use, or stricter than what was): `core.policy.teamfile`."""
        return self.user_dir / f"{self.key}.accepted.json"

    @property
    def last_good(self) -> Path:
        """Where the last valid team file in force was kept before versions were accepted
        (`accepted`): taken over once as the accepted version."""
        return self.user_dir / f"{self.key}.last-good.json"

    def legacy_user_file(self, suffix: str) -> Path | None:
        """Where a file of the engineer's was kept when it was kept per checkout (`.json`,
        `.last-good.json`, `.apply-journal.json`), to be taken over once; None if never."""
        old = legacy_key(self.root)
        return None if old is None else self.user_dir / f"{old}{suffix}"

    @property
    def shared_switches(self) -> Path | None:
        """The read-only switch and focus as every process of the repository sees them, in
        git's common directory (any worktree, another OS user, another state folder); None
        outside a repository."""
        dirs = refs.locate(self.root)
        return None if dirs is None else dirs.common_dir / "stitch" / "switches.json"


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
