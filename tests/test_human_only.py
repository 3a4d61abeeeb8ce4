"""The human's part stays human (#25): the ways an agent with a shell could try to take a step
only a person may take, each tried for real and each stopped — by the command line (a person
at an interactive terminal types what they approve) or by the guard (the agent's own hook
asks the person). docs/security.md's table "Who may take a human step" lists every row here.
"""

from __future__ import annotations

import json
import os
import pty
import select
from pathlib import Path

import pytest

from hookevents import claude, claude_decision, claude_denial, cursor, guard, run
from person import STITCH, stitch
from workspaces import draft, git, make_workspace, write_draft

NOSRC = draft("nosrc", sources=[])


@pytest.fixture
def repo(tmp_path: Path, env: dict[str, str]) -> Path:
    root = make_workspace(tmp_path / "ws")
    write_draft(root, NOSRC)
    write_draft(root, draft("good"))
    (root / ".stitch" / "prompts").mkdir()
    (root / ".stitch" / "prompts" / "q1.json").write_text(
        json.dumps(
            {
                "version": 1,
                "id": "q1",
                "agent": "claude",
                "stream": "checkout/a",
                "question": "EUR or USD?",
                "options": ["EUR", "USD"],
            }
        )
    )
    assert (
        run(env, "read-only", "on", "--reason", "review", "--workspace", str(root)).returncode == 0
    )
    return root


def state(env: dict[str, str], root: Path) -> dict:
    return json.loads(run(env, "status", "--json", "--workspace", str(root)).stdout)


# -- the command line: no terminal, no human step ------------------------------------------------

HUMAN_VERBS = [
    pytest.param(["draft", "vouch", "nosrc", "--note", "fine"], id="vouch"),
    pytest.param(["draft", "apply", "good"], id="apply"),
    pytest.param(["draft", "reject", "good", "--reason", "no"], id="reject"),
    pytest.param(["answer", "q1", "EUR"], id="answer"),
    pytest.param(["read-only", "off"], id="read-only-off"),
    pytest.param(["focus", "90m"], id="focus"),
    pytest.param(["focus", "off"], id="focus-off"),
    pytest.param(["init"], id="init"),
]


def nothing_changed(env: dict[str, str], root: Path) -> None:
    status = state(env, root)
    assert status["read_only"]["on"] is True
    assert status["quiet"]["on"] is False
    listed = {
        r["id"]: r
        for r in json.loads(run(env, "draft", "list", "--json", "--workspace", str(root)).stdout)
    }
    assert set(listed) >= {"nosrc", "good"} and listed["nosrc"]["gate"] != "actionable"
    prompt = json.loads((root / ".stitch" / "prompts" / "q1.json").read_text())
    assert "answer" not in prompt


@pytest.mark.parametrize("verb", HUMAN_VERBS)
def test_an_agents_shell_cannot_take_a_human_step(repo: Path, env: dict[str, str], verb):
    """Run as an agent's shell tool runs it: no terminal to ask a person at."""
    result = stitch(*verb, "--workspace", str(repo), env=env, person=False)
    assert result.returncode == 3, result
    assert "person's decision" in result.stderr
    nothing_changed(env, repo)


@pytest.mark.parametrize("feed", ["pipe", "here-document"])
def test_standard_input_cannot_answer_the_confirmation(repo: Path, env: dict[str, str], feed):
    """The confirmation is read from the terminal, never from standard input."""
    stdin = "read-only off\n" if feed == "pipe" else "read-only off\nread-only off\n"
    result = stitch(
        "read-only", "off", "--workspace", str(repo), env=env, person=False, stdin=stdin
    )
    assert result.returncode == 3
    nothing_changed(env, repo)


def test_a_program_in_the_background_of_a_terminal_cannot_take_a_human_step(
    repo: Path, env: dict[str, str]
):
    """An agent's tool runs as a child of a program in the engineer's terminal, not in its
    foreground: it has a terminal, and is still refused before anything is asked."""
    pid, master = pty.fork()
    if pid == 0:  # the session leader, in the terminal's foreground: the agent's program
        try:
            child = os.fork()
            if child == 0:  # its tool: its own process group, a background job of the session
                os.setpgid(0, 0)
                os.execve(STITCH, [STITCH, "read-only", "off", "--workspace", str(repo)], env)
            _, status = os.waitpid(child, 0)
            os._exit(os.waitstatus_to_exitcode(status))
        finally:
            os._exit(127)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, seen
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    assert b"to confirm" not in seen  # never asked
    nothing_changed(env, repo)


def test_typing_something_else_takes_no_step(repo: Path, env: dict[str, str]):
    result = stitch("read-only", "off", "--workspace", str(repo), env=env, typed="yes")
    assert result.returncode == 3 and "not confirmed" in result.stderr
    nothing_changed(env, repo)


