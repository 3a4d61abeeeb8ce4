"""The guard's decision: may an agent's own tool call go ahead, under the team's policy?

Agents that never hand in drafts still ask their own hooks before each tool call
(`stitch-ls guard`, see `stitch_ls.hooks`). This module holds the rule, as plain values in
and a plain verdict out: the hook adapters normalise each agent's event into a `ToolEvent`,
`roots_of` says which repositories it touches (every checkout that holds one of its paths, or
its working folder), the policy of each arrives as `PolicyFacts` (compiled by
`core.guard.cache` from the same `StitchWorkspace` every other door uses), and `judge`
returns a `Verdict` per repository; the strictest wins. It runs on every tool call an agent
makes, so it imports nothing heavy (no pydantic, GitPython or tree-sitter).

The first rule that matches wins:
1. agents are read-only: file edits, shell commands (but a short allow-list of read-only
   ones, matched by the program's resolved path), MCP tools other than Stitch's own, and
   tools the guard does not know are denied;
2. quiet hours: tools that interrupt the engineer (questions, notifications, an MCP tool
   named as one) are denied;
3. the checkout's branch is a stream over its feature's cap: edits are denied;
4. an edit to an irreversible path (matched without regard to case or Unicode form: the same
   file on a case-insensitive file system, and a spelling a pattern could miss), or
   (`[agents] direct_edits = "drafts-only"`) any edit inside the workspace: denied, with the
   advice to propose a draft instead.
Anything else gets no decision: the agent's own permission rules then apply. Writing a
draft or a prompt file (`.stitch/drafts/`, `.stitch/prompts/`) is how an agent proposes a
change, so rules 1, 3 and 4 let those through — when every path the call touches is one, and
none is a link (a hard link there writes the file it shares, a symlink the file it names).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from stitch_ls.core.files.fsio import append_line, parse_json
from stitch_ls.core.files.globs import glob_match
from stitch_ls.core.files.userdir import repository_key, user_state_dir
from stitch_ls.core.vcs.refs import locate

ToolKind = Literal["edit", "write", "shell", "mcp", "question", "notify", "read", "other"]
EDITING: frozenset[str] = frozenset({"edit", "write"})
PROPOSAL_DIRS = (".stitch/drafts/", ".stitch/prompts/")

DRAFT_ADVICE = (
    "propose it as a Stitch draft with sources and test evidence instead: the MCP tool "
    "`propose_draft`, or `stitch-ls draft add FILE` (a JSON draft, schema: "
    "`stitch-ls schema draft`); an engineer applies it through the gate"
)

# Shell commands that only read, allowed while agents are read-only. Each entry is an argv
# prefix; a command matches when it has no shell syntax, its argv starts with an entry, and
# its program is the one of that name on the PATH (outside the workspace).
READ_ONLY_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("git", "status"),
    ("git", "diff"),
    ("git", "log"),
    ("git", "show"),
    ("stitch-ls", "status"),
    ("stitch-ls", "draft", "list"),
    ("stitch-ls", "draft", "show"),
    ("stitch-ls", "draft", "add"),
    ("stitch-ls", "prompts"),
    ("ls",),
    ("pwd",),
)
_SHELL_SYNTAX = re.compile(r"[;&|<>`$()\n\r{}*?\[\]!#\\]")
_WRITING_OPTIONS = ("--output", "-o", "--ext-diff", "--textconv", "--exec", "-c", "--config")


class ToolEvent(NamedTuple):
    """One agent tool call, as the hook adapters normalise it.

    `paths`: every file the call would touch, as the agent gave them (absolute, or relative to
    `cwd`). `tool`: the agent's own name for it, for messages. `stitch_tool`: an MCP tool of
    Stitch's own server (proposing drafts, asking), which read-only does not stop.
    `interrupts`: a call that would break into the engineer's quiet (an MCP tool named as a
    question or a notification).
    """

    agent: str
    kind: ToolKind
    tool: str = ""
    paths: tuple[str, ...] = ()
    command: str | None = None
    cwd: str | None = None
    stitch_tool: bool = False
    interrupts: bool = False
    # the texts an edit replaces (Edit's `old_string`...): where in the file it writes; ()
    # when the call rewrites the whole file or does not say
    replaces: tuple[str, ...] = ()


class PolicyFacts(NamedTuple):
    """What the guard needs to know of the policy, as plain values (see `core.guard.cache`)."""

    root: str
    read_only: bool = False
    read_only_by: str | None = None
    read_only_since: str | None = None  # as people read it (core.timefmt)
    read_only_reason: str | None = None
    quiet: bool = False
    quiet_until: str | None = None  # "2026-11-30 11:30 EET" (core.timefmt)
    irreversible_paths: tuple[str, ...] = ()
    direct_edits: str = "any"
    branch: str | None = None
    on_stream: bool = False  # the branch matches the team's stream pattern
    over_cap: str | None = None  # why this branch's stream is over its feature's cap
    problems: tuple[str, ...] = ()
    # a configuration key that makes git run a program (fsmonitor, an external diff, a
    # pager...): read-only then lets no git command through, however harmless it looks
    git_runs: str | None = None
    stream: str | None = None  # the stream this checkout's branch is ("billing/a")
    on_collision: str = "warn"  # [streams] on_collision: warn, ask or deny


class Verdict(NamedTuple):
    """`deny` with a reason (and a short key to count it by), or no decision (`deny` False;
    with a reason, the call goes on and the reason is said to the agent and the person).
    `ask`: ask the person, where the agent's protocol has a way to (else a denial)."""

    deny: bool
    reason: str = ""
    key: str = ""  # short, to count by
    ask: bool = False


