"""One snapshot of what git knows about a workspace's streams, computed off the event loop.

`take_snapshot` does all the git work for a set of commit ids and the worktrees' files
(streams, their per-file changes, pairwise conflicts, agent-commit drafts); `points_for` then
answers, for one file and the engineer's live text, which stitch points there are — cheaply,
from the snapshot. A stream checked out in a linked worktree is live (`core.vcs.live`): its
changes are its worktree's files against its merge base, committed or not.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.files.paths import glob_match
from stitch_ls.core.policy.config import TeamConfig
from stitch_ls.core.policy.teamfile import rules_in_force
from stitch_ls.core.safetext import one_line
from stitch_ls.core.syntax import language_for_path
from stitch_ls.core.vcs import live as lv
from stitch_ls.core.vcs import streams as st
from stitch_ls.core.vcs.conflicts import Conflict, regions
from stitch_ls.core.vcs.signing import Verifier
from stitch_ls.core.vcs.stitchpoints import (
    SignOffs,
    StitchPoint,
    StreamChange,
    apply_signoffs,
    codeowner_for,
    codeowners_rules,
    find_points,
    parsed,
)

ENGINEER = "you"


@dataclass
class Snapshot:
    key: tuple[tuple[str, str], ...]
    streams: st.StreamSet
    engineer_base: str | None  # merge-base of HEAD and the base branch
    changes: dict[str, dict[str, StreamChange]] = field(default_factory=dict)
    conflicts: dict[str, list[Conflict]] = field(default_factory=dict)
    drafts: list[Draft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    base_texts: dict[str, str | None] = field(default_factory=dict)
    owners: list[tuple[str, list[str]]] = field(default_factory=list)
    signers: str | None = None  # the allowed signers in force (accepted with the team file)
    loaded: set[tuple[str, str]] = field(default_factory=set)
    # what each stream cost, kept for the next snapshot: a stream whose commits did not move
    # is not diffed or read again (an agent's commit moves one stream, not all of them)
    work: dict[str, StreamWork] = field(default_factory=dict)
    # versions of two streams (`StreamWork.version`) -> where their merge conflicts, per file
    merges: dict[tuple[str, str], list[tuple[str, Conflict]]] = field(default_factory=dict)
    live: bool = True  # worktrees' uncommitted work was read (`check --committed`: not)

    def live_in(self, stream: str, path: str) -> bool:
        """Whether `stream`'s version of `path` is uncommitted work in its worktree."""
        work = self.work.get(stream)
        return work is not None and work.live is not None and path in work.live.uncommitted

    def live_streams(self) -> list[str]:
        """The streams with uncommitted work in their worktrees."""
        return sorted(n for n, w in self.work.items() if w.live is not None and w.live.uncommitted)


@dataclass
class StreamWork:
    diff_key: tuple[str, str]  # (merge base, head)
    files: dict[str, StreamChange]  # path -> its change, with its text once read
    drafts_key: tuple[str, str]  # (head, the engineer's commit)
    drafts: list[Draft]
    problems: list[str]
    # path -> its diff against the merge base, for files changed in place (not renamed,
    # deleted or binary): the hunks a pair's conflicts are found from (`shared_base_conflicts`)
    diffs: dict[str, st.FileDiff] = field(default_factory=dict)
    # the merge bases of the engineer's commit and the head (None: not asked yet): the
    # commits the two share are exactly their ancestors, so while these stay the same, so do
    # the stream's commits not in the engineer's branch, and with them its drafts
    common: frozenset[str] | None = None
    live: lv.LiveWork | None = None  # its worktree's files, when it is checked out in one

    @property
    def version(self) -> str:
        """Equal exactly when the stream's changes are: its head, and its worktree's work."""
        head = self.diff_key[1]
        return f"{head}+{self.live.version}" if self.live is not None else head