def test_a_person_at_the_terminal_takes_the_step_and_turning_read_only_on_is_anyones(
    repo: Path, env: dict[str, str]
):
    off = stitch("read-only", "off", "--workspace", str(repo), env=env)
    assert off.returncode == 0, off.stderr
    assert state(env, repo)["read_only"]["on"] is False
    on = stitch(
        "read-only",
        "on",
        "--reason",
        "agent says stop",
        "--workspace",
        str(repo),
        env=env,
        person=False,
    )
    assert on.returncode == 0, on.stderr
    assert state(env, repo)["read_only"]["on"] is True


def test_mcp_offers_agents_no_human_verb():
    from stitch_ls.hooks import STITCH_MCP_TOOLS

    assert STITCH_MCP_TOOLS.isdisjoint(
        {"vouch", "apply", "reject", "answer", "sign_off", "approve"}
    )
    assert not any(
        word in tool for tool in STITCH_MCP_TOOLS for word in ("vouch", "apply", "reject", "sign")
    )


# -- the guard: an agent's attempt meets "ask the person" -----------------------------------

SHELL_FORMS = [
    pytest.param("stitch-ls draft vouch nosrc --note fine", id="direct"),
    pytest.param(f"{STITCH} read-only off", id="by-path"),
    pytest.param("python -m stitch_ls draft vouch nosrc --note x", id="python-m"),
    pytest.param("python3 -m stitch_ls draft apply good", id="python3-m"),
    pytest.param("env FOO=1 stitch-ls draft reject good", id="env"),
    pytest.param("command stitch-ls draft apply good", id="command"),
    pytest.param("exec stitch-ls answer q1 EUR", id="exec"),
    pytest.param("nohup stitch-ls draft apply good &", id="nohup-background"),
    pytest.param("timeout 5 stitch-ls sign-off abc", id="timeout"),
    pytest.param("sudo -u me stitch-ls read-only off", id="sudo"),
    pytest.param("sh -c 'stitch-ls draft vouch nosrc --note x'", id="sh-c"),
    pytest.param('bash -c "stitch-ls answer q1 EUR"', id="bash-c"),
    pytest.param("ls && stitch-ls draft vouch nosrc --note x", id="and-chain"),
    pytest.param("ls; stitch-ls read-only off", id="semicolon"),
    pytest.param("false || stitch-ls draft apply good", id="or-chain"),
    pytest.param("ls\nstitch-ls focus off", id="newline"),
    pytest.param("(cd src && stitch-ls draft apply good)", id="subshell"),
    pytest.param("{ stitch-ls draft vouch nosrc --note x; }", id="group"),
    pytest.param("echo $(stitch-ls draft apply good)", id="substitution"),
    pytest.param("echo `stitch-ls read-only off`", id="backticks"),
    pytest.param("cat <(stitch-ls draft reject good)", id="process-substitution"),
    pytest.param("echo good | xargs stitch-ls draft apply", id="xargs"),
    pytest.param("alias v='stitch-ls draft vouch'; v nosrc --note x", id="alias"),
    pytest.param("f() { stitch-ls init; }; f", id="function"),
    pytest.param("eval 'stitch-ls draft vouch nosrc --note x'", id="eval-literal"),
    pytest.param('eval "$CMD"', id="eval-variable"),
    pytest.param("$STITCH draft vouch nosrc", id="program-from-variable"),
    pytest.param("$(which stitch-ls) read-only off", id="program-from-substitution"),
    pytest.param("echo c3RpdGNoLWxzIHJlYWQtb25seSBvZmY= | base64 -d | sh", id="base64-into-sh"),
    pytest.param("bash <<< 'stitch-ls read-only off'", id="here-string-into-bash"),
    pytest.param(
        'python -c \'from stitch_ls.cli import main; main(["read-only", "off"])\'',
        id="python-c-import",
    ),
    pytest.param("git config user.email lead@example.com", id="git-config-identity"),
    pytest.param("git -c x.y=z config --global user.name Lead", id="git-config-global"),
    pytest.param("echo '[agents]' > .stitch/config.toml", id="redirect-team-file"),
    pytest.param("cp /tmp/loose.toml .stitch/config.toml", id="cp-team-file"),
    pytest.param("sed -i 's/0.65/0.1/' .stitch/config.toml", id="sed-team-file"),
    pytest.param("rm .stitch/signoffs.jsonl", id="rm-signoffs"),
    pytest.param("tee -a .stitch/source-log.jsonl < entry.json", id="tee-source-log"),
    pytest.param("echo '{}' > .claude/settings.json", id="claude-settings"),
    pytest.param("cp x .cursor/hooks.json", id="cursor-hooks"),
    pytest.param("printf '#!/bin/sh' > .git/hooks/pre-commit", id="git-hook"),
    pytest.param("echo '[core]' >> .git/config", id="git-config-file"),
]


@pytest.mark.parametrize("command", SHELL_FORMS)
def test_the_guard_asks_the_person_for_a_human_step_however_it_is_written(
    tmp_path: Path, env: dict[str, str], command: str
):
    root = make_workspace(tmp_path / "ws")  # read-only off: these would otherwise run
    decision = claude_decision(
        guard(env, "claude-code", claude(root, "Bash", {"command": command}))
    )
    assert decision is not None and decision[0] == "ask", (command, decision)
    assert "a person's to do" in decision[1]


