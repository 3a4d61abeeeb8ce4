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