def take_snapshot(
    root: Path,
    team: TeamConfig,
    previous: Snapshot | None = None,
    *,
    now: datetime,
    live: bool = True,
    dirty: set[Path] | None = None,
) -> Snapshot | None:
    """All the git work for the current commit ids; None when there is no usable repository.
    What `previous` found for streams (and pairs of streams) whose commits did not move is
    reused, stream versions of files already read included. With `live`, streams checked out
    in linked worktrees read their worktrees' files too: again only where a file in `dirty`
    changed since `previous` (None: every worktree is read again)."""
    repo = st.open_repo(root)
    if repo is None:
        return None
    streams = st.discover(repo, team.streams.base, team.streams.branch_pattern, now, live=live)
    engineer_base = None
    if streams.base_commit and streams.head_commit:
        bases = repo.merge_base(streams.base_commit, streams.head_commit)
        engineer_base = bases[0].hexsha if bases else None
    # the engineer's own branch is the working-tree stream, not a second copy of itself
    streams.streams = [s for s in streams.streams if s.branch != streams.head_branch]
    here = os.path.realpath(root)
    snap = Snapshot(streams.key, streams, engineer_base, problems=list(streams.problems))
    snap.live = live
    owners, signers = rules_in_force(root)
    snap.owners, snap.signers = codeowners_rules(owners), signers
    before = previous.work if previous is not None else {}
    kept = []
    for stream in streams.streams:
        checkout = None
        if live and stream.worktree is not None and stream.worktree != here:
            checkout = Path(stream.worktree)
        work = _stream_work(
            repo, stream, streams.head_commit, before.get(stream.name), checkout, dirty
        )
        if not stream.commits and (work.live is None or not work.files):
            snap.problems.extend(work.problems)  # a worktree with nothing in it yet
            continue
        if work.live is not None and work.live.uncommitted:
            stream = replace(stream, live=True)
        kept.append(stream)
        snap.work[stream.name] = work
        for path, change in work.files.items():
            snap.changes.setdefault(path, {})[stream.name] = change
            if change.text is not None:
                snap.loaded.add((stream.name, path))
        snap.drafts.extend(work.drafts)
        snap.problems.extend(work.problems)
        if work.live is not None:
            snap.problems.extend(work.live.problems)
    streams.streams = kept
    merges = previous.merges if previous is not None else {}
    for a, b in itertools.combinations(streams.streams, 2):
        a_work, b_work = snap.work[a.name], snap.work[b.name]
        key = (a_work.version, b_work.version)
        if key not in merges:
            try:
                found = shared_base_conflicts(a, a_work, b, b_work)
                if found is None and not _uncommitted(a_work) and not _uncommitted(b_work):
                    found = pair_conflicts(repo, a.name, a.head, b.name, b.head)
                # (two worktrees' work from different bases: their points, not merged here)
                merges[key] = found or []
            except Exception as exc:  # noqa: BLE001 - one pair's failure must not hide the rest
                snap.problems.append(f"could not merge {a.branch} with {b.branch}: {exc}")
                merges[key] = []
        snap.merges[key] = merges[key]
        for path, conflict in merges[key]:
            snap.conflicts.setdefault(path, []).append(conflict)
    if previous is not None and previous.engineer_base == engineer_base:
        snap.base_texts = dict(previous.base_texts)
    return snap


def _uncommitted(work: StreamWork) -> bool:
    return work.live is not None and bool(work.live.uncommitted)


def _stream_work(
    repo: Any,
    stream: st.Stream,
    engineer: str | None,
    before: StreamWork | None,
    checkout: Path | None = None,
    dirty: set[Path] | None = None,
) -> StreamWork:
    diff_key, drafts_key = (stream.merge_base, stream.head), (stream.head, engineer or "")
    live = None
    if checkout is not None:
        unchanged = (
            before is not None
            and before.live is not None
            and before.live.checkout == checkout
            and before.diff_key == diff_key
            and dirty is not None
            and not any(lv.inside(checkout, p) for p in dirty)
        )
        if unchanged:
            assert before is not None
            live = before.live
        else:
            live = lv.read_live(checkout, stream.merge_base, LIVE_DIFF_OPTIONS, stream.name)
    if before is not None and before.diff_key == diff_key and before.live is live:
        files = dict(before.files)  # a copy: the old snapshot may still be read meanwhile
        diffs = before.diffs
    else:
        files, diffs = {}, {}
        if live is not None:
            found = [_minimal(d) for d in live.diffs]
        else:
            found = merge_diff(repo, STREAM_DIFF_OPTIONS, stream.merge_base, stream.head)
        for file_diff in found:
            if file_diff.old_path == file_diff.new_path and not file_diff.binary:
                diffs[file_diff.path] = file_diff
            marked = [hunk.marked() for hunk in file_diff.hunks]
            files[file_diff.path] = StreamChange(
                stream=stream.name,
                # read when a file is asked for (most never are); a new file's, already read
                text=live.texts.get(file_diff.path) if live is not None else None,
                new_ranges=tuple(m[0] for m in marked),
                base_ranges=tuple(m[1] for m in marked),
                deleted=file_diff.deleted,
            )
            old, new = file_diff.old_path, file_diff.new_path
            if old and new and old != new and old not in files:  # moved: gone from `old`
                files[old] = StreamChange(stream.name, None, (), (), True, renamed_to=new)
    common: frozenset[str] | None = None
    if before is not None and before.drafts_key == drafts_key:
        drafts, problems, common = before.drafts, before.problems, before.common
    elif engineer and (kept := _kept_drafts(repo, stream, engineer, before)) is not None:
        # the engineer committed (or checked out) without taking any of the stream's
        # commits: its drafts are the same, and reading them again cost most of a refresh
        drafts, problems, common = kept
    elif engineer:
        try:
            drafts, problems = st.commit_drafts(repo, stream, engineer)
        except Exception as exc:  # noqa: BLE001 - one stream's log must not stop the rest
            drafts, problems = [], [f"could not read the commits of {stream.branch}: {exc}"]
    else:
        drafts, problems = [], []
    return StreamWork(diff_key, files, drafts_key, drafts, problems, diffs, common, live)


