"""`stitch-ls guard`: the team's policy in each coding agent's own pre-tool hook, and in git's.

Each adapter reads one hook event as its agent documents it, normalises it into a
`core.guard.rules.ToolEvent`, and writes `core.guard.rules.judge`'s verdict back in that agent's
format. The documents followed (read 2026-11; quoted shapes only):

- Claude Code, "Hooks reference" (code.claude.com/docs/en/hooks): a `PreToolUse` event on
  stdin has `session_id`, `transcript_path`, `cwd`, `hook_event_name`, `tool_name`,
  `tool_input` (file paths absolute; MCP tools named `mcp__<server>__<tool>`). A denial is
  `{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
  "permissionDecisionReason": ...}}` on stdout with exit 0; exit 2 blocks with stderr as the
  reason; any other non-zero exit is a non-blocking error and the tool runs. So the guard
  never exits 1: a failure prints a denial and exits 2.
- Cursor, "Hooks" (cursor.com/docs/agent/hooks): `.cursor/hooks.json` with `"version": 1`;
  events `beforeShellExecution` (`command`, `cwd`), `beforeMCPExecution` (`tool_name`,
  `tool_input`, `url` or `command`), `preToolUse` (`tool_name`, `tool_input`), each with
  `hook_event_name` and `workspace_roots`; the answer is `{"permission": "allow"|"deny"|"ask",
  "userMessage", "agentMessage"}`. Unclear in the docs, read fail-closed: third-party
  references spell the messages `user_message`/`agent_message`, so both spellings are
  written; exit 2 is described as a denial too, so a denial also exits 2 with the reason on
  stderr; and a hook that fails is allowed through unless its entry says `"failClosed":
  true`, so `init` writes that. `afterFileEdit` runs after the edit and cannot stop it.
- VS Code, "Agent hooks (Preview)" and "Hooks reference" (code.visualstudio.com/docs/agents/
  reference/hooks-reference): `PreToolUse` input `tool_name`, `tool_input`, `tool_use_id` plus
  common fields (`timestamp`, `cwd`, `sessionId`, `hookEventName`); output as Claude Code's
  `hookSpecificOutput`; exit 2 is a blocking error. VS Code's tool names are not all listed
  (the reference shows `editFiles` with `{"files": [...]}`): any tool the guard does not know
  counts as "other", which read-only stops.
- git: `pre-commit` cannot see the commit message (it runs before the message is written),
  so `init --git-hooks` installs `pre-commit` (stream branches) and `commit-msg` (Stitch-*
  trailers), both calling `stitch-ls guard git-pre-commit`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from stitch_ls.core.guard.rules import (
    ALLOW,
    ToolEvent,
    Verdict,
    judge,
    read_only_text,
    record_denial,
)

AGENTS = ("claude-code", "cursor", "vscode")
MAX_EVENT_BYTES = 8 * 1024 * 1024


class Answer(NamedTuple):
    stdout: str
    stderr: str
    code: int


# -- reading events ---------------------------------------------------------------------------

_PATH_KEYS = ("file_path", "filePath", "notebook_path", "path", "target_file", "targetFile")
_LIST_KEYS = ("files", "paths", "filePaths", "file_paths")


def _paths(tool_input: Any) -> tuple[str, ...]:
    """File paths a tool's input names, under the keys the agents' docs use."""
    if not isinstance(tool_input, dict):
        return ()
    found: list[str] = []
    for key in _PATH_KEYS:
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            found.append(value)
    for key in _LIST_KEYS:
        value = tool_input.get(key)
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str) and v)
    for edit in tool_input.get("edits") or () if isinstance(tool_input.get("edits"), list) else ():
        if isinstance(edit, dict):
            found.extend(_paths(edit))
    return tuple(dict.fromkeys(found))


_READ_TOOLS = {
    "read",
    "glob",
    "grep",
    "ls",
    "webfetch",
    "websearch",
    "todowrite",
    "todoread",
    "task",
    "agent",
    "exitplanmode",
    "notebookread",
    "bashoutput",
    "killshell",
    "killbash",
    "listmcpresourcestool",
    "readmcpresourcetool",
    "readfile",
    "listdir",
    "codebasesearch",
    "filesearch",
    "search",
    "fetch",
    "semanticsearch",
    "readlints",
    "findtextinfiles",
    "findfiles",
    "listdirectory",
    "getchangedfiles",
    "geterrors",
    "fetchwebpage",
    "codebase",
    "usages",
    "todos",
    "problems",
    "changes",
    "githubrepo",
    "runsubagent",
    "manage_todo_list",
}
_EDIT_TOOLS = {
    "edit",
    "multiedit",
    "notebookedit",
    "strreplace",
    "editfiles",
    "replacestringinfile",
    "multireplacestringinfile",
    "inserteditintofile",
    "editnotebook",
    "applypatch",
    "delete",
    "deletefile",
    "searchreplace",
    "editfile",
    "tabwrite",
    "editnotebookfile",
}
_WRITE_TOOLS = {"write", "createfile", "createdirectory", "newfile", "writefile", "createnotebook"}
_SHELL_TOOLS = {"bash", "shell", "runinterminal", "runterminalcommand", "terminal", "runcommand"}
_QUESTION_TOOLS = {"askuserquestion", "askquestion", "askquestions", "vscodeaskquestions"}


def _squash(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def classify(agent: str, tool: str, tool_input: Any, cwd: str | None) -> ToolEvent:
    """A tool call by name and input, as the guard's rule sees it."""
    if tool.startswith(("mcp__", "MCP:", "mcp_")):
        server = re.split(
            r"__|:|_", tool.removeprefix("mcp__").removeprefix("MCP:").removeprefix("mcp_")
        )[0]
        kind = "notify" if "notif" in tool.lower() else "mcp"
        return ToolEvent(agent, kind, tool, cwd=cwd, stitch_tool="stitch" in server.lower())  # type: ignore[arg-type]
    squashed = _squash(tool)
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if squashed in _SHELL_TOOLS:
        return ToolEvent(agent, "shell", tool, command=str(command or ""), cwd=cwd)
    if squashed in _EDIT_TOOLS:
        return ToolEvent(agent, "edit", tool, _paths(tool_input), cwd=cwd)
    if squashed in _WRITE_TOOLS:
        return ToolEvent(agent, "write", tool, _paths(tool_input), cwd=cwd)
    if squashed in _QUESTION_TOOLS:
        return ToolEvent(agent, "question", tool, cwd=cwd)
    if "notif" in squashed:
        return ToolEvent(agent, "notify", tool, cwd=cwd)
    if squashed in _READ_TOOLS or tool.lower() in _READ_TOOLS:
        return ToolEvent(agent, "read", tool, cwd=cwd)
    return ToolEvent(agent, "other", tool, _paths(tool_input), cwd=cwd)


