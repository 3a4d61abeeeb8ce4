"""Streams, trailer drafts, stitch points and sign-offs on real git repositories."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitrepos import STREAM_TEAM, commit_on, git, stream_repo
from stitch_ls.core.policy.config import load_team_config
from stitch_ls.core.vcs import streams as st
from stitch_ls.core.vcs.gitview import points_for, stream_changes, take_snapshot
from stitch_ls.core.vcs.stitchpoints import (
    SignOffs,
    StreamChange,
    codeowner_for,
    find_points,
    record_signoff,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TEAM = load_team_config(STREAM_TEAM)
SOURCE = "src/checkout.py"


def test_pattern_and_discovery_with_a_worktree(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    git(root, "branch", "stream/checkout/empty")  # no commits ahead: not active
    git(root, "branch", "feature/other")  # does not match the pattern
    git(root, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "stream/search/c")
    (tmp_path / "wt" / "src" / "checkout.py").write_text("x = 1\n")
    git(tmp_path / "wt", "commit", "-qam", "search work")
    found = st.discover(st.open_repo(root), "main", "stream/{feature}/{stream}", NOW)
    names = {s.name: s for s in found.streams}
    assert set(names) == {"checkout/a", "checkout/b", "search/c"}
    assert names["search/c"].worktree == str(tmp_path / "wt")
    assert names["checkout/b"].ahead == 2
    assert found.over_cap(2) == {}
    assert set(found.over_cap(1)) == {"checkout"}


def test_missing_base_is_a_problem_not_a_crash(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    found = st.discover(st.open_repo(root), "trunk", "stream/{feature}/{stream}", NOW)
    assert found.streams == [] and "trunk" in found.problems[0]


def test_trailers_become_hunk_drafts_with_sources(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    snap = take_snapshot(root, TEAM, now=NOW)
    [draft] = [d for d in snap.drafts if d.stream == "checkout/a"]
    assert draft.agent == "claude-code" and draft.confidence == 0.9
    assert draft.sources[0].kind == "doc" and draft.sources[0].ref == "docs/money.md"
    assert draft.sources[0].why == "rule of record"
    assert draft.evidence[0].status == "passed" and draft.evidence[0].run == "ci#1"
    edit = draft.edits[0]
    assert "return sum(self.items)\n" in edit.expect and "or 0" in edit.text
    # commits without trailers are people's work, not drafts
    assert not [d for d in snap.drafts if d.stream == "checkout/b"]


def test_parse_trailers_grammar():
    meta = st.parse_trailers(
        [
            ("Stitch-Source", "url https://x.example/a b | vendor docs"),
            ("Stitch-Evidence", "failed tests/t.py::x"),
            ("Stitch-Irreversible", "true"),
        ]
    )
    assert meta["sources"] == [
        {"kind": "url", "ref": "https://x.example/a b", "why": "vendor docs"}
    ]
    assert meta["evidence"] == [{"status": "failed", "ref": "tests/t.py::x"}]
    assert meta["irreversible"] is True


def test_two_streams_in_one_function_is_a_stitch_point_two_functions_are_not(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    snap = take_snapshot(root, TEAM, now=NOW)
    points = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs())
    assert [(p.symbol, p.streams) for p in points] == [("Cart.total", ("checkout/a", "checkout/b"))]
    assert points[0].owner == "lead@example.com" and not points[0].signed
    assert (
        "stitch point: streams checkout/a, checkout/b · owner lead@example.com · not signed"
        in points[0].describe()
    )


def test_the_engineers_unsaved_text_is_one_more_stream(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    snap = take_snapshot(root, TEAM, now=NOW)
    live = (
        (root / "src" / "checkout.py")
        .read_text()
        .replace("return cart.total()", "return cart.total() * 1")
    )
    points = points_for(root, TEAM, snap, "src/checkout.py", live, SignOffs())
    assert ("pay", ("checkout/b", "you")) in [(p.symbol, p.streams) for p in points]
    # each point says where its symbol starts in that text: the editor needs no parse
    moved = "# one\n# two\n" + live
    [pay] = [
        p
        for p in points_for(root, TEAM, snap, "src/checkout.py", moved, SignOffs())
        if p.symbol == "pay"
    ]
    assert pay.start == (moved.split("\n").index("def pay(cart):"), 0)


REPORT = "\n\ndef report(cart):\n    first = 1\n    second = 2\n    third = 3\n    return first + second + third\n"


def test_real_conflicts_rank_first(tmp_path: Path):
    from workspaces import make_workspace

    root = make_workspace(tmp_path / "ws", STREAM_TEAM)
    (root / "src" / "checkout.py").write_text((root / "src" / "checkout.py").read_text() + REPORT)
    git(root, "commit", "-qam", "report")
    commit_on(root, "stream/checkout/a", "src/checkout.py", "first = 1", "first = 10", "a: report")
    commit_on(
        root,
        "stream/checkout/a",
        "src/checkout.py",
        "return cart.total()",
        "return cart.total() - 1",
        "a: pay",
    )
    commit_on(
        root,
        "stream/checkout/b",
        "src/checkout.py",
        "return cart.total()",
        "return cart.total() + 1",
        "b: pay",
    )
    commit_on(root, "stream/checkout/c", "src/checkout.py", "third = 3", "third = 30", "c: report")
    snap = take_snapshot(root, TEAM, now=NOW)
    points = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs())
    summary = [(p.symbol, p.streams, p.conflict) for p in points]
    assert summary == [
        ("pay", ("checkout/a", "checkout/b"), True),
        ("report", ("checkout/a", "checkout/c"), False),
    ]
    assert points[0].describe().endswith("· will conflict")
    assert "will conflict" not in points[1].describe()


def test_sign_off_by_owner_only_and_invalidated_by_change(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    log = root / ".stitch" / "signoffs.jsonl"
    snap = take_snapshot(root, TEAM, now=NOW)
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs())
    with pytest.raises(PermissionError, match="only lead@example.com may sign"):
        record_signoff(log, point, "dev@example.com", NOW, "terminal")
    record_signoff(log, point, "lead@example.com", NOW, "terminal")
    git(root, "add", ".stitch/signoffs.jsonl")  # shared through git, as the team shares it
    git(root, "commit", "-q", "-m", "sign off")
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs.read(log))
    assert point.signed_by == "lead@example.com"

    # elsewhere in the file (pay, which only stream b changes): the sign-off holds
    commit_on(root, "stream/checkout/b", "src/checkout.py", "total() + 0", "total() + 1", "pay")
    snap = take_snapshot(root, TEAM, now=NOW)
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs.read(log))
    assert point.signed_by == "lead@example.com"

    # the signed code itself: the sign-off no longer counts (the log still holds it)
    commit_on(
        root,
        "stream/checkout/b",
        "src/checkout.py",
        "# sum of item prices",
        "# sum of prices",
        "reword",
    )
    snap = take_snapshot(root, TEAM, now=NOW)
    assert len(SignOffs.read(log).entries) == 1
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs.read(log))
    assert not point.signed


def test_a_sign_off_line_by_someone_not_the_owner_never_counts(tmp_path: Path):
    """The log is shared through git: anyone can commit a line to it. A line for the point's
    current versions by someone the team file does not name as its owner is no sign-off (it
    is shown as forged), whoever comes first in the log."""
    root = stream_repo(tmp_path / "ws")
    log = root / ".stitch" / "signoffs.jsonl"
    snap = take_snapshot(root, TEAM, now=NOW)
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs())
    line = {
        "version": 1,
        "stitch_id": point.id,
        "path": point.path,
        "symbol": point.symbol,
        "streams": list(point.streams),
        "signer": "dev@example.com",
        "at": "2026-11-30T12:00:00Z",
        "versions": point.versions,
    }
    log.write_text(json.dumps(line) + "\n")
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs.read(log))
    assert point.signed_by is None and point.forged_by == ("dev@example.com",)
    record_signoff(log, point, "lead@example.com", NOW, "terminal")
    with log.open("a") as more:  # a non-owner's line after the owner's
        more.write(json.dumps(line) + "\n")
    [point] = points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs.read(log))
    assert point.signed_by == "lead@example.com"


def test_files_without_a_grammar_use_line_ranges():
    base = "a\nb\nc\nd\ne\n"
    one = StreamChange("s1", base.replace("b", "B"), ((1, 1),), ((1, 1),))
    two = StreamChange("s2", base.replace("b\nc", "b2\nC"), ((1, 2),), ((1, 2),))
    far = StreamChange("s3", base.replace("e", "E"), ((4, 4),), ((4, 4),))
    points = find_points("notes.txt", [one, two, far])
    assert [(p.symbol, p.streams) for p in points] == [("lines 2-3", ("s1", "s2"))]


def test_codeowners_last_matching_rule_wins():
    rules = [("*", ["@all"]), ("/src/", ["@src-team"]), ("*.py", ["@py"]), ("docs/", ["@docs"])]
    assert codeowner_for(rules, "src/checkout.py") == "@py"
    assert codeowner_for(rules, "src/data.json") == "@src-team"
    assert codeowner_for(rules, "x/docs/readme.md") == "@docs"
    assert codeowner_for(rules, "README.md") == "@all"


def test_a_merged_stream_is_no_longer_active_and_its_points_go(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    git(root, "merge", "-q", "--no-ff", "-m", "merge a", "stream/checkout/a")
    snap = take_snapshot(root, TEAM, now=NOW)
    assert [s.name for s in snap.streams.streams] == ["checkout/b"]
    assert not [
        d for d in snap.drafts if d.stream == "checkout/a"
    ]  # already in the engineer's branch
    assert points_for(root, TEAM, snap, "src/checkout.py", None, SignOffs()) == []


def test_the_repositorys_config_cannot_make_our_git_calls_run_programs(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(root, "config", "core.fsmonitor", str(hook))
    git(root, "config", "diff.external", str(hook))
    (root / "src" / "checkout.py").write_text(
        (root / "src" / "checkout.py").read_text() + "\n# local\n"
    )
    import subprocess
    import sys

    check = subprocess.run(
        [sys.executable, "-m", "stitch_ls", "check", "--workspace", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "unsigned stitch point" in check.stdout  # check diffed the working tree too
    assert not marker.exists()


def test_a_new_snapshot_redoes_only_the_streams_that_moved(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    first = take_snapshot(root, TEAM, now=NOW)
    assert first is not None
    [a_change] = [c for c in stream_changes(root, first, SOURCE) if c.stream == "checkout/a"]
    assert a_change.text is not None  # read once, on first use
    commit_on(  # an agent commits on stream b only
        root,
        "stream/checkout/b",
        "src/checkout.py",
        "return cart.total() + 0",
        "return cart.total() + 1",
        "Pay one more\n\nStitch-Source: doc docs/pay.md | rule\nStitch-Confidence: 0.7",
    )
    again = take_snapshot(root, TEAM, first, now=NOW)
    fresh = take_snapshot(root, TEAM, now=NOW)
    assert again is not None and fresh is not None
    # the same answer as a snapshot from scratch ...
    assert sorted(d.id for d in again.drafts) == sorted(d.id for d in fresh.drafts)
    assert again.conflicts == fresh.conflicts
    for path, per_stream in fresh.changes.items():
        assert {name: (c.new_ranges, c.base_ranges) for name, c in again.changes[path].items()} == {
            name: (c.new_ranges, c.base_ranges) for name, c in per_stream.items()
        }
    # ... with stream a's work and its file text taken over, and b's redone
    assert again.work["checkout/a"].files[SOURCE] is first.work["checkout/a"].files[SOURCE]
    assert ("checkout/a", SOURCE) in again.loaded
    assert ("checkout/b", SOURCE) not in again.loaded
    assert any(d.stream == "checkout/b" for d in again.drafts)
    assert not any(d.stream == "checkout/b" for d in first.drafts)


def test_hunk_ranges_on_both_sides_of_a_diff():
    diff = (
        "@@ -3 +3 @@\n-a\n+b\n"  # line 3 changed
        "@@ -10,0 +11,2 @@\n+x\n+y\n"  # two lines inserted after old line 10
        "@@ -20,2 +21,0 @@\n-p\n-q\n"  # old lines 20-21 deleted after new line 21
    )
    new, old = st.hunk_ranges(diff)
    assert new == [(2, 2), (10, 11), (20, 20)]
    assert old == [(2, 2), (10, 10), (19, 20)]


def test_minimal_hunks_are_the_runs_of_changes_between_context_lines():
    from stitch_ls.core.vcs.streams import Hunk, minimal_hunks

    context = Hunk(
        4,
        9,
        4,
        10,
        (" keep", "-old", "+new", "+more", " keep", " keep", "+added", " keep", "-gone"),
    )
    assert minimal_hunks([context]) == [
        Hunk(5, 6, 5, 7, ("-old", "+new", "+more")),
        Hunk(8, 8, 9, 10, ("+added",)),
        Hunk(9, 10, 11, 11, ("-gone",)),
    ]
    # a -U0 hunk is its own run; "no newline" markers stay with the line before them
    at_u0 = Hunk(2, 3, 2, 3, ("-a", "\\ No newline at end of file", "+b"))
    assert minimal_hunks([at_u0]) == [at_u0]
    tail = Hunk(0, 2, 0, 2, (" x", "\\ No newline at end of file", "-y", "+z"))
    assert minimal_hunks([tail]) == [Hunk(1, 2, 1, 2, ("-y", "+z"))]


def test_an_engineer_commit_keeps_the_streams_drafts_until_it_takes_their_commits(tmp_path):
    """Agent-commit drafts are the stream's commits not in the engineer's branch: a commit of
    the engineer's own leaves them as they were (not read again: it was most of a refresh),
    a merge of the stream takes them, and a snapshot from scratch agrees each time."""
    root = stream_repo(tmp_path / "ws")
    first = take_snapshot(root, TEAM, now=NOW)
    assert first is not None and [d.stream for d in first.drafts] == ["checkout/a"]
    (root / "docs" / "mine.md").write_text("# Mine\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the engineer's own commit")
    again = take_snapshot(root, TEAM, first, now=NOW)
    assert again is not None
    assert again.work["checkout/a"].drafts is first.work["checkout/a"].drafts  # kept
    assert [d.id for d in again.drafts] == [d.id for d in take_snapshot(root, TEAM, now=NOW).drafts]

    git(root, "merge", "-q", "--no-edit", "stream/checkout/a")  # the engineer takes a
    merged = take_snapshot(root, TEAM, again, now=NOW)
    assert merged is not None and merged.drafts == []
    assert take_snapshot(root, TEAM, now=NOW).drafts == []

    git(root, "reset", "-q", "--hard", "HEAD~1")  # and undoes it: the draft is back
    undone = take_snapshot(root, TEAM, merged, now=NOW)
    assert [d.id for d in undone.drafts] == [d.id for d in first.drafts]
