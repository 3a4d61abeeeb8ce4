"""The operations layer's other verbs in-process: vouching, asking, the git view every door
shares (agent-commit drafts, streams, stitch points) and the status object built on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitrepos import STREAM_TEAM, commit_on, stream_repo
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.drafts.prompts import answer_prompt
from stitch_ls.core.errors import Refused
from stitch_ls.core.operations import (
    Asked,
    Vouched,
    add_draft,
    answer_of,
    apply_on_disk,
    ask,
    changed_paths,
    fetch_streams,
    load_streams,
    look_at_git,
    point_counts,
    scan_all,
    stamped,
    status,
    streams_summary,
    vouch,
)
from stitch_ls.core.workspace import StitchWorkspace
from workspaces import TEAM, draft, git, make_workspace, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BY = "dev@example.com"


def stream_a_draft(root: Path) -> str:
    """The id of the draft stream a's commit trailers carry."""
    return f"git-{git(root, 'rev-parse', 'stream/checkout/a')[:10]}-src_checkout.py-1"


def loaded(root: Path) -> StitchWorkspace:
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    ws.scan_drafts(T0)
    return ws


def workspace(root: Path, *bodies: dict, team: str = TEAM) -> StitchWorkspace:
    make_workspace(root, team)
    for body in bodies:
        write_draft(root, body)
    return loaded(root)


# -- vouch ---------------------------------------------------------------------------------------


def test_a_vouch_unparks_an_unsourced_draft_and_is_kept_in_the_engineers_state(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("u", sources=[]))
    assert ws.evaluate_all([ws.drafts.by_id["u"]], ws.gate_context(T0), {})[
        0
    ].decision.gate.value == ("parked")
    vouched = vouch(ws, "u", "  I wrote this rule myself  ", BY, T0, door="terminal")
    assert vouched == Vouched("u", BY, T0, "I wrote this rule myself", "actionable", None)
    kept = ws.load_state().vouches["u"]
    assert (kept.note, kept.by, kept.at) == ("I wrote this rule myself", BY, T0)
    assert json.loads((ws.paths.drafts / "u.json").read_text())["sources"] == []  # not its file
    applied = apply_on_disk(ws, "u", T0, BY)
    assert applied.draft == "u"


def test_a_vouched_draft_still_meets_the_rest_of_the_gate(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("low", sources=[], confidence=0.5))
    vouched = vouch(ws, "low", "checked by hand", BY, T0, door="terminal")
    assert (vouched.gate, vouched.reason) == ("below_floor", "0.50 < floor 0.65")


@pytest.mark.parametrize("note", [None, "", "   \n "])
def test_a_vouch_needs_a_note(tmp_path: Path, note):
    ws = workspace(tmp_path / "ws", draft("u", sources=[]))
    with pytest.raises(Refused) as caught:
        vouch(ws, "u", note, BY, T0, door="terminal")
    assert str(caught.value) == "vouching needs a note: why you trust it without sources"
    assert ws.load_state().vouches == {}


def test_a_vouch_note_is_at_most_4000_characters(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("u", sources=[]))
    assert vouch(ws, "u", "x" * 4000, BY, T0, door="terminal").note == "x" * 4000
    ws = workspace(tmp_path / "other", draft("u", sources=[]))
    with pytest.raises(Refused) as caught:
        vouch(ws, "u", "x" * 4001, BY, T0, door="terminal")
    assert str(caught.value) == "a vouch note is at most 4000 characters"


def test_what_cannot_be_vouched_for_is_refused_with_the_reason(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("sourced"), draft("gone", sources=[]))
    (ws.paths.drafts / "broken.json").write_text("{not json")
    ws.scan_drafts(T0)
    ws.reject("gone", "no", BY, T0, door="terminal")
    cases = {
        "sourced": "draft 'sourced' is not parked for want of sources; nothing to vouch for",
        "gone": "draft 'gone' was already rejected",
        "nothing": "no draft with id 'nothing'",
    }
    for draft_id, reason in cases.items():
        with pytest.raises(Refused) as caught:
            vouch(ws, draft_id, "trust me", BY, T0, door="terminal")
        assert str(caught.value) == reason
    with pytest.raises(Refused) as caught:
        vouch(ws, "broken", "trust me", BY, T0, door="terminal")
    assert str(caught.value).startswith("draft 'broken' is invalid: ")
    assert ws.load_state().vouches == {}