ALLOW = Verdict(False)


def judge(event: ToolEvent, facts: PolicyFacts) -> Verdict:
    """The guard's rule (module docstring) for one tool call, under one repository's policy."""
    root = facts.root
    inside = [p for p in (workspace_paths(root, raw, event.cwd) for raw in event.paths) if p]
    touches_code = _edits(event) and not _only_proposals(event, inside, root)

    if facts.read_only:
        why = _read_only_denial(event, touches_code, facts)
        if why:
            return Verdict(True, f"{why}: {read_only_text(facts)}", "read_only")
    if facts.quiet and (event.kind in ("question", "notify") or event.interrupts):
        until = f" until {facts.quiet_until}" if facts.quiet_until else ""
        return Verdict(True, f"quiet hours{until}: ask later or write a prompt file", "quiet_hours")
    if facts.over_cap and touches_code:
        return Verdict(
            True, f"{facts.over_cap}; edits on this stream are stopped", "stream_over_cap"
        )
    if (
        touches_code
        and not event.paths
        and (facts.irreversible_paths or facts.direct_edits != "any")
    ):
        return Verdict(
            True,
            f"cannot tell which file {event.tool or 'this tool'} edits, and the team guards "
            f"some paths; {DRAFT_ADVICE}",
            "unknown_path",
        )
    if touches_code:
        for relative in (r for rs in inside for r in rs):
            pattern = irreversible_pattern(relative, facts.irreversible_paths)
            if pattern is not None:
                return Verdict(
                    True,
                    f"{relative} is an irreversible path ({pattern} in the team file): "
                    f"do not edit it directly; {DRAFT_ADVICE}",
                    "irreversible_path",
                )
        edited = [rs[0] for rs in inside if not _proposal(rs, root)]
        if facts.direct_edits == "drafts-only" and edited:
            first = edited[0]
            return Verdict(
                True,
                f"the team takes agent changes as drafts only ([agents] direct_edits = "
                f'"drafts-only"), so {first} is not edited directly; {DRAFT_ADVICE}',
                "drafts_only",
            )
    step = human_step(event, facts)
    if step is not None:
        return Verdict(
            True,
            f"{step}: that is a person's to do, not an agent's (Stitch asks the person; "
            "where it cannot ask, it refuses)",
            "human_only",
            ask=True,
        )
    return ALLOW


