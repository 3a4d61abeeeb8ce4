"""While agents are read-only, a shell command runs only when it is exactly one command of the
allow-list (`git status`, `ls`, ...): any separator, substitution, redirection or wrapper
around allowed programs is denied, through each agent's own shell hook.

The commands are generated from the allow-list itself, so a new entry is covered at once, and
joined with every form a POSIX shell (bash, zsh) reads as "one more command" or "write
somewhere"."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stitch_props import AGENTS, denial, examples, guard, shell_event

from stitch_ls.core.guard.rules import READ_ONLY_COMMANDS

HARMLESS_ARGS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "-3",
                "--stat",
                "--short",
                "--oneline",
                "--json",
                "-la",
                "HEAD",
                "HEAD~1",
                "main..HEAD",
                "--",
                "src",
                "src/checkout.py",
                "'two words'",
                '"quoted"',
                "--format=%H",
            ]
        ),
        st.from_regex(r"[a-z][a-z0-9._/-]{0,10}", fullmatch=True),
    ),
    max_size=3,
)


@st.composite
def read_only_commands(draw: st.DrawFn) -> str:
    """Exactly one allowed read-only command, with harmless arguments."""
    entry = draw(st.sampled_from(READ_ONLY_COMMANDS))
    return " ".join([*entry, *draw(HARMLESS_ARGS)])


OTHER_COMMANDS = st.sampled_from(
    [
        "rm -rf src",
        "touch src/new.py",
        "git push --force",
        "git checkout -- .",
        "curl https://example.com/x",
        'python3 -c \'open("src/x.py", "w")\'',
        "stitch-ls read-only off",
        "sh",
    ]
)
ANY_COMMAND = st.one_of(read_only_commands(), OTHER_COMMANDS)

SEPARATORS = st.sampled_from(
    ["\n", "\r\n", "\r", ";", "&&", "||", "|", "|&", "&", "\n\n", ";;", " \\\n"]
)
SPACE = st.sampled_from(["", " ", "  ", "\t"])
TARGETS = st.sampled_from(["src/checkout.py", "/tmp/out", "x", "&1", "/dev/null"])
WRAPPERS = st.sampled_from(
    [
        "env",
        "env -i",
        "command",
        "command -p",
        "exec",
        "nohup",
        "xargs",
        "xargs -0",
        "time",
        "nice",
        "timeout 5",
        "sudo",
        "eval",
        "builtin",
        "sh -c",
        "bash -c",
    ]
)


FORMS = (
    "joined",
    "trailing",
    "leading",
    "substitution",
    "backticks",
    "quoted substitution",
    "process substitution in",
    "process substitution out",
    "parameter",
    "redirect out",
    "redirect append",
    "redirect in",
    "redirect fd",
    "here-string",
    "here-doc",
    "continued line",
    "wrapper",
    "subshell",
    "group",
    "negation",
    "glob",
)


@st.composite
def shell_forms(draw: st.DrawFn, form: str) -> str:
    """Allowed read-only programs combined by one of the shell's syntax forms (and sometimes
    nested again), each form one more command or a write somewhere."""
    first = draw(read_only_commands())
    other = draw(ANY_COMMAND)
    gap, gap2 = draw(SPACE), draw(SPACE)
    target = draw(TARGETS)
    separator = draw(SEPARATORS)
    parameter = draw(st.sampled_from(["$HOME", "${HOME}", "$1", "$((1+1))"]))
    redirect = draw(st.sampled_from(["2>", "&>", ">|", "1>&2", "2>&1"]))
    word = draw(st.sampled_from(["word", other]))
    delimiter = draw(st.sampled_from(["EOF", "-EOF", "'EOF'"]))
    wrapper = draw(WRAPPERS)
    glob = draw(st.sampled_from(["*", "?", "[ab]", "src/*.py"]))
    command = {
        "joined": f"{first}{gap}{separator}{gap2}{other}",
        "trailing": f"{first}{gap}{separator}",
        "leading": f"{other}{gap}{separator}{gap2}{first}",
        "substitution": f"{first} $({other})",
        "backticks": f"{first} `{other}`",
        "quoted substitution": f'{first} "$({other})"',
        "process substitution in": f"{first} <({other})",
        "process substitution out": f"{first} >({other})",
        "parameter": f"{first} {parameter}",
        "redirect out": f"{first}{gap}>{gap2}{target}",
        "redirect append": f"{first}{gap}>>{gap2}{target}",
        "redirect in": f"{first}{gap}<{gap2}{target}",
        "redirect fd": f"{first} {redirect}{target}",
        "here-string": f"{first} <<<{gap}{word}",
        "here-doc": f"{first} <<{delimiter}\n{other}\nEOF",
        "continued line": f"{first} \\\n{other}",
        "wrapper": f"{wrapper} {first}",
        "subshell": f"({first})",
        "group": f"{{ {first}; }}",
        "negation": f"! {first}",
        "glob": f"{first} {glob}",
    }[form]
    if draw(st.booleans()):  # once more around the whole thing
        command = draw(st.sampled_from([f"{command}\n{first}", f"{first} $({command})"]))
    return command


@examples(40)
@given(command=read_only_commands())
def test_exactly_one_read_only_command_runs_while_read_only(read_only_root: Path, command: str):
    """The allow-list is usable at all: were it empty, the denials below would prove
    nothing."""
    for agent in AGENTS:
        reason = denial(agent, guard(agent, shell_event(agent, read_only_root, command)))
        assert reason is None, (agent, command, reason)


@pytest.mark.parametrize("form", FORMS)
@examples(15)
@given(data=st.data())
def test_read_only_never_runs_allowed_programs_joined_by_shell_syntax(
    read_only_root: Path, form: str, data: st.DataObject
):
    """Each form makes a second command (or a write) out of programs that are each allowed;
    only the exact allow-listed command may pass, so every one is denied, as read-only. Every
    form is tried (one test per form), its parts generated."""
    command = data.draw(shell_forms(form), label="command")
    for agent in AGENTS:
        reason = denial(agent, guard(agent, shell_event(agent, read_only_root, command)))
        assert reason is not None, (agent, command)
        assert "shell commands are stopped" in reason and "read-only" in reason, reason


@st.composite
def behind_an_assignment(draw: st.DrawFn) -> str:
    """`NAME=value command`: the shell runs `command` with NAME set; here the value ends in
    the name of an allowed program."""
    name = draw(st.from_regex(r"[A-Z][A-Z_]{0,7}", fullmatch=True))
    folder = draw(st.sampled_from(["", "/usr/bin", "tools", "."]))
    program = draw(st.sampled_from(["ls", "pwd"]))
    return f"{name}={folder}/{program} {draw(OTHER_COMMANDS)}"


@examples(20)
@given(command=behind_an_assignment())
def test_read_only_never_runs_a_command_behind_an_environment_assignment(
    read_only_root: Path, command: str
):
    for agent in AGENTS:
        reason = denial(agent, guard(agent, shell_event(agent, read_only_root, command)))
        assert reason is not None, (agent, command)
