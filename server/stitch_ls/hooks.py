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
  counts as "other", which read-only stops. Its workspace hook files are `.github/hooks/
  *.json` (`init --agents vscode` writes `stitch.json`), and it also runs the hooks in
  `.claude/settings.json`, ignoring their matchers, with its own events: the Claude Code
  reader hands an event with `hookEventName` (and no `hook_event_name`) to VS Code's.
- git: `pre-commit` cannot see the commit message (it runs before the message is written),
  so `init --git-hooks` installs `pre-commit` (stream branches) and `commit-msg` (Stitch-*
  trailers), both calling `stitch-ls guard git-pre-commit`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from stitch_ls.core.files.fsio import atomic_write, parse_json
from stitch_ls.core.guard.cache import policy_facts
from stitch_ls.core.guard.rules import (
    ALLOW,
    ToolEvent,
    Verdict,
    collision_verdict,
    edited_files,
    judge,
    read_only_text,
    record_denial,
    roots_of,
)
from stitch_ls.core.vcs.refs import locate

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


_OLD_KEYS = ("old_string", "oldString", "old_str", "old_text", "oldText")


def _replaced(tool_input: Any) -> tuple[str, ...]:
    """The texts an edit replaces, under the keys the agents' edit tools use (Claude Code's
    Edit and MultiEdit, VS Code's replaceString tools, str_replace); () when it names none,
    and then the edit counts as one of the whole file."""
    if not isinstance(tool_input, dict):
        return ()
    found = [v for k in _OLD_KEYS if isinstance(v := tool_input.get(k), str) and v]
    edits = tool_input.get("edits") or tool_input.get("replacements")
    for edit in edits if isinstance(edits, list) else ():
        if isinstance(edit, dict):
            found.extend(v for k in _OLD_KEYS if isinstance(v := edit.get(k), str) and v)
    return tuple(found[:64])


