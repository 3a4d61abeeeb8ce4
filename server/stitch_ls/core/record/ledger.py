"""Every AI line the history knows of, whichever door it came through, as one ledger.

Three sources, read in this order (the first to claim a line keeps it):

- authorship notes (`refs/notes/ai`, and fetched ones under `refs/notes/ai-remote/*`):
  Stitch's (agents' direct edits, applied drafts, agent commits, bound at commit time) and
  git-ai's own;
- agent commits without a note (made where Stitch's git hooks are not installed): their
  `Stitch-*` trailers name the agent, and every line they add is its;
- drafts applied through Stitch whose commit has no note: the source log's ranges, bound to
  the first commit after the apply that adds lines there.

Plain records out; the notes are read through `gitrun`; a note that is not an authorship
log is reported and skipped, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from stitch_ls.core.record import authorship
from stitch_ls.core.vcs import notes
from stitch_ls.core.vcs.streams import parse_trailers


@dataclass(frozen=True)
class Author:
    """Who wrote an AI line, and how Stitch knows."""

    agent: str  # Stitch's name where known (claude-code, cursor, vscode), else git-ai's tool
    door: str  # hook (a direct edit), draft (applied through Stitch), commit (trailers), git-ai
    stream: str | None
    session: str  # the attestation key's session (git-ai's `s_…`, or a legacy key)
    sources: str = "[]"  # JSON list of {kind, ref, why}
    draft: str | None = None
    model: str = "unknown"
    tool: str = ""

    # the feature the team's branch pattern gave its branch; "" when the branch is known and
    # the pattern does not match it; None when no branch was recorded
    named_feature: str | None = None

    @property
    def feature(self) -> str | None:
        """The feature its branch pattern gave (an agent's direct edits), else the feature
        of a draft's or an agent commit's `feature/stream` stream name. A branch the
        pattern does not match (`agent/claude-x`) names no feature: the paths decide."""
        if self.named_feature is not None or self.door == "hook":
            return self.named_feature or None
        if self.stream and "/" in self.stream:
            return self.stream.split("/", 1)[0]
        return None

    def source_list(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.sources)
        except ValueError:
            return []
        return [s for s in data if isinstance(s, dict)] if isinstance(data, list) else []


def author_of(session: authorship.Session, key: str) -> Author:
    attributes = session.attributes
    agent = attributes.get("stitch.agent") or authorship.AGENTS.get(session.tool, session.tool)
    stream = attributes.get("stitch.stream") or None
    feature = attributes.get("stitch.feature") or None
    branch = attributes.get("stitch.branch")
    if feature is None and branch:  # a note of before stitch.feature
        named = stream and "/" in stream and branch != stream  # the pattern named the stream
        feature = stream.split("/", 1)[0] if named and stream else ""
    return Author(
        agent=agent,
        door=attributes.get("stitch.door") or "git-ai",
        stream=stream,
        named_feature=feature,
        session=key.split("::", 1)[0],
        sources=attributes.get("stitch.sources") or "[]",
        draft=attributes.get("stitch.draft") or None,
        model=session.model,
        tool=session.tool,
    )


@dataclass
class Ledger:
    """commit -> file -> line (in that commit's version) -> author index into `authors`."""

    commits: dict[str, dict[str, dict[int, int]]] = field(default_factory=dict)
    authors: list[Author] = field(default_factory=list)
    drafts_in_notes: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    _index: dict[Author, int] = field(default_factory=dict)

    def author_index(self, author: Author) -> int:
        found = self._index.get(author)
        if found is None:
            found = self._index[author] = len(self.authors)
            self.authors.append(author)
        return found

    def add_note(self, commit: str, log: authorship.AuthorshipLog) -> None:
        files = self.commits.setdefault(commit, {})
        for path, lines in log.ai_lines().items():
            mapped = files.setdefault(path, {})
            for number, key in lines.items():
                session = log.author_of(key)
                if session is None:
                    continue
                author = author_of(session, key)
                if author.draft:
                    self.drafts_in_notes.add(author.draft)
                mapped.setdefault(number, self.author_index(author))

    def lines_of(self, commit: str, path: str) -> dict[int, Author]:
        return {n: self.authors[i] for n, i in self.commits.get(commit, {}).get(path, {}).items()}


def read_notes(repo: Any, commits: set[str] | None = None) -> Ledger:
    """The ledger of every authorship note (of `commits` only, when given)."""
    ledger = Ledger()
    for commit, blob in notes.all_notes(repo).items():
        if commits is not None and commit not in commits:
            continue
        text = notes.blob_text(repo, blob)
        if text is None:
            continue
        try:
            log = authorship.parse(text)
        except ValueError as exc:
            ledger.problems.append(f"the note on {commit[:10]} is not an authorship log: {exc}")
            continue
        ledger.add_note(commit, log)
    return ledger


def trailer_author(
    trailers: list[tuple[str, str]], author_name: str, stream: str | None
) -> Author | None:
    """The author of an agent commit, from its `Stitch-*` trailers (None: not an agent's)."""
    pairs = [(k, v) for k, v in trailers if k.startswith("Stitch-")]
    if not pairs:
        return None
    meta = parse_trailers(pairs)
    agent = str(meta.get("agent") or author_name or "agent")
    return Author(
        agent=agent,
        door="commit",
        stream=stream,
        session=authorship.session_id(authorship.TOOLS.get(agent, agent), f"commit:{agent}"),
        sources=json.dumps(meta["sources"], sort_keys=True),
        tool=authorship.TOOLS.get(agent, agent),
    )


def draft_author(entry: dict[str, Any]) -> Author:
    """The author of a draft applied through Stitch, from its source-log entry."""
    agent = str(entry.get("agent") or "agent")
    return Author(
        agent=agent,
        door="draft",
        stream=str(entry.get("stream") or "") or None,
        session=authorship.session_id(
            authorship.TOOLS.get(agent, agent), f"draft:{entry.get('draft')}"
        ),
        sources=json.dumps(entry.get("sources") or [], sort_keys=True),
        draft=str(entry.get("draft")),
        tool=authorship.TOOLS.get(agent, agent),
    )


def history(
    repo: Any, since: str | None = None
) -> list[tuple[str, int, dict[str, dict[int, Author]]]]:
    """Every commit of HEAD's history (since `since`, a git date) with AI lines, oldest first:
    (commit, committer time, file -> line -> author), from its note or, without one, from its
    `Stitch-*` trailers (every line it adds)."""
    args = ["log", "-z", "--reverse", "--format=%H%x1f%ct%x1f%an%x1f%(trailers:only,unfold)"]
    if since:
        args.append(f"--since={since}")
    out = notes.git(repo, *args, "HEAD")
    listed: list[tuple[str, int, str, list[tuple[str, str]]]] = []
    for record in (out or "").split("\x00"):
        fields = record.strip("\n").split("\x1f", 3)
        if len(fields) != 4 or not fields[1].isdigit():
            continue
        pairs = []
        for line in fields[3].splitlines():
            key, colon, value = line.partition(":")
            if colon and key.strip().startswith("Stitch-"):
                pairs.append((key.strip(), value.strip()))
        listed.append((fields[0], int(fields[1]), fields[2], pairs))
    wanted = {sha for sha, _, _, _ in listed}
    ledger = read_notes(repo, wanted)
    found = []
    for sha, time, author_name, pairs in listed:
        if sha in ledger.commits:
            files = {path: ledger.lines_of(sha, path) for path in ledger.commits[sha]}
            found.append((sha, time, {p: lines for p, lines in files.items() if lines}))
            continue
        author = trailer_author(pairs, author_name, None) if pairs else None
        if author is None:
            continue
        added = notes.added_lines(repo, sha, notes.first_parent(repo, sha))
        found.append((sha, time, {p: dict.fromkeys(lines, author) for p, lines in added.items()}))
    return found