def test_an_id_a_teammate_applied_cannot_be_added_or_vouched_for_here(tmp_path: Path):
    """The source log is the team's (shared through git): a draft a teammate applied is spent
    here too, though this engineer's own outcomes never saw it."""
    theirs = workspace(tmp_path / "theirs")
    add_draft(theirs, Draft.from_data(draft("shared")), T0)
    apply_on_disk(theirs, "shared", T0, "mate@example.com")
    ours = workspace(tmp_path / "ours")
    log = ours.paths.source_log
    log.write_bytes(theirs.paths.source_log.read_bytes())  # as a pull brings it
    assert ours.decided("shared") == "applied"
    with pytest.raises(Refused, match="already applied"):
        add_draft(ours, Draft.from_data(draft("shared", sources=[])), T0)
    write_draft(ours.root, draft("shared", sources=[]))  # the agent writes it itself
    ours.scan_drafts(T0)
    with pytest.raises(Refused, match="already applied"):
        vouch(ours, "shared", "trust me", BY, T0, door="terminal")


def test_a_draft_whose_every_source_is_missing_can_be_vouched_for(tmp_path: Path):
    missing = [{"kind": "doc", "ref": "docs/nowhere.md", "why": "made up"}]
    ws = workspace(tmp_path / "ws", draft("m", sources=missing))
    assert vouch(ws, "m", "the rule is in my head", BY, T0, door="terminal").gate == "actionable"


# -- ask ---------------------------------------------------------------------------------------


