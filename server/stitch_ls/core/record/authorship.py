"""git-ai's authorship log (Git AI Standard v3.0.0, `authorship/3.0.0`): written and read.

Stitch writes its attribution in the format git-ai publishes, in the notes ref git-ai uses
(`refs/notes/ai`), so a tool that reads git-ai's notes reads Stitch's, and Stitch reads notes
git-ai itself wrote. The standard (git-ai-project/git-ai, `specs/git_ai_standard_v3.0.0.md`,
as of 2026-05, which added sessions and known humans) says, in short:

- a note is an attestation section, a line holding exactly `---`, then a JSON object;
- the attestation section names a file at the start of a line (double-quoted when it holds a
  space, tab or newline), then one line per author indented by exactly two spaces: an
  attestation key, one space, and 1-based line ranges (`1-4,9,12-30`) in the commit's version;
- keys are `s_<14 hex>::t_<14 hex>` (an AI session and one checkpoint of it; the session
  looked up in `metadata.sessions`), `h_<14 hex>` (a known human, `metadata.humans`) or a bare
  16-hex legacy key (`metadata.prompts`);
- the JSON holds `schema_version` ("authorship/3.0.0"), `base_commit_sha` (the commit the note
  is on) and `prompts` (required, possibly empty), and optionally `git_ai_version`,
  `sessions` and `humans`. A session record has `agent_id` (`tool`, `id`, `model`),
  optionally `human_author` and `custom_attributes` (string to string): Stitch keeps what it
  knows beyond the standard there, under `stitch.*` keys.

Pure: text in, records out. A note that breaks the format is one `ValueError` naming what is
wrong; nothing here runs git.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "authorship/3.0.0"
NOTES_REF = "refs/notes/ai"
DIVIDER = "---"
MAX_NOTE_BYTES = 16 * 1024 * 1024
MAX_LINE_NUMBER = 10_000_000
MAX_NOTE_LINES = 1_000_000  # attested lines in one note: what a hostile range may make us hold

SESSION_KEY = re.compile(r"s_[0-9a-f]{6,64}::t_[0-9a-f]{6,64}")
HUMAN_KEY = re.compile(r"h_[0-9a-f]{6,64}")
LEGACY_KEY = re.compile(r"[0-9a-f]{7,64}")

# Stitch's agent names and git-ai's `agent_id.tool` for the same agents
TOOLS = {"claude-code": "claude", "cursor": "cursor", "vscode": "github-copilot"}
AGENTS = {tool: agent for agent, tool in TOOLS.items()}


def session_id(tool: str, conversation: str) -> str:
    """`s_` and the first 14 hex digits of SHA-256("<tool>:<conversation id>"): the same
    session id for every checkpoint of one agent conversation (the standard's rule)."""
    return "s_" + hashlib.sha256(f"{tool}:{conversation}".encode()).hexdigest()[:14]


def trace_id(*parts: str) -> str:
    """`t_` and 14 hex digits, one per checkpoint (one agent edit, one applied draft, one
    agent commit): derived from what identifies it, so writing the same note twice gives the
    same text."""
    return "t_" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:14]


def format_ranges(lines: list[int] | set[int]) -> str:
    """Sorted 1-based line numbers as `1-4,9,12-30`."""
    out: list[str] = []
    numbers = sorted(set(lines))
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        out.append(str(numbers[i]) if i == j else f"{numbers[i]}-{numbers[j]}")
        i = j + 1
    return ",".join(out)


def parse_ranges(text: str, most: int = MAX_NOTE_LINES) -> list[int]:
    """`1-4,9` -> [1, 2, 3, 4, 9]; ValueError for anything else (no spaces, positive only), or
    for more than `most` lines."""
    numbers: list[int] = []
    for part in text.split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ValueError(f"bad line range {part!r}")
        start, end = int(first), int(last) if dash else int(first)
        if start < 1 or end < start or end > MAX_LINE_NUMBER:
            raise ValueError(f"bad line range {part!r}")
        if len(numbers) + end - start + 1 > most:
            raise ValueError("more attested lines than a note may hold")
        numbers.extend(range(start, end + 1))
    return numbers


