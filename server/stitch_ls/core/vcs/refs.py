"""Which refs and worktrees a repository has, and whether they moved: one answer for the language
server's git watch, the indexer's snapshots and the agents' guard.

Two levels. The cheap one reads git's files and runs nothing (the guard asks it before every
tool call, the server polls it ten times a second): `locate` finds a checkout's git folders
(`.git` may be a folder, or in a linked worktree a file naming one, whose `commondir` names the
repository's), `worktrees` lists every checkout of the repository with its branch, and
`fingerprint` is the `lstat` of everything that changes when a ref moves: `packed-refs`, every
loose ref under `refs/heads`, `refs/remotes` and `refs/notes`, each worktree's `HEAD` and the
folder that lists the worktrees. The precise one (`commit_key`) asks git, through the hardened
runner, for the commit of every branch and of HEAD: what a snapshot is keyed on.

A repository is hostile: nothing here opens anything but a regular file (a FIFO at `HEAD` or
`packed-refs` is skipped, never waited on), reads more than a small bound, or follows a
symlink out of git's folders when it walks them. Imports stay light (the guard's path).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, NamedTuple

MAX_POINTER_BYTES = 64 * 1024  # `.git` files, `commondir`, `gitdir`, `HEAD`: a line each
MAX_REFS_WALKED = 100_000  # loose refs and folders stat'ed per fingerprint, at most
REF_FOLDERS = ("refs/heads", "refs/remotes", "refs/notes")


class GitDirs(NamedTuple):
    """A checkout's git folders: its own (`.git`, or `.git/worktrees/<name>` of the main
    checkout for a linked worktree) and the repository's, which every worktree shares."""

    work_tree: Path
    git_dir: Path
    common_dir: Path

    @property
    def linked(self) -> bool:
        """A linked worktree (`git worktree add`), not the main checkout."""
        return self.git_dir != self.common_dir


class Worktree(NamedTuple):
    """One checkout of the repository: where it is, its git folder, and what it has out."""

    path: Path | None  # None when git's record of it names no folder (pruned soon)
    git_dir: Path
    branch: str | None  # None: a detached HEAD (or one that could not be read)
    main: bool
    # its folder's `.git` points back to this repository: git's record of a worktree is a
    # file in `.git` that names any folder, so only a folder that agrees is read as a checkout
    verified: bool = False


def read_small(path: Path | str, limit: int = MAX_POINTER_BYTES) -> str | None:
    """A small regular file's text, or None: missing, not a regular file (a FIFO, device or
    socket is never opened for reading, so it cannot block), or larger than `limit`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        data = os.read(fd, limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > limit:
        return None
    return data.decode("utf-8", "surrogateescape")


def _pointed(base: Path, text: str | None, prefix: str = "") -> Path | None:
    """The folder a git pointer file names (relative to `base` when it is not absolute)."""
    if text is None:
        return None
    line = text.strip()
    if prefix:
        if not line.startswith(prefix):
            return None
        line = line[len(prefix) :].strip()
    if not line or "\x00" in line:
        return None
    path = Path(line)
    return path if path.is_absolute() else base / path


def locate(root: Path | str) -> GitDirs | None:
    """The git folders of the checkout at `root`, read from files (no git runs); None when
    `root` holds no `.git` (or one that points nowhere readable)."""
    work_tree = Path(root)
    dot_git = work_tree / ".git"
    try:
        info = os.stat(dot_git)
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        git_dir = dot_git
    elif stat.S_ISREG(info.st_mode):
        pointed = _pointed(work_tree, read_small(dot_git), "gitdir:")
        if pointed is None or not pointed.is_dir():
            return None
        git_dir = pointed
    else:
        return None
    common = _pointed(git_dir, read_small(git_dir / "commondir")) or git_dir
    if not common.is_dir():
        return None
    return GitDirs(work_tree, Path(os.path.normpath(git_dir)), Path(os.path.normpath(common)))


def repository_root(dirs: GitDirs) -> Path:
    """The repository's own folder, the same from every worktree: its common git dir."""
    return Path(os.path.realpath(dirs.common_dir))


def head_branch(git_dir: Path) -> str | None:
    """The branch a git folder's `HEAD` has out (None: detached, or unreadable)."""
    head = read_small(git_dir / "HEAD")
    if head is None or not head.startswith("ref: refs/heads/"):
        return None
    return head.strip().removeprefix("ref: refs/heads/") or None


