"""Which refs and worktrees a repository has, and whether they moved (`core.vcs.refs`), on real
repositories: a main checkout and linked worktrees made by `git worktree add`, a real
`git fetch`, and hostile files where git keeps its refs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from gitrepos import commit_on, stream_repo
from stitch_ls.core.vcs import refs
from workspaces import git


def worktree(root: Path, path: Path, branch: str, *, new: bool = True) -> Path:
    git(
        root,
        "worktree",
        "add",
        "-q",
        *(["-b", branch] if new else []),
        str(path),
        *([] if new else [branch]),
    )
    return path


def test_a_linked_worktree_finds_the_repository_it_belongs_to(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    wt = worktree(root, tmp_path / "wt-a", "stream/checkout/c")
    main, linked = refs.locate(root), refs.locate(wt)
    assert main is not None and linked is not None
    assert (wt / ".git").is_file()  # the case a folder-only reading missed
    assert not main.linked and linked.linked
    assert linked.common_dir.resolve() == main.common_dir.resolve() == (root / ".git").resolve()
    assert refs.repository_root(linked) == refs.repository_root(main)
    assert refs.head_branch(linked.git_dir) == "stream/checkout/c"
    assert refs.head_branch(main.git_dir) == "main"
    trees = {str(t.path): t for t in refs.worktrees(linked)}
    assert trees[str(root)].main and trees[str(root)].branch == "main"
    assert trees[str(wt)].branch == "stream/checkout/c" and not trees[str(wt)].main
    assert refs.worktree_of(main, "stream/checkout/c").path == wt
    assert refs.locate(tmp_path) is None  # no .git at all


def test_the_fingerprint_moves_with_every_ref_that_changes_an_answer(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    wt = worktree(root, tmp_path / "wt-a", "stream/checkout/c")
    from_wt = refs.locate(wt)
    assert from_wt is not None
    seen = refs.fingerprint(from_wt)
    assert seen == refs.fingerprint(from_wt)  # stable while nothing moves

    def moved() -> bool:
        nonlocal seen
        now = refs.fingerprint(from_wt)
        changed, seen = now != seen, now
        return changed

    commit_on(root, "stream/checkout/a", "src/checkout.py", "return", "return  ", "another")
    assert moved()  # a commit on a branch made in the main checkout, seen from the worktree
    (wt / "note.txt").write_text("x\n")
    git(wt, "add", "note.txt")
    git(wt, "commit", "-q", "-m", "in the worktree")
    assert moved()  # a commit in the worktree
    git(wt, "checkout", "-q", "-b", "stream/checkout/d")
    assert moved()  # a branch switch in the worktree (its HEAD)
    git(root, "pack-refs", "--all")
    assert moved()  # packed-refs
    worktree(root, tmp_path / "wt-b", "stream/checkout/e")
    assert moved()  # a new worktree
    git(root, "notes", "add", "-m", "agent: claude-code", "HEAD")
    assert moved()  # notes (attribution travels in refs/notes)
    assert not moved()


def test_a_fetch_that_brings_a_stream_moves_the_fingerprint(tmp_path: Path):
    origin = stream_repo(tmp_path / "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    dirs = refs.locate(clone)
    assert dirs is not None
    before = refs.fingerprint(dirs)
    commit_on(origin, "stream/checkout/c", "src/checkout.py", "return", "return  ", "third")
    git(clone, "fetch", "-q", "origin")
    assert refs.fingerprint(dirs) != before
    key = refs.commits(clone)
    assert key is not None and any(name == "remotes/origin/stream/checkout/c" for name, _ in key)


def test_nothing_git_keeps_can_make_it_wait(tmp_path: Path):
    """A FIFO where git keeps HEAD, packed-refs or a ref is never opened for reading (it would
    block until someone writes), and a `.git` that points nowhere is no repository."""
    root = stream_repo(tmp_path / "ws")
    wt = worktree(root, tmp_path / "wt-a", "stream/checkout/c")
    dirs = refs.locate(wt)
    assert dirs is not None
    common = dirs.common_dir
    (common / "packed-refs").unlink(missing_ok=True)
    os.mkfifo(common / "packed-refs")
    (common / "refs" / "heads" / "stream" / "checkout" / "a").unlink()
    os.mkfifo(common / "refs" / "heads" / "stream" / "checkout" / "a")
    (dirs.git_dir / "HEAD").unlink()
    os.mkfifo(dirs.git_dir / "HEAD")
    answers: list[object] = []

    def look() -> None:
        again = refs.locate(wt)
        answers.extend([again, refs.head_branch(dirs.git_dir), refs.fingerprint(dirs)])
        answers.append(refs.worktrees(dirs))

    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive(), "a FIFO in .git made the refs module wait"
    assert answers[1] is None  # a HEAD that is not a regular file names no branch
    (tmp_path / "pointing-nowhere").mkdir()
    (tmp_path / "pointing-nowhere" / ".git").write_text("gitdir: /nonexistent/.git/worktrees/x\n")
    assert refs.locate(tmp_path / "pointing-nowhere") is None
    os.mkfifo(tmp_path / "fifo-git")
    (tmp_path / "fifo-dir").mkdir()
    os.mkfifo(tmp_path / "fifo-dir" / ".git")
    assert refs.locate(tmp_path / "fifo-dir") is None
    assert refs.read_small(tmp_path / "fifo-git") is None


def test_the_guards_cache_is_dropped_by_every_ref_that_can_change_its_answer(tmp_path: Path):
    """The guard's compiled facts hold only while no input moved: a fetch (remote-tracking
    refs), a commit or branch switch in any worktree, from whichever checkout it is asked."""
    from datetime import UTC, datetime

    from stitch_ls.core.guard.cache import cached_facts, compile_facts

    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    origin = stream_repo(tmp_path / "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    wt = worktree(clone, tmp_path / "wt-c", "stream/checkout/c")
    for asked_from in (clone, wt):
        compile_facts(asked_from, now)
        assert cached_facts(asked_from, now) is not None
    commit_on(origin, "stream/checkout/d", "src/checkout.py", "return", "return  ", "fetched")
    git(clone, "fetch", "-q", "origin")
    assert cached_facts(clone, now) is None and cached_facts(wt, now) is None
    for asked_from in (clone, wt):
        compile_facts(asked_from, now)
    git(wt, "checkout", "-q", "-b", "stream/checkout/e")  # a switch in the linked worktree
    assert cached_facts(clone, now) is None and cached_facts(wt, now) is None
