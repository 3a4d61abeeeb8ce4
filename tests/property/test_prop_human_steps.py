"""A step only a person may take, written by an agent's shell however it likes, is put to the
person: the guard answers "ask" (read-only off) through each agent's shell hook.

The steps are generated from their parts: a human-only Stitch verb run by any of its names,
`git config` setting something behind any of git's own options, or a write to what a person
owns (the team file, git's hooks) by a redirection or a writing program, the path spelled
relative, absolute, with `..`, or through a symlink in the workspace. Each is put behind any
number of wrappers (`env`, `nohup`, `timeout 5`, `sudo -u me`, ...) and inside any of the
shell's ways of running one more command (a separator, a substitution, `sh -c`, a subshell)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stitch_props import examples, guard, shell_event

from stitch_ls.core.guard.shell import HUMAN_VERBS
from stitch_ls.hooks import Answer
from workspaces import make_workspace

WRAPPERS = st.lists(
    st.sampled_from(
        [
            "env",
            "env FOO=1",
            "command",
            "nohup",
            "nice -n 5",
            "timeout 5",
            "timeout -s KILL 30",
            "sudo -u me",
            "stdbuf -o0",
            "setsid",
            "time",
        ]
    ),
    max_size=3,
)
GIT_OPTIONS = st.lists(
    st.sampled_from(
        ["-C .", "-C src", "-c core.pager=cat", "--git-dir .git", "--work-tree .", "--no-pager"]
    ),
    max_size=3,
)
# what a person owns, spelled as an agent might: {link} is a symlink to the folder named
OWNED = st.sampled_from(
    [
        ".stitch/config.toml",
        "./.stitch/config.toml",
        "src/../.stitch/config.toml",
        "{root}/.stitch/config.toml",
        "team/config.toml",  # team -> .stitch
        "{root}/team/config.toml",
        "src/../team/config.toml",
        ".git/hooks/pre-commit",
        "{root}/.git/hooks/post-checkout",
        ".stitch/allowed_signers",
        "team/signoffs.jsonl",
    ]
)
WRITES = st.sampled_from(
    [
        "echo x > {path}",
        "echo x >> {path}",
        "cp /tmp/x {path}",
        "tee -a {path}",
        "sed -i s/a/b/ {path}",
    ]
)


@st.composite
def steps(draw: st.DrawFn, root: Path) -> str:
    """One human step, behind generated wrappers."""
    kind = draw(st.sampled_from(["verb", "git config", "write"]))
    if kind == "verb":
        program = draw(
            st.sampled_from(["stitch-ls", "python -m stitch_ls", "python3 -m stitch_ls"])
        )
        verb = " ".join(draw(st.sampled_from(HUMAN_VERBS)))
        command = f"{program} {verb} x"
    elif kind == "git config":
        options = " ".join(draw(GIT_OPTIONS))
        setting = draw(st.sampled_from(["core.hooksPath x", "user.email lead@example.com"]))
        command = f"git {options} config {setting}".replace("  ", " ")
    else:
        path = draw(OWNED).format(root=root)
        return draw(WRITES).format(path=path)  # a redirection is not the wrapper's
    wrappers = draw(WRAPPERS)
    return " ".join([*wrappers, command])


AROUND = st.sampled_from(
    [
        "{step}",
        "ls; {step}",
        "ls && {step}",
        "false || {step}",
        "ls\n{step}",
        "{step} &",
        "ls | {step}",
        "echo $({step})",
        "echo `{step}`",
        "sh -c '{step}'",
        "({step})",
        "{{ {step}; }}",
    ]
)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace (read-only off) with symlinks to what a person owns: `team` to `.stitch`,
    `hooks` to `.git/hooks`."""
    found = make_workspace(tmp_path_factory.mktemp("human") / "ws")
    (found / ".git" / "hooks").mkdir(exist_ok=True)
    (found / "team").symlink_to(found / ".stitch")
    (found / "hooks").symlink_to(found / ".git" / "hooks")
    return found.resolve()


def asked(agent: str, answer: Answer) -> bool:
    """The agent's hook answered "ask the person"."""
    if not answer.stdout.strip():
        return False
    body = json.loads(answer.stdout)
    if agent == "cursor":
        return bool(body.get("permission") == "ask")
    return bool(body["hookSpecificOutput"]["permissionDecision"] == "ask")


@examples(120)
@given(data=st.data(), agent=st.sampled_from(["claude-code", "cursor"]), around=AROUND)
def test_a_human_step_is_put_to_the_person_however_it_is_written(
    root: Path, data: st.DataObject, agent: str, around: str
):
    step = data.draw(steps(root), label="step")
    command = around.format(step=step)
    assert asked(agent, guard(agent, shell_event(agent, root, command))), command


@examples(10)
@given(
    agent=st.sampled_from(["claude-code", "cursor"]),
    write=WRITES,
    hook=st.sampled_from(["pre-commit", "post-checkout"]),
)
def test_a_write_through_an_innocently_named_link_to_git_hooks_is_put_to_the_person(
    root: Path, agent: str, write: str, hook: str
):
    command = write.format(path=f"hooks/{hook}")
    assert asked(agent, guard(agent, shell_event(agent, root, command))), command
