"""Live streams: what an agent has written in its worktree and not yet committed.

A linked worktree whose branch is a stream contributes its working tree to that stream: its
tracked files as they are on disk and the new files git does not ignore, diffed against the
stream's merge base exactly as the stream's commits are (`gitview.STREAM_DIFF_OPTIONS`), so
stitch points appear between two agents' unsaved-to-git work, or between an agent's and the
engineer's buffer, before anyone commits.

A worktree is the repository's, and so hostile: it is read only when git's record of it and
its own `.git` agree (`refs.Worktree.verified`), every git call goes through the hardened
runner (nothing it configures runs; no optional locks, so the agent's own git is never
blocked by ours), new files are read without following a symlink, regular files only, each
bounded and all together bounded; what is left out is said, once, as a problem.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stitch_ls.core.files.fsio import read_inside
from stitch_ls.core.vcs.gitrun import UnsafeRepository, open_repo
from stitch_ls.core.vcs.streams import FileDiff, Hunk, parse_diff

MAX_NEW_FILES = 2000  # new files read per worktree; the rest are named in a problem
MAX_FILE_BYTES = 1024 * 1024  # a new file larger than this is not read (nor compared)
MAX_NEW_BYTES = 32 * 1024 * 1024  # all new files of one worktree, together
PRIVATE = (".stitch/",)  # Stitch's own files in a checkout: drafts, prompts, state


@dataclass
class LiveWork:
    """One worktree's work at one moment: its files' diffs against the stream's merge base
    (committed and uncommitted alike), the texts of its new files, which paths hold
    uncommitted work, and a digest that is equal exactly when all of that is."""

    checkout: Path
    diffs: list[FileDiff] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # new files, read already
    uncommitted: frozenset[str] = frozenset()
    version: str = ""
    problems: list[str] = field(default_factory=list)


def read_live(checkout: Path, merge_base: str, options: tuple[str, ...], label: str) -> LiveWork:
    """The work in `checkout` (a verified worktree) against `merge_base`, diffed with git's
    `options`; `label` names it in problems. Never raises for what the worktree holds: a
    worktree git cannot read is one problem and no work."""
    work = LiveWork(checkout)
    try:
        repo = open_repo(checkout)
    except UnsafeRepository as exc:
        work.problems.append(f"{label}: not read: {exc}")
        return work
    if repo is None:
        work.problems.append(f"{label}: {checkout} is no longer a git checkout: not read")
        return work
    try:
        diff = repo.git.diff(*options, merge_base, "--")
        changed = repo.git.diff(
            "--no-color",
            "--no-ext-diff",
            "--name-only",
            "-z",
            "HEAD",
            "--",
            strip_newline_in_stdout=False,
        )
        others = repo.git.ls_files(
            "--others", "--exclude-standard", "-z", strip_newline_in_stdout=False
        )
    except Exception as exc:  # noqa: BLE001 - a worktree git cannot read is said, not raised
        work.problems.append(f"{label}: git could not read {checkout}: {_first_line(exc)}")
        return work
    work.diffs = [d for d in parse_diff(diff) if not d.path.startswith(PRIVATE)]
    uncommitted = {name for name in changed.split("\0") if name}
    new = sorted(n for n in others.split("\0") if n and not n.startswith(PRIVATE))
    digest = hashlib.sha256(diff.encode("utf-8", "surrogateescape"))
    _read_new(work, new, label, digest)
    uncommitted.update(work.texts)
    work.uncommitted = frozenset(p for p in uncommitted if not p.startswith(PRIVATE))
    work.version = digest.hexdigest()[:32]
    return work


def _read_new(work: LiveWork, names: list[str], label: str, digest: Any) -> None:
    """New files as added-whole diffs, their texts kept; symlinks, non-regular, binary,
    too large or too many left out, each kind said once."""
    left_out: dict[str, list[str]] = {}
    budget = MAX_NEW_BYTES
    for index, name in enumerate(names):
        if index >= MAX_NEW_FILES:
            left_out.setdefault(f"over the limit of {MAX_NEW_FILES} new files", []).extend(
                names[index:]
            )
            break
        try:
            text = read_text(work.checkout, name, min(MAX_FILE_BYTES, budget))
        except ValueError as exc:
            left_out.setdefault(str(exc), []).append(name)
            continue
        if text is None:
            continue  # gone since git listed it
        budget -= len(text)
        work.texts[name] = text
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        body = tuple("+" + line for line in lines)
        work.diffs.append(FileDiff(name, None, name, [Hunk(0, 0, 0, len(lines), body)]))
        digest.update(b"\0new\0" + name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(text.encode("utf-8", "surrogateescape"))
    for why, which in left_out.items():
        shown = ", ".join(which[:3]) + (f" and {len(which) - 3} more" if len(which) > 3 else "")
        work.problems.append(f"{label}: left out of its live stream ({why}): {shown}")


def read_text(checkout: Path, name: str, limit: int = MAX_FILE_BYTES) -> str | None:
    """A worktree file's text: no symlink followed (not the file, not a folder on the way),
    regular files only, at most `limit` bytes, not binary. None when it is gone; ValueError
    saying why it is not read otherwise."""
    if not name or name.startswith("/") or "\0" in name or ".." in name.split("/"):
        raise ValueError("not a path inside the worktree")
    try:
        raw = read_inside(checkout, name, limit)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        raise ValueError(_symlink_or(exc)) from None
    except ValueError as exc:
        raise ValueError(_why(str(exc))) from None
    if "\0" in raw[:8000]:
        raise ValueError("a binary file")
    return raw


def _symlink_or(exc: OSError) -> str:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return "a symlink"
    return exc.strerror or type(exc).__name__


def _why(message: str) -> str:
    """read_inside's words, without the path (the problem names the files)."""
    if "symlink" in message:
        return "a symlink"
    if "not a regular file" in message:
        return "not a regular file"
    if "over the limit" in message:
        return f"larger than {MAX_FILE_BYTES // 1024} KiB"
    if "UTF-8" in message:
        return "not UTF-8 text"
    return message


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__


def inside(checkout: Path, path: Path) -> bool:
    """Whether `path` (an absolute path a watcher reported) is in `checkout`'s files."""
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(checkout))
    except ValueError:
        return False
    return True