def _object(text: str) -> dict[str, Any]:
    if len(text) > MAX_EVENT_BYTES:
        raise ValueError("the hook event is too large")
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("the hook event is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the hook event is not a JSON object")
    return data


def _string(data: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if isinstance(value, str) and value:
        return value
    if required:
        raise ValueError(f"the hook event has no {key!r}")
    return ""


def parse_claude(data: dict[str, Any]) -> tuple[ToolEvent, str]:
    event_name = _string(data, "hook_event_name")
    if event_name != "PreToolUse":
        raise ValueError(f"stitch-ls guard answers PreToolUse events, not {event_name}")
    return _pre_tool_use("claude-code", data), event_name


def parse_vscode(data: dict[str, Any]) -> tuple[ToolEvent, str]:
    event_name = data.get("hookEventName") or data.get("hook_event_name")
    if event_name != "PreToolUse":
        raise ValueError(f"stitch-ls guard answers PreToolUse events, not {event_name}")
    return _pre_tool_use("vscode", data), event_name


def _pre_tool_use(agent: str, data: dict[str, Any]) -> ToolEvent:
    tool = _string(data, "tool_name")
    tool_input = data.get("tool_input")
    if tool_input is not None and not isinstance(tool_input, dict):
        raise ValueError("the hook event's tool_input is not an object")
    cwd = _string(data, "cwd", required=False) or None
    return classify(agent, tool, tool_input or {}, cwd)


def parse_cursor(data: dict[str, Any]) -> tuple[ToolEvent, str]:
    event_name = _string(data, "hook_event_name")
    roots = data.get("workspace_roots")
    root = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) else None
    cwd = _string(data, "cwd", required=False) or root
    if event_name == "beforeShellExecution":
        return ToolEvent(
            "cursor", "shell", "shell", command=_string(data, "command"), cwd=cwd
        ), event_name
    if event_name == "beforeMCPExecution":
        tool = _string(data, "tool_name")
        origin = f"{data.get('url') or ''} {data.get('command') or ''}".lower()
        event = classify("cursor", tool, {}, cwd)
        if event.kind == "other" or event.kind == "read":  # a plain MCP tool name
            event = ToolEvent("cursor", "mcp", tool, cwd=cwd)
        if "stitch" in origin or "stitch" in tool.lower():
            event = ToolEvent("cursor", event.kind, tool, cwd=cwd, stitch_tool=True)
        return event, event_name
    if event_name == "preToolUse":
        tool = _string(data, "tool_name")
        tool_input = data.get("tool_input")
        if isinstance(tool_input, str):
            try:
                tool_input = json.loads(tool_input)
            except ValueError:
                tool_input = {}
        return classify(
            "cursor", tool, tool_input if isinstance(tool_input, dict) else {}, cwd
        ), event_name
    if event_name == "beforeReadFile":
        return ToolEvent("cursor", "read", "read", cwd=cwd), event_name
    raise ValueError(f"stitch-ls guard does not answer Cursor's {event_name} event")