def _minimal(file_diff: st.FileDiff) -> st.FileDiff:
    """A worktree's diff, its hunks split into runs as `merge_diff`'s are (a new file's one
    hunk is its run already)."""
    if not file_diff.old_path:
        return file_diff
    return replace(file_diff, hunks=st.minimal_hunks(file_diff.hunks))


def _kept_drafts(
    repo: Any, stream: st.Stream, engineer: str, before: StreamWork | None
) -> tuple[list[Draft], list[str], frozenset[str]] | None:
    """`before`'s drafts when the stream's commits not in `engineer` are the ones it had not
    in the engineer's commit `before` was read for: the same head, and the same merge bases
    with it (two commits share exactly the ancestors of their merge bases); else None."""
    if before is None or before.drafts_key[0] != stream.head or not before.drafts_key[1]:
        return None
    try:
        old = before.common
        if old is None:
            old = _merge_bases(repo, before.drafts_key[1], stream.head)
        now = _merge_bases(repo, engineer, stream.head)
    except Exception:  # noqa: BLE001 - unsure: read them again
        return None
    if not now or now != old:
        return None
    return before.drafts, before.problems, now


def _merge_bases(repo: Any, a: str, b: str) -> frozenset[str]:
    return frozenset(repo.git.merge_base("--all", a, b).split())


# how git's merge diffs each side against the merge base (merge-ort: histogram, no heuristics),
# read through `merge_diff`: with one line of context, because at -U0 git trims the files'
# common tail before diffing (xdiff-interface's trim_common_tail), and histogram then places
# an ambiguous insertion elsewhere than the merge, which diffs the whole files, does
DIFF_OPTIONS = ("--no-color", "--no-ext-diff", "--no-textconv", "-U1")
MERGE_DIFF_OPTIONS = (*DIFF_OPTIONS, "--histogram", "--no-indent-heuristic", "--no-renames")


def merge_diff(repo: Any, options: tuple[str, ...], *args: str) -> list[st.FileDiff]:
    """`git diff` with these options, each file's hunks split into their runs of changes:
    the hunks git's merge walks."""
    files = st.parse_diff(repo.git.diff(*options, *args))
    for file_diff in files:
        file_diff.hunks = st.minimal_hunks(file_diff.hunks)
    return files


# a stream's own changes: diffed as git's merge diffs them (so a pair's conflicts can be found
# from them), with git's rename detection, so a moved file is followed
STREAM_DIFF_OPTIONS = (*DIFF_OPTIONS, "--histogram", "--no-indent-heuristic", "--find-renames")
# a worktree's files against its merge base, the same way (git diff <base> in the worktree)
LIVE_DIFF_OPTIONS = STREAM_DIFF_OPTIONS


def shared_base_conflicts(
    a: st.Stream, a_work: StreamWork, b: st.Stream, b_work: StreamWork
) -> list[tuple[str, Conflict]] | None:
    """Where merging two streams conflicts, found from their own diffs without running git:
    when both left the base at the same commit and share no commit since, that commit is their
    merge base and each stream's diff against it is what git's merge diffs (histogram, no
    indent heuristic). The files both changed in place are walked hunk by hunk (`regions`),
    as xdiff's merge walks them. None when that does not hold, or a file both touched was
    renamed, deleted or binary on either side: then `pair_conflicts` asks git."""
    if a.merge_base != b.merge_base or a.commits & b.commits:
        return None
    shared = sorted(set(a_work.files) & set(b_work.files))
    if any(p not in a_work.diffs or p not in b_work.diffs for p in shared):
        return None
    pair = frozenset((a.name, b.name))
    found: list[tuple[str, Conflict]] = []
    for path in shared:
        for base_lines, a_lines, b_lines in regions(
            a_work.diffs[path].hunks, b_work.diffs[path].hunks
        ):
            found.append((path, Conflict(pair, base_lines, {a.name: a_lines, b.name: b_lines})))
    return found


