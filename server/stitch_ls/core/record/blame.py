"""`stitch-ls blame FILE`: which agent wrote each line, from which stream, with which sources.

`git blame` (through `gitrun`) says which commit each line of the file as it is now comes
from, and its number there; the ledger (`ledger`: notes, agent commits' trailers, applied
drafts) says which of those are AI lines and whose. Lines not committed yet are matched with
the edits the agents' hooks reported (`attribution`), and shown as such.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stitch_ls.core.record import attribution, binding
from stitch_ls.core.record.ledger import Author, Ledger, draft_author, read_notes, trailer_author
from stitch_ls.core.vcs import notes

UNCOMMITTED = "0" * 40


@dataclass
class BlameLine:
    number: int
    text: str
    commit: str | None  # None: not committed yet
    author: Author | None  # None: no agent is known to have written it
    pending: bool = False  # an agent's edit not committed yet


def blame(repo: Any, root: Path, path: str, drafts: list[dict[str, Any]]) -> list[BlameLine]:
    """The file as it is in the work tree, line by line, with each AI line's author."""
    out = notes.git(repo, "blame", "--porcelain", "--", path)
    if out is None:
        raise ValueError(f"git cannot blame {path} (not a file git tracks?)")
    rows = notes.blame_porcelain(out)
    commits = {c for c, _, _, _ in rows if c != UNCOMMITTED}
    ledger = read_notes(repo, commits)
    known = _authors(repo, ledger, rows, drafts)
    pending, _ = attribution.read_pending(root)
    mine = [e for e in pending if e.worktree == os.path.realpath(root) and e.path == path]
    uncommitted = {
        number: text
        for number, (commit, _, _, text) in enumerate(rows, start=1)
        if commit == UNCOMMITTED
    }
    bound = attribution.bind({path: uncommitted}, mine, os.path.realpath(root))
    lines = []
    for number, (commit, origin, origin_path, text) in enumerate(rows, start=1):
        if commit == UNCOMMITTED:
            edit = bound.lines.get(path, {}).get(number)
            author = None
            if edit is not None:
                author = Author(edit.agent, "hook", None, edit.conversation, "[]", None, edit.model)
            lines.append(BlameLine(number, text, None, author, pending=edit is not None))
            continue
        lines.append(BlameLine(number, text, commit, known.get((commit, origin_path, origin))))
    return lines


def _authors(
    repo: Any, ledger: Ledger, rows: list[tuple[str, int, str, str]], drafts: list[dict[str, Any]]
) -> dict[tuple[str, str, int], Author]:
    """(commit, path there, line there) -> author, for the blamed lines that are AI lines."""
    found: dict[tuple[str, str, int], Author] = {}
    by_commit: dict[tuple[str, str], set[int]] = {}
    for commit, origin, origin_path, _ in rows:
        if commit != UNCOMMITTED:
            by_commit.setdefault((commit, origin_path), set()).add(origin)
    times: dict[str, int] = {}
    for (commit, path), numbers in by_commit.items():
        noted = ledger.lines_of(commit, path)
        for number in numbers:
            if number in noted:
                found[(commit, path, number)] = noted[number]
        if commit in ledger.commits:
            continue
        facts = notes.commit_facts(repo, commit)
        if facts is not None:
            author = trailer_author(facts[3], facts[0], None)
            if author is not None:
                for number in numbers:
                    found.setdefault((commit, path, number), author)
        stamp = notes.git(repo, "log", "-1", "--no-walk", "--format=%ct", commit)
        times[commit] = int(stamp.strip()) if stamp and stamp.strip().isdigit() else 0
    for entry in drafts:
        if str(entry.get("draft")) in ledger.drafts_in_notes:
            continue
        for (commit, path), numbers in sorted(
            by_commit.items(), key=lambda kv: times.get(kv[0][0], 0)
        ):
            spans = entry["_ranges"].get(path)
            if (
                not spans
                or commit in ledger.commits
                or times.get(commit, 0) + 1 < entry["_at"].timestamp()
            ):
                continue
            added = notes.added_lines(repo, commit, notes.first_parent(repo, commit)).get(path, {})
            hit = binding.draft_lines(added, spans) & numbers
            if hit:
                author = draft_author(entry)
                for number in hit:
                    found.setdefault((commit, path, number), author)
                break
    return found


def describe(author: Author) -> str:
    """One line for people: agent · stream · how it came · sources."""
    door = {
        "hook": "direct edit",
        "draft": f"draft {author.draft}" if author.draft else "applied draft",
        "commit": "agent commit",
        "git-ai": "git-ai note",
    }.get(author.door, author.door)
    sources = author.source_list()
    cited = (
        "; ".join(
            f"{s.get('kind', '?')} {s.get('ref', '')}" + (f" ({s['why']})" if s.get("why") else "")
            for s in sources
        )
        if sources
        else "no sources"
    )
    return f"{author.agent} · {author.stream or '(no stream)'} · {door} · {cited}"
