"""A draft id, once applied or rejected, is spent: adding a draft with that id again is refused
and so is vouching for it, whatever the new draft says, whoever asks (the same workspace or
another process reading the same state), and even after an agent dropped the file back into
the drafts folder itself; and every door (the CLI as a person runs it, the operations the
editor calls, the MCP server's tools) refuses it, however it was decided. Real workspaces (a
git work tree each), real files, the CLI as a process."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stitch_props import NOW, examples, unshrunk

from stitch_ls import mcp_server
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.errors import Refused
from stitch_ls.core.operations import add_draft, apply_on_disk, vouch
from stitch_ls.core.record.sourcelog import read_entries
from stitch_ls.core.workspace import StitchWorkspace
from test_cli import cli
from workspaces import draft, make_workspace, write_draft

IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("decided")


def created(draft_id: str, number: int, **fields) -> Draft:
    """A valid draft creating its own file, so any number of them apply one after another."""
    edit = {"path": f"src/gen_{number}.py", "create": True, "text": f"N = {number}\n"}
    return Draft.from_data(draft(draft_id, edits=[edit], **fields))


@st.composite
def second_drafts(draw: st.DrawFn, draft_id: str) -> Draft:
    """Another draft under a spent id: any title, confidence, sources or evidence."""
    sources = draw(
        st.sampled_from(
            [
                [],  # unsourced: the kind a human vouches for
                [{"kind": "doc", "ref": "docs/money.md", "why": "rule of record"}],
                [{"kind": "human", "ref": "me", "why": "trust me"}],
            ]
        )
    )
    return created(
        draft_id,
        draw(st.integers(100, 200)),
        title=draw(
            st.text(
                st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30
            )
        ),
        confidence=draw(st.floats(0, 1)),
        sources=sources,
        evidence=draw(st.sampled_from([[], [{"ref": "t", "status": "passed"}]])),
    )


@unshrunk(15)
@given(
    spent=st.lists(
        st.tuples(IDS, st.sampled_from(["applied", "rejected"])),
        min_size=1,
        max_size=3,
        unique_by=lambda x: x[0],
    ),
    data=st.data(),
)
def test_an_applied_or_rejected_id_is_never_added_or_vouched_for_again(
    folders: Path, spent: list[tuple[str, str]], data: st.DataObject
):
    root = make_workspace(Path(tempfile.mkdtemp(dir=folders)) / "ws")
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    for number, (draft_id, outcome) in enumerate(spent):
        add_draft(ws, created(draft_id, number), NOW)
        if outcome == "applied":
            apply_on_disk(ws, draft_id, NOW, "dev@example.com")
        else:
            ws.reject(draft_id, "not what we need", "dev@example.com", NOW, door="terminal")
    logged = read_entries(ws.paths.source_log)[0]

    later = NOW + timedelta(minutes=data.draw(st.integers(1, 60 * 24 * 30), label="minutes"))
    for draft_id, outcome in spent:
        again = data.draw(second_drafts(draft_id), label="again")
        if data.draw(st.booleans(), label="another process"):
            ws = StitchWorkspace(root)
            ws.load_state()
            ws.load_config()
        if data.draw(st.booleans(), label="agent writes the file itself"):
            write_draft(root, again.to_data())
            ws.scan_drafts(later)
        assert ws.decided(draft_id) == outcome
        for replace in (False, True):
            with pytest.raises(Refused, match=f"already {outcome}"):
                add_draft(ws, again, later, replace=replace)
        with pytest.raises(Refused, match=f"already {outcome}"):
            vouch(ws, draft_id, "I checked it myself", "dev@example.com", later, door="terminal")
        assert draft_id not in ws.state.vouches
    assert read_entries(ws.paths.source_log)[0] == logged  # nothing applied twice


# -- through every door ----------------------------------------------------------------------

DOORS = (
    "cli draft add",
    "cli draft apply",
    "cli draft reject",
    "cli draft vouch",
    "operations add",
    "operations apply",
    "operations reject",
    "operations vouch",
    "mcp propose_draft",
    "mcp get_draft_outcome",
)


def through(door: str, root: Path, again: Draft, outcome: str, later: datetime) -> str:
    """Try the spent id again through `door`; what it answered (the refusal, or the outcome
    MCP reports). Each door opens the workspace afresh, as its process would."""
    draft_id = again.id
    if door.startswith("cli "):
        words = door.split()[1:]
        extra = {
            "add": ["--replace", "-"],
            "apply": [draft_id],
            "reject": [draft_id, "--reason", "again"],
            "vouch": [draft_id, "--note", "I checked it myself"],
        }[words[1]]
        body = json.dumps(again.to_data()) if words[1] == "add" else None
        done = cli(root, *words, *extra, stdin=body)
        assert done.returncode != 0, (door, done.stdout)
        return done.stderr
    if door.startswith("mcp "):
        if door == "mcp propose_draft":
            answer = mcp_server.propose(root, again.to_data())
            assert answer["ok"] is False, answer
            return json.dumps(answer)
        return f"already {mcp_server.outcome(root, draft_id)['outcome']}"
    ws = StitchWorkspace(root)
    ws.load_state()
    ws.load_config()
    ws.scan_drafts(later)
    with pytest.raises(Refused) as refused:
        if door == "operations add":
            add_draft(ws, again, later, replace=True)
        elif door == "operations apply":
            apply_on_disk(ws, draft_id, later, "dev@example.com")
        elif door == "operations reject":
            ws.reject(draft_id, "again", "dev@example.com", later, door="terminal")
        else:
            vouch(ws, draft_id, "I checked it myself", "dev@example.com", later, door="terminal")
    return str(refused.value)


@unshrunk(8)
@given(
    spent=st.lists(
        st.tuples(IDS, st.sampled_from(["applied", "rejected"]), st.sampled_from(["cli", "ops"])),
        min_size=1,
        max_size=2,
        unique_by=lambda x: x[0],
    ),
    data=st.data(),
)
def test_a_decided_id_is_refused_by_every_door(
    folders: Path, spent: list[tuple[str, str, str]], data: st.DataObject
):
    """A draft applied or rejected (through the CLI as a person, or through the operations
    the editor calls) and written again by an agent, so that it would apply were its id free:
    the CLI, the operations and the MCP server each refuse it, and nothing is applied again."""
    root = make_workspace(Path(tempfile.mkdtemp(dir=folders)) / "ws")
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    for number, (draft_id, outcome, by) in enumerate(spent):
        add_draft(ws, created(draft_id, number), NOW)
        if by == "cli":
            verb = ["apply", draft_id] if outcome == "applied" else ["reject", draft_id]
            reason = ["--reason", "not what we need"] if outcome == "rejected" else []
            done = cli(root, "draft", *verb, *reason)
            assert done.returncode == 0, done.stderr
            ws.load_state()
        elif outcome == "applied":
            apply_on_disk(ws, draft_id, NOW, "dev@example.com")
        else:
            ws.reject(draft_id, "not what we need", "dev@example.com", NOW, door="terminal")
    logged = read_entries(ws.paths.source_log)[0]

    later = NOW + timedelta(minutes=data.draw(st.integers(1, 60 * 24), label="minutes"))
    for number, (draft_id, outcome, _by) in enumerate(spent):
        again = created(draft_id, 300 + number, sources=[])  # unsourced: one to vouch for
        write_draft(root, again.to_data())  # the agent drops it back into the drafts folder
        doors = data.draw(st.lists(st.sampled_from(DOORS), min_size=1, max_size=3), label="doors")
        for door in doors:
            said = through(door, root, again, outcome, later)
            assert f"already {outcome}" in said, (door, said)
        assert not (root / f"src/gen_{300 + number}.py").exists()
    assert read_entries(ws.paths.source_log)[0] == logged  # nothing applied twice


@settings(examples(6))
@given(door=st.sampled_from(DOORS), minutes=st.integers(1, 60 * 24))
def test_an_id_a_teammate_applied_is_refused_by_every_door(folders: Path, door: str, minutes: int):
    """The team's source log says a teammate applied the draft (their checkout's log, as a
    pull brings it); an agent here writes the same draft again: every door refuses it."""
    teammate = make_workspace(Path(tempfile.mkdtemp(dir=folders)) / "theirs")
    theirs = StitchWorkspace(teammate)
    theirs.load_state()
    assert theirs.load_config() == []
    add_draft(theirs, created("shared", 0), NOW)
    apply_on_disk(theirs, "shared", NOW, "mate@example.com")

    root = make_workspace(Path(tempfile.mkdtemp(dir=folders)) / "ours")
    log = Path(".stitch") / "source-log.jsonl"
    (root / log).write_bytes((teammate / log).read_bytes())
    again = created("shared", 1)
    write_draft(root, again.to_data())
    said = through(door, root, again, "applied", NOW + timedelta(minutes=minutes))
    assert "already applied" in said, (door, said)
    assert not (root / "src" / "gen_1.py").exists()