def human_step(event: ToolEvent, facts: PolicyFacts) -> str | None:
    """What in the call only a person may do (`core.guard.shell`), or None: a change to a
    file a person owns, or a shell command that performs a human-only step."""
    if event.kind not in (*EDITING, "shell", "mcp", "other"):
        return None
    # start-up: the guard's path; only the tool calls that need it load this
    from stitch_ls.core.guard.shell import human_steps, protected_in

    owned = [
        (str(user_state_dir()), "Stitch's per-user state"),
        (os.path.expanduser("~/.gitconfig"), "your git configuration"),
        (
            os.path.join(
                os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "git"
            ),
            "your git configuration",
        ),
    ]
    protected = protected_in([facts.root], event.cwd, owned)
    if event.kind == "shell":
        steps = human_steps(event.command or "", protected)
        return steps[0].what if steps else None
    for raw in event.paths:
        what = protected(raw)
        if what is not None:
            return f"{event.tool or 'editing'} changes {what}"
    return None


def edited_files(event: ToolEvent, facts: PolicyFacts) -> list[str]:
    """The workspace files an edit or write would change (not drafts or prompts), each as
    it is relative to the checkout: what the collision check looks up."""
    if not _edits(event):
        return []
    inside = [p for p in (workspace_paths(facts.root, raw, event.cwd) for raw in event.paths) if p]
    return [rs[0] for rs in inside if not _proposal(rs, facts.root)]


def collision_verdict(found: list[Any], age: float | None, facts: PolicyFacts) -> Verdict:
    """The team's answer (`[streams] on_collision`) to an edit that meets other streams'
    changes (`core.vcs.collisions.Collision`), saying how old that knowledge is when old."""
    if not found:
        return ALLOW
    # start-up: the guard's path; only the tool calls that need it load this
    from stitch_ls.core.safetext import one_line
    from stitch_ls.core.vcs.collisions import STALE_S

    said = []
    for hit in found[:3]:
        if hit.engineer:
            whose = "the engineer's open buffer" + (" (unsaved)" if hit.live else "")
        else:
            state = "uncommitted work" if hit.live else "committed work"
            whose = f"stream {one_line(hit.stream)} ({state} on {one_line(hit.branch)})"
        owner = f"; stitch owner {one_line(hit.owner)}" if hit.owner else ""
        said.append(f"{whose} changed {one_line(hit.where)}{owner}")
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    old = f" (as Stitch saw it {age:.0f} s ago)" if age is not None and age > STALE_S else ""
    text = f"this edit meets other work: {'; '.join(said)}{more}{old}"
    if facts.on_collision == "deny":
        return Verdict(
            True, f"{text}. The team stops such edits ([streams] on_collision)", "collision"
        )
    if facts.on_collision == "ask":
        return Verdict(True, f"{text}. The team asks a person first", "collision", ask=True)
    return Verdict(False, f"{text}. Coordinate before you change it (stitch-ls check)", "collision")


def _edits(event: ToolEvent) -> bool:
    """Whether the call may change the files it names: an edit or write, or an MCP tool that
    names files (read-only stops foreign MCP tools anyway; the later rules judge their paths
    as edits, whatever the tool says it does)."""
    return event.kind in EDITING or (
        event.kind == "mcp" and bool(event.paths) and not event.stitch_tool
    )


