"""`stitch-ls verify` runs the team's test command, for real, and keeps it bounded: nothing it
starts outlives it (however it detaches), it sees only an allow-listed environment, and a
draft's test refs never reach it as options."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from person import stitch
from workspaces import TEAM, draft, make_workspace, write_draft

# Starts a grandchild that leaves the session (setsid, then a second fork: the way daemons
# detach), which writes its pid and sleeps; then exits ("exit") or hangs itself ("hang").
DETACHING = """
import os, sys, time
pidfile, mode = sys.argv[1], sys.argv[2]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(pidfile + ".part", "w") as handle:
            handle.write(str(os.getpid()))
        os.rename(pidfile + ".part", pidfile)
        time.sleep(600)
    os._exit(0)
os.wait()
while not os.path.exists(pidfile):
    time.sleep(0.01)
print("a daemon was left behind", flush=True)
if mode == "hang":
    time.sleep(600)
"""

SHOW_ENV = """
import json, os, sys
print(json.dumps({"names": sorted(os.environ), "args": sys.argv[1:]}))
"""


def workspace(root: Path, command: list[str], timeout_s: float = 60, env: str = "") -> Path:
    team = TEAM + f"\n[evidence]\ncommand = {json.dumps(command)}\ntimeout_s = {timeout_s}\n"
    make_workspace(root, team + env)
    return root


def with_test_refs(draft_id: str, refs: list[str]) -> dict:
    evidence = [{"kind": "test", "ref": ref, "status": "passed"} for ref in refs]
    return draft(draft_id, evidence=evidence)


def verify(root: Path, draft_id: str, env: dict[str, str] | None = None):
    return stitch(  # its first run here: a person sees the command and says yes
        "verify",
        draft_id,
        "--json",
        "--workspace",
        str(root),
        env={**os.environ, **(env or {})},
        program=[sys.executable, "-m", "stitch_ls"],
        timeout=120,
    )


def alive(pid: int) -> bool:
    """Running (a zombie is not: it has ended, only its exit status is left)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the subreaper is Linux's")
@pytest.mark.parametrize("mode", ["exit", "hang"])
def test_nothing_the_test_command_starts_outlives_verify(tmp_path: Path, mode: str):
    pidfile = tmp_path / "daemon.pid"
    command = [sys.executable, "-I", "-c", DETACHING, str(pidfile), mode, "{refs}"]
    root = workspace(tmp_path / "ws", command, timeout_s=3)
    write_draft(root, with_test_refs("d", ["tests/test_checkout.py::test_pay"]))
    try:
        result = verify(root, "d")
        daemon = int(pidfile.read_text())
        assert not alive(daemon), f"pid {daemon} outlived verify"
        verdict = json.loads(result.stdout)
        assert "a daemon was left behind" in verdict["tail"]
        if mode == "hang":
            assert verdict["exit_code"] is None and "timeout" in verdict["tail"]
        else:
            assert verdict["exit_code"] == 0 and verdict["outcome"] == "passed"
    finally:
        if pidfile.exists() and alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), 9)


def test_the_test_command_sees_only_the_allowed_environment(tmp_path: Path):
    command = [sys.executable, "-I", "-c", SHOW_ENV, "{refs}"]
    root = workspace(
        tmp_path / "ws", command, env='env = ["STITCH_TEAM_NEEDS_IT", "NOT_SET_ANYWHERE"]\n'
    )
    # a working copy may tighten the team file, never widen what the tests are given
    config = root / ".stitch" / "config.toml"
    config.write_text(config.read_text().replace('"NOT_SET_ANYWHERE"', '"AWS_SECRET_ACCESS_KEY"'))
    write_draft(root, with_test_refs("d", ["tests/test_checkout.py::test_pay"]))
    secrets = {
        "AWS_SECRET_ACCESS_KEY": "s3cr3t",
        "GITHUB_TOKEN": "ghp_x",
        "OPENAI_API_KEY": "sk-x",
        "STITCH_TEAM_NEEDS_IT": "yes",
        "LC_ALL": "C.UTF-8",
    }
    result = verify(root, "d", secrets)
    assert result.returncode == 0, result.stderr
    shown = json.loads(json.loads(result.stdout)["tail"].strip().splitlines()[-1])
    names = set(shown["names"])
    assert {"PATH", "HOME", "LC_ALL", "STITCH_TEAM_NEEDS_IT"} <= names
    assert not names & {"AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "OPENAI_API_KEY"}
    assert not [name for name in names if name.startswith("XDG_") or "TOKEN" in name]
    assert shown["args"] == ["tests/test_checkout.py::test_pay"]


@pytest.mark.parametrize("ref", ["--collect-only", "-p", "-k=x or y"])
def test_a_test_ref_that_reads_as_an_option_is_refused(tmp_path: Path, ref: str):
    ran = tmp_path / "ran"
    command = [sys.executable, "-I", "-c", f"open({str(ran)!r}, 'w')", "{refs}"]
    root = workspace(tmp_path / "ws", command)
    write_draft(root, with_test_refs("d", ["tests/test_checkout.py::test_pay", ref]))
    result = verify(root, "d")
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"test ref {ref!r} starts with '-'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not ran.exists()  # the command never ran


def test_a_command_that_cannot_start_is_said_and_nothing_is_recorded(tmp_path: Path):
    root = workspace(tmp_path / "ws", [str(tmp_path / "no-such-program"), "{refs}"])
    write_draft(root, with_test_refs("d", ["tests/test_checkout.py::test_pay"]))
    result = verify(root, "d")
    assert result.returncode == 2
    assert f"cannot run {tmp_path / 'no-such-program'}: No such file or directory" in result.stderr