PARSERS: dict[str, Callable[[dict[str, Any]], tuple[ToolEvent, str]]] = {
    "claude-code": parse_claude,
    "cursor": parse_cursor,
    "vscode": parse_vscode,
}


# -- answering --------------------------------------------------------------------------------


def answer(agent: str, event_name: str, verdict: Verdict) -> Answer:
    """The verdict in the agent's documented format (module docstring)."""
    if agent == "cursor":
        if not verdict.deny:
            return Answer("{}\n", "", 0)
        body: dict[str, Any] = {
            "permission": "deny",
            "userMessage": verdict.reason,
            "agentMessage": verdict.reason,
            "user_message": verdict.reason,
            "agent_message": verdict.reason,
        }
        if event_name == "beforeReadFile":
            body = {"permission": "deny"}
        return Answer(json.dumps(body) + "\n", verdict.reason + "\n", 2)
    if not verdict.deny:
        return Answer("", "", 0)
    body = {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": verdict.reason,
        }
    }
    return Answer(json.dumps(body) + "\n", "", 0)


def failure(agent: str, message: str) -> Answer:
    """A guard that cannot decide denies: the denial in the agent's format and exit 2, which
    every agent here reads as "blocked", with the reason on stderr."""
    reason = f"the Stitch guard failed, so this action is denied: {message}"
    formatted = answer(agent if agent in AGENTS else "claude-code", "", Verdict(True, reason))
    return Answer(formatted.stdout, reason + "\n", 2)


def run_guard(
    agent: str,
    text: str,
    workspace: Path | None,
    find_root: Callable[[Path], Path],
    now: datetime,
) -> Answer:
    """Read one event, decide from the workspace's policy, answer; any failure denies."""
    from stitch_ls.core.guard.cache import policy_facts

    try:
        event, event_name = PARSERS[agent](_object(text))
        root = workspace or find_root(Path(event.cwd) if event.cwd else Path.cwd())
        if event.kind == "read":
            return answer(agent, event_name, ALLOW)
        facts = policy_facts(root, now)
        verdict = judge(event, facts)
        if verdict.deny:
            record_denial(facts.root, event, verdict, now)
        return answer(agent, event_name, verdict)
    except Exception as exc:  # noqa: BLE001 - any failure is a denial, never "carry on"
        return failure(
            agent, f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
        )


