"""Which agent wrote which lines: edits waiting for a commit, bound to it, carried across rewrites.

An agent's post-tool hook reports an edit (`posttool`): the file, and the lines the agent's
new text now covers, each as a short hash of the whole line. Those wait, per repository, in the
engineer's state folder (outside the repository, whole-line appends under a lock), until a
commit: then the lines the commit adds are matched against them by content, so a line the
engineer rewrote before committing matches nothing and is not credited to the agent. What
matched becomes the commit's authorship note (`authorship`), and is consumed.

Pure where it can be: `bind` and `carry` take texts and return attributions; the pending file
is the one thing written here. Light imports: the post-tool hook loads this module on every
agent edit, within the guard's time budget (no pydantic, GitPython or tree-sitter).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stitch_ls.core.files.fsio import append_line, atomic_write, locked, read_bytes_limited
from stitch_ls.core.files.userdir import repository_key, user_state_dir
from stitch_ls.core.record.authorship import (
    TOOLS,
    AuthorshipLog,
    Session,
    session_id,
    trace_id,
    writable_path,
)

PENDING_VERSION = 1
PENDING_DAYS = 30  # an edit not committed within this long is forgotten
MAX_PENDING_BYTES = 64 * 1024 * 1024
MAX_LINES_PER_EDIT = 100_000


def line_hash(text: str) -> str:
    """A line's identity for matching: its text without the line ending."""
    return hashlib.sha256(text.rstrip("\r\n").encode("utf-8", "surrogateescape")).hexdigest()[:16]


def pending_file(root: Path) -> Path:
    """The repository's edits waiting for a commit (every worktree's, each entry naming its
    worktree), in the engineer's state folder."""
    return user_state_dir() / f"{repository_key(root)}.attribution.jsonl"


def _lock(root: Path) -> Path:
    return user_state_dir() / f"{repository_key(root)}.attribution.lock"


@dataclass
class PendingEdit:
    """One agent edit of one file, as its post-tool hook reported it."""

    id: str
    at: datetime
    agent: str  # Stitch's name: claude-code, cursor, vscode
    conversation: str
    model: str
    event: str  # the tool call (tool_use_id, generation_id): one checkpoint
    worktree: str  # the real path of the checkout the agent edited
    branch: str | None
    path: str  # relative to the worktree, with /
    lines: list[tuple[int, str]]  # (1-based line number when reported, line hash)
    tool: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": PENDING_VERSION,
                "id": self.id,
                "at": self.at.astimezone(UTC).isoformat(),
                "agent": self.agent,
                "conversation": self.conversation,
                "model": self.model,
                "event": self.event,
                "tool": self.tool,
                "worktree": self.worktree,
                "branch": self.branch,
                "path": self.path,
                "lines": [list(pair) for pair in self.lines],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, data: Any) -> PendingEdit:
        if not isinstance(data, dict) or data.get("v") != PENDING_VERSION:
            raise ValueError("not a pending edit")
        lines = data.get("lines")
        if not isinstance(lines, list):
            raise ValueError("no lines")
        at = datetime.fromisoformat(str(data["at"]))
        return cls(
            id=str(data["id"]),
            at=at if at.tzinfo else at.replace(tzinfo=UTC),
            agent=str(data["agent"]),
            conversation=str(data.get("conversation") or ""),
            model=str(data.get("model") or "unknown"),
            event=str(data.get("event") or ""),
            worktree=str(data["worktree"]),
            branch=data.get("branch") if isinstance(data.get("branch"), str) else None,
            path=str(data["path"]),
            lines=[(int(n), str(h)) for n, h in lines],
            tool=str(data.get("tool") or ""),
        )


def new_id(now: datetime) -> str:
    return f"{int(now.timestamp() * 1000)}-{os.getpid()}-{os.urandom(4).hex()}"


def record_edit(root: Path, edit: PendingEdit) -> None:
    """Append one reported edit (a whole line, under the lock a commit's binding takes)."""
    if len(edit.lines) > MAX_LINES_PER_EDIT:
        edit.lines = edit.lines[:MAX_LINES_PER_EDIT]
    with locked(_lock(root)):
        append_line(pending_file(root), edit.to_json())


def read_pending(root: Path) -> tuple[list[PendingEdit], list[str]]:
    """Every well-formed pending edit, and a note per line that is not (never fatal)."""
    try:
        raw = read_bytes_limited(pending_file(root), MAX_PENDING_BYTES)
    except FileNotFoundError:
        return [], []
    except (OSError, ValueError) as exc:
        return [], [f"pending attributions cannot be read: {exc}"]
    edits: list[PendingEdit] = []
    problems: list[str] = []
    # one tool call reported twice is one edit: VS Code runs both its own hook file and
    # .claude/settings.json, so its post-tool hook may run twice for one edit
    seen: set[tuple[Any, ...]] = set()
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            edit = PendingEdit.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError, RecursionError):
            problems.append(f"pending attribution line {number} is not valid; skipped")
            continue
        key = (edit.agent, edit.conversation, edit.event, edit.worktree, edit.path)
        if edit.event and (*key, tuple(edit.lines)) in seen:
            continue
        seen.add((*key, tuple(edit.lines)))
        edits.append(edit)
    return edits, problems