@dataclass
class Session:
    """One author of AI lines: an agent session (or, for a legacy key, a prompt record)."""

    tool: str
    conversation: str
    model: str = "unknown"
    human_author: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agent_id": {"tool": self.tool, "id": self.conversation, "model": self.model},
            "human_author": self.human_author,
        }
        if self.attributes:
            out["custom_attributes"] = dict(sorted(self.attributes.items()))
        return out


@dataclass
class AuthorshipLog:
    """A note: per file, per attestation key, the lines (in the commit's version) it wrote;
    and the sessions, humans and legacy prompts the keys name."""

    base_commit: str = ""
    files: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    prompts: dict[str, Session] = field(default_factory=dict)
    humans: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # other metadata kept as read

    def add(self, path: str, key: str, lines: set[int] | list[int]) -> None:
        if lines:
            self.files.setdefault(path, {}).setdefault(key, set()).update(lines)

    def author_of(self, key: str) -> Session | None:
        """The session (or legacy prompt) a key names; None for a human or an unknown key."""
        if key.startswith("s_"):
            return self.sessions.get(key.split("::", 1)[0])
        if key.startswith("h_"):
            return None
        return self.prompts.get(key)

    def ai_lines(self) -> dict[str, dict[int, str]]:
        """Per file, each AI line and the key that wrote it (the last entry listing a line
        wins, as git-ai reads it); lines of known humans and of keys with no record are not AI."""
        out: dict[str, dict[int, str]] = {}
        for path, keys in self.files.items():
            lines: dict[int, str] = {}
            for key, numbers in keys.items():
                if self.author_of(key) is None:
                    for n in numbers:
                        lines.pop(n, None)
                    continue
                for n in numbers:
                    lines[n] = key
            if lines:
                out[path] = lines
        return out

    def is_empty(self) -> bool:
        return not any(any(keys.values()) for keys in self.files.values())


def _quoted(path: str) -> str:
    if any(c in path for c in " \t\n") or path == DIVIDER or path.startswith(('"', " ")):
        return f'"{path}"'
    return path


def writable_path(path: str) -> bool:
    """Whether the format can hold `path`: the standard has no escape for a double quote,
    and a newline would end the line whatever the quoting."""
    return bool(path) and '"' not in path and "\n" not in path and "\r" not in path


def render(log: AuthorshipLog) -> str:
    """The note's text. Files and keys in a stable order, so the same attribution always
    gives the same note."""
    lines: list[str] = []
    for path in sorted(log.files):
        keys = {k: v for k, v in log.files[path].items() if v}
        if not keys or not writable_path(path):
            continue
        lines.append(_quoted(path))
        for key in sorted(keys, key=lambda k: (min(keys[k]), k)):
            lines.append(f"  {key} {format_ranges(keys[key])}")
    metadata: dict[str, Any] = {
        **log.extra,
        "schema_version": SCHEMA_VERSION,
        "base_commit_sha": log.base_commit,
        "prompts": {k: _prompt_json(s) for k, s in sorted(log.prompts.items())},
    }
    if log.humans:
        metadata["humans"] = {k: {"author": a} for k, a in sorted(log.humans.items())}
    if log.sessions:
        metadata["sessions"] = {k: s.to_json() for k, s in sorted(log.sessions.items())}
    return "\n".join([*lines, DIVIDER, json.dumps(metadata, indent=2, ensure_ascii=False)]) + "\n"


def _prompt_json(session: Session) -> dict[str, Any]:
    out = session.to_json()
    out.setdefault("total_additions", 0)
    out.setdefault("total_deletions", 0)
    out.setdefault("accepted_lines", 0)
    out.setdefault("overriden_lines", 0)  # sic: the standard's spelling (its erratum E-001)
    return out