def irreversible_pattern(relative: str, patterns: tuple[str, ...] | list[str]) -> str | None:
    """The first pattern `relative` falls under, case and Unicode form aside (a file system
    that folds case opens `MIGRATIONS/1.SQL` as `migrations/1.sql`; macOS spells names in NFD)."""
    folded = _fold(relative)
    for pattern in patterns:
        if glob_match(folded, _fold(pattern)):
            return pattern
    return None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _read_only_denial(event: ToolEvent, touches_code: bool, facts: PolicyFacts) -> str | None:
    """What read-only stops about this call, or None when it may go on."""
    if event.kind in EDITING:
        return f"{event.tool or 'editing files'} is stopped" if touches_code else None
    if event.kind == "shell":
        command = event.command or ""
        if read_only_command(command, cwd=event.cwd, root=facts.root, git_runs=facts.git_runs):
            return None
        if facts.git_runs and _argv0(command) == "git":
            return (
                f"git commands are stopped: the repository's configuration makes git run a "
                f"program ({facts.git_runs})"
            )
        return "shell commands are stopped (only read-only ones such as `git status` run)"
    if event.kind == "mcp":
        return None if event.stitch_tool else f"MCP tool {event.tool} is stopped"
    if event.kind == "other":
        return f"{event.tool or 'this tool'} is not known to be read-only, so it is stopped"
    return None


def read_only_text(facts: PolicyFacts) -> str:
    who = facts.read_only_by or "unknown"
    since = f" since {facts.read_only_since}" if facts.read_only_since else ""
    why = facts.read_only_reason or "no reason given"
    return (
        f"agents are read-only (the Stitch read-only switch, set by {who}{since}: {why}); "
        "a human turns it off with `stitch-ls read-only off`"
    )


def _only_proposals(event: ToolEvent, inside: list[tuple[str, ...]], root: str) -> bool:
    """Whether every path is a draft or prompt file (an agent proposing, not editing)."""
    return (
        bool(event.paths)
        and len(inside) == len(event.paths)
        and all(_proposal(rs, root) for rs in inside)
    )


def _proposal(relatives: tuple[str, ...], root: str) -> bool:
    """A draft or prompt file, as written and as resolved, that is no link to another file."""
    if not all(r.startswith(PROPOSAL_DIRS) for r in relatives):
        return False
    try:
        info = os.lstat(os.path.join(root, relatives[0]))
    except OSError:
        return True  # a new file
    return stat.S_ISREG(info.st_mode) and info.st_nlink == 1


def workspace_paths(root: str, raw: str, cwd: str | None) -> tuple[str, ...]:
    """`raw` relative to the workspace, as written and with symlinks resolved (both are checked,
    so a link cannot hide an irreversible path); () when it lies outside the workspace. The
    resolved form follows links before `..`, as the file system does (`link/../x` is the
    link's target's parent's `x`)."""
    if not raw or "\x00" in raw:
        return ()
    base = cwd if cwd and os.path.isabs(cwd) else root
    joined = os.path.join(base, os.path.expanduser(raw))
    found: list[str] = []
    for candidate, anchor in (
        (os.path.normpath(joined), root),
        (os.path.realpath(joined), os.path.realpath(root)),
    ):
        relative = os.path.relpath(candidate, anchor)
        if relative == "." or relative.startswith(".." + os.sep) or relative == "..":
            continue
        relative = relative.replace(os.sep, "/")
        if relative not in found:
            found.append(relative)
    return tuple(found)


def roots_of(event: ToolEvent) -> list[str]:
    """Every repository the call touches, whose policy then judges it: each checkout (or
    folder with a team file) that holds one of its paths, at any depth — a nested
    repository's outer one too — and those holding its working folder. An empty `.git` file
    or a stray `.stitch/` folder makes no repository: only a checkout git can read, or a
    folder with a team file, does."""
    found: list[str] = []
    starts = [event.cwd] if event.cwd and os.path.isabs(event.cwd) else []
    base = starts[0] if starts else os.getcwd()
    for raw in event.paths:
        if raw and "\x00" not in raw:
            joined = os.path.join(base, os.path.expanduser(raw))
            starts += [os.path.normpath(joined), os.path.realpath(joined)]
    if not starts:
        starts = [base]
    for start in starts:
        folder = start
        while True:
            if folder not in found and os.path.isdir(folder):
                config = os.path.join(folder, ".stitch", "config.toml")
                if locate(folder) is not None or os.path.isfile(config):
                    found.append(folder)
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return found


