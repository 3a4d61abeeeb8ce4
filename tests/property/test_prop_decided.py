"""A draft id, once applied or rejected, is spent: adding a draft with that id again is refused
and so is vouching for it, whatever the new draft says, whoever asks (the same workspace or
another process reading the same state), and even after an agent dropped the file back into
the drafts folder itself. Real workspaces (a git work tree each), real files."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stitch_props import NOW, unshrunk

from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.errors import Refused
from stitch_ls.core.operations import add_draft, apply_on_disk, vouch
from stitch_ls.core.record.sourcelog import read_entries
from stitch_ls.core.workspace import StitchWorkspace
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
