"""Authorship notes in git: `refs/notes/ai` read and written, and what a commit added.

Everything runs through a repository opened by `gitrun.open_repo` (every configured program
overridden). Notes fetched from a remote are kept apart, under `refs/notes/ai-remote/<remote>`
(the fetch refspec `init --share-notes` writes), so a fetch never replaces notes not pushed
yet; readers take the local note of a commit first, then a remote's.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from typing import Any

from stitch_ls.core.record.authorship import NOTES_REF

REMOTE_PREFIX = "refs/notes/ai-remote/"
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
WRITE_ATTEMPTS = 4
IDENTITY = {"GIT_COMMITTER_NAME": "Stitch", "GIT_COMMITTER_EMAIL": "stitch@localhost"}


def git(repo: Any, *args: str, env: dict[str, str] | None = None) -> str | None:
    """git's output, or None when the command failed (an unknown commit, no note)."""
    try:
        return str(repo.git.execute(["git", *args], strip_newline_in_stdout=False, env=env or None))
    except Exception:  # noqa: BLE001 - not there, or git failed: no answer
        return None


def blame_porcelain(out: str) -> list[tuple[str, int, str, str]]:
    """(commit, line number there, path there, text) per line of `git blame --porcelain`."""
    rows: list[tuple[str, int, str, str]] = []
    paths: dict[str, str] = {}
    current: tuple[str, int] | None = None
    for line in out.split("\n"):
        if line.startswith("\t"):
            if current is not None:
                rows.append((current[0], current[1], paths.get(current[0], ""), line[1:]))
            current = None
            continue
        parts = line.split(" ")
        if len(parts) >= 3 and len(parts[0]) in (40, 64) and parts[1].isdigit():
            try:
                int(parts[0], 16)
            except ValueError:
                continue
            current = (parts[0], int(parts[1]))
        elif line.startswith("filename ") and current is not None:
            paths[current[0]] = line[len("filename ") :]
    return rows


def note_refs(repo: Any) -> list[str]:
    """The notes refs with authorship logs: the local one first, then each remote's."""
    out = git(
        repo, "for-each-ref", "--format=%(refname)", NOTES_REF, REMOTE_PREFIX.rstrip("/") + "/"
    )
    names = [line for line in (out or "").splitlines() if line]
    return sorted(names, key=lambda name: (name != NOTES_REF, name))


def listed(repo: Any, ref: str) -> dict[str, str]:
    """commit -> note blob, for every note under `ref`."""
    out = git(repo, "notes", f"--ref={ref}", "list")
    notes: dict[str, str] = {}
    for line in (out or "").splitlines():
        parts = line.split()
        if len(parts) == 2:
            notes[parts[1]] = parts[0]
    return notes


def blob_text(repo: Any, blob: str, limit: int = 16 * 1024 * 1024) -> str | None:
    """A blob's text through the repository's long-lived `cat-file --batch`."""
    try:
        _sha, kind, size, data = repo.git.get_object_data(blob)
    except Exception:  # noqa: BLE001 - gone, or not an object
        return None
    if kind not in (b"blob", "blob") or int(size) > limit:
        return None
    return bytes(data).decode("utf-8", "replace")


def all_notes(repo: Any) -> dict[str, str]:
    """commit -> note blob for every authorship note, the local note of a commit before any
    remote's."""
    found: dict[str, str] = {}
    for ref in note_refs(repo):
        for commit, blob in listed(repo, ref).items():
            found.setdefault(commit, blob)
    return found


def note_of(repo: Any, commit: str) -> str | None:
    """The authorship note of one commit (local first, then any remote's), or None."""
    for ref in note_refs(repo):
        text = git(repo, "notes", f"--ref={ref}", "show", commit)
        if text is not None:
            return text
    return None