def pair_conflicts(
    repo: Any, a_name: str, a_head: str, b_name: str, b_head: str
) -> list[tuple[str, Conflict]]:
    """Where merging two commits conflicts, per file and hunk: `git merge-tree --write-tree`
    says which files conflict, then both sides' hunks against their merge base say where."""
    status, out, err = repo.git.merge_tree(
        "--write-tree",
        "-z",
        "--name-only",
        "--no-messages",
        a_head,
        b_head,
        with_extended_output=True,
        with_exceptions=False,
        strip_newline_in_stdout=False,
    )
    if status == 0:
        return []
    if status != 1:
        raise RuntimeError(err.strip() or f"git merge-tree exited {status}")
    paths = sorted({p for p in out.split("\0")[1:] if p})
    if not paths:
        return []
    bases = repo.merge_base(a_head, b_head)
    if not bases:
        return []
    base = bases[0].hexsha
    specs = [f":(literal){path}" for path in paths]
    sides = {
        name: {f.path: f for f in merge_diff(repo, MERGE_DIFF_OPTIONS, base, head, "--", *specs)}
        for name, head in ((a_name, a_head), (b_name, b_head))
    }
    pair = frozenset((a_name, b_name))
    found: list[tuple[str, Conflict]] = []
    for path in paths:
        a, b = sides[a_name].get(path), sides[b_name].get(path)
        if a is None or b is None or a.binary or b.binary or a.deleted or b.deleted:
            gone = [n for n, f in ((a_name, a), (b_name, b)) if f is not None and f.deleted]
            note = f"deleted on {', '.join(gone)}" if gone else ""
            found.append((path, Conflict(pair, None, note=note)))
            continue
        places = regions(a.hunks, b.hunks)
        if not places:  # git saw a conflict no hunk pair explains: keep the whole file
            found.append((path, Conflict(pair, None)))
        for base_lines, a_lines, b_lines in places:
            found.append((path, Conflict(pair, base_lines, {a_name: a_lines, b_name: b_lines})))
    return found


def base_text(root: Path, snap: Snapshot, path: str) -> str | None:
    """The file as it was where the engineer's branch left the base (cached per snapshot)."""
    if path not in snap.base_texts:
        repo = st.open_repo(root)
        snap.base_texts[path] = (
            st.file_at(repo, snap.engineer_base, path) if repo and snap.engineer_base else None
        )
    return snap.base_texts[path]


def stream_changes(root: Path, snap: Snapshot, path: str) -> list[StreamChange]:
    """Each stream's change to `path`, its version of the file read on first use."""
    per_stream = snap.changes.get(path, {})
    missing = [name for name in per_stream if (name, path) not in snap.loaded]
    if missing:
        repo = st.open_repo(root)
        heads = {s.name: s.head for s in snap.streams.streams}
        for name in missing:
            change = per_stream[name]
            text = None
            work = snap.work.get(name)
            if change.deleted:
                pass
            elif work is not None and work.live is not None:
                try:  # the worktree's file, as the agent left it
                    text = lv.read_text(work.live.checkout, path)
                except ValueError:
                    text = None  # a symlink, too large, binary: compared by lines
            elif repo is not None:
                text = st.file_at(repo, heads[name], path)
            per_stream[name] = replace(change, text=text)
            if name in snap.work:  # the next snapshot reuses it while the stream stays put
                snap.work[name].files[path] = per_stream[name]
            snap.loaded.add((name, path))
    return list(per_stream.values())


def owner_for(
    team: TeamConfig, snap: Snapshot, path: str, stream_names: tuple[str, ...]
) -> str | None:
    """The feature's stitch owner (by the streams' feature, then by the feature's paths), else
    the last matching CODEOWNERS rule."""
    features = {s.name: s.feature for s in snap.streams.streams}
    for name in stream_names:
        feature = team.features.get(features.get(name, ""))
        if feature and feature.stitch_owner:
            return feature.stitch_owner
    for feature in team.features.values():
        if feature.stitch_owner and any(glob_match(path, p) for p in feature.paths):
            return feature.stitch_owner
    return codeowner_for(snap.owners, path)