def _argv0(command: str) -> str | None:
    # start-up: the guard's path; only the tool calls that need it load this
    import shlex

    try:
        argv = shlex.split(command)
    except ValueError:
        return None
    return os.path.basename(argv[0]) if argv else None


def read_only_command(
    command: str,
    *,
    cwd: str | None = None,
    root: str | None = None,
    git_runs: str | None = None,
) -> bool:
    """Whether `command` is on the read-only allow-list: no shell syntax, a listed argv
    prefix, no option that writes or reconfigures, and a program that is the one of that name
    on the PATH, outside the workspace (`tools/git status`, or a PATH entry inside the
    repository, run the repository's code). git only when its configuration runs nothing."""
    if not command.strip() or _SHELL_SYNTAX.search(command):
        return False
    # start-up: the guard's path; only the tool calls that need it load this
    import shlex

    try:
        argv = shlex.split(command)
    except ValueError:
        return False
    if not argv or any(arg.startswith(_WRITING_OPTIONS) for arg in argv[1:]):
        return False
    name = os.path.basename(argv[0])
    if not any(
        len(argv) >= len(entry) and (name, *argv[1 : len(entry)]) == entry
        for entry in READ_ONLY_COMMANDS
    ):
        return False
    if name == "git" and git_runs:
        return False
    return _the_programs_own(argv[0], name, cwd, root)


def _the_programs_own(program: str, name: str, cwd: str | None, root: str | None) -> bool:
    """Whether `program` (as typed) is the program `name` the PATH finds, outside the
    workspace: a relative PATH entry, or one inside the repository, does not count."""
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.isabs(p)]
    found = shutil.which(name, path=os.pathsep.join(path))
    if found is None:
        return False
    expected = os.path.realpath(found)
    if os.sep in program:
        typed = os.path.realpath(os.path.join(cwd or os.getcwd(), program))
    else:
        typed = expected
    if typed != expected:
        return False
    if root is not None:
        inside = os.path.relpath(expected, os.path.realpath(root))
        if not inside.startswith(".."):
            return False
    return True


# -- the per-user record of denials ---------------------------------------------------------


def denials_file(root: Path | str) -> Path:
    return user_state_dir() / f"{repository_key(root)}-denials.jsonl"


def denial_line(event: ToolEvent, verdict: Verdict, now: datetime) -> str:
    return json.dumps(
        {
            "at": now.isoformat(),
            "agent": event.agent,
            "tool": event.tool,
            "kind": event.kind,
            "reason": verdict.key,
            "message": verdict.reason,
        },
        separators=(",", ":"),
    )


def record_denial(root: Path | str, event: ToolEvent, verdict: Verdict, now: datetime) -> None:
    """Append one line per denial (whole-line appends, so agents in parallel keep every line)."""
    append_line(denials_file(root), denial_line(event, verdict, now))


def denial_counts(root: Path | str, since: datetime | None = None) -> dict[str, Any]:
    """The status object's `guard` entry: agent actions the guard denied, by reason and agent.
    Unreadable lines are skipped (a crash mid-append leaves at most a torn last line)."""
    by_reason: Counter[str] = Counter()
    by_agent: Counter[str] = Counter()

    def counted(**extra: str) -> dict[str, Any]:
        return {
            "denied": by_reason.total(),
            "by_reason": dict(sorted(by_reason.items())),
            "by_agent": dict(sorted(by_agent.items())),
            **extra,
        }

    try:
        with open(denials_file(root), encoding="utf-8", errors="replace") as handle:
            lines = handle.readlines()
    except FileNotFoundError:
        return counted()
    except OSError as exc:
        return counted(problem=f"cannot read the guard's record: {exc}")
    for line in lines:
        try:
            entry = parse_json(line)
            at = datetime.fromisoformat(entry["at"]) if since is not None else None
        except (ValueError, KeyError, TypeError):
            continue
        if not isinstance(entry, dict) or (at is not None and since is not None and at < since):
            continue
        by_reason[str(entry.get("reason") or "unknown")] += 1
        by_agent[str(entry.get("agent") or "unknown")] += 1
    return counted()
