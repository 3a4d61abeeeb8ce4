"""The survival pass on real repositories with fixed dates: how a line's end is told (reverted
to what it replaced, rewritten by a person or by an agent), where it is born (the commit that
brought it onto the branch), and what the pass follows (renames, merges, every door's lines)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stitch_ls.core.record import ledger, survival
from stitch_ls.core.record.authorship import AuthorshipLog, Session, render, session_id, trace_id
from stitch_ls.core.vcs.gitrun import open_repo

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def git(root: Path, *args: str, when: datetime | None = None) -> str:
    env = dict(os.environ)
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env.update(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
    return subprocess.run(
        ["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True
    ).stdout


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    return root


def commit(root: Path, day: float, files: dict[str, str | None], message: str = "c") -> str:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message, when=T0 + timedelta(days=day))
    return git(root, "rev-parse", "HEAD").strip()


def note(
    root: Path,
    rev: str,
    lines: dict[str, list[int]],
    agent: str = "claude-code",
    stream: str | None = None,
) -> None:
    log = AuthorshipLog(git(root, "rev-parse", rev).strip())
    tool = {"claude-code": "claude"}.get(agent, agent)
    sid = session_id(tool, agent)
    attributes = {"stitch.agent": agent, "stitch.door": "hook"}
    if stream:
        attributes["stitch.stream"] = stream
    log.sessions[sid] = Session(tool, agent, "unknown", None, attributes)
    for path, numbers in lines.items():
        log.add(path, f"{sid}::{trace_id(rev)}", numbers)
    (root.parent / "note.txt").write_text(render(log))
    git(root, "notes", "--ref=ai", "add", "-f", "-F", str(root.parent / "note.txt"), rev)


def assess(root: Path, days: float, drafts: list | None = None, merged=None) -> survival.Survival:
    handle = open_repo(root)
    return survival.assess(
        handle,
        ledger.read_notes(handle),
        drafts or [],
        T0 + timedelta(days=days),
        T0 - timedelta(days=1),
        merged,
    )


def fates(result: survival.Survival) -> list[tuple[str, str, dict[int, str]]]:
    return sorted(
        (result.authors[x.author].agent, x.path, dict(sorted(x.fates.items())))
        for x in result.lines
    )


BASE = "a = 1\nb = 2\nc = 3\n"


def test_a_revert_to_the_text_the_agent_replaced_is_reverted_not_rewritten(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"f.py": BASE})
    commit(root, 0.1, {"f.py": "a = 1\nb = 20\nc = 3\n"})  # the agent's: line 2
    note(root, "HEAD", {"f.py": [2]})
    commit(root, 0.2, {"g.py": "x = 1\n"})
    commit(root, 0.3, {"g.py": "x = 10\n"})  # the agent's: a line a person then rewrites
    note(root, "HEAD", {"g.py": [1]})
    commit(root, 2, {"f.py": BASE, "g.py": "x = 11\n"})  # back to b = 2; x rewritten
    assert fates(assess(root, 40)) == [
        ("claude-code", "f.py", {1: "stands", 7: "reverted", 30: "reverted"}),
        ("claude-code", "g.py", {1: "stands", 7: "rewritten", 30: "rewritten"}),
    ]


def test_a_line_replaced_by_another_agents_line_is_rewritten_by_an_agent(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"f.py": BASE})
    commit(root, 0.1, {"f.py": "a = 1\nb = 20\nc = 3\n"})
    note(root, "HEAD", {"f.py": [2]}, agent="cursor")
    commit(root, 3, {"f.py": "a = 1\nb = 21\nc = 3\n"})
    note(root, "HEAD", {"f.py": [2]}, agent="claude-code")
    result = fates(assess(root, 40))
    assert (
        "cursor",
        "f.py",
        {1: "stands", 7: "rewritten_by_agent", 30: "rewritten_by_agent"},
    ) in result
    assert ("claude-code", "f.py", {1: "stands", 7: "stands", 30: "stands"}) in result


def test_a_renamed_file_keeps_its_lines(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"old/name.py": BASE * 5})
    commit(root, 0.1, {"old/name.py": BASE * 5 + "agent = True\n"})
    note(root, "HEAD", {"old/name.py": [16]})
    (root / "new").mkdir()
    git(root, "mv", "old/name.py", "new/place.py")
    commit(root, 2, {})
    commit(root, 3, {"new/place.py": "# moved\n" + (root / "new/place.py").read_text()})
    assert fates(assess(root, 40)) == [
        ("claude-code", "old/name.py", {1: "stands", 7: "stands", 30: "stands"})
    ]


def test_lines_are_born_when_their_merge_lands_and_rewrites_on_the_stream_count(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"f.py": BASE})
    git(root, "checkout", "-q", "-b", "stream/checkout/a")
    commit(root, 1, {"s.py": "one = 1\ntwo = 2\n"})
    note(root, "HEAD", {"s.py": [1, 2]}, agent="cursor")  # no stream named: git-ai's own, say
    commit(root, 2, {"s.py": "one = 1\ntwo = 22\n"})  # a person fixes a line on the stream
    git(root, "checkout", "-q", "main")
    commit(root, 2.5, {"f.py": BASE + "d = 4\n"})
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge branch 'stream/checkout/a'",
        "stream/checkout/a",
        when=T0 + timedelta(days=10),
    )
    merged = lambda subject: "checkout/a" if "stream/checkout/a" in subject else None  # noqa: E731
    result = assess(root, 10.5, merged=merged)
    lines = sorted(result.lines, key=lambda x: x.fates.get(1, ""))
    assert [x.stream for x in lines] == ["checkout/a", "checkout/a"]
    assert all(x.born == int((T0 + timedelta(days=10)).timestamp()) for x in lines)  # the merge
    assert [x.fates for x in lines] == [
        {1: "too_early", 7: "too_early", 30: "too_early"},
        {1: "too_early", 7: "too_early", 30: "too_early"},
    ]
    result = assess(root, 50, merged=merged)
    assert sorted(tuple(x.fates.values()) for x in result.lines) == [
        ("rewritten", "rewritten", "rewritten"),  # already gone when it landed
        ("stands", "stands", "stands"),
    ]
    assert result.landings == {git(root, "rev-parse", "HEAD").strip(): {"checkout/a"}}
    # as of before the merge: the lines are on no branch yet
    early = assess(root, 5, merged=merged)
    assert [x.born for x in early.lines] == [None, None]
    assert early.as_dict(survival.feature_namer({}, early.authors))["not_landed"] == 2


def test_a_merge_resolved_by_a_person_over_agent_lines(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"f.py": BASE})
    git(root, "checkout", "-q", "-b", "side")
    commit(root, 1, {"f.py": "a = 1\nb = 2\nc = 30\n"})
    git(root, "checkout", "-q", "main")
    commit(root, 1, {"f.py": "a = 1\nb = 2\nc = 31\n"})
    note(root, "HEAD", {"f.py": [3]})
    result = subprocess.run(["git", "merge", "-q", "side"], cwd=root, capture_output=True)
    assert result.returncode != 0  # a conflict
    (root / "f.py").write_text("a = 1\nb = 2\nc = 32\n")
    git(root, "add", "f.py")
    git(root, "commit", "-q", "--no-edit", when=T0 + timedelta(days=3))
    assert fates(assess(root, 40)) == [
        ("claude-code", "f.py", {1: "stands", 7: "rewritten", 30: "rewritten"})
    ]


def test_agent_commits_and_applied_drafts_without_notes_count(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"f.py": BASE})
    commit(
        root,
        1,
        {"t.py": "x = 1\ny = 2\n"},
        "Add t\n\nStitch-Agent: cursor\nStitch-Source: doc d.md | why",
    )
    commit(root, 2, {"f.py": BASE + "applied = 1\n"})
    draft = {
        "draft": "d1",
        "agent": "claude-code",
        "stream": "checkout/b",
        "sources": [{"kind": "doc", "ref": "r", "why": "w"}],
        "_at": T0 + timedelta(days=1.5),
        "_ranges": {"f.py": [(4, 4)]},
    }
    result = assess(root, 40, drafts=[draft])
    assert fates(result) == [
        ("claude-code", "f.py", {1: "stands", 7: "stands", 30: "stands"}),
        ("cursor", "t.py", {1: "stands", 7: "stands", 30: "stands"}),
        ("cursor", "t.py", {1: "stands", 7: "stands", 30: "stands"}),
    ]
    doors = {(result.authors[x.author].door, result.authors[x.author].stream) for x in result.lines}
    assert doors == {("draft", "checkout/b"), ("commit", None)}
    assert json.loads(result.authors[result.lines[0].author].sources) in (
        [{"kind": "doc", "ref": "r", "why": "w"}],
        [{"kind": "doc", "ref": "d.md", "why": "why"}],
    )


def test_commits_after_the_as_of_moment_are_not_read(tmp_path: Path):
    root = repo(tmp_path)
    commit(root, 0, {"f.py": BASE})
    commit(root, 0.1, {"f.py": "a = 1\nb = 20\nc = 3\n"})
    note(root, "HEAD", {"f.py": [2]})
    commit(root, 8, {"f.py": BASE})  # reverted on day 8
    assert fates(assess(root, 5)) == [
        ("claude-code", "f.py", {1: "stands", 7: "too_early", 30: "too_early"})
    ]
    assert fates(assess(root, 9)) == [
        ("claude-code", "f.py", {1: "stands", 7: "stands", 30: "too_early"})
    ]
    assert fates(assess(root, 31)) == [
        ("claude-code", "f.py", {1: "stands", 7: "stands", 30: "reverted"})
    ]
