"""At a commit, and when history is rewritten: what agents wrote, written down as git-ai notes.

`post_commit` (git's `post-commit` hook, `stitch-ls attribute git-post-commit`) gathers, for
the commit just made, every line an agent wrote, whichever door it came through:

- direct edits the agents' post-tool hooks reported, matched by content with what the commit
  adds (`attribution.bind`: a line the engineer rewrote before committing matches nothing);
- drafts applied through Stitch and not yet committed (the source log's entries carry the
  applied lines' ranges): the commit's added lines inside those ranges;
- an agent commit (one with `Stitch-*` trailers): every line it adds, credited to its
  `Stitch-Agent` (else its author) with its `Stitch-Source`s;
- a `cherry-pick -x` of a commit with a note: that note, carried over.

and writes them as one authorship note on the commit (`refs/notes/ai`). A note already there
(git-ai's own, or one written before) keeps its lines. `post_rewrite` (git's `post-rewrite`,
after an amend or a rebase) carries each old commit's note to its new commit by content
(`attribution.carry`).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stitch_ls.core.files.fsio import append_line, read_bytes_limited
from stitch_ls.core.files.userdir import repository_key, user_state_dir
from stitch_ls.core.record import attribution, authorship
from stitch_ls.core.record.authorship import AuthorshipLog
from stitch_ls.core.vcs import notes, refs
from stitch_ls.core.vcs.gitrun import config_value, open_repo

CHERRY_PICKED = re.compile(r"\(cherry picked from commit ([0-9a-f]{40}|[0-9a-f]{64})\)")
MAX_LOG_BYTES = 256 * 1024 * 1024


def branch_pattern(root: Path) -> str | None:
    """The team's stream pattern, read for naming only (no policy decision rests on it)."""
    try:
        data = tomllib.loads((root / ".stitch" / "config.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "stream/{feature}/{stream}"
    pattern = (data.get("streams") or {}).get("branch_pattern")
    return pattern if isinstance(pattern, str) else "stream/{feature}/{stream}"


def stream_namer(pattern: str | None) -> Callable[[str | None], str | None]:
    """A function naming the stream of a branch: `feature/stream` where the team's pattern
    matches, else the branch itself."""
    # start-up: git's post-rewrite hook does not load the streams
    from stitch_ls.core.vcs.streams import pattern_regex, stream_name

    regex = pattern_regex(pattern) if pattern else None

    def name(branch: str | None) -> str | None:
        if not branch:
            return None
        return (stream_name(regex, branch) if regex else None) or branch

    return name


def branch_feature(pattern: str | None) -> Callable[[str | None], str | None]:
    """A function naming the feature of a branch where the team's pattern matches it, else
    None (a branch outside the pattern is no feature's)."""
    # start-up: git's post-rewrite hook does not load the streams
    from stitch_ls.core.vcs.streams import pattern_regex, stream_name

    regex = pattern_regex(pattern) if pattern else None

    def feature(branch: str | None) -> str | None:
        named = stream_name(regex, branch) if regex and branch else None
        return named.split("/", 1)[0] if named else None

    return feature


def _branch(dirs: refs.GitDirs | None) -> str | None:
    """The branch being committed on; during a rebase (HEAD detached) the one being rebased."""
    if dirs is None:
        return None
    branch = refs.head_branch(dirs.git_dir)
    if branch:
        return branch
    for folder in ("rebase-merge", "rebase-apply"):
        name = refs.read_small(dirs.git_dir / folder / "head-name")
        if name and name.strip().startswith("refs/heads/"):
            return name.strip().removeprefix("refs/heads/")
    return None


def _rewriting(dirs: refs.GitDirs | None) -> bool:
    return dirs is not None and any(
        (dirs.git_dir / name).exists() for name in ("rebase-merge", "rebase-apply")
    )


# -- applied drafts --------------------------------------------------------------------------


def _bound_drafts_file(root: Path) -> Path:
    return user_state_dir() / f"{repository_key(root)}.drafts-bound.jsonl"


def _bound_drafts(root: Path) -> set[str]:
    try:
        raw = read_bytes_limited(_bound_drafts_file(root), MAX_LOG_BYTES)
    except (OSError, ValueError):
        return set()
    out = set()
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            data = json.loads(line)
            out.add(f"{data['draft']}\x00{data['at']}")
        except (ValueError, KeyError, TypeError):
            continue
    return out


def applied_drafts(root: Path, since: datetime) -> list[dict[str, Any]]:
    """The source log's entries applied since `since` that carry line ranges, read as plain
    JSON (a commit hook need not validate the whole log; a bad line is skipped)."""
    try:
        raw = read_bytes_limited(root / ".stitch" / "source-log.jsonl", MAX_LOG_BYTES)
    except (OSError, ValueError):
        return []
    out = []
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            data = json.loads(line)
            if data.get("event", "accepted") != "accepted":
                continue  # an apply that was never kept wrote no line of any commit
            at = datetime.fromisoformat(str(data["at"]))
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            ranges = data.get("ranges") or {}
            if at < since or not isinstance(ranges, dict) or not ranges:
                continue
            data["_at"] = at
            data["_ranges"] = {
                str(path): [(int(a), int(b)) for a, b in spans] for path, spans in ranges.items()
            }
            out.append(data)
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    return out


def draft_lines(added: dict[int, str], ranges: list[tuple[int, int]]) -> set[int]:
    """The added lines of a commit that an applied draft wrote: those inside its logged
    ranges; where none are (edits committed with it moved them), the run of added lines of
    the range's length nearest to it."""
    numbers = set(added)
    runs: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    found: set[int] = set()
    for first, last in ranges:
        inside = {n for n in range(first, last + 1) if n in numbers}
        if inside:
            found |= inside
            continue
        same = [run for run in runs if run[1] - run[0] == last - first]
        if same:
            start, end = min(same, key=lambda run: abs(run[0] - first))
            found.update(range(start, end + 1))
    return found


# -- the hooks -------------------------------------------------------------------------------


def post_commit(root: Path, now: datetime) -> list[str]:
    """Write the authorship note of the commit just made; lines for people (what was
    attributed, what could not be read)."""
    repo = open_repo(root)
    if repo is None:
        return [f"{root} is not a git repository: nothing attributed"]
    head = notes.git(repo, "rev-parse", "--verify", "-q", "HEAD")
    if not head:
        return []
    commit = head.strip()
    said: list[str] = []
    merged_refs = notes.merge_remote_notes(repo)
    if merged_refs:
        said.append(f"merged fetched notes from {', '.join(merged_refs)}")
    dirs = refs.locate(root)
    branch = _branch(dirs)
    pattern = branch_pattern(root)
    namer, feature_of = stream_namer(pattern), branch_feature(pattern)
    stream = namer(branch)
    human = config_value(root, "user.email")
    added = notes.added_lines(repo, commit, notes.first_parent(repo, commit))
    facts = notes.commit_facts(repo, commit)
    parts: list[AuthorshipLog] = []

    # the agents' direct edits (not while a rebase replays commits: those carry notes over)
    pending, problems = attribution.read_pending(root)
    said += problems
    bound = attribution.Bound()
    if not _rewriting(dirs):
        bound = attribution.bind(added, pending, os.path.realpath(root))
        parts.append(
            attribution.note_for_edits(
                bound, commit, human=human, stream_of=namer, feature_of=feature_of
            )
        )
    taken = {path: set(lines) for path, lines in bound.lines.items()}

    # drafts applied through Stitch
    done = _bound_drafts(root)
    for entry in applied_drafts(root, now - timedelta(days=attribution.PENDING_DAYS)):
        marker = f"{entry.get('draft')}\x00{entry.get('at')}"
        if marker in done:
            continue
        lines: dict[str, set[int]] = {}
        for path, spans in entry["_ranges"].items():
            if path in added:
                found = draft_lines(added[path], spans) - taken.get(path, set())
                if found:
                    lines[path] = found
                    taken.setdefault(path, set()).update(found)
        if not lines:
            continue
        parts.append(
            attribution.note_for_lines(
                lines,
                commit,
                agent=str(entry.get("agent") or "agent"),
                conversation=f"draft:{entry.get('draft')}",
                door="draft",
                human=str(entry.get("accepted_by") or human or "") or None,
                attributes={
                    "stitch.draft": str(entry.get("draft")),
                    "stitch.stream": str(entry.get("stream") or ""),
                    "stitch.sources": json.dumps(entry.get("sources") or [], sort_keys=True),
                    "stitch.confidence": str(entry.get("confidence")),
                },
            )
        )
        append_line(
            _bound_drafts_file(root),
            json.dumps({"draft": entry.get("draft"), "at": entry.get("at"), "commit": commit}),
        )

    # an agent's own commit: its trailers say whose lines these are
    if facts is not None:
        author, _email, message, pairs = facts
        stitch_pairs = [(k, v) for k, v in pairs if k.startswith("Stitch-")]
        if stitch_pairs:
            # start-up: git's post-rewrite hook does not load the streams
            from stitch_ls.core.vcs.streams import parse_trailers

            meta = parse_trailers(stitch_pairs)
            rest = {path: set(lines) - taken.get(path, set()) for path, lines in added.items()}
            rest = {path: lines for path, lines in rest.items() if lines}
            subject = message.split("\n", 1)[0]
            agent = str(meta.get("agent") or author or "agent")
            if rest:
                parts.append(
                    attribution.note_for_lines(
                        rest,
                        commit,
                        agent=agent,
                        conversation=f"commit:{agent}:{stream or ''}:{subject}",
                        door="commit",
                        human=human,
                        attributes={
                            "stitch.stream": stream or "",
                            "stitch.sources": json.dumps(meta["sources"], sort_keys=True),
                            "stitch.confidence": str(meta.get("confidence", "")),
                            **({"stitch.branch": branch} if branch else {}),
                            **({"stitch.feature": f} if (f := feature_of(branch)) else {}),
                        },
                    )
                )
        picked = CHERRY_PICKED.search(message)
        if picked:
            carried, notes_said = _carried(repo, [(picked.group(1), commit)])
            said += notes_said
            parts.extend(carried.values())

    ours = AuthorshipLog(commit)
    for part in parts:
        ours = authorship.merged(ours, part)
    if ours.is_empty():
        if bound.used:
            attribution.consume(root, bound.used, now)
        return said
    existing = notes.note_of(repo, commit)
    if existing:
        try:
            ours = authorship.merged(authorship.parse(existing), ours)
        except ValueError as exc:
            said.append(
                f"the note already on {commit[:10]} is not an authorship log ({exc}): replaced"
            )
    ours.base_commit = commit
    notes.write_note(repo, commit, authorship.render(ours))
    attribution.consume(root, bound.used, now)
    said.append(_summary(ours, commit))
    return said


def _summary(log: AuthorshipLog, commit: str) -> str:
    counts: dict[str, int] = {}
    for lines in log.ai_lines().values():
        for key in lines.values():
            author = log.author_of(key)
            name = (author.attributes.get("stitch.agent") or author.tool) if author else "?"
            counts[name] = counts.get(name, 0) + 1
    total = sum(counts.values())
    who = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    return f"{total} AI lines of {commit[:10]} attributed in {authorship.NOTES_REF} ({who})"


def _carried(repo: Any, pairs: list[tuple[str, str]]) -> tuple[dict[str, AuthorshipLog], list[str]]:
    """Each old commit's note moved onto its new commit by content; several old commits
    squashed into one new commit give one note."""
    out: dict[str, AuthorshipLog] = {}
    said: list[str] = []
    for old, new in pairs:
        text = notes.note_of(repo, old)
        if not text:
            continue
        try:
            log = authorship.parse(text)
        except ValueError as exc:
            said.append(f"the note on {old[:10]} is not an authorship log ({exc}): not carried")
            continue
        paths = list(log.files)
        moved = attribution.carry(
            log,
            {p: notes.file_lines(repo, old, p) for p in paths},
            {p: notes.file_lines(repo, new, p) for p in paths},
            new,
        )
        out[new] = authorship.merged(out[new], moved) if new in out else moved
    return out, said


def post_rewrite(root: Path, kind: str, pairs: list[tuple[str, str]]) -> list[str]:
    """Carry notes across an amend or a rebase (`pairs`: old commit -> new commit, as git's
    `post-rewrite` hook reads them on stdin)."""
    repo = open_repo(root)
    if repo is None:
        return [f"{root} is not a git repository: no notes carried"]
    carried, said = _carried(repo, pairs)
    olds = {notes.note_of(repo, old) for old, _ in pairs} - {None}
    moved = 0
    for new, log in carried.items():
        existing = notes.note_of(repo, new)
        if existing and existing not in olds:  # written by post-commit for the new commit
            try:
                log = authorship.merged(log, authorship.parse(existing))
            except ValueError:
                pass
        log.base_commit = new
        if log.is_empty():
            continue
        notes.write_note(repo, new, authorship.render(log))
        moved += 1
    if moved:
        said.append(f"{kind}: authorship notes carried to {moved} rewritten commits")
    return said


def read_rewrite_pairs(text: str) -> list[tuple[str, str]]:
    """git's `post-rewrite` input: `<old> <new> [extra]` per line."""
    pairs = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and all(re.fullmatch(r"[0-9a-f]{40,64}", p) for p in parts[:2]):
            pairs.append((parts[0], parts[1]))
    return pairs
