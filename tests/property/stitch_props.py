"""What the property tests share: the hypothesis profile, the agents' hook events, and the
answer each agent reads back.

The profile is reproducible (`derandomize=True`, no example database) so CI sees the same
examples every run, and small enough that the whole folder runs in well under a minute on a
2-core machine. `STITCH_PROPS_PROFILE=stitch-props-thorough` runs many more examples (still
reproducible) when hunting.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from stitch_ls.cli import find_workspace
from stitch_ls.hooks import Answer, run_guard

settings.register_profile(
    "stitch-props",
    deadline=None,
    max_examples=40,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "stitch-props-thorough",
    settings.get_profile("stitch-props"),
    max_examples=1000,
)
PROFILE = settings.get_profile(os.environ.get("STITCH_PROPS_PROFILE", "stitch-props"))


def examples(count: int) -> settings:
    """The folder's profile with `count` examples (scaled up by the thorough profile)."""
    scale = max(1, PROFILE.max_examples // 40)
    return settings(PROFILE, max_examples=count * scale)


def unshrunk(count: int) -> settings:
    """For a property whose every example builds a git work tree: a failure is reported as
    first found (its few generated values read well as they are), since shrinking would
    build hundreds more work trees and take minutes."""
    return settings(examples(count), phases=(Phase.explicit, Phase.reuse, Phase.generate))


def known_hole(count: int) -> settings:
    """For a property marked as a strict xfail (#30): the first failing example is proof
    enough, so it is not shrunk (shrinking only costs time while the hole is open)."""
    return settings(examples(count), phases=(Phase.explicit, Phase.reuse, Phase.generate))


# A Monday morning, UTC; the guard's cache takes `now` and never reads the clock here.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

AGENTS = ("claude-code", "cursor", "vscode")

# -- events as each agent's hooks document them (see stitch_ls.hooks) ------------------------


def claude_event(tool: str, tool_input: dict[str, Any], cwd: str | None) -> dict[str, Any]:
    """A Claude Code PreToolUse event."""
    event: dict[str, Any] = {
        "session_id": "s1",
        "transcript_path": "/tmp/transcript.jsonl",
        "hook_event_name": "PreToolUse",
        "permission_mode": "default",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "toolu_01",
    }
    if cwd is not None:
        event["cwd"] = cwd
    return event


def vscode_event(tool: str, tool_input: dict[str, Any], cwd: str | None) -> dict[str, Any]:
    """A VS Code agent-hook PreToolUse event."""
    event: dict[str, Any] = {
        "timestamp": "2026-11-30T09:00:00.000Z",
        "sessionId": "s1",
        "hookEventName": "PreToolUse",
        "tool_name": tool,
        "tool_input": tool_input,
        "tool_use_id": "tool-1",
    }
    if cwd is not None:
        event["cwd"] = cwd
    return event


def cursor_event(root: Path, name: str, cwd: str | None = None, **fields: Any) -> dict[str, Any]:
    """A Cursor hook event (`beforeShellExecution`, `beforeMCPExecution`, `preToolUse`)."""
    event: dict[str, Any] = {
        "conversation_id": "c1",
        "generation_id": "g1",
        "hook_event_name": name,
        "workspace_roots": [str(root)],
        **fields,
    }
    if cwd is not None:
        event["cwd"] = cwd
    return event


def shell_event(agent: str, root: Path, command: str) -> dict[str, Any]:
    """`command` as each agent's shell tool hands it to its hook."""
    if agent == "claude-code":
        return claude_event("Bash", {"command": command, "description": "x"}, str(root))
    if agent == "cursor":
        return cursor_event(root, "beforeShellExecution", cwd=str(root), command=command)
    return vscode_event("runInTerminal", {"command": command, "explanation": "x"}, str(root))


# An edit or write tool of each agent, and the key its input names the file under.
EDIT_TOOLS: dict[str, tuple[tuple[str, str], ...]] = {
    "claude-code": (("Edit", "file_path"), ("Write", "file_path"), ("MultiEdit", "file_path")),
    "cursor": (("Write", "file_path"), ("StrReplace", "path"), ("edit_file", "target_file")),
    "vscode": (
        ("replace_string_in_file", "filePath"),
        ("create_file", "filePath"),
        ("insert_edit_into_file", "filePath"),
    ),
}


def edit_event(
    agent: str, root: Path, tool: str, tool_input: dict[str, Any], cwd: str | None
) -> dict[str, Any]:
    """An edit tool's call as each agent's pre-tool hook sees it."""
    if agent == "claude-code":
        return claude_event(tool, tool_input, cwd)
    if agent == "cursor":
        return cursor_event(root, "preToolUse", cwd=cwd, tool_name=tool, tool_input=tool_input)
    return vscode_event(tool, tool_input, cwd)


# -- answers ---------------------------------------------------------------------------------


def guard(agent: str, event: dict[str, Any], now: datetime = NOW) -> Answer:
    """One decision as `stitch-ls guard --agent AGENT` makes it (in-process): the workspace
    found from the event's cwd, exactly as the installed hooks leave it to."""
    return run_guard(agent, json.dumps(event), None, find_workspace, now)


def denial(agent: str, answer: Answer) -> str | None:
    """The reason the agent reads when the guard denies, None when it makes no decision; an
    answer in neither of the agent's documented shapes fails the test."""
    if agent == "cursor":
        body = json.loads(answer.stdout)
        if body == {}:
            assert answer.code == 0, answer
            return None
        assert answer.code == 2 and body["permission"] == "deny", answer
        return str(body["agentMessage"])
    if answer == Answer("", "", 0):
        return None
    assert answer.code in (0, 2), answer
    out = json.loads(answer.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "deny", answer
    return str(out["permissionDecisionReason"])
