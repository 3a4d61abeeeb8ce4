"""`stitch-ls attribute --agent …`: each agent's post-tool event in, the lines it wrote recorded.

After an agent edits a file, its own post-tool hook runs this with the event on stdin; the
lines the agent's new text now covers in the file are recorded, per repository, until a commit
binds them (`core.record.attribution`). The events followed (read 2026-11; shapes only):

- Claude Code, "Hooks reference": `PostToolUse` has the common fields (`session_id`, `cwd`,
  `hook_event_name`, ...) and `tool_name`, `tool_input`, `tool_response`, `tool_use_id`. The
  edit tools' inputs: `Edit` (`file_path`, `old_string`, `new_string`, `replace_all`),
  `MultiEdit` (`file_path`, `edits`: [`old_string`, `new_string`]), `Write` (`file_path`,
  `content`). Exit 0 with no output is "nothing to say"; another non-zero exit than 2 is a
  non-blocking error shown to the user, which is how a failure here is reported (the edit
  already happened; nothing may block the agent because attribution failed).
- Cursor, "Hooks": `afterFileEdit` (and `afterTabFileEdit`) with `file_path` and `edits`:
  [`old_string`, `new_string`], and the common `conversation_id`, `generation_id`,
  `workspace_roots`, optionally `model`; it is fire-and-forget: the answer is `{}`.
- VS Code, "Hooks reference (Preview)": `PostToolUse` with `tool_name`, `tool_input`,
  `tool_response`, `tool_use_id` and the common `timestamp`, `cwd`, `sessionId`,
  `hookEventName`. Its edit tools are not all documented: the new text is looked for under
  the keys its tools use (`newString`, `content`, `code`, an `apply_patch` patch); a tool
  whose input names files but carries no text (`editFiles` with only `files`) records nothing.

Cheap on purpose (the guard's budget): json, the file's bytes and a hash per line; no
pydantic, GitPython or tree-sitter.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from stitch_ls.core.files.fsio import read_text_limited
from stitch_ls.core.record.attribution import PendingEdit, line_hash, new_id, record_edit
from stitch_ls.core.vcs import refs

AGENTS = ("claude-code", "cursor", "vscode")
MAX_EVENT_BYTES = 8 * 1024 * 1024
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_OCCURRENCES = 64


class Answer(NamedTuple):
    stdout: str
    stderr: str
    code: int


class Written(NamedTuple):
    """One file an agent wrote, and the texts it put there."""

    path: str  # as the event names it (absolute, or relative to the event's folder)
    texts: tuple[str, ...]


class PostToolEvent(NamedTuple):
    agent: str
    conversation: str
    model: str
    call: str  # one tool call: tool_use_id, generation_id
    tool: str
    cwd: str | None
    written: tuple[Written, ...]


_TEXT_KEYS = ("new_string", "newString", "content", "contents", "code", "new_source", "newText")
_PATH_KEYS = ("file_path", "filePath", "path", "target_file", "targetFile")
_PATCH_KEYS = ("input", "patch")
_PATCH_FILE = re.compile(r"^\*\*\* (?:Update|Add) File: (.+)$")


def _texts(tool_input: dict[str, Any]) -> list[str]:
    found = [v for k in _TEXT_KEYS if isinstance(v := tool_input.get(k), str)]
    for edit in tool_input.get("edits") or ():
        if isinstance(edit, dict):
            found.extend(_texts(edit))
    return found


def _patch_files(patch: str) -> dict[str, list[str]]:
    """An `apply_patch` patch's added lines per file (`*** Update File: p`, `+line`), or one
    unnamed entry for a plain unified diff's added lines."""
    files: dict[str, list[str]] = {}
    current = ""
    for line in patch.splitlines():
        match = _PATCH_FILE.match(line)
        if match:
            current = match.group(1).strip()
            files.setdefault(current, [])
        elif line.startswith("+") and not line.startswith("+++"):
            files.setdefault(current, []).append(line[1:])
    return files


