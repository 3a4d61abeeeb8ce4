"""Agents' hook events as each agent's docs show them, and the real `stitch-ls` that answers
them: shared by the tests that drive the guard (and the CLI beside it) as agents do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from person import stitch


def run(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path | None = None):
    """`stitch-ls ARGS` in `env`; a human-only verb by a person at a terminal (`person`)."""
    return stitch(*args, env=env, stdin=stdin, cwd=cwd)


def guard(env: dict[str, str], agent: str, event: dict[str, Any] | str, cwd: Path | None = None):
    text = event if isinstance(event, str) else json.dumps(event)
    return run(env, "guard", "--agent", agent, stdin=text, cwd=cwd)


def claude(root: Path, tool: str, tool_input: dict[str, Any], cwd: Path | None = None) -> dict:
    """A Claude Code PreToolUse event, as its hooks reference shows it."""
    return {
        "session_id": "abc123",
        "transcript_path": str(root / ".claude-transcript.jsonl"),
        "cwd": str(cwd or root),
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_01",
    }


def cursor(root: Path, event: str, **fields: Any) -> dict:
    return {
        "conversation_id": "c1",
        "generation_id": "g1",
        "hook_event_name": event,
        "workspace_roots": [str(root)],
        **fields,
    }


def vscode(root: Path, tool: str, tool_input: dict[str, Any]) -> dict:
    return {
        "timestamp": "2026-11-28T09:12:00.000Z",
        "cwd": str(root),
        "sessionId": "s1",
        "hookEventName": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "tool-123",
    }


def claude_decision(result: subprocess.CompletedProcess) -> tuple[str, str] | None:
    """(Claude Code's / VS Code's permission decision, its reason), or None for no decision."""
    assert result.returncode == 0, result.stderr
    if not result.stdout.strip():
        return None
    out = json.loads(result.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "PreToolUse"
    return out["permissionDecision"], out["permissionDecisionReason"]


def claude_denial(result: subprocess.CompletedProcess) -> str | None:
    """The reason of a Claude Code / VS Code denial (exit 0, JSON), or None for no decision."""
    assert result.returncode == 0, result.stderr
    if not result.stdout.strip():
        return None
    out = json.loads(result.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "PreToolUse" and out["permissionDecision"] == "deny"
    return out["permissionDecisionReason"]


def claude_warning(result: subprocess.CompletedProcess) -> str | None:
    """What the guard said to a call it let through (Claude Code / VS Code: a `systemMessage`
    for the person and the same words as `additionalContext` for the agent), or None."""
    assert result.returncode == 0, result.stderr
    if not result.stdout.strip():
        return None
    data = json.loads(result.stdout)
    out = data["hookSpecificOutput"]
    assert "permissionDecision" not in out, out
    assert out["additionalContext"] == data["systemMessage"]
    return data["systemMessage"]


def cursor_denial(result: subprocess.CompletedProcess) -> str | None:
    out = json.loads(result.stdout)
    if out == {}:
        assert result.returncode == 0
        return None
    assert result.returncode == 2 and out["permission"] == "deny"
    assert out["userMessage"] == out["agentMessage"] == result.stderr.strip()
    return out["agentMessage"]


def read_only_on(env: dict[str, str], root: Path, reason: str = "incident 42") -> None:
    result = run(env, "read-only", "on", "--reason", reason, "--workspace", str(root))
    assert result.returncode == 0, result.stderr


def team(root: Path, text: str) -> None:
    (root / ".stitch" / "config.toml").write_text(text)


# -- post-tool events: what each agent's hook sends after it edited a file ---------------------


def _digest(data: Any) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


def claude_post(root: Path, tool: str, tool_input: dict[str, Any], session: str = "abc123") -> dict:
    """A Claude Code PostToolUse event, as its hooks reference shows it."""
    return {
        "session_id": session,
        "transcript_path": str(root / ".claude-transcript.jsonl"),
        "cwd": str(root),
        "permission_mode": "default",
        "hook_event_name": "PostToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_response": {"filePath": tool_input.get("file_path"), "success": True},
        "tool_use_id": "toolu_" + _digest(tool_input),
    }


def cursor_after_edit(
    root: Path, file_path: Path, edits: list[dict[str, str]], conversation: str = "c1"
) -> dict:
    """A Cursor afterFileEdit event, as its hooks docs show it."""
    return {
        "conversation_id": conversation,
        "generation_id": "g-" + _digest(edits),
        "hook_event_name": "afterFileEdit",
        "workspace_roots": [str(root)],
        "model": "gpt-5",
        "file_path": str(file_path),
        "edits": edits,
    }


def vscode_post(root: Path, tool: str, tool_input: dict[str, Any], session: str = "s1") -> dict:
    """A VS Code PostToolUse event, as its hooks reference shows it."""
    return {
        "timestamp": "2026-11-28T09:12:00.000Z",
        "cwd": str(root),
        "sessionId": session,
        "hookEventName": "PostToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_response": "ok",
        "tool_use_id": "tool-456",
    }


def attribute(
    env: dict[str, str], agent: str, event: dict[str, Any] | str, cwd: Path | None = None
):
    text = event if isinstance(event, str) else json.dumps(event)
    return run(env, "attribute", "--agent", agent, stdin=text, cwd=cwd)


def agent_edits(
    env: dict[str, str], root: Path, agent: str, path: str, old: str, new: str, session: str = "s"
) -> None:
    """An agent replaces `old` with `new` in `path` (creating it when `old` is empty and the
    file is missing) with its own edit tool, then its post-tool hook reports it."""
    file = root / path
    if old == "" and not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(new)
        events = {
            "claude-code": claude_post(
                root, "Write", {"file_path": str(file), "content": new}, session
            ),
            "cursor": cursor_after_edit(
                root, file, [{"old_string": "", "new_string": new}], session
            ),
            "vscode": vscode_post(
                root, "create_file", {"filePath": str(file), "content": new}, session
            ),
        }
    else:
        text = file.read_text()
        assert old in text, (old, path)
        file.write_text(text.replace(old, new, 1))
        events = {
            "claude-code": claude_post(
                root,
                "Edit",
                {"file_path": str(file), "old_string": old, "new_string": new},
                session,
            ),
            "cursor": cursor_after_edit(
                root, file, [{"old_string": old, "new_string": new}], session
            ),
            "vscode": vscode_post(
                root,
                "replace_string_in_file",
                {"filePath": str(file), "oldString": old, "newString": new},
                session,
            ),
        }
    result = attribute(env, agent, events[agent])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("{}\n" if agent == "cursor" else "")