def consume(root: Path, used: dict[str, set[int]], now: datetime) -> None:
    """Drop the lines a commit took (`used`: edit id -> indexes into its `lines`) and every
    edit older than `PENDING_DAYS`, rewriting the file atomically under the appenders' lock."""
    cutoff = now - timedelta(days=PENDING_DAYS)
    with locked(_lock(root)):
        edits, _ = read_pending(root)
        kept: list[str] = []
        for edit in edits:
            if edit.at < cutoff:
                continue
            taken = used.get(edit.id, set())
            edit.lines = [pair for i, pair in enumerate(edit.lines) if i not in taken]
            if edit.lines:
                kept.append(edit.to_json())
        if not kept and not pending_file(root).exists():
            return
        atomic_write(pending_file(root), "".join(line + "\n" for line in kept))


# -- binding edits to a commit ---------------------------------------------------------------


@dataclass
class Bound:
    """What a commit's added lines turned out to be: per file, per line, the edit that
    wrote it; and which pending lines were used."""

    lines: dict[str, dict[int, PendingEdit]] = field(default_factory=dict)
    used: dict[str, set[int]] = field(default_factory=dict)


def bind(added: dict[str, dict[int, str]], pending: Iterable[PendingEdit], worktree: str) -> Bound:
    """Match the commit's added lines (per file: line number in the commit -> text) with the
    edits this worktree's agents reported. Each reported line credits at most one committed
    line with the same text; the latest edit wins where several wrote the same text."""
    by_path: dict[str, list[PendingEdit]] = {}
    for edit in pending:
        if edit.worktree == worktree and edit.path in added:
            by_path.setdefault(edit.path, []).append(edit)
    bound = Bound()
    for path, edits in by_path.items():
        offers: dict[str, list[tuple[PendingEdit, int]]] = {}
        for edit in sorted(edits, key=lambda e: e.at):  # latest last: popped first
            for index, (_, digest) in enumerate(edit.lines):
                offers.setdefault(digest, []).append((edit, index))
        for number, text in sorted(added[path].items()):
            candidates = offers.get(line_hash(text))
            if not candidates:
                continue
            edit, index = candidates.pop()
            bound.lines.setdefault(path, {})[number] = edit
            bound.used.setdefault(edit.id, set()).add(index)
    return bound


def note_for_edits(
    bound: Bound,
    commit: str,
    *,
    human: str | None,
    stream_of: Callable[[str | None], str | None],
    feature_of: Callable[[str | None], str | None] = lambda branch: None,
) -> AuthorshipLog:
    """The note for lines the agents' hooks reported: one session per agent conversation,
    one trace per tool call. `stream_of` names the stream of the branch the agent was on."""
    log = AuthorshipLog(commit)
    for path, lines in bound.lines.items():
        if not writable_path(path):
            continue
        for number, edit in lines.items():
            tool = TOOLS.get(edit.agent, edit.agent)
            session = session_id(tool, edit.conversation or edit.id)
            attributes = {"stitch.agent": edit.agent, "stitch.door": "hook"}
            stream = stream_of(edit.branch)
            if stream:
                attributes["stitch.stream"] = stream
            if feature := feature_of(edit.branch):
                attributes["stitch.feature"] = feature
            if edit.branch:
                attributes["stitch.branch"] = edit.branch
            log.sessions.setdefault(
                session,
                Session(tool, edit.conversation or edit.id, edit.model, human, attributes),
            )
            key = f"{session}::{trace_id(edit.conversation, edit.event or edit.id)}"
            log.add(path, key, {number})
    return log


def note_for_lines(
    lines: dict[str, set[int]],
    commit: str,
    *,
    agent: str,
    conversation: str,
    door: str,
    human: str | None,
    attributes: dict[str, str],
) -> AuthorshipLog:
    """A note crediting `lines` (per file) to one agent: an agent commit's lines (its
    Stitch-* trailers), or an applied draft's."""
    log = AuthorshipLog(commit)
    tool = TOOLS.get(agent, agent)
    session = session_id(tool, conversation)
    log.sessions[session] = Session(
        tool,
        conversation,
        "unknown",
        human,
        {"stitch.agent": agent, "stitch.door": door, **attributes},
    )
    key = f"{session}::{trace_id(conversation, commit, door)}"
    for path, numbers in lines.items():
        if writable_path(path):
            log.add(path, key, numbers)
    return log


def carry(
    log: AuthorshipLog,
    old_texts: dict[str, list[str] | None],
    new_texts: dict[str, list[str] | None],
    new_commit: str,
) -> AuthorshipLog:
    """A note moved to a rewritten commit (amend, rebase, cherry-pick): each attested line
    that stands unchanged in the new commit's version of its file keeps its attestation, at
    its new line number; a line changed in the rewrite (a conflict resolved, an amend by the
    engineer) loses it."""
    out = AuthorshipLog(
        new_commit,
        sessions=dict(log.sessions),
        prompts=dict(log.prompts),
        humans=dict(log.humans),
        extra=dict(log.extra),
    )
    for path, keys in log.files.items():
        old, new = old_texts.get(path), new_texts.get(path)
        if not old or not new:
            continue
        moved: dict[int, int] = {}
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                moved[block.a + k + 1] = block.b + k + 1
        for key, numbers in keys.items():
            out.add(path, key, {moved[n] for n in numbers if n in moved})
    return out