def _written(tool_input: Any) -> tuple[Written, ...]:
    """The files a tool's input names and the new text it wrote into each."""
    if not isinstance(tool_input, dict):
        return ()
    paths = [v for k in _PATH_KEYS if isinstance(v := tool_input.get(k), str) and v]
    for key in _PATCH_KEYS:
        patch = tool_input.get(key)
        if isinstance(patch, str) and ("*** Begin Patch" in patch or "\n@@" in patch):
            per_file = _patch_files(patch)
            named = [Written(p, ("\n".join(t),)) for p, t in per_file.items() if p and t]
            if named:
                return tuple(named)
            unnamed = per_file.get("")
            if unnamed and paths:
                return tuple(Written(p, ("\n".join(unnamed),)) for p in paths)
    texts = tuple(t for t in _texts(tool_input) if t.strip())
    if not texts:
        return ()
    return tuple(Written(p, texts) for p in dict.fromkeys(paths))


def _object(text: str) -> dict[str, Any]:
    if len(text) > MAX_EVENT_BYTES:
        raise ValueError("the hook event is too large")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("the hook event is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the hook event is not a JSON object")
    return data


def _str(data: dict[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _tool_input(data: dict[str, Any]) -> Any:
    tool_input = data.get("tool_input")
    if isinstance(tool_input, str):  # some agents pass it as a JSON string
        try:
            tool_input = json.loads(tool_input)
        except (ValueError, RecursionError):
            raise ValueError("the hook event's tool_input is not JSON") from None
    if tool_input is not None and not isinstance(tool_input, dict):
        raise ValueError("the hook event's tool_input is not an object")
    return tool_input or {}


def parse_claude(data: dict[str, Any]) -> PostToolEvent:
    if "hook_event_name" not in data and "hookEventName" in data:
        # VS Code runs the hooks in .claude/settings.json too, with its own event
        return parse_vscode(data)
    return _post_tool_use("claude-code", data, ("hook_event_name",), ("session_id",))


def parse_vscode(data: dict[str, Any]) -> PostToolEvent:
    names, sessions = ("hookEventName", "hook_event_name"), ("sessionId", "session_id")
    return _post_tool_use("vscode", data, names, sessions)


def _post_tool_use(
    agent: str, data: dict[str, Any], names: tuple[str, ...], sessions: tuple[str, ...]
) -> PostToolEvent:
    """A `PostToolUse` event of Claude Code's shape; `names`, `sessions`: the keys the agent
    names the event and its session under (the first found is used)."""
    name = _str(data, *names)
    if name != "PostToolUse":
        raise ValueError(f"stitch-ls attribute reads PostToolUse events, not {name or 'none'}")
    tool = _str(data, "tool_name")
    if not tool:
        raise ValueError("the hook event has no 'tool_name'")
    return PostToolEvent(
        agent,
        _str(data, *sessions),
        _str(data, "model") or "unknown",
        _str(data, "tool_use_id"),
        tool,
        _str(data, "cwd") or None,
        _written(_tool_input(data)),
    )


def parse_cursor(data: dict[str, Any]) -> PostToolEvent:
    name = _str(data, "hook_event_name")
    if name not in ("afterFileEdit", "afterTabFileEdit"):
        raise ValueError(
            f"stitch-ls attribute reads Cursor's afterFileEdit events, not {name or 'none'}"
        )
    file_path = _str(data, "file_path")
    if not file_path:
        raise ValueError("the hook event has no 'file_path'")
    edits = data.get("edits")
    if not isinstance(edits, list):
        raise ValueError("the hook event's edits is not a list")
    texts = tuple(
        e["new_string"]
        for e in edits
        if isinstance(e, dict) and isinstance(e.get("new_string"), str) and e["new_string"].strip()
    )
    roots = data.get("workspace_roots")
    root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else None
    return PostToolEvent(
        "cursor",
        _str(data, "conversation_id"),
        _str(data, "model") or "unknown",
        _str(data, "generation_id"),
        name,
        _str(data, "cwd") or root,
        (Written(file_path, texts),) if texts else (),
    )


PARSERS: dict[str, Callable[[dict[str, Any]], PostToolEvent]] = {
    "claude-code": parse_claude,
    "cursor": parse_cursor,
    "vscode": parse_vscode,
}


# -- which lines the new text covers ---------------------------------------------------------


def covered_lines(content: str, texts: tuple[str, ...]) -> list[int]:
    """The 1-based lines of `content` that the agent's new texts now cover: every line an
    occurrence of a text touches (an edit starting mid-line changed that line). A text not
    found as it is (the agent's tool normalised it, or the file moved on) counts by its
    whole lines that stand in the file exactly, each at most once."""
    starts = [0]
    for i, char in enumerate(content):
        if char == "\n":
            starts.append(i + 1)

    def line_at(offset: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    covered: set[int] = set()
    file_lines = content.split("\n")
    for text in texts:
        body = text[:-1] if text.endswith("\n") else text
        if not body:
            continue
        found, pos = 0, content.find(body)
        while pos != -1 and found < MAX_OCCURRENCES:
            covered.update(range(line_at(pos), line_at(pos + len(body) - 1) + 1))
            found += 1
            pos = content.find(body, pos + max(1, len(body)))
        if found:
            continue
        unused: dict[str, list[int]] = {}
        for number, line in enumerate(file_lines, start=1):
            if number not in covered:
                unused.setdefault(line.rstrip("\r"), []).append(number)
        for line in body.split("\n"):
            spots = unused.get(line.rstrip("\r"))
            if line.strip() and spots:
                covered.add(spots.pop(0))
    if content.endswith("\n"):
        covered.discard(len(file_lines))  # the empty "line" after the last newline
    return sorted(covered)


def worktree_of(path: Path) -> Path | None:
    """The checkout holding `path`: the nearest folder up with a `.git` (folder or file)."""
    for folder in path.parents:
        if (folder / ".git").exists():
            return folder
    return None


def record(event: PostToolEvent, workspace: Path | None, now: datetime) -> int:
    """Record the lines of each file the event wrote; how many lines were recorded."""
    total = 0
    for written in event.written:
        raw = Path(written.path)
        if not raw.is_absolute():
            raw = Path(event.cwd or workspace or os.getcwd()) / raw
        target = Path(os.path.realpath(raw))
        root = Path(os.path.realpath(workspace)) if workspace else worktree_of(target)
        if root is None:
            continue  # not in a git checkout: nothing to attribute it in
        try:
            relative = target.relative_to(root).as_posix()
        except ValueError:
            continue  # outside the workspace
        if relative.split("/")[0] in (".git", ".stitch"):
            continue
        try:
            content = read_text_limited(target, MAX_FILE_BYTES)
        except (OSError, ValueError):
            continue  # deleted, binary, too large: no lines to credit
        numbers = covered_lines(content, written.texts)
        if not numbers:
            continue
        file_lines = content.split("\n")
        dirs = refs.locate(root)
        edit = PendingEdit(
            id=new_id(now),
            at=now,
            agent=event.agent,
            conversation=event.conversation,
            model=event.model,
            event=event.call,
            worktree=str(root),
            branch=refs.head_branch(dirs.git_dir) if dirs else None,
            path=relative,
            lines=[(n, line_hash(file_lines[n - 1])) for n in numbers],
            tool=event.tool,
        )
        record_edit(root, edit)
        total += len(numbers)
    return total


def run_attribute(agent: str, text: str, workspace: Path | None, now: datetime) -> Answer:
    """Read one post-tool event and record it. A bad event gets one line on stderr and exit 1,
    which each agent reads as a non-blocking error: the edit happened either way."""
    ok = "{}\n" if agent == "cursor" else ""
    try:
        if agent not in PARSERS:
            raise ValueError(f"--agent must be one of {', '.join(AGENTS)}")
        record(PARSERS[agent](_object(text)), workspace, now)
    except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
        detail = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        return Answer(ok, f"stitch-ls attribute: {detail}\n", 1)
    return Answer(ok, "", 0)
