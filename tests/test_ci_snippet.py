"""The README's CI job, on what a CI runner has: a fresh clone of the team's repository with
every branch as a remote-tracking one (actions/checkout with fetch-depth 0), a detached HEAD
(a pull request's merge commit), no local `main`, no per-user state. `stitch-ls check` then
finds the streams and the base there, and fails loudly on what it must fail on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gitrepos import stream_repo
from hookevents import run
from workspaces import git

REPO = Path(__file__).resolve().parents[1]


def ci_checkout(origin: Path, where: Path) -> Path:
    """What actions/checkout@v4 with `fetch-depth: 0` leaves for a pull request."""
    where.parent.mkdir(parents=True)
    git(where.parent, "clone", "-q", "--no-checkout", str(origin), str(where))
    git(where, "checkout", "-q", "--detach", "origin/main")
    git(where, "branch", "-q", "-D", "main")
    return where


def snippet() -> str:
    readme = (REPO / "README.md").read_text()
    return re.search(r"# \.github/workflows/stitch\.yml\n(.*?)```", readme, re.S).group(1)


def test_the_readmes_ci_job_checks_a_fresh_checkout_and_fails_loudly(
    tmp_path: Path, env: dict[str, str]
):
    origin = stream_repo(tmp_path / "origin")
    job = snippet()
    assert "fetch-depth: 0" in job and "stitch-ls check" in job
    assert "|| true" not in job  # nothing in it hides a failure
    checkout = ci_checkout(origin, tmp_path / "runner" / "work")
    ci_env = {**env, "XDG_STATE_HOME": str(tmp_path / "runner-state")}  # nothing of anyone's
    out = run(ci_env, "check", "--json", cwd=checkout)
    assert out.returncode == 1, out.stderr  # the stream's unsigned point fails the job
    report = json.loads(out.stdout)
    assert [p["streams"] for p in report["stitch_points"]] == [["checkout/a", "checkout/b"]]
    assert any("unsigned stitch point" in f for f in report["failures"])
    assert not any("does not exist" in f for f in report["failures"])
    text = run(ci_env, "check", cwd=checkout)
    assert text.returncode == 1 and text.stdout.startswith("stitch check failed:")


def test_without_the_base_branch_anywhere_the_job_fails_and_says_why(
    tmp_path: Path, env: dict[str, str]
):
    origin = stream_repo(tmp_path / "origin")
    checkout = tmp_path / "runner" / "work"
    git(tmp_path, "init", "-q", str(checkout))
    git(checkout, "fetch", "-q", str(origin), "stream/checkout/a")
    git(checkout, "checkout", "-q", "--detach", "FETCH_HEAD")
    out = run({**env, "XDG_STATE_HOME": str(tmp_path / "s")}, "check", cwd=checkout)
    assert out.returncode == 1
    assert "base branch 'main' does not exist" in out.stdout