def test_writing_the_per_user_state_with_python_is_a_human_step(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    state_dir = Path(env["XDG_STATE_HOME"]) / "stitch"
    code = f"open('{state_dir}/x.json', 'w').write('{{}}')"
    decision = claude_decision(
        guard(env, "claude-code", claude(root, "Bash", {"command": f'python3 -c "{code}"'}))
    )
    assert decision is not None and decision[0] == "ask"
    assert "Stitch's per-user state" in decision[1]


EDITS = [
    pytest.param(".stitch/config.toml", id="team-file"),
    pytest.param(".stitch/signoffs.jsonl", id="signoffs"),
    pytest.param(".stitch/source-log.jsonl", id="source-log"),
    pytest.param(".stitch/allowed_signers", id="allowed-signers"),
    pytest.param(".claude/settings.json", id="claude-settings"),
    pytest.param(".cursor/mcp.json", id="cursor-mcp"),
    pytest.param(".vscode/settings.json", id="vscode-settings"),
    pytest.param(".mcp.json", id="mcp-json"),
    pytest.param(".git/hooks/pre-commit", id="git-hooks"),
    pytest.param(".git/config", id="git-config"),
]


@pytest.mark.parametrize("path", EDITS)
def test_an_edit_to_what_a_person_owns_asks_the_person(
    tmp_path: Path, env: dict[str, str], path: str
):
    root = make_workspace(tmp_path / "ws")
    event = claude(root, "Write", {"file_path": str(root / path), "content": "x"})
    decision = claude_decision(guard(env, "claude-code", event))
    assert decision is not None and decision[0] == "ask", decision
    cursor_event = cursor(
        root, "preToolUse", tool_name="Edit", tool_input={"file_path": str(root / path)}
    )
    answer = json.loads(guard(env, "cursor", cursor_event).stdout)
    assert answer["permission"] == "ask"


def test_the_per_user_state_file_itself_asks_the_person(tmp_path: Path, env: dict[str, str]):
    root = make_workspace(tmp_path / "ws")
    target = Path(env["XDG_STATE_HOME"]) / "stitch" / "anything.json"
    event = claude(root, "Write", {"file_path": str(target), "content": "{}"})
    decision = claude_decision(guard(env, "claude-code", event))
    assert decision is not None and decision[0] == "ask"


def test_ordinary_work_is_not_asked_about(tmp_path: Path, env: dict[str, str]):
    """What agents do all day gets no decision: the guard asks only about human steps."""
    root = make_workspace(tmp_path / "ws")
    for command in (
        "pytest -q",
        "git status",
        "git log -3 -- .stitch/config.toml",
        "cat .stitch/config.toml",
        "stitch-ls status --json",
        "stitch-ls draft add draft.json",
        "stitch-ls read-only on --reason 'I broke something'",
        "bash scripts/test.sh",
        "python -m pytest tests",
        "echo $HOME && ls -la",
        "git config --get user.email",
        "npm run build > build.log",
    ):
        decision = claude_decision(
            guard(env, "claude-code", claude(root, "Bash", {"command": command}))
        )
        assert decision is None, (command, decision)
    edit = claude(root, "Edit", {"file_path": str(root / "src" / "checkout.py")})
    assert claude_decision(guard(env, "claude-code", edit)) is None


def test_a_second_clone_is_another_repository(tmp_path: Path, env: dict[str, str]):
    """An agent's own clone has switches and vouches of its own: nothing it does there
    reaches the engineer's repository (and there too, human verbs need a person)."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, NOSRC)
    assert run(env, "read-only", "on", "--reason", "x", "--workspace", str(root)).returncode == 0
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(root), str(clone))
    off = stitch("read-only", "off", "--workspace", str(clone), env=env)  # a person, there
    assert off.returncode == 0
    assert state(env, root)["read_only"]["on"] is True


def test_a_worktree_an_agent_adds_is_the_same_repository(tmp_path: Path, env: dict[str, str]):
    """`git worktree add` gives an agent a new checkout, not a new Stitch: the switch the
    person set holds there, and a human verb there still needs the person."""
    root = make_workspace(tmp_path / "ws")
    write_draft(root, NOSRC)
    assert run(env, "read-only", "on", "--reason", "x", "--workspace", str(root)).returncode == 0
    escape = tmp_path / "escape"
    git(root, "worktree", "add", "-q", "-b", "stream/x/escape", str(escape), "main")
    off = stitch("read-only", "off", "--workspace", str(escape), env=env, person=False)
    assert off.returncode == 3 and "person's decision" in off.stderr
    write = claude(escape, "Write", {"file_path": str(escape / "src" / "x.py"), "content": "x"})
    reason = claude_denial(guard(env, "claude-code", write))
    assert reason is not None and "read-only" in reason
    assert state(env, root)["read_only"]["on"] is True