def worktrees(dirs: GitDirs) -> list[Worktree]:
    """Every checkout of the repository, the main one first, from git's own records
    (`<common>/worktrees/<name>/gitdir` names each linked checkout's `.git` file)."""
    common = dirs.common_dir
    main_path = common.parent if common.name == ".git" else None  # None: a bare repository
    found = [Worktree(main_path, common, head_branch(common), True, main_path is not None)]
    try:
        entries = sorted(os.scandir(common / "worktrees"), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        git_dir = Path(entry.path)
        dot_git = _pointed(git_dir, read_small(git_dir / "gitdir"))
        path = dot_git.parent if dot_git is not None else None
        back = locate(path) if path is not None else None
        verified = back is not None and os.path.realpath(back.git_dir) == os.path.realpath(git_dir)
        found.append(Worktree(path, git_dir, head_branch(git_dir), False, verified))
    return found


def checkouts(root: Path | str) -> list[Worktree]:
    """Every checkout of the repository `root` belongs to that is really one of its
    (`verified`), the one at `root` first; just `root` outside a repository."""
    dirs = locate(root)
    here = Path(os.path.realpath(root))
    if dirs is None:
        return [Worktree(Path(root), Path(root) / ".git", None, True, True)]
    trees = [t for t in worktrees(dirs) if t.verified and t.path is not None]
    own = [t for t in trees if t.path is not None and Path(os.path.realpath(t.path)) == here]
    if not own:  # not a checkout git lists (a bare repository's folder, say): itself first
        own = [Worktree(Path(root), dirs.git_dir, head_branch(dirs.git_dir), not dirs.linked, True)]
    rest = [t for t in trees if t not in own and Path(os.path.realpath(t.path or "")) != here]
    return [own[0], *rest]


def worktree_of(dirs: GitDirs, branch: str) -> Worktree | None:
    """The checkout that has `branch` out, if any."""
    return next((w for w in worktrees(dirs) if w.branch == branch), None)


Fingerprint = tuple[tuple[str, int, int, int], ...]


def watched(dirs: GitDirs) -> list[str]:
    """Every file and folder whose change means a ref moved (see `fingerprint`)."""
    common = dirs.common_dir
    paths = [str(common / "packed-refs"), str(common / "worktrees")]
    for tree in worktrees(dirs):
        paths.append(str(tree.git_dir / "HEAD"))
    budget = MAX_REFS_WALKED
    for folder in REF_FOLDERS:
        stack = [common / folder]
        while stack and budget > 0:
            current = stack.pop()
            paths.append(str(current))  # a new or removed ref changes its folder
            budget -= 1
            try:
                entries = list(os.scandir(current))
            except OSError:
                continue
            for entry in entries:
                budget -= 1
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    paths.append(entry.path)
    return paths


def fingerprint(dirs: GitDirs) -> Fingerprint:
    """What moves when any ref moves, as `lstat`s (mtime, size, inode): a few hundred system
    calls, so polling it costs nothing until git runs. Equal fingerprints mean no branch,
    remote-tracking branch, note or worktree `HEAD` moved."""
    found = []
    for path in watched(dirs):
        try:
            info = os.lstat(path)
        except OSError:
            continue
        found.append((path, info.st_mtime_ns, info.st_size, info.st_ino))
    return tuple(sorted(found))


def hazards(dirs: GitDirs) -> list[str]:
    """What git (or GitPython, which reads refs itself) would open and wait on for ever: a
    ref, `HEAD`, `packed-refs`, the index, a configuration file, or another file of git's own
    folder that most commands read (alternates, grafts, shallow, info/exclude...), that is not
    a regular file (a FIFO, a device, a socket). Symlinks are followed, as git follows them.
    (A FIFO in the work tree, a `.gitignore` say, is left to the time-out every run has.)"""
    found = []
    common = dirs.common_dir
    extra = [
        common / "config",
        dirs.git_dir / "config.worktree",
        dirs.git_dir / "index",
        common / "shallow",
        *(common / "objects" / "info" / name for name in ("alternates", "http-alternates")),
        *(
            common / "info" / name
            for name in ("grafts", "attributes", "exclude", "sparse-checkout")
        ),
    ]
    for path in [*watched(dirs), *map(str, extra)]:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            found.append(path)
    return found


def fingerprint_of(root: Path | str) -> Fingerprint | None:
    dirs = locate(root)
    return fingerprint(dirs) if dirs is not None else None


# -- the precise answer: commits, from git (the hardened runner) -------------------------------
#
# `repo` below is a repository opened by `gitrun.open_repo` (GitPython, every configured
# program overridden); GitPython itself is never imported here.


def dirs_of(repo: Any) -> GitDirs:
    """The git folders of an opened repository."""
    return GitDirs(Path(repo.working_tree_dir), Path(repo.git_dir), Path(repo.common_dir))


def remote_branches(repo: Any) -> dict[str, tuple[str, Any]]:
    """branch name as on its remote -> (the remote-tracking name, e.g. `origin/stream/x/a`,
    its commit), for every remote-tracking branch; where several remotes have a branch of
    the same name, the first remote by name."""
    found: dict[str, tuple[str, Any]] = {}
    remotes = sorted((r.name for r in repo.remotes), key=len, reverse=True)  # `a/b` before `a`
    tracked = [r for r in repo.references if r.path.startswith("refs/remotes/")]
    for ref in sorted(tracked, key=lambda r: r.path):
        tracking = ref.path.removeprefix("refs/remotes/")
        remote = next((name for name in remotes if tracking.startswith(f"{name}/")), None)
        branch = tracking[len(remote) + 1 :] if remote is not None else ""
        if not branch or branch == "HEAD" or branch in found:
            continue
        try:
            found[branch] = (f"{remote}/{branch}", ref.commit)
        except (ValueError, TypeError):  # a dangling or broken ref: not a stream
            continue
    return found


CommitKey = tuple[tuple[str, str], ...]


def commits(root: Path) -> CommitKey | None:
    """`commit_key` of the repository at `root`; None without a usable repository."""
    # start-up: the guard's path and the server read refs as files, without gitrun
    from stitch_ls.core.vcs.gitrun import open_repo

    repo = open_repo(root)
    return commit_key(repo) if repo is not None else None


def commit_key(repo: Any) -> CommitKey:
    """Commit ids of every local and remote-tracking branch and HEAD: the cache key for all
    stream work."""
    refs = [(head.name, head.commit.hexsha) for head in repo.heads]
    refs += [(f"remotes/{name}", c.hexsha) for name, c in remote_branches(repo).values()]
    try:
        refs.append(("HEAD", repo.head.commit.hexsha))
    except ValueError:
        pass
    return tuple(sorted(refs))
