"""git-ai's authorship log (standard v3.0.0): what Stitch writes is a note by the standard's
rules, and a note git-ai wrote (sessions, known humans, legacy prompts) reads back as git-ai
reads it."""

from __future__ import annotations

import json
import re

import pytest

from stitch_ls.core.record.authorship import (
    AuthorshipLog,
    Session,
    format_ranges,
    merged,
    parse,
    parse_ranges,
    render,
    session_id,
    trace_id,
)

# A note as git-ai 1.4+ writes it, in the standard's shape (its "mixed format" example, with our
# own values): a session key, a known human, a legacy prompt, a quoted path.
GIT_AI_NOTE = """\
src/main.rs
  s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10,15-20
  h_31dce776f88375 15-16
"src/my file.rs"
  abcd1234abcd1234 3,5-6
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.4.5",
  "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
  "prompts": {
    "abcd1234abcd1234": {
      "agent_id": {"tool": "cursor", "id": "old_session", "model": "gpt-4"},
      "human_author": "Developer <dev@example.com>",
      "total_additions": 3, "total_deletions": 0, "accepted_lines": 3, "overriden_lines": 0
    }
  },
  "humans": {"h_31dce776f88375": {"author": "Developer <dev@example.com>"}},
  "sessions": {
    "s_c9883b05a2487d": {
      "agent_id": {"tool": "claude", "id": "conv_abc123", "model": "claude-sonnet-4-5"},
      "human_author": "dev@example.com"
    }
  }
}"""


def standard_reader(text: str) -> dict:
    """The standard's rules, read from its text independently of `authorship.parse`: what any
    tool that reads git-ai notes may rely on."""
    lines = text.splitlines()
    assert lines.count("---") >= 1
    divider = lines.index("---")
    files: dict[str, dict[str, list[int]]] = {}
    current = None
    for line in lines[:divider]:
        if line.startswith("  "):
            assert current is not None
            key, ranges = line[2:].split(" ")  # exactly one space, no spaces in ranges
            assert re.fullmatch(r"s_[0-9a-f]{14}::t_[0-9a-f]{14}|h_[0-9a-f]{14}|[0-9a-f]{16}", key)
            assert re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", ranges)
            numbers = []
            for part in ranges.split(","):
                a, _, b = part.partition("-")
                numbers += range(int(a), int(b or a) + 1)
            assert numbers == sorted(numbers) and numbers[0] >= 1
            files[current][key] = numbers
        else:
            assert not line.startswith(" ")
            current = line[1:-1] if line.startswith('"') else line
            assert " " not in current or line.startswith('"')
            files[current] = {}
    meta = json.loads("\n".join(lines[divider + 1 :]))
    assert meta["schema_version"] == "authorship/3.0.0"
    assert isinstance(meta["base_commit_sha"], str) and isinstance(meta["prompts"], dict)
    for record in meta.get("sessions", {}).values():
        assert set(record["agent_id"]) == {"tool", "id", "model"}
        assert all(isinstance(v, str) for v in record["agent_id"].values())
        assert all(isinstance(v, str) for v in record.get("custom_attributes", {}).values())
        assert not {"messages", "messages_url", "total_additions"} & set(record)
    for files_keys in files.values():
        for key in files_keys:
            if key.startswith("s_"):
                assert key.split("::")[0] in meta["sessions"]
    return {"files": files, "meta": meta}


def test_a_note_stitch_writes_reads_by_the_standards_rules():
    log = AuthorshipLog("a" * 40)
    session = session_id("claude", "conv-1")
    log.sessions[session] = Session(
        "claude", "conv-1", "unknown", "dev@example.com", {"stitch.stream": "checkout/a"}
    )
    key = f"{session}::{trace_id('conv-1', 'toolu_1')}"
    log.add("src/cart.py", key, {4, 2, 3, 9})
    log.add("docs/read me.md", key, {1})
    text = render(log)
    read = standard_reader(text)
    assert read["files"] == {
        "docs/read me.md": {key: [1]},
        "src/cart.py": {key: [2, 3, 4, 9]},
    }
    assert '"docs/read me.md"' in text.splitlines()  # a path with a space is quoted
    assert read["meta"]["base_commit_sha"] == "a" * 40
    assert read["meta"]["sessions"][session] == {
        "agent_id": {"tool": "claude", "id": "conv-1", "model": "unknown"},
        "human_author": "dev@example.com",
        "custom_attributes": {"stitch.stream": "checkout/a"},
    }
    assert "  " + key + " 2-4,9" in text
    # and back, unchanged
    again = parse(text)
    assert again.files == log.files and again.sessions == log.sessions
    assert render(again) == text


