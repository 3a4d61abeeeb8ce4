"""JSON and TOML nested too deeply, in every file Stitch reads: one clear error for that file,
never a crash, and every other file keeps working (CLI, guard and language server, for real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from editor_client import start, stop
from stitch_ls.core.files.paths import StitchPaths
from test_cli import cli
from workspaces import make_workspace

DEEP = 1000  # below the interpreter's recursion limit for `json.loads` alone, not for what follows


def deep(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def prompt(prompt_id: str, question: str = '"Round half-up or half-even?"') -> str:
    return (
        f'{{"version": 1, "id": "{prompt_id}", "agent": "claude-code", "stream": "checkout/a", '
        f'"question": {question}, "options": ["half-up", "half-even"]}}'
    )


def prompts_folder(root: Path) -> Path:
    folder = root / ".stitch" / "prompts"
    folder.mkdir(exist_ok=True)
    return folder


async def test_a_prompt_nested_a_thousand_deep_is_one_error_and_the_rest_works(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    folder = prompts_folder(root)
    (folder / "deep.json").write_text(prompt("deep", deep()))
    (folder / "fine.json").write_text(prompt("fine"))

    listed = cli(root, "prompts", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [row["id"] for row in json.loads(listed.stdout)] == ["fine"]
    assert "warning: prompt ignored: deep.json: " in listed.stderr
    assert "nested too deeply" in listed.stderr
    status = cli(root, "status", "--json")
    assert status.returncode == 0, status.stderr
    refused = cli(root, "answer", "deep", "half-up")
    assert refused.returncode != 0 and "no prompt with id 'deep'" in refused.stderr
    for done in (listed, status, refused):
        assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr

    client = await start(root)
    try:
        await client.wait_for(lambda: bool(client.prompts), timeout=10)  # shown, dismissed
        assert "Round half-up or half-even?" in client.prompts[0].message
        client.answers.append("half-even")
        pending = await client.command("stitch.pendingPrompts")  # and shown again
        assert [p["id"] for p in pending] == ["fine"]
        await client.wait_for(lambda: "answer" in json.loads((folder / "fine.json").read_text()))
    finally:
        await stop(client)
    answered = cli(root, "prompts", "--json")
    assert json.loads(answered.stdout) == []


def test_state_journal_logs_and_team_file_nested_too_deeply_each_get_one_error(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    paths = StitchPaths(root)
    paths.state.parent.mkdir(parents=True, exist_ok=True)
    paths.state.write_text('{"version": 1, "outcomes": ' + deep() + "}")
    status = cli(root, "status", "--json")
    assert status.returncode == 0, status.stderr
    read_only = json.loads(status.stdout)["read_only"]
    assert read_only["on"] is True and "nested too deeply" in read_only["reason"]  # never looser
    paths.state.unlink()

    paths.apply_journal.write_text('{"version": 1, "draft": ' + deep() + "}")
    log_line = '{"version": 1, "draft": "x", "sources": ' + deep() + "}"
    (root / ".stitch" / "source-log.jsonl").write_text(log_line + "\n")
    (root / ".stitch" / "signoffs.jsonl").write_text('{"versions": ' + deep() + "}\n")
    for verb in (("status",), ("log", "--format", "json"), ("check",), ("report",)):
        done = cli(root, *verb)
        assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr, verb
        assert done.returncode in (0, 1), (verb, done.stderr)
    assert not paths.apply_journal.exists()  # not ours to finish: dropped, it changed nothing

    (root / ".stitch" / "config.toml").write_text("x = " + deep() + "\n")
    policy = json.loads(cli(root, "status", "--json").stdout)["policy"]
    assert policy["from"] == "HEAD" and "nested too deeply" in policy["problem"]


def guard_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TZ": "UTC"}


def guard(env: dict[str, str], event: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stitch_ls", "guard", "--agent", "claude-code"],
        input=event,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_hook_event_or_a_guard_cache_nested_too_deeply(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    env = guard_env(tmp_path)
    event = {
        "hook_event_name": "PreToolUse",
        "cwd": str(root),
        "tool_name": "Read",
        "tool_input": {"file_path": str(root / "src" / "checkout.py")},
    }
    assert guard(env, json.dumps(event)).stdout == ""  # allowed, and the facts are cached

    nested = json.dumps(event)[:-1] + ', "extra": ' + deep() + "}"
    denied = guard(env, nested)
    assert denied.returncode == 2
    assert "the hook event is not valid JSON: nested too deeply" in denied.stderr

    for cache in (tmp_path / "state" / "stitch").glob("*-policy.json"):
        cache.write_text('{"version": ' + deep() + "}")
    allowed = guard(env, json.dumps(event))  # a cache it cannot read is not used: compiled again
    assert allowed.returncode == 0 and allowed.stdout == "", allowed.stderr