def parse(text: str) -> AuthorshipLog:
    """A note as git-ai writes it (or Stitch does); ValueError with the reason otherwise."""
    if len(text) > MAX_NOTE_BYTES:
        raise ValueError("the note is too large")
    lines = text.splitlines()
    try:
        divider = lines.index(DIVIDER)
    except ValueError:
        raise ValueError("no '---' line between attestations and metadata") from None
    log = AuthorshipLog()
    current: str | None = None
    attested = 0
    for number, raw in enumerate(lines[:divider], start=1):
        line = raw.rstrip()
        if not line:
            continue
        if line.startswith("  "):
            if current is None:
                raise ValueError(f"line {number}: an attestation before any file")
            key, space, ranges = line[2:].partition(" ")
            if not space or not key:
                raise ValueError(f"line {number}: not '<key> <ranges>'")
            if not (
                SESSION_KEY.fullmatch(key) or HUMAN_KEY.fullmatch(key) or LEGACY_KEY.fullmatch(key)
            ):
                raise ValueError(f"line {number}: unknown attestation key {key[:40]!r}")
            try:
                numbers = parse_ranges(ranges.strip(), MAX_NOTE_LINES - attested)
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
            attested += len(numbers)
            log.add(current, key, numbers)
        else:
            current = line[1:-1] if len(line) >= 2 and line[0] == line[-1] == '"' else line
    try:
        metadata = json.loads("\n".join(lines[divider + 1 :]))
    except (ValueError, RecursionError):
        raise ValueError("the metadata after '---' is not JSON") from None
    if not isinstance(metadata, dict):
        raise ValueError("the metadata after '---' is not a JSON object")
    version = metadata.get("schema_version")
    if not isinstance(version, str) or not version.startswith("authorship/"):
        raise ValueError(f"schema_version {version!r} is not an authorship log's")
    log.base_commit = str(metadata.get("base_commit_sha") or "")
    log.sessions = _records(metadata.get("sessions"), "sessions")
    log.prompts = _records(metadata.get("prompts"), "prompts")
    humans = metadata.get("humans") or {}
    if not isinstance(humans, dict):
        raise ValueError("humans is not an object")
    log.humans = {k: str(v.get("author", "")) for k, v in humans.items() if isinstance(v, dict)}
    log.extra = {
        k: v
        for k, v in metadata.items()
        if k not in ("schema_version", "base_commit_sha", "prompts", "sessions", "humans")
    }
    return log


def _records(raw: Any, name: str) -> dict[str, Session]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{name} is not an object")
    out: dict[str, Session] = {}
    for key, record in raw.items():
        if not isinstance(record, dict) or not isinstance(record.get("agent_id"), dict):
            raise ValueError(f"{name}.{str(key)[:40]} has no agent_id")
        agent = record["agent_id"]
        attributes = record.get("custom_attributes") or {}
        out[str(key)] = Session(
            tool=str(agent.get("tool") or "unknown"),
            conversation=str(agent.get("id") or ""),
            model=str(agent.get("model") or "unknown"),
            human_author=record.get("human_author")
            if isinstance(record.get("human_author"), str)
            else None,
            attributes={str(k): str(v) for k, v in attributes.items()}
            if isinstance(attributes, dict)
            else {},
        )
    return out


def merged(first: AuthorshipLog, second: AuthorshipLog) -> AuthorshipLog:
    """`first` and `second` in one note; where both attest a line, `first`'s attestation
    stands (the caller puts what it trusts more first)."""
    out = AuthorshipLog(
        first.base_commit or second.base_commit,
        extra={**second.extra, **first.extra},
        sessions={**second.sessions, **first.sessions},
        prompts={**second.prompts, **first.prompts},
        humans={**second.humans, **first.humans},
    )
    for path, keys in first.files.items():
        for key, lines in keys.items():
            out.add(path, key, lines)
    for path, keys in second.files.items():
        taken = set().union(*first.files.get(path, {}).values()) if path in first.files else set()
        for key, lines in keys.items():
            out.add(path, key, set(lines) - taken)
    return out
