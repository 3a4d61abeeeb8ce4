"""Streams pushed from other machines: remote-tracking branches matching the pattern are
streams after a fetch, and `fetch_streams` fetches only those, running nothing the
repository configures. Real repositories: a bare "origin", the engineer's clone, a
teammate's clone that pushes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitrepos import STREAM_TEAM, commit_on
from stitch_ls.core.vcs.streams import discover, fetch_streams, open_repo, stream_refspec
from workspaces import git, make_workspace

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

PATTERN = "stream/{feature}/{stream}"


def clone(origin: Path, where: Path) -> Path:
    git(origin.parent, "clone", "-q", str(origin), str(where))
    git(where, "config", "user.email", f"{where.name}@example.com")
    git(where, "config", "user.name", where.name)
    return where


@pytest.fixture
def machines(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(origin, the engineer's clone, a teammate's clone)."""
    first = make_workspace(tmp_path / "first", STREAM_TEAM)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(first), str(origin))
    return origin, clone(origin, tmp_path / "mine"), clone(origin, tmp_path / "theirs")


def push_stream(theirs: Path, branch: str, new: str) -> None:
    commit_on(theirs, branch, "src/checkout.py", "return cart.total()", new, f"on {branch}")
    git(theirs, "push", "-q", "origin", branch)


def streams_of(root: Path) -> dict[str, str]:
    found = discover(open_repo(root), "main", PATTERN, NOW)
    assert found.problems == []
    return {s.name: s.branch for s in found.streams}


def test_a_pushed_stream_shows_up_after_a_fetch_and_a_local_branch_wins(machines):
    origin, mine, theirs = machines
    push_stream(theirs, "stream/checkout/far", "return cart.total() + 1")
    assert streams_of(mine) == {}  # not fetched yet
    git(mine, "fetch", "-q", "origin")
    assert streams_of(mine) == {"checkout/far": "origin/stream/checkout/far"}

    # the engineer checks it out and goes on locally: the local branch is the stream
    git(mine, "branch", "-q", "stream/checkout/far", "origin/stream/checkout/far")
    commit_on(mine, "stream/checkout/far", "src/checkout.py", "+ 1", "+ 2", "mine")
    assert streams_of(mine) == {"checkout/far": "stream/checkout/far"}
    [stream] = discover(open_repo(mine), "main", PATTERN, NOW).streams
    assert (
        stream.ahead == 2 and stream.head == git(mine, "rev-parse", "stream/checkout/far").strip()
    )

    # merged into the base on the remote: no longer a stream once fetched
    git(theirs, "merge", "-q", "--no-edit", "stream/checkout/far")
    git(theirs, "push", "-q", "origin", "main")
    git(mine, "branch", "-q", "-D", "stream/checkout/far")
    git(mine, "fetch", "-q", "origin")
    git(mine, "merge", "-q", "--ff-only", "origin/main")
    assert streams_of(mine) == {}


def test_fetch_streams_fetches_only_stream_branches(machines):
    origin, mine, theirs = machines
    push_stream(theirs, "stream/checkout/far", "return cart.total() + 1")
    commit_on(theirs, "feature/other", "src/checkout.py", "return cart.total()", "x", "other")
    git(theirs, "push", "-q", "origin", "feature/other")
    git(theirs, "tag", "v9")
    git(theirs, "push", "-q", "origin", "v9")

    assert fetch_streams(open_repo(mine), PATTERN) == []
    remote_refs = git(mine, "for-each-ref", "--format=%(refname)", "refs/remotes", "refs/tags")
    assert "refs/remotes/origin/stream/checkout/far" in remote_refs
    assert "feature/other" not in remote_refs and "v9" not in remote_refs
    assert not (mine / ".git" / "FETCH_HEAD").exists()
    assert streams_of(mine) == {"checkout/far": "origin/stream/checkout/far"}


def test_a_failing_or_hostile_remote_is_said_and_runs_nothing(machines, tmp_path: Path):
    origin, mine, theirs = machines
    marker = tmp_path / "ran"
    git(mine, "config", "remote.origin.uploadpack", f"touch {marker}; git-upload-pack")
    git(mine, "remote", "add", "ext", f"ext::sh -c touch% {marker}")
    git(mine, "remote", "add", "gone", str(tmp_path / "nowhere.git"))
    problems = fetch_streams(open_repo(mine), PATTERN)
    assert not marker.exists()  # neither the upload-pack override nor the ext transport ran
    failed = sorted(p.split(" failed")[0] for p in problems)
    assert failed == ["fetch from ext", "fetch from gone"], problems
    assert "refs/remotes/origin/" in git(mine, "for-each-ref", "refs/remotes/origin")


def test_the_refspec_covers_what_the_pattern_can_match():
    assert stream_refspec("origin", PATTERN) == (
        "+refs/heads/stream/*:refs/remotes/origin/stream/*"
    )
    assert (
        stream_refspec("up", "agents/{stream}") == "+refs/heads/agents/*:refs/remotes/up/agents/*"
    )
    assert stream_refspec("up", "{feature}-{stream}") == "+refs/heads/*:refs/remotes/up/*"


def test_fetch_every_is_a_duration_of_at_least_30_seconds():
    from stitch_ls.core.policy.config import TeamConfig, load_team_config

    def loaded(value: str):
        return load_team_config(f'[streams]\nfetch_every = "{value}"\n')

    assert loaded("5m").streams.fetch_every == "5m"
    assert isinstance(loaded("30s"), TeamConfig)
    for bad, said in (("5", "is not a duration"), ("10s", "at least 30s"), ("soon", "duration")):
        [problem] = loaded(bad)
        assert said in problem.message and problem.line == 1, problem


def test_a_remote_whose_name_has_a_slash_names_its_streams_right(machines):
    origin, mine, theirs = machines
    push_stream(theirs, "stream/checkout/far", "return cart.total() + 1")
    git(mine, "remote", "rename", "origin", "team/up")
    assert fetch_streams(open_repo(mine), PATTERN) == []
    assert streams_of(mine) == {"checkout/far": "team/up/stream/checkout/far"}
