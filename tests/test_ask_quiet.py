"""`stitch-ls ask` during the engineer's quiet time says the question is queued and until
when, and does not sit waiting for an answer that cannot come before then."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hookevents import run
from person import stitch
from workspaces import make_workspace


def test_a_question_during_a_focus_session_is_queued_and_says_until_when(
    tmp_path: Path, env: dict[str, str]
):
    root = make_workspace(tmp_path / "ws")
    started = stitch("focus", "45", "--workspace", str(root), env=env)
    assert started.returncode == 0, started.stderr
    asked = run(
        env, "ask", "Round half-up?", "--option", "yes", "--option", "no", "--workspace", str(root)
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("asked ")
    assert "the engineer is in a focus session until " in asked.stdout
    assert "the question is queued, shown after" in asked.stdout
    began = time.monotonic()
    waited = run(
        env,
        "ask",
        "Now?",
        "--option",
        "a",
        "--option",
        "b",
        "--wait",
        "30",
        "--json",
        "--workspace",
        str(root),
    )
    assert waited.returncode == 4 and time.monotonic() - began < 15  # no point waiting
    assert "focus session until" in json.loads(waited.stdout)["queued"]
    ended = stitch("focus", "off", "--workspace", str(root), env=env)
    assert ended.returncode == 0, ended.stderr
    plain = run(
        env, "ask", "Later?", "--option", "a", "--option", "b", "--json", "--workspace", str(root)
    )
    assert json.loads(plain.stdout)["queued"] is None
