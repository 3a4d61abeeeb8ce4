"""The human steps in an agent's shell command: what only a person may do, seen through a real
shell parser (`core.syntax.bash`), however the command wraps or chains it.

A human step is one of:
- a human-only Stitch verb — `draft vouch|apply|reject`, `answer`, `sign-off`, `read-only off`,
  `focus` (to start or end one), `init`, `approve` — run as `stitch-ls`, by a path to it,
  as `python -m stitch_ls`, or from Python code that imports Stitch;
- a change to what a person owns: the team file, the sign-off and source logs, the allowed
  signers, agents' hook and MCP settings (`.claude/`, `.cursor/`, `.vscode/settings.json`,
  `.vscode/mcp.json`, `.mcp.json`), anything in git's folder (hooks, config, refs), the
  user's git configuration and Stitch's per-user state folder — by a redirection, or by any
  program but a reader naming it; and `git config` that sets anything;
- a command the parser cannot see into: a program named by an expansion, `eval` of anything
  but literal text, a shell or an interpreter given its script on standard input (`... | sh`,
  `base64 -d <<< ... | bash`) or as a value only the running shell knows (`sh -c "$X"`), and a
  command line the parser cannot read.

Wrappers are seen through (`env`, `command`, `exec`, `nohup`, `time`, `nice`, `timeout`,
`sudo`, `xargs`, `stdbuf`, `setsid`, ...), as are `sh -c`/`bash -c` strings, literal `eval`
and aliases defined in the same command. What it cannot see, by design (docs/security.md):
a script or program in a file (`bash scripts/x.sh`, `python tool.py`) — the command line
itself refuses human-only verbs to anything but a person at a terminal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import NamedTuple

from stitch_ls.core.guard.rules import irreversible_pattern
from stitch_ls.core.syntax.bash import Parsed, SimpleCommand, parse

# Stitch's human-only verbs, by their words after the program (a prefix matches)
HUMAN_VERBS: tuple[tuple[str, ...], ...] = (
    ("draft", "vouch"),
    ("draft", "apply"),
    ("draft", "reject"),
    ("answer",),
    ("sign-off",),
    ("read-only", "off"),
    ("init",),
    ("approve",),
)
WRAPPERS = frozenset(
    {
        "env",
        "command",
        "exec",
        "nohup",
        "time",
        "nice",
        "ionice",
        "timeout",
        "sudo",
        "doas",
        "xargs",
        "stdbuf",
        "setsid",
        "unbuffer",
        "chronic",
        "builtin",
        "caffeinate",
        "taskset",
    }
)
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish", "busybox"})
INTERPRETERS = {  # program -> the option that takes code on the command line
    "python": "-c",
    "python3": "-c",
    "perl": "-e",
    "ruby": "-e",
    "node": "-e",
    "php": "-r",
    "lua": "-e",
    "osascript": "-e",
    "awk": "",
    "gawk": "",
}
READERS = frozenset(
    {
        "cat",
        "less",
        "more",
        "head",
        "tail",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ls",
        "stat",
        "file",
        "wc",
        "diff",
        "cmp",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "bat",
        "view",
        "jq",
        "realpath",
        "readlink",
        "test",
        "[",
        "echo",
        "printf",
        "basename",
        "dirname",
    }
)
GIT_READS = frozenset(
    {
        "log",
        "show",
        "diff",
        "status",
        "blame",
        "grep",
        "ls-files",
        "ls-tree",
        "rev-parse",
        "cat-file",
        "rev-list",
        "describe",
        "shortlog",
        "reflog",
        "whatchanged",
        "branch",
        "tag",
    }
)
# git's read-only `config` forms
CONFIG_READS = (
    "--get",
    "--get-all",
    "--get-regexp",
    "--get-urlmatch",
    "-l",
    "--list",
    "--show-origin",
    "--show-scope",
    "--name-only",
    "--get-color",
    "--get-colorbool",
)
# what the cheap look must see before a command is parsed at all: anything that could name a
# human step, build a program's name, or hide one from a simple reading
MAYBE = re.compile(
    r"stitch|\.git|\.claude|\.cursor|\.vscode|\.mcp|config|allowed_signers|signoffs|source-log"
    r"|eval|exec|source|alias|base64|xxd|printf|\$|`|\\|sh\b|python|perl|ruby|node|php|awk|lua"
    r"|xargs|\bsudo|<<",
    re.I,
)


class Step(NamedTuple):
    """One thing in the command that only a person may do (or that cannot be seen into)."""

    what: str
    opaque: bool = False


Protected = Callable[[str], "str | None"]  # a word naming a path -> what it is, or None


def human_steps(command: str, protected: Protected, *, depth: int = 0) -> list[Step]:
    """The human steps `command` would take (module docstring), first found first."""
    if depth > 8:
        return [Step("commands nested too deep to read", opaque=True)]
    if not MAYBE.search(command) and not _names_protected(command, protected):
        return []
    parsed = parse(command)
    steps = _steps(parsed, protected, depth)
    if parsed.unreadable and not steps:
        steps.append(Step("a command line the shell parser cannot read whole", opaque=True))
    return steps


_WORDS = re.compile(r"[^\s<>|;&()'\"]+")


def _names_protected(command: str, protected: Protected) -> bool:
    """Whether a word of the command, as a path, is something a person owns once links are
    followed (`hooks/pre-commit` where `hooks` links to `.git/hooks`): what the words as
    written (`MAYBE`) cannot show. A few `stat` calls a word; the parse then decides."""
    return any(protected(word) is not None for word in _WORDS.findall(command)[:64])


def _steps(parsed: Parsed, protected: Protected, depth: int) -> list[Step]:
    steps: list[Step] = []
    for simple in parsed.commands:
        for operator, target in simple.redirects:
            if ">" in operator or operator in ("&>", "&>>"):
                if target is None:
                    steps.append(Step("a write to a file only the running shell can name", True))
                elif (what := protected(target)) is not None:
                    steps.append(Step(f"writes {what}"))
        steps += _command_steps(simple, protected, depth)
    return steps


def _command_steps(simple: SimpleCommand, protected: Protected, depth: int) -> list[Step]:
    argv = list(simple.argv)
    while argv and argv[0] is not None and os.path.basename(argv[0]) in WRAPPERS:
        argv = _unwrapped(os.path.basename(argv[0]), argv[1:])
    if not argv:
        return []
    if argv[0] is None:
        return [Step("a program named by an expansion or a substitution", opaque=True)]
    program = os.path.basename(argv[0])
    words = argv[1:]
    if program in ("stitch-ls", "stitch_ls") or _python_module(program, words) == "stitch_ls":
        rest = (
            words
            if program in ("stitch-ls", "stitch_ls")
            else words[words.index("stitch_ls") + 1 :]
        )
        return _stitch_verb(rest)
    if program == "eval":
        if any(w is None for w in words):
            return [Step("eval of a value only the running shell knows", opaque=True)]
        return human_steps(" ".join(w for w in words if w is not None), protected, depth=depth + 1)
    if program == "alias":
        found: list[Step] = []
        for word in words:
            if word is None:
                found.append(Step("an alias only the running shell can read", opaque=True))
            elif "=" in word:
                found += human_steps(word.split("=", 1)[1], protected, depth=depth + 1)
        return found
    if program in SHELLS:
        return _shell_steps(program, words, simple.fed, protected, depth)
    if program in INTERPRETERS or re.fullmatch(r"python3(\.\d+)?", program):
        return _interpreter_steps(program, words, simple.fed, protected)
    if program == "git":
        return _git_steps(words, protected)
    if program in READERS:
        return []
    return [
        Step(f"{program} changes {what}") for w in words if w is not None and (what := protected(w))
    ]


def _unwrapped(wrapper: str, words: list[str | None]) -> list[str | None]:
    """The command a wrapper runs: its own options (and their values) and `NAME=value`
    settings skipped."""
    takes_value = {
        "-u",
        "-n",
        "-c",
        "-g",
        "-p",
        "-s",
        "-k",
        "-C",
        "-I",
        "-L",
        "-P",
        "-E",
        "-i",
        "-o",
        "-e",
    }
    rest = list(words)
    if wrapper == "timeout":
        while rest and rest[0] is not None and rest[0].startswith("-"):
            option = rest.pop(0)
            if option in ("-s", "-k", "--signal", "--kill-after") and rest:
                rest.pop(0)  # its value (`-s KILL`), not the duration
        return rest[1:]  # the duration
    while rest:
        word = rest[0]
        if word is None:
            return rest
        if word == "--":
            return rest[1:]
        if word.startswith("-"):
            rest.pop(0)
            if wrapper in ("sudo", "doas", "xargs", "nice", "ionice", "stdbuf", "taskset") and (
                word in takes_value and rest
            ):
                rest.pop(0)
            continue
        if wrapper == "env" and "=" in word:
            rest.pop(0)
            continue
        return rest
    return rest


def _python_module(program: str, words: list[str | None]) -> str | None:
    if not re.fullmatch(r"python(3(\.\d+)?)?", program):
        return None
    for index, word in enumerate(words):
        if word == "-m" and index + 1 < len(words):
            return words[index + 1]
        if word is not None and word.startswith("-m") and len(word) > 2:
            return word[2:]
    return None


def _stitch_verb(words: list[str | None]) -> list[Step]:
    plain = [w for w in words if w is None or not w.startswith("-")]
    if any(w is None for w in plain[:2]):
        return [Step("a Stitch command whose verb only the running shell knows", opaque=True)]
    literal = [w for w in plain if w is not None]
    if literal[:1] == ["focus"] and len(literal) > 1:
        return [Step(f"stitch-ls focus {literal[1]}")]
    for verb in HUMAN_VERBS:
        if tuple(literal[: len(verb)]) == verb:
            return [Step("stitch-ls " + " ".join(literal[: len(verb) + 1]))]
    return []


def _shell_steps(
    program: str, words: list[str | None], fed: bool, protected: Protected, depth: int
) -> list[Step]:
    if "-c" in words:
        script = words[words.index("-c") + 1] if words.index("-c") + 1 < len(words) else None
        if script is None:
            return [Step(f"{program} -c with a script only the running shell knows", True)]
        return human_steps(script, protected, depth=depth + 1)
    scripts = [w for w in words if w is None or not w.startswith("-")]
    if not scripts and fed:
        return [Step(f"{program} reading its commands from its input", opaque=True)]
    return []  # a script in a file: not seen (docs/security.md)


def _interpreter_steps(
    program: str, words: list[str | None], fed: bool, protected: Protected
) -> list[Step]:
    flag = INTERPRETERS.get(program, "-c")
    code: str | None
    if flag and flag in words:
        index = words.index(flag) + 1
        code = words[index] if index < len(words) else None
        if code is None:
            return [Step(f"{program} running code only the running shell knows", opaque=True)]
    elif not flag:  # awk: the program is its first word
        code = next((w for w in words if w is None or not w.startswith("-")), "")
        if code is None:
            return []
    else:
        programs = [w for w in words if w is None or not w.startswith("-")]
        if not programs and fed:
            return [Step(f"{program} reading its code from its input", opaque=True)]
        return []
    if "stitch_ls" in code:
        return [Step(f"{program} code that calls Stitch")]
    found = []
    for token in re.findall(r"[\w./~@+-]+", code):
        what = protected(token)
        if what is not None:
            found.append(Step(f"{program} code that names {what}"))
    return found


def _git_steps(words: list[str | None], protected: Protected) -> list[Step]:
    rest = list(words)
    while rest and rest[0] is not None and rest[0].startswith("-"):  # git's own options
        option = rest.pop(0)
        if option in ("-c", "-C", "--git-dir", "--work-tree", "--namespace") and rest:
            rest.pop(0)
    if not rest:
        return []
    if rest[0] is None:
        return [Step("a git command only the running shell knows", opaque=True)]
    if rest[0] in GIT_READS:
        return []
    if rest[0] == "config":
        options = [w for w in rest[1:] if w is not None and w.startswith("-")]
        values = [w for w in rest[1:] if w is None or not w.startswith("-")]
        if any(o.startswith(CONFIG_READS) for o in options) or len(values) <= 1:
            return []
        return [Step("git config " + " ".join(w or "…" for w in values[:2]))]
    return [
        Step(f"git {rest[0]} changes {what}")
        for w in rest[1:]
        if w is not None and (what := protected(w))
    ]


# What a person owns in a repository, by path relative to its root (case and Unicode form
# aside), and what to call it
PROTECTED: tuple[tuple[str, str], ...] = (
    (".stitch/config.toml", "the team file"),
    (".stitch/signoffs.jsonl", "the sign-off log"),
    (".stitch/source-log.jsonl", "the source log"),
    (".stitch/allowed_signers", "the allowed signers"),
    (".claude/settings.json", "Claude Code's settings"),
    (".claude/settings.local.json", "Claude Code's settings"),
    (".cursor/hooks.json", "Cursor's hooks"),
    (".cursor/mcp.json", "Cursor's MCP servers"),
    (".vscode/settings.json", "VS Code's settings"),
    (".vscode/mcp.json", "VS Code's MCP servers"),
    (".mcp.json", "the MCP servers"),
    (".github/hooks/**", "VS Code's agent hooks"),
    (".git", "git's folder (hooks, configuration, refs)"),
    (".git/**", "git's folder (hooks, configuration, refs)"),
)


def protected_in(roots: list[str], cwd: str | None, user_dirs: list[tuple[str, str]]) -> Protected:
    """What a word names among what a person owns: a protected path of one of `roots`, or a
    file in one of `user_dirs` (Stitch's per-user state, the user's git configuration)."""
    base = cwd if cwd and os.path.isabs(cwd) else os.getcwd()
    reals = [(root, os.path.realpath(root)) for root in roots]
    owned = [(os.path.realpath(path), label) for path, label in user_dirs]
    names = dict(PROTECTED)

    def protected(word: str) -> str | None:
        if not word or "\x00" in word or len(word) > 4096:
            return None
        joined = os.path.join(base, os.path.expanduser(word))
        for candidate in {os.path.normpath(joined), os.path.realpath(joined)}:
            for root, real in reals:
                for anchor in (root, real):
                    relative = os.path.relpath(candidate, anchor)
                    if relative.startswith("..") or relative == ".":
                        continue
                    relative = relative.replace(os.sep, "/")
                    pattern = irreversible_pattern(relative, [p for p, _ in PROTECTED])
                    if pattern is not None:
                        return f"{names[pattern]} ({relative})"
            for real_dir, shown in owned:
                if candidate == real_dir or candidate.startswith(real_dir + os.sep):
                    return shown
        return None

    return protected