# -- git --------------------------------------------------------------------------------------

TRAILER = re.compile(r"^Stitch-[A-Za-z-]+:", re.MULTILINE)


def git_commit_verdict(root: Path, message: str | None, now: datetime) -> Verdict:
    """Refuse a commit while agents are read-only, when it is made on a stream branch or its
    message carries Stitch-* trailers (`message` None: the pre-commit hook, which has none)."""
    from stitch_ls.core.guard.cache import policy_facts

    facts = policy_facts(root, now)
    if not facts.read_only:
        return ALLOW
    if message is not None and TRAILER.search(_without_comments(message)):
        why = "a commit with Stitch-* trailers (an agent's commit) is refused"
    elif facts.on_stream and facts.branch:
        why = f"a commit on stream branch {facts.branch} is refused"
    else:
        return ALLOW
    verdict = Verdict(True, f"{why}: {read_only_text(facts)}", "read_only")
    record_denial(facts.root, ToolEvent("git", "write", "git commit"), verdict, now)
    return verdict


def _without_comments(message: str) -> str:
    return "\n".join(line for line in message.splitlines() if not line.startswith("#"))


# -- installing -------------------------------------------------------------------------------

GUARD = "stitch-ls guard --agent {agent} || exit 2"
# after an edit: record which lines the agent wrote (no `|| exit 2`: the edit is done, and an
# attribution that fails must never block the agent)
ATTRIBUTE = "stitch-ls attribute --agent {agent}"
CLAUDE_MATCHER = "*"
CLAUDE_EDIT_MATCHER = "Edit|MultiEdit|Write"
CURSOR_EVENTS = ("preToolUse", "beforeShellExecution", "beforeMCPExecution")
CURSOR_AFTER_EVENTS = ("afterFileEdit",)


def merge_claude_settings(settings: dict[str, Any]) -> list[str]:
    """Add the guard to `hooks.PreToolUse` (every tool) and the attribution to
    `hooks.PostToolUse` (the edit tools) unless they are there; the events added to."""
    hooks = settings.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError("`hooks` in .claude/settings.json is not an object")
    added = []
    for event, marker, matcher, command in (
        ("PreToolUse", "stitch-ls guard", CLAUDE_MATCHER, GUARD),
        ("PostToolUse", "stitch-ls attribute", CLAUDE_EDIT_MATCHER, ATTRIBUTE),
    ):
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise ValueError(f"`hooks.{event}` in .claude/settings.json is not a list")
        if any(
            isinstance(hook, dict) and marker in str(hook.get("command", ""))
            for group in groups
            for hook in (group.get("hooks", []) if isinstance(group, dict) else [])
        ):
            continue
        groups.append(
            {
                "matcher": matcher,
                "hooks": [
                    {
                        "type": "command",
                        "command": command.format(agent="claude-code"),
                        "timeout": 10,
                    }
                ],
            }
        )
        added.append(event)
    return added


def merge_cursor_hooks(config: dict[str, Any]) -> list[str]:
    """Add the guard to each blocking Cursor event it answers, and the attribution to
    `afterFileEdit`; the events they were added to."""
    command = GUARD.format(agent="cursor")
    if config.get("version", 1) != 1:
        raise ValueError(f".cursor/hooks.json has version {config.get('version')!r}, not 1")
    config["version"] = 1
    hooks = config.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError("`hooks` in .cursor/hooks.json is not an object")
    added = []
    for event in (*CURSOR_EVENTS, *CURSOR_AFTER_EVENTS):
        after = event in CURSOR_AFTER_EVENTS
        marker = "stitch-ls attribute" if after else "stitch-ls guard"
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise ValueError(f"`hooks.{event}` in .cursor/hooks.json is not a list")
        if any(isinstance(e, dict) and marker in str(e.get("command", "")) for e in entries):
            continue
        if after:  # fire-and-forget: nothing to fail closed on
            entries.append({"command": ATTRIBUTE.format(agent="cursor"), "timeout": 10})
        else:
            entries.append({"command": command, "timeout": 10, "failClosed": True})
        added.append(event)
    return added