def test_a_question_is_written_and_its_answer_read_back(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    sources = [{"kind": "doc", "ref": "docs/money.md", "why": "the rule"}]
    asked = ask(ws, "Round up?", ["yes", "no"], "claude-code", "checkout/a", sources, T0)
    assert asked.file == ws.paths.prompts / f"{asked.id}.json"
    assert (
        asked.id.startswith(f"ask-{int(T0.timestamp())}-")
        and len(asked.id) == len(f"ask-{int(T0.timestamp())}-") + 6
    )
    written = json.loads(asked.file.read_text())
    assert (written["question"], written["options"], written["agent"], written["stream"]) == (
        "Round up?",
        ["yes", "no"],
        "claude-code",
        "checkout/a",
    )
    assert written["sources"][0]["ref"] == "docs/money.md"
    assert answer_of(asked) is None
    answer_prompt(asked.file, ws.paths.lock, "yes", BY, T0 + timedelta(minutes=1), "terminal")
    answered = answer_of(asked)
    assert (answered.answer, answered.answered_by) == ("yes", BY)


def test_two_questions_in_the_same_second_get_different_ids(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    ids = {ask(ws, "Q?", ["a"], "x", "s", [], T0).id for _ in range(5)}
    assert len(ids) == 5


def test_a_question_keeps_the_id_it_was_given(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    asked = ask(ws, "Q?", ["a"], "x", "s", [], T0, prompt_id="mine")
    assert asked == Asked("mine", ws.paths.prompts / "mine.json")


@pytest.mark.parametrize(
    ("options", "sources"),
    [([], []), (["a"], [{"kind": "doc"}]), ([f"o{i}" for i in range(11)], [])],
)
def test_a_broken_question_is_refused_and_writes_nothing(tmp_path: Path, options, sources):
    ws = workspace(tmp_path / "ws")
    with pytest.raises(Refused) as caught:
        ask(ws, "Q?", options, "x", "s", sources, T0, prompt_id="broken")
    assert str(caught.value).startswith("invalid prompt: ")
    assert not (ws.paths.prompts / "broken.json").exists()


def test_a_symlinked_prompt_folder_is_refused(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    (tmp_path / "elsewhere").mkdir()
    ws.paths.prompts.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(Refused) as caught:
        ask(ws, "Q?", ["a"], "x", "s", [], T0)
    assert str(caught.value) == f"{ws.paths.prompts} is a symlink: Stitch writes nothing through it"
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_an_answer_that_cannot_be_read_is_no_answer(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    asked = ask(ws, "Q?", ["a"], "x", "s", [], T0)
    asked.file.write_text("{torn")
    assert answer_of(asked) is None
    asked.file.unlink()
    assert answer_of(asked) is None


# -- git: snapshot, streams, stitch points, status ----------------------------------------------


def test_look_at_git_offers_commit_drafts_streams_and_points(tmp_path: Path):
    ws = loaded(stream_repo(tmp_path / "ws"))
    view = look_at_git(ws, T0)
    assert view.snapshot is not None and view.problems == []
    assert sorted(ws.drafts.by_id) == [stream_a_draft(ws.root)]  # from stream a's trailers
    assert [s.name for s in ws.streams.streams] == ["checkout/a", "checkout/b"]
    assert [(p.path, p.symbol, p.streams, p.signed, p.conflict) for p in view.points] == [
        ("src/checkout.py", "Cart.total", ("checkout/a", "checkout/b"), False, True)
    ]


def test_look_at_git_outside_a_repository_is_empty(tmp_path: Path):
    root = tmp_path / "plain"
    (root / ".stitch" / "drafts").mkdir(parents=True)
    (root / ".stitch" / "config.toml").write_text(TEAM)
    ws = loaded(root)
    view = look_at_git(ws, T0)
    assert (view.snapshot, view.points, view.problems) == (None, [], [])
    assert ws.streams is None


def test_status_has_the_streams_the_cap_and_the_stitch_points(tmp_path: Path):
    ws = loaded(stream_repo(tmp_path / "ws"))
    out = status(ws, T0, look_at_git(ws, T0))
    assert out["drafts"]["pending"] == 1 and out["drafts"]["actionable"] == 1
    assert out["streams"] == {
        "features": {"checkout": ["checkout/a", "checkout/b"]},
        "over_cap": {},
        "cap": 2,
        "beyond_cap": [],
        "live": [],
    }
    assert out["stitch_points"] == {"open": 1, "signed": 0, "conflicts": 1}
    assert out["prompts"] == {"pending": 0}


def test_status_without_git_says_no_streams_and_no_points(tmp_path: Path):
    ws = workspace(tmp_path / "ws", draft("d"))
    ask(ws, "Q?", ["a"], "x", "s", [], T0)
    out = status(ws, T0, None)
    assert out["streams"] == {
        "features": {},
        "over_cap": {},
        "cap": None,
        "beyond_cap": [],
        "live": [],
    }
    assert out["stitch_points"] == {"open": 0, "signed": 0, "conflicts": 0}
    assert out["prompts"] == {"pending": 1}
    assert out["drafts"]["pending"] == 1


def test_a_third_stream_is_over_the_cap_and_named_beyond_it(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    commit_on(root, "stream/checkout/c", "docs/typing.md", "# Typing", "# Types", "c")
    ws = loaded(root)
    summary = status(ws, T0, look_at_git(ws, T0))["streams"]
    assert summary == {
        "features": {"checkout": ["checkout/a", "checkout/b", "checkout/c"]},
        "over_cap": {"checkout": ["checkout/a", "checkout/b", "checkout/c"]},
        "cap": 2,
        "beyond_cap": ["checkout/c"],
        "live": [],
    }


def test_point_counts_count_each_kind():
    class Point:
        def __init__(self, signed: bool, conflict: bool) -> None:
            self.signed, self.conflict = signed, conflict

    points = [Point(False, True), Point(False, False), Point(True, True), Point(True, False)]
    points += [Point(True, False)]
    assert point_counts(points) == {"open": 2, "signed": 3, "conflicts": 2}
    assert point_counts([]) == {"open": 0, "signed": 0, "conflicts": 0}


def test_streams_summary_with_no_streams_names_no_cap():
    assert streams_summary(None, 2) == {
        "features": {},
        "over_cap": {},
        "cap": None,
        "beyond_cap": [],
        "live": [],
    }


def test_changed_paths_are_the_streams_and_the_engineers_own(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    git(root, "checkout", "-q", "-b", "mine")
    (root / "docs" / "money.md").write_text("# Money\n\nCommitted.\n")
    git(root, "commit", "-q", "-am", "mine")
    (root / "docs" / "typing.md").write_text("# Typing\n\nUnsaved to git.\n")
    ws = loaded(root)
    view = look_at_git(ws, T0)
    assert changed_paths(ws, view.snapshot) == {
        "src/checkout.py",
        "docs/money.md",
        "docs/typing.md",
    }


def test_load_streams_leaves_out_the_checked_out_branch(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    ws = loaded(root)
    load_streams(ws, T0)
    assert [s.name for s in ws.streams.streams] == ["checkout/a", "checkout/b"]
    git(root, "checkout", "-q", "stream/checkout/a")
    load_streams(ws, T0)
    assert [s.name for s in ws.streams.streams] == ["checkout/b"]


def test_load_streams_outside_a_repository_leaves_none(tmp_path: Path):
    root = tmp_path / "plain"
    (root / ".stitch" / "drafts").mkdir(parents=True)
    (root / ".stitch" / "config.toml").write_text(STREAM_TEAM)
    ws = loaded(root)
    load_streams(ws, T0)
    assert ws.streams is None


def test_scan_all_counts_file_drafts_and_commit_drafts(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    write_draft(root, draft("file"))
    ws = StitchWorkspace(root)
    ws.load_state()
    ws.load_config()
    scan_all(ws, T0)
    assert sorted(ws.drafts.by_id) == ["file", stream_a_draft(root)]
    assert [s.name for s in ws.streams.streams] == ["checkout/a", "checkout/b"]


def test_scan_all_outside_a_repository_reads_the_files_only(tmp_path: Path):
    root = tmp_path / "plain"
    (root / ".stitch" / "drafts").mkdir(parents=True)
    (root / ".stitch" / "config.toml").write_text(TEAM)
    write_draft(root, draft("file"))
    ws = StitchWorkspace(root)
    ws.load_state()
    ws.load_config()
    scan_all(ws, T0)
    assert sorted(ws.drafts.by_id) == ["file"] and ws.streams is None


def test_fetch_streams_brings_a_remotes_stream_branches(tmp_path: Path):
    upstream = stream_repo(tmp_path / "upstream")
    root = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--single-branch", "-b", "main", str(upstream), str(root))
    ws = loaded(root)
    assert git(root, "branch", "-r", "--list", "origin/stream/*") == ""
    assert fetch_streams(ws) == []
    assert git(root, "branch", "-r", "--list", "origin/stream/*").split() == [
        "origin/stream/checkout/a",
        "origin/stream/checkout/b",
    ]


def test_fetch_streams_outside_a_repository_says_so(tmp_path: Path):
    root = tmp_path / "plain"
    (root / ".stitch" / "drafts").mkdir(parents=True)
    (root / ".stitch" / "config.toml").write_text(TEAM)
    ws = loaded(root)
    assert fetch_streams(ws) == [f"{root} is not a git repository: nothing to fetch"]


def test_stamped_sets_created_only_when_the_agent_left_it_out():
    body = draft("d")
    with_time = Draft.from_data(body)
    assert stamped(with_time, T0) is with_time
    body.pop("created")
    without = Draft.from_data(body)
    assert stamped(without, T0).created == T0
    assert stamped(without, T0).replace(created=None) == without


def test_the_engineers_unsaved_change_is_one_more_stream_at_a_stitch_point(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    checkout = root / "src" / "checkout.py"
    checkout.write_text(
        checkout.read_text().replace("return cart.total()", "return cart.total() - 1")
    )
    ws = loaded(root)
    view = look_at_git(ws, T0)
    assert [(p.symbol, p.streams, p.conflict) for p in view.points] == [
        ("Cart.total", ("checkout/a", "checkout/b"), True),
        ("pay", ("checkout/b", "you"), False),
    ]


def test_look_at_git_uses_the_team_it_is_given(tmp_path: Path):
    from stitch_ls.core.policy.config import TeamConfig, load_team_config

    ws = loaded(stream_repo(tmp_path / "ws"))
    elsewhere = load_team_config(STREAM_TEAM.replace("stream/{feature}", "agents/{feature}"))
    assert isinstance(elsewhere, TeamConfig)
    view = look_at_git(ws, T0, elsewhere)
    assert ws.streams.streams == [] and view.points == []


def test_a_vouch_in_quiet_hours_says_the_gate_quiet_hours_aside(tmp_path: Path):
    quiet = TEAM + (
        '\n[quiet_hours]\ntimezone = "UTC"\n[[quiet_hours.windows]]\n'
        'days = ["mon"]\nstart = "08:00"\nend = "10:00"\n'
    )
    ws = workspace(tmp_path / "ws", draft("u", sources=[]), team=quiet)
    assert ws.gate_context(T0).quiet is True  # T0 is a Monday at 09:00
    assert vouch(ws, "u", "mine", BY, T0, door="terminal").gate == "actionable"


def test_a_question_records_when_it_was_asked(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    asked = ask(ws, "Q?", ["a"], "x", "s", [], T0)
    assert json.loads(asked.file.read_text())["created"] == "2026-11-30T09:00:00Z"


def test_status_counts_symbol_drafts_against_the_files_on_disk(tmp_path: Path):
    symbol = draft("sym")
    symbol["edits"] = [
        {
            "path": "src/checkout.py",
            "symbol": "pay",
            "expect": "def pay(cart):\n    return cart.total()",
            "text": "def pay(cart):\n    return round(cart.total(), 2)",
        }
    ]
    ws = workspace(tmp_path / "ws", symbol)
    assert status(ws, T0, None)["drafts"]["actionable"] == 1