def _squash(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


# Stitch's own MCP server, as `init --agents` configures it, and the tools it serves: only these
# exact names pass read-only as Stitch's own (a server of any other name is another server)
STITCH_MCP_SERVER = "stitch"
STITCH_MCP_COMMAND = "stitch-ls mcp"
STITCH_MCP_TOOLS = frozenset(
    {
        "propose_draft",
        "ask_engineer",
        "get_status",
        "list_stitch_points",
        "get_draft_outcome",
        "withdraw_draft",
    }
)
STITCH_TOOL_NAMES = frozenset(
    name
    for tool in STITCH_MCP_TOOLS
    for name in (
        f"mcp__{STITCH_MCP_SERVER}__{tool}",  # Claude Code
        f"mcp_{STITCH_MCP_SERVER}_{tool}",  # VS Code
        f"MCP:{STITCH_MCP_SERVER}:{tool}",
    )
)
_READ_VERBS = ("read", "get", "list", "search", "find", "view", "show", "grep", "glob", "stat")
_INTERRUPTING = ("notif", "ask", "question", "prompt", "alert", "message")


def _mcp_event(agent: str, tool: str, tool_input: Any, cwd: str | None, own: bool) -> ToolEvent:
    """An MCP tool call: read-only stops it unless it is Stitch's own; the files it names are
    judged as edits unless its name says it reads; one named as a question or notification
    waits for the end of quiet hours."""
    bare = re.sub(r"^(mcp__[^_]+(?:_[^_]+)*?__|mcp_|MCP:[^:]*:)", "", tool).lower()
    paths = () if bare.startswith(_READ_VERBS) else _paths(tool_input)
    words = re.split(r"[^a-z]+", bare)
    interrupts = not own and any(w.startswith(_INTERRUPTING) for w in words)
    return ToolEvent(agent, "mcp", tool, paths, cwd=cwd, stitch_tool=own, interrupts=interrupts)


def classify(agent: str, tool: str, tool_input: Any, cwd: str | None) -> ToolEvent:
    """A tool call by name and input, as the guard's rule sees it. A tool the guard does not
    know that names a file is judged as an edit of it."""
    if tool.startswith(("mcp__", "MCP:", "mcp_")):
        return _mcp_event(agent, tool, tool_input, cwd, tool in STITCH_TOOL_NAMES)
    squashed = _squash(tool)
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    if squashed in _SHELL_TOOLS:
        return ToolEvent(agent, "shell", tool, command=str(command or ""), cwd=cwd)
    if squashed in _EDIT_TOOLS:
        return ToolEvent(
            agent, "edit", tool, _paths(tool_input), cwd=cwd, replaces=_replaced(tool_input)
        )
    if squashed in _WRITE_TOOLS:
        return ToolEvent(agent, "write", tool, _paths(tool_input), cwd=cwd)
    if squashed in _QUESTION_TOOLS:
        return ToolEvent(agent, "question", tool, cwd=cwd)
    if "notif" in squashed:
        return ToolEvent(agent, "notify", tool, cwd=cwd)
    if squashed in _READ_TOOLS or tool.lower() in _READ_TOOLS:
        return ToolEvent(agent, "read", tool, cwd=cwd)
    paths = _paths(tool_input)
    return ToolEvent(agent, "edit" if paths else "other", tool, paths, cwd=cwd)


def _object(text: str) -> dict[str, Any]:
    if len(text) > MAX_EVENT_BYTES:
        raise ValueError("the hook event is too large")
    try:
        data = parse_json(text)
    except ValueError as exc:
        raise ValueError(f"the hook event is not valid JSON: {exc}") from None
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
    if "hook_event_name" not in data and "hookEventName" in data:
        # VS Code runs the hooks in .claude/settings.json too (its matchers ignored), with
        # its own event: its agent, judged as such
        return parse_vscode(data)
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
        tool_input = data.get("tool_input")
        if isinstance(tool_input, str):
            try:
                tool_input = json.loads(tool_input)
            except ValueError:
                tool_input = {}
        # Stitch's own only when the server is the command `init` configured, and the tool
        # one it serves: a name is any server's to choose
        own = data.get("command") == STITCH_MCP_COMMAND and tool in STITCH_MCP_TOOLS
        return _mcp_event("cursor", tool, tool_input, cwd, own), event_name
    if event_name == "preToolUse":
        tool = _string(data, "tool_name")
        tool_input = data.get("tool_input")
        if isinstance(tool_input, str):
            try:
                tool_input = parse_json(tool_input)
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
            if not verdict.reason or event_name == "beforeReadFile":
                return Answer("{}\n", "", 0)
            allowed = {
                "permission": "allow",
                "userMessage": verdict.reason,
                "agentMessage": verdict.reason,
            }
            return Answer(json.dumps(allowed) + "\n", "", 0)
        if verdict.ask and event_name != "beforeReadFile":  # the person decides
            asked = {
                "permission": "ask",
                "userMessage": verdict.reason,
                "agentMessage": verdict.reason,
            }
            return Answer(json.dumps(asked) + "\n", "", 0)
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
        if not verdict.reason:
            return Answer("", "", 0)
        said = {  # allowed, with a word to the person and to the agent
            "systemMessage": verdict.reason,
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "additionalContext": verdict.reason,
            },
        }
        return Answer(json.dumps(said) + "\n", "", 0)
    body = {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "ask" if verdict.ask else "deny",  # ask: the person decides
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


TIME_LIMIT_S = 2.0  # a decision not made by then is a denial (agents' own time-outs are 10 s)


class OutOfTime(BaseException):
    """The decision took longer than TIME_LIMIT_S. Not an Exception: the code it interrupts
    catches those to degrade gracefully, and this must reach `run_guard`."""


def run_guard(
    agent: str,
    text: str,
    workspace: Path | None,
    find_root: Callable[[Path], Path],
    now: datetime,
) -> Answer:
    """Read one event, judge it by the policy of every repository it touches (`roots_of`;
    `workspace` adds one), answer the strictest verdict; any failure denies, and so does a
    decision not made within TIME_LIMIT_S (nothing a repository holds can make it wait)."""
    try:
        with time_limit(TIME_LIMIT_S):
            return _decided(agent, text, workspace, find_root, now)
    except OutOfTime as exc:
        end_children()
        return failure(agent, str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure is a denial, never "carry on"
        return failure(
            agent, f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
        )


def _decided(
    agent: str, text: str, workspace: Path | None, find_root: Callable[[Path], Path], now: datetime
) -> Answer:
    event, event_name = PARSERS[agent](_object(text))
    if event.kind == "read":
        return answer(agent, event_name, ALLOW)
    roots = [str(workspace)] if workspace is not None else []
    roots += roots_of(event)
    if not roots:  # no repository anywhere: the folder a hook was started in, as before
        roots = [str(find_root(Path(event.cwd) if event.cwd else Path.cwd()))]
    verdicts, warnings = [], []
    for root in dict.fromkeys(os.path.realpath(r) for r in roots):
        facts = policy_facts(Path(root), now)
        verdict = judge(event, facts)
        if not verdict.deny:
            verdict = collisions(event, facts, now)
        if verdict.deny:
            record_denial(facts.root, event, verdict, now)
            verdicts.append(verdict)
        elif verdict.reason:
            warnings.append(verdict)
    denials = [v for v in verdicts if not v.ask] or verdicts
    return answer(agent, event_name, (denials or warnings or [ALLOW])[0])


def collisions(event: ToolEvent, facts: Any, now: datetime) -> Verdict:
    """The team's answer to an edit of lines another stream or the engineer's buffer has
    changed, from the collision index alone (`core.vcs.collisions`): no diff, no parse."""
    # start-up: the guard's path; only the tool calls that need it load this
    from stitch_ls.core.vcs import collisions as index

    files = edited_files(event, facts)
    dirs = locate(facts.root) if files else None
    if dirs is None:
        return ALLOW
    replaces = event.replaces if len(files) == 1 else ()
    found = [
        hit
        for relative in files
        for hit in index.collisions_for(
            dirs.common_dir, relative, facts.root, facts.stream, replaces
        )
    ]
    if not found:
        return ALLOW
    return collision_verdict(found, index.age_of(dirs.common_dir, now), facts)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise OutOfTime in this (main) thread after `seconds` (SIGALRM; elsewhere no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise OutOfTime(f"no decision within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def end_children() -> None:
    """Kill what this process started (a git left waiting on a FIFO), so nothing outlives the
    denial; Linux's /proc lists them, elsewhere nothing is done."""
    pids: list[int] = []
    try:
        for task in Path("/proc/self/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except (OSError, ValueError):
        return
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


# -- git --------------------------------------------------------------------------------------

TRAILER = re.compile(r"^Stitch-[A-Za-z-]+:", re.MULTILINE)


def git_commit_verdict(root: Path, message: str | None, now: datetime) -> Verdict:
    """Refuse a commit while agents are read-only, when it is made on a stream branch or its
    message carries Stitch-* trailers (`message` None: the pre-commit hook, which has none)."""
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

# An agent's hook fails closed, and says why when Stitch is not installed on this machine (a
# teammate who cloned a repository whose settings call it).
MISSING = (
    "command -v stitch-ls >/dev/null 2>&1 || {{ echo 'This repository guards coding agents "
    "with Stitch, which is not installed here: install it (pipx install stitch-ls, or see "
    "the README of this repository), then retry.' >&2; exit 2; }}; "
)
GUARD = MISSING + "stitch-ls guard --agent {agent} || exit 2"
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
        hook: dict[str, Any] = {
            "type": "command",
            "command": command.format(agent="claude-code"),
            "timeout": 10,
        }
        if event == "PreToolUse":
            # a guard that times out, cannot start or fails otherwise blocks the call
            # (Claude Code 2.1.295+; without it a failed hook lets the call through)
            hook["onFailure"] = "block"
        groups.append({"matcher": matcher, "hooks": [hook]})
        added.append(event)
    return added


VSCODE_HOOKS = ".github/hooks/stitch.json"


def merge_vscode_hooks(config: dict[str, Any]) -> list[str]:
    """Add the guard to VS Code's `PreToolUse` and the attribution to its `PostToolUse` in
    a workspace hook file (`.github/hooks/*.json`, VS Code's "Agent hooks" page: command
    entries without matchers, which it ignores anyway); the events added to."""
    hooks = config.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError(f"`hooks` in {VSCODE_HOOKS} is not an object")
    added = []
    for event, marker, command in (
        ("PreToolUse", "stitch-ls guard", GUARD),
        ("PostToolUse", "stitch-ls attribute", ATTRIBUTE),
    ):
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise ValueError(f"`hooks.{event}` in {VSCODE_HOOKS} is not a list")
        if any(isinstance(e, dict) and marker in str(e.get("command", "")) for e in entries):
            continue
        entries.append(
            {"type": "command", "command": command.format(agent="vscode"), "timeout": 10}
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


# Stitch's MCP server in each agent's project configuration, as its docs show it (read
# 2026-12): Claude Code's `.mcp.json` and Cursor's `.cursor/mcp.json` under `mcpServers`,
# VS Code's `.vscode/mcp.json` under `servers` with `"type": "stdio"`. The server's name is
# the one the guard knows as Stitch's own (`STITCH_MCP_SERVER`).
MCP_CONFIGS = {
    "claude-code": (".mcp.json", "mcpServers", {"command": "stitch-ls", "args": ["mcp"]}),
    "cursor": (".cursor/mcp.json", "mcpServers", {"command": "stitch-ls", "args": ["mcp"]}),
    "vscode": (
        ".vscode/mcp.json",
        "servers",
        {"type": "stdio", "command": "stitch-ls", "args": ["mcp"]},
    ),
}
AGENTS_MD_BEGIN = "<!-- stitch: begin (written by `stitch-ls init`; edit outside these marks) -->"
AGENTS_MD_END = "<!-- stitch: end -->"
AGENTS_MD_BLOCK = """## Working in this repository with Stitch

This team reviews agents' work through Stitch. When you change code here:

- Prefer handing in a **draft** over editing files directly: the MCP tool `propose_draft`
  (server `stitch`), or a JSON file given to `stitch-ls draft add FILE`
  (`stitch-ls schema draft` prints its format). Say where each fact came from in `sources`
  (a doc, a test, a ticket, a file and line), give your honest `confidence` (0 to 1), and
  list the tests you ran in `evidence`. A draft without sources waits for a person.
- Never edit paths the team marks irreversible (`[agents] irreversible_paths` in
  `.stitch/config.toml`): propose a draft for them, with sources and passing test evidence.
- To ask the engineer something, use `ask_engineer` (or `stitch-ls ask`): during their quiet
  hours it is queued, not shown; do not ask again.
- To take back a draft of yours that no one has decided on yet, use `withdraw_draft` (or
  `stitch-ls draft withdraw ID --agent NAME`); then propose a better one if you have it.
- Vouching, applying, rejecting, answering, signing off and turning read-only off are a
  person's steps: do not take them, or try to.
- If the guard refuses a tool call, its message says why (read-only, quiet hours, a stream
  over its cap, a collision with another stream's work): follow it rather than work around it.
"""


def install_mcp_configs(root: Path, agents: list[str]) -> list[str]:
    """Stitch's MCP server in each agent's project configuration, merged into what is there
    (an existing `stitch` entry is left as it is); one line per file."""
    said = []
    for agent in agents:
        relative, key, entry = MCP_CONFIGS[agent]
        file = root / relative
        existed = file.exists()
        data = parse_json(file.read_text(encoding="utf-8")) if existed else {}
        if not isinstance(data, dict):
            raise ValueError(f"{relative} is not a JSON object")
        servers = data.setdefault(key, {})
        if not isinstance(servers, dict):
            raise ValueError(f"`{key}` in {relative} is not an object")
        if STITCH_MCP_SERVER in servers:
            said.append(f"{relative}: the Stitch MCP server is already there")
            continue
        servers[STITCH_MCP_SERVER] = dict(entry)
        atomic_write(file, json.dumps(data, indent=2) + "\n")
        said.append(f"{relative}: {'added' if existed else 'created with'} the Stitch MCP server")
    return said


def install_agents_md(root: Path) -> str:
    """The instructions block in `AGENTS.md`, between its marks: created, appended, or the
    block between the marks replaced; nothing outside them is touched."""
    file = root / "AGENTS.md"
    block = f"{AGENTS_MD_BEGIN}\n{AGENTS_MD_BLOCK}{AGENTS_MD_END}\n"
    if not file.exists():
        atomic_write(file, "# Agents\n\n" + block)
        return "AGENTS.md: created with the Stitch instructions"
    text = file.read_text(encoding="utf-8")
    begin, end = text.find(AGENTS_MD_BEGIN), text.find(AGENTS_MD_END)
    if begin >= 0 and end > begin:
        after = end + len(AGENTS_MD_END)
        after += 1 if text[after : after + 1] == "\n" else 0
        updated = text[:begin] + block + text[after:]
        if updated == text:
            return "AGENTS.md: the Stitch instructions are already there"
        atomic_write(file, updated)
        return "AGENTS.md: the Stitch instructions brought up to date"
    if begin >= 0 or end >= 0:
        raise ValueError("AGENTS.md has one Stitch mark without the other: fix it by hand")
    separator = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    atomic_write(file, text + separator + block)
    return "AGENTS.md: the Stitch instructions appended"


def install_agent_hooks(root: Path, agents: list[str]) -> list[str]:
    """Write or merge each agent's hook settings, its MCP configuration and the instructions
    in `AGENTS.md`; one line per thing done."""
    unknown = [a for a in agents if a not in MCP_CONFIGS]
    if unknown:
        raise ValueError(
            f"init --agents knows claude-code, cursor and vscode, not {', '.join(unknown)}"
        )
    said = []
    merge: Callable[..., Any]
    for agent in agents:
        if agent == "claude-code":
            file, merge = root / ".claude" / "settings.json", merge_claude_settings
        elif agent == "cursor":
            file, merge = root / ".cursor" / "hooks.json", merge_cursor_hooks
        else:
            file, merge = root / VSCODE_HOOKS, merge_vscode_hooks
        existed = file.exists()
        data = parse_json(file.read_text(encoding="utf-8")) if existed else {}
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
    said += install_mcp_configs(root, agents)
    if agents:
        said.append(install_agents_md(root))
    return said


HOOK_MARK = "# stitch-ls guard"
GIT_HOOKS = {
    "pre-commit": '{stitch} guard git-pre-commit --workspace "$(pwd)" || exit 1',
    "commit-msg": '{stitch} guard git-pre-commit "$1" --workspace "$(pwd)" || exit 1',
    # attribution: the commit's agent lines as a git-ai note; notes carried across rewrites
    "post-commit": '{stitch} attribute git-post-commit --workspace "$(pwd)"',
    "post-rewrite": '{stitch} attribute git-post-rewrite "$1" --workspace "$(pwd)"',
}


def stitch_command() -> str:
    """How a hook runs this Stitch, isolated from the work tree it runs in: the installed
    `stitch-ls` by its absolute path (its own folder leads the import path, not the
    working folder, where a `functools.py` or `stitch_ls/` of the repository's would be
    imported first), else this interpreter with `-P` (no working folder on the path)."""
    # start-up: the guard's path; only the tool calls that need it load this
    import shlex

    script = Path(sys.executable).with_name("stitch-ls")
    if script.is_file() and os.access(script, os.X_OK):
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -P -m stitch_ls"


def install_git_hooks(root: Path, stitch: str | None = None) -> list[str]:
    """Install (or append to) the repository's pre-commit and commit-msg hooks (the guard)
    and its post-commit and post-rewrite hooks (attribution), which run `stitch` (default:
    `stitch_command()`)."""
    # start-up: the guard's path; only the tool calls that need it load this
    from stitch_ls.core.vcs.gitrun import file_value

    dirs = locate(root)
    if dirs is None:
        raise ValueError(f"{root} is not a git work tree")
    # git's own folder, never where the repository's configuration points (`core.hooksPath`
    # is the repository's to set: Stitch writes no file there)
    hooks_dir = dirs.common_dir / "hooks"
    elsewhere = file_value(root, "core.hooksPath")
    if elsewhere:
        raise ValueError(
            f"core.hooksPath is set ({elsewhere}): git runs its hooks from there, not from "
            f"{hooks_dir}; unset it, or add these lines to the hooks there yourself:\n"
            + "\n".join(
                line.format(stitch=stitch or stitch_command()) for line in GIT_HOOKS.values()
            )
        )
    hooks_dir.mkdir(parents=True, exist_ok=True)
    said = []
    for name, line in GIT_HOOKS.items():
        what = "Stitch attribution" if name.startswith("post-") else "the Stitch guard"
        file = hooks_dir / name
        block = f"{HOOK_MARK}\n{line.format(stitch=stitch or stitch_command())}\n"
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