def points_for(
    root: Path,
    team: TeamConfig,
    snap: Snapshot,
    path: str,
    live_text: str | None,
    signoffs: SignOffs,
) -> list[StitchPoint]:
    """Stitch points in `path`, the engineer's live text counting as one more stream."""
    changes = stream_changes(root, snap, path)
    base = base_text(root, snap, path) if changes else None
    if live_text is not None:
        if base is not None and base != live_text:
            ranges, old = st.diff_texts(base, live_text)
            changes.append(StreamChange(ENGINEER, live_text, tuple(ranges), tuple(old)))
    if len(changes) < 2:
        return []
    points = find_points(path, changes, snap.conflicts.get(path, []), base)
    for point in points:
        point.owner = owner_for(team, snap, path, point.streams)
        point.live = tuple(n for n in point.streams if snap.live_in(n, path))
    verifier = None
    if team.stitch_points.signing == "ssh":
        verifier = Verifier(snap.signers)
    apply_signoffs(points, signoffs, verifier)
    language = language_for_path(path)
    if live_text is not None and language is not None and points:
        live = parsed(live_text, language)  # the editor then needs no tree of its own
        for point in points:
            symbol = live.find_symbol(point.symbol)
            point.start = symbol.start if symbol is not None else None
    return points


# -- each stream's version, side by side ------------------------------------------------------

# Bounds of one comparison (the answer crosses two pipes and the editor's wire): a version
# larger than MAX_VERSION_CHARS is named but not sent, and once MAX_COMPARE_CHARS have been
# sent the remaining versions are named only.
MAX_VERSION_CHARS = 1_000_000
MAX_COMPARE_CHARS = 4_000_000
BINARY_PROBE = 8000  # git's own test: a NUL in the first 8000 bytes makes a file binary


@dataclass(frozen=True)
class Version:
    """One side of a comparison: a stream's (or the base's) version of a file, or why it is
    not there (`text` None, `note` says why)."""

    name: str  # the stream's name, or the base branch's
    label: str  # `name` fit for a title (one line, no controls)
    text: str | None
    line: int | None = None  # where the point's symbol starts in `text` (0-based)
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    path: str
    symbol: str
    base: Version
    streams: tuple[Version, ...]


def compare_versions(
    root: Path,
    snap: Snapshot,
    path: str,
    symbol: str,
    streams: list[str],
    *,
    max_version: int = MAX_VERSION_CHARS,
    max_total: int = MAX_COMPARE_CHARS,
) -> Comparison:
    """Each named stream's version of `path` and the base's (where the engineer's branch left
    it), for a person to compare before signing off a stitch point. Read from the snapshot's
    cache or git's object store, as the points were; nothing in the text is interpreted. A
    path that could leave the repository or a name that is no stream is refused (ValueError);
    a deleted, binary or too large version comes without text and says so."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 4096
        or "\x00" in path
        or "\n" in path
        or path.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ValueError(f"cannot compare {one_line(path)!r}: not a path inside the repository")
    known = {s.name: s for s in snap.streams.streams}
    unknown = [name for name in streams if name not in known]
    if unknown:
        raise ValueError(f"no stream named {', '.join(map(one_line, unknown))}")
    language = language_for_path(path)
    budget = [max_total]

    def version(name: str, text: str | None, deleted: bool = False) -> Version:
        label = one_line(name)
        if deleted:
            return Version(name, label, None, note=f"deleted on {label}")
        if text is None:
            return Version(name, label, None, note=f"no {path} on {label}")
        if "\x00" in text[:BINARY_PROBE]:
            return Version(name, label, None, note="a binary file: not compared")
        if len(text) > max_version:
            return Version(
                name, label, None, note=f"too large to compare here ({len(text):,} characters)"
            )
        if len(text) > budget[0]:
            return Version(
                name, label, None, note="left out: the comparison is over its size limit"
            )
        budget[0] -= len(text)
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        found = None
        if language is not None:
            found = parsed(shown, language).find_symbol(symbol)
        return Version(name, label, shown, found.start[0] if found is not None else None)

    changed = {change.stream: change for change in stream_changes(root, snap, path)}
    repo = None
    out = []
    for name in streams:
        change = changed.get(name)
        if change is None:  # the stream left this file as it was: read its head's
            repo = repo or st.open_repo(root)
            text = st.file_at(repo, known[name].head, path) if repo is not None else None
            out.append(version(name, text))
        else:
            out.append(version(name, change.text, change.deleted))
    base = version(snap.streams.base, base_text(root, snap, path))
    return Comparison(path, symbol, base, tuple(out))