def install_agent_hooks(root: Path, agents: list[str]) -> list[str]:
    """Write or merge each agent's hook settings; one line per thing done."""
    from stitch_ls.core.files.fsio import atomic_write

    said = []
    merge: Callable[..., Any]
    for agent in agents:
        if agent == "claude-code":
            file, merge = root / ".claude" / "settings.json", merge_claude_settings
        elif agent == "cursor":
            file, merge = root / ".cursor" / "hooks.json", merge_cursor_hooks
        else:
            raise ValueError(f"init --agents knows claude-code and cursor, not {agent!r}")
        existed = file.exists()
        data = json.loads(file.read_text(encoding="utf-8")) if existed else {}
        if not isinstance(data, dict):
            raise ValueError(f"{file} is not a JSON object")
        changed = merge(data)
        shown = file.relative_to(root)
        if not changed:
            said.append(f"{shown}: the Stitch guard is already there")
            continue
        atomic_write(file, json.dumps(data, indent=2) + "\n")
        what = f" ({', '.join(changed)})"
        said.append(f"{shown}: {'added' if existed else 'created with'} the Stitch guard{what}")
    return said


HOOK_MARK = "# stitch-ls guard"
# `-I`: hooks run in the work tree, and `python -m` would otherwise import a `stitch_ls/` the
# repository carries at its root before the installed one
GIT_HOOKS = {
    "pre-commit": '"{python}" -I -m stitch_ls guard git-pre-commit --workspace "$(pwd)" || exit 1',
    "commit-msg": '"{python}" -I -m stitch_ls guard git-pre-commit "$1" --workspace "$(pwd)" || exit 1',
    # attribution: the commit's agent lines as a git-ai note; notes carried across rewrites
    "post-commit": '"{python}" -I -m stitch_ls attribute git-post-commit --workspace "$(pwd)"',
    "post-rewrite": '"{python}" -I -m stitch_ls attribute git-post-rewrite "$1" --workspace "$(pwd)"',
}


def install_git_hooks(root: Path, python: str) -> list[str]:
    """Install (or append to) the repository's pre-commit and commit-msg hooks (the guard),
    and its post-commit and post-rewrite hooks (attribution)."""
    import subprocess

    out = subprocess.run(
        ["git", "rev-parse", "--git-path", "hooks"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise ValueError(f"{root} is not a git work tree: {out.stderr.strip()}")
    hooks_dir = Path(out.stdout.strip())
    if not hooks_dir.is_absolute():
        hooks_dir = root / hooks_dir
    hooks_dir.mkdir(parents=True, exist_ok=True)
    said = []
    for name, line in GIT_HOOKS.items():
        what = "Stitch attribution" if name.startswith("post-") else "the Stitch guard"
        file = hooks_dir / name
        block = f"{HOOK_MARK}\n{line.format(python=python)}\n"
        if file.exists():
            text = file.read_text(encoding="utf-8", errors="replace")
            if HOOK_MARK in text:
                said.append(f"{name}: {what} is already installed")
                continue
            if not re.match(r"#!\s*/(usr/)?bin/(env\s+)?(ba|z|da)?sh\b", text):
                raise ValueError(
                    f"{file} exists and is not a shell script; add this yourself:\n{block}"
                )
            file.write_text(text.rstrip("\n") + "\n\n" + block, encoding="utf-8")
            said.append(f"{name}: appended {what} to the existing hook")
        else:
            file.write_text("#!/bin/sh\n" + block, encoding="utf-8")
            said.append(f"{name}: installed {what}")
        file.chmod(0o755)
    return said
