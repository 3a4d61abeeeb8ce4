"""The pure core of attribution: which lines an agent's new text covers in the file, which of a
commit's added lines an agent wrote (by content), and a note carried to a rewritten commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stitch_ls.core.record.attribution import PendingEdit, bind, carry, line_hash
from stitch_ls.core.record.authorship import AuthorshipLog, Session
from stitch_ls.posttool import _written, covered_lines

FILE = "def f():\n    x = 1  # keep\n    return x\n\n\ndef g():\n    return 2\n"


def test_an_edit_covers_every_line_its_text_touches():
    assert covered_lines(FILE, ("x = 1",)) == [2]  # mid-line: the whole line changed
    assert covered_lines(FILE, ("    return x\n\n\ndef g():\n",)) == [3, 4, 5, 6]
    assert covered_lines(FILE, ("return",)) == [3, 7]  # every occurrence (replace_all)
    assert covered_lines(FILE, (FILE,)) == [1, 2, 3, 4, 5, 6, 7]  # a whole file written
    assert covered_lines(FILE, ("",)) == []
    # the tool normalised the text (CRLF): its whole lines that stand in the file, once each
    assert covered_lines(FILE, ("def g():\r\n    return 2\r\n",)) == [6, 7]
    assert covered_lines(FILE, ("nothing like it",)) == []


def test_the_new_text_is_found_under_each_tools_keys():
    assert _written({"file_path": "/a.py", "old_string": "x", "new_string": "y"}) == (
        ("/a.py", ("y",)),
    )
    multi = {
        "file_path": "/a.py",
        "edits": [{"old_string": "a", "new_string": "b"}, {"new_string": "c"}],
    }
    assert _written(multi) == (("/a.py", ("b", "c")),)
    assert _written({"filePath": "/a.py", "content": "z\n"}) == (("/a.py", ("z\n",)),)
    assert _written({"files": ["/a.py"]}) == ()  # names files, carries no text: nothing known
    patch = (
        "*** Begin Patch\n*** Update File: src/a.py\n@@\n-old\n+new one\n+new two\n*** End Patch\n"
    )
    assert _written({"input": patch}) == (("src/a.py", ("new one\nnew two",)),)


def edit(agent: str, lines: list[str], minutes: int, worktree: str = "/w") -> PendingEdit:
    return PendingEdit(
        id=f"{agent}-{minutes}",
        at=datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=minutes),
        agent=agent,
        conversation="c",
        model="m",
        event="e",
        worktree=worktree,
        branch="main",
        path="f.py",
        lines=[(i + 1, line_hash(text)) for i, text in enumerate(lines)],
    )


def test_a_commits_added_lines_are_matched_by_content_latest_edit_first():
    first = edit("cursor", ["x = 1", "y = 2"], 0)
    later = edit("claude-code", ["x = 1"], 5)
    elsewhere = edit("vscode", ["z = 3"], 6, worktree="/other")
    added = {"f.py": {3: "x = 1", 4: "y = 2", 5: "x = 1", 6: "y = 20", 7: "z = 3"}}
    bound = bind(added, [first, later, elsewhere], "/w")
    assert {n: e.agent for n, e in bound.lines["f.py"].items()} == {
        3: "claude-code",  # the latest edit that wrote the text
        4: "cursor",
        5: "cursor",  # each reported line credits one committed line
    }  # 6 was rewritten by the engineer; 7 was written in another worktree
    assert bound.used == {"claude-code-5": {0}, "cursor-0": {0, 1}}


def test_a_carried_note_keeps_only_the_lines_that_stand_unchanged():
    log = AuthorshipLog("old")
    log.sessions["s_aaaaaaaaaaaaaa"] = Session("claude", "c")
    key = "s_aaaaaaaaaaaaaa::t_bbbbbbbbbbbbbb"
    log.add("f.py", key, {2, 3})
    old = ["a", "agent one", "agent two", "b"]
    new = ["header", "a", "agent one", "agent 2 (a person's)", "b"]
    moved = carry(log, {"f.py": old}, {"f.py": new}, "new")
    assert moved.files == {"f.py": {key: {3}}} and moved.base_commit == "new"
    assert carry(log, {"f.py": old}, {"f.py": None}, "new").files == {}  # the file is gone


def test_a_line_has_the_feature_its_branch_pattern_names_and_none_from_other_branches():
    from stitch_ls.core.record.binding import branch_feature, stream_namer
    from stitch_ls.core.record.ledger import author_of, draft_author

    pattern = "stream/{feature}/{stream}"
    feature_of, stream_of = branch_feature(pattern), stream_namer(pattern)
    assert feature_of("stream/checkout/a") == "checkout" and stream_of("stream/checkout/a") == (
        "checkout/a"
    )
    assert feature_of("agent/claude-x") is None and stream_of("agent/claude-x") == "agent/claude-x"
    assert branch_feature("{feature}/{stream}")("checkout/a") == "checkout"

    def hook(**attributes: str):
        session = Session("claude", "c1", attributes={"stitch.door": "hook", **attributes})
        return author_of(session, "s_00000000000000::t_00000000000000")

    assert hook(**{"stitch.stream": "checkout/a", "stitch.feature": "checkout"}).feature == (
        "checkout"
    )
    # a branch outside the pattern: the stream is the branch, and no feature ("agent" is not)
    outside = hook(**{"stitch.stream": "agent/claude-x", "stitch.branch": "agent/claude-x"})
    assert outside.stream == "agent/claude-x" and outside.feature is None
    # notes written before stitch.feature: the pattern named the stream when it differs
    older = hook(**{"stitch.stream": "checkout/a", "stitch.branch": "stream/checkout/a"})
    assert older.feature == "checkout"
    assert draft_author({"agent": "cursor", "stream": "checkout/b", "draft": "d"}).feature == (
        "checkout"
    )