def test_session_ids_follow_the_standards_hash():
    import hashlib

    expected = "s_" + hashlib.sha256(b"cursor:6ef2299e").hexdigest()[:14]
    assert session_id("cursor", "6ef2299e") == expected
    assert re.fullmatch(r"t_[0-9a-f]{14}", trace_id("a", "b"))
    assert trace_id("a", "b") == trace_id("a", "b") != trace_id("a", "c")


def test_a_note_git_ai_wrote_reads_as_git_ai_reads_it():
    log = parse(GIT_AI_NOTE)
    assert set(log.files) == {"src/main.rs", "src/my file.rs"}
    ai = log.ai_lines()
    # the human's entry comes after the session's: lines 15-16 are the human's (last wins)
    assert sorted(ai["src/main.rs"]) == [*range(1, 11), *range(17, 21)]
    assert sorted(ai["src/my file.rs"]) == [3, 5, 6]
    session = log.author_of("s_c9883b05a2487d::t_9f8e7d6c5b4a32")
    assert session is not None and session.tool == "claude" and session.model == "claude-sonnet-4-5"
    legacy = log.author_of("abcd1234abcd1234")
    assert legacy is not None and legacy.tool == "cursor"
    assert log.author_of("h_31dce776f88375") is None
    assert log.humans == {"h_31dce776f88375": "Developer <dev@example.com>"}
    assert log.extra == {"git_ai_version": "1.4.5"}  # kept when written again
    assert '"git_ai_version": "1.4.5"' in render(log)


def test_ranges_are_compact_and_strict():
    assert format_ranges({5, 1, 2, 3, 9, 10}) == "1-3,5,9-10"
    assert parse_ranges("1-3,5,9-10") == [1, 2, 3, 5, 9, 10]
    for bad in ("0", "3-1", "a", "1-", "-2", "1 -2", "1-99999999999"):
        with pytest.raises(ValueError):
            parse_ranges(bad)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("src/a.py\n  s_1::t_2 1\n", "no '---'"),
        ("  s_c9883b05a2487d::t_9f8e7d6c5b4a32 1\n---\n{}", "before any file"),
        ("a.py\n  nothex 1\n---\n{}", "unknown attestation key"),
        ("a.py\n  abcd1234abcd1234 x\n---\n{}", "bad line range"),
        ("a.py\n---\nnot json", "not JSON"),
        ("---\n[]", "not a JSON object"),
        ('---\n{"schema_version": "whogitit/3"}', "not an authorship log"),
        ('---\n{"schema_version": "authorship/3.0.0", "sessions": {"s_x": {}}}', "no agent_id"),
        (
            "a.py\n  abcd1234abcd1234 1-9000000\nb.py\n  abcd1234abcd1234 1-9000000\n---\n{}",
            "more attested lines",
        ),
    ],
)
def test_a_broken_note_is_one_clear_error(text: str, why: str):
    with pytest.raises(ValueError, match=why):
        parse(text)


def test_merging_keeps_the_first_notes_lines():
    key_a = f"{session_id('claude', 'a')}::{trace_id('a')}"
    key_b = f"{session_id('cursor', 'b')}::{trace_id('b')}"
    first, second = AuthorshipLog("c"), AuthorshipLog("c")
    first.sessions[key_a.split("::")[0]] = Session("claude", "a")
    second.sessions[key_b.split("::")[0]] = Session("cursor", "b")
    first.add("f.py", key_a, {1, 2})
    second.add("f.py", key_b, {2, 3})
    both = merged(first, second)
    assert both.files == {"f.py": {key_a: {1, 2}, key_b: {3}}}
    assert set(both.sessions) == {key_a.split("::")[0], key_b.split("::")[0]}


def test_a_path_the_format_cannot_hold_is_left_out():
    log = AuthorshipLog("c")
    key = f"{session_id('claude', 'a')}::{trace_id('a')}"
    log.sessions[key.split("::")[0]] = Session("claude", "a")
    log.add('we"ird.py', key, {1})
    log.add("ok.py", key, {1})
    log.add("---", key, {2})
    text = render(log)
    read = standard_reader(text)
    assert set(read["files"]) == {"ok.py", "---"}  # a file named --- is quoted, never a divider
    assert text.splitlines().count("---") == 1
