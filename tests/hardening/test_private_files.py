"""The per-user state folder is the engineer's alone: every file Stitch writes there (the
switches, locks, the apply journal, the last good team file, the guard's cache and its record
of denials) is created 0600 in a 0700 folder, whatever the umask, through every door."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

import person
from workspaces import draft, make_workspace, write_draft


@pytest.fixture
def loose_umask():
    before = os.umask(0o002)  # group-writable by default, as on many desktops
    try:
        yield
    finally:
        os.umask(before)


def stitch(env: dict[str, str], *args: str, stdin: str | None = None):
    """The CLI, a human-only verb by a person at a terminal."""
    return person.stitch(*args, env=env, stdin=stdin, program=[sys.executable, "-m", "stitch_ls"])


def modes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder.parent)): oct(stat.S_IMODE(p.stat().st_mode))
        for p in [folder, *sorted(folder.rglob("*"))]
    }


def test_every_file_in_the_per_user_state_folder_is_0600_in_a_0700_folder(
    tmp_path: Path, loose_umask: None
):
    root = make_workspace(tmp_path / "ws")
    write_draft(root, draft("fix"))
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TZ": "UTC"}
    where = ["--workspace", str(root)]

    assert stitch(env, "read-only", "on", "--reason", "incident", *where).returncode == 0
    assert stitch(env, "read-only", "off", *where).returncode == 0
    applied = stitch(env, "draft", "apply", "fix", *where)
    assert applied.returncode == 0, applied.stderr
    denied_write = {
        "hook_event_name": "PreToolUse",
        "cwd": str(root),
        "tool_name": "Write",
        "tool_input": {"file_path": str(root / "migrations" / "1.sql")},
    }
    denied = stitch(env, "guard", "--agent", "claude-code", stdin=json.dumps(denied_write))
    assert "irreversible path" in denied.stdout
    (root / ".stitch" / "config.toml").write_text(
        (root / ".stitch" / "config.toml").read_text().replace("0.65", "0.7")
    )
    assert stitch(env, "status", *where).returncode == 0  # a tighter team file: kept as last good

    folder = tmp_path / "state" / "stitch"
    names = [p.name for p in folder.iterdir()]
    for kind in (
        ".json",
        ".lock",
        ".apply.lock",
        ".accepted.json",
        "-denials.jsonl",
        "-policy.json",
    ):
        assert any(name.endswith(kind) for name in names), (kind, names)
    found = modes(folder)
    assert found.pop("stitch") == "0o700", found
    assert set(found.values()) == {"0o600"}, found


def test_an_existing_state_folder_made_by_an_older_stitch_is_tightened(
    tmp_path: Path, loose_umask: None
):
    root = make_workspace(tmp_path / "ws")
    folder = tmp_path / "state" / "stitch"
    folder.mkdir(parents=True, mode=0o775)
    os.chmod(folder, 0o775)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "TZ": "UTC"}
    turned = stitch(env, "read-only", "on", "--reason", "x", "--workspace", str(root))
    assert turned.returncode == 0, turned.stderr
    found = modes(folder)
    assert found.pop("stitch") == "0o700"
    assert found and set(found.values()) == {"0o600"}, found
