"""The package as a user gets it: the wheel builds without a deprecation warning, and,
installed into a fresh virtualenv outside the repository, runs the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)
def test_wheel_builds_cleanly_and_runs_the_demo_from_a_fresh_venv(tmp_path: Path):
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    output = built.stdout + built.stderr
    assert "DeprecationWarning" not in output, output[-3000:]
    [wheel] = wheels.glob("stitch_ls-*.whl")
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    demo = subprocess.run(
        [str(venv / "bin" / "stitch-ls"), "demo"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Done." in demo.stdout
    # nothing it then refers to is gone: it names no removed folder, and says --keep
    assert "--workspace" not in demo.stdout.split("Done.")[1]
    assert "stitch-ls demo --keep" in demo.stdout
    version = subprocess.run(
        [str(venv / "bin" / "stitch-ls"), "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("stitch-ls ")


@pytest.mark.timeout(600)
def test_the_readmes_install_puts_stitch_on_the_path_for_editors_and_hooks(tmp_path: Path):
    """The README's install for a user's machine (`pipx install`), from the built wheel:
    `stitch-ls` lands in pipx's bin folder, and from there an agent's hook command, as
    `init --agents` writes it, reaches the real guard with nothing else on PATH."""
    import json
    import shutil

    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = wheels.glob("stitch_ls-*.whl")
    home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(
        {
            "PIPX_HOME": str(home),
            "PIPX_BIN_DIR": str(bin_dir),
            "PIPX_MAN_DIR": str(tmp_path / "man"),
            "PIPX_DEFAULT_PYTHON": sys.executable,
            "HOME": str(tmp_path),
            "XDG_STATE_HOME": str(tmp_path / "state"),
        }
    )
    pipx = shutil.which("pipx", path=str(Path(sys.executable).parent))
    assert pipx is not None, "pipx comes with the test extras"
    installed = subprocess.run(
        [pipx, "install", str(wheel)], env=env, capture_output=True, text=True, timeout=400
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert (bin_dir / "stitch-ls").exists()
    path_only = {**env, "PATH": f"{bin_dir}:/usr/bin:/bin"}
    version = subprocess.run(
        ["stitch-ls", "--version"], env=path_only, capture_output=True, text=True, timeout=60
    )
    assert version.stdout.startswith("stitch-ls "), version.stderr
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    from stitch_ls.hooks import GUARD

    event = {
        "session_id": "s",
        "transcript_path": str(repo / "t.jsonl"),
        "cwd": str(repo),
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": "stitch-ls read-only off"},
    }
    hook = subprocess.run(
        ["/bin/sh", "-c", GUARD.format(agent="claude-code")],
        input=json.dumps(event),
        env=path_only,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert hook.returncode == 0, hook.stderr
    decision = json.loads(hook.stdout)["hookSpecificOutput"]
    assert decision["permissionDecision"] == "ask"  # the real guard answered


def test_readme_links_resolve_in_a_clone():
    import re

    for readme in [REPO / "README.md", *REPO.glob("client-*/README.md")]:
        text = readme.read_text()
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            resolved = (readme.parent / target).resolve()
            assert resolved.is_relative_to(REPO), f"{readme.name}: {target} leaves the clone"
            assert resolved.exists(), f"{readme.name}: {target} does not exist"