def write_note(repo: Any, commit: str, text: str) -> None:
    """Attach `text` to `commit` in `refs/notes/ai`, replacing a note already there. The
    notes commit takes the repository's identity, or Stitch's where none is configured."""
    env = None if git(repo, "var", "GIT_COMMITTER_IDENT") is not None else IDENTITY
    fd, name = tempfile.mkstemp(prefix="stitch-note-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        for attempt in range(WRITE_ATTEMPTS):  # two worktrees committing at once race for the ref
            try:
                repo.git.execute(
                    ["git", "notes", f"--ref={NOTES_REF}", "add", "-f", "-F", name, commit],
                    env=env,
                )
                break
            except Exception:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def merge_remote_notes(repo: Any) -> list[str]:
    """Fold each remote's notes into the local ref (the local note wins where both have one),
    so pushing `refs/notes/ai` after a fetch is a fast-forward; what was merged."""
    merged: list[str] = []
    for ref in note_refs(repo):
        if ref == NOTES_REF:
            continue
        if git(repo, "rev-parse", "--verify", "-q", NOTES_REF) is None:
            if git(repo, "update-ref", NOTES_REF, ref) is not None:
                merged.append(ref)
            continue
        if git(repo, "merge-base", "--is-ancestor", ref, NOTES_REF) is not None:
            continue  # nothing new there
        env = None if git(repo, "var", "GIT_COMMITTER_IDENT") is not None else IDENTITY
        if (
            git(repo, "notes", f"--ref={NOTES_REF}", "merge", "-q", "-s", "ours", ref, env=env)
            is not None
        ):
            merged.append(ref)
    return merged


def first_parent(repo: Any, commit: str) -> str | None:
    out = git(repo, "rev-parse", "--verify", "-q", f"{commit}^1")
    return out.strip() if out else None


def file_lines(repo: Any, commit: str, path: str) -> list[str] | None:
    """A file's lines at a commit (None when it is not there, or is not text)."""
    if "\n" in path:
        return None
    text = blob_text(repo, f"{commit}:{path}")
    if text is None:
        return None
    return text.removesuffix("\n").split("\n") if text else []


def added_lines(repo: Any, commit: str, parent: str | None) -> dict[str, dict[int, str]]:
    """Per file, the lines `commit` adds against `parent` (its first parent; the empty tree
    for a root commit): line number in the commit -> text. Renames are followed, so a moved
    file's unchanged lines are not "added"."""
    # start-up: git's post-rewrite hook does not load the streams
    from stitch_ls.core.vcs.streams import parse_diff

    diff = git(
        repo,
        "diff-tree",
        "-r",
        "-p",
        "-U0",
        "-M",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        parent or EMPTY_TREE,
        commit,
    )
    out: dict[str, dict[int, str]] = {}
    for file in parse_diff(diff or ""):
        if file.deleted or file.binary:
            continue
        lines: dict[int, str] = {}
        for hunk in file.hunks:
            number = hunk.new_lo
            for line in hunk.lines:
                if line.startswith("+"):
                    number += 1
                    lines[number] = line[1:]
        if lines:
            out[file.path] = lines
    return out


def commit_facts(repo: Any, commit: str) -> tuple[str, str, str, list[tuple[str, str]]] | None:
    """(author name, author email, full message, trailers) of one commit."""
    out = git(
        repo,
        "log",
        "-1",
        "--no-walk",
        "--format=%an%x1f%ae%x1f%B%x1f%(trailers:only,unfold)",
        commit,
    )
    if out is None:
        return None
    fields = out.split("\x1f")
    if len(fields) != 4:
        return None
    pairs = []
    for line in fields[3].splitlines():
        key, colon, value = line.partition(":")
        if colon:
            pairs.append((key.strip(), value.strip()))
    return fields[0], fields[1], fields[2], pairs


def share_notes(repo: Any, remote: str) -> list[str]:
    """Configure `remote` so authorship notes travel with `git fetch` and `git push`:

    - fetch: `+refs/notes/ai:refs/notes/ai-remote/<remote>` (kept apart from the local notes,
      which a fetch must never replace; the next commit's hook merges them in);
    - push: `refs/notes/ai:refs/notes/ai`, and `HEAD` before it when the remote had no push
      refspec (a configured one replaces `push.default`, so `git push` keeps pushing the
      current branch, to the branch of the same name).

    Idempotent; one line per thing done."""
    remotes = (git(repo, "remote") or "").split()
    if remote not in remotes:
        raise ValueError(f"no remote named {remote!r} (remotes: {', '.join(remotes) or 'none'})")
    said = []
    fetch = f"+{NOTES_REF}:{REMOTE_PREFIX}{remote}"
    fetches = (git(repo, "config", "--get-all", f"remote.{remote}.fetch") or "").splitlines()
    if fetch in fetches:
        said.append(f"remote.{remote}.fetch: notes are already fetched ({fetch})")
    else:
        repo.git.config("--add", f"remote.{remote}.fetch", fetch)
        said.append(f"remote.{remote}.fetch: added {fetch}")
    push = f"{NOTES_REF}:{NOTES_REF}"
    pushes = (git(repo, "config", "--get-all", f"remote.{remote}.push") or "").splitlines()
    if push in pushes:
        said.append(f"remote.{remote}.push: notes are already pushed ({push})")
        return said
    if not pushes:
        repo.git.config("--add", f"remote.{remote}.push", "HEAD")
        said.append(f"remote.{remote}.push: added HEAD (git push keeps pushing the current branch)")
    repo.git.config("--add", f"remote.{remote}.push", push)
    said.append(f"remote.{remote}.push: added {push}")
    return said
