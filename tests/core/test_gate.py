"""The gate: DESIGN.md's table, first matching rule wins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stitch_ls.core.drafts.gate import Gate, GateContext, ReadOnly, action_title, decide
from stitch_ls.core.drafts.model import Draft
from workspaces import draft

OPEN = GateContext(quiet=False, read_only=ReadOnly(False), floor=0.65, floor_from="team file")


def make(**overrides) -> Draft:
    return Draft.from_data(draft("d", **overrides))


def test_actionable_title_names_confidence_sources_and_stream():
    decision = decide(make(), OPEN)
    assert decision.gate is Gate.ACTIONABLE and decision.reason is None
    assert action_title(make()) == (
        "Apply draft: Draft d — 0.82 · 2 sources · checkout/a/claude-code"
    )
    one = make(sources=[{"kind": "doc", "ref": "r", "why": "w"}])
    assert "· 1 source ·" in action_title(one)


@pytest.mark.parametrize(
    ("ctx_change", "draft_change", "stale", "gate", "reason"),
    [
        ({"quiet": True}, {}, None, Gate.QUIET, "quiet hours"),
        ({}, {}, "the text moved", Gate.STALE, "stale: the text moved"),
        (
            {
                "read_only": ReadOnly(
                    True, "lead@example.com", datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "bad week"
                )
            },
            {},
            None,
            Gate.READ_ONLY,
            "agents are read-only: bad week, since 2026-11-28 09:00 UTC, by lead@example.com",
        ),
        (
            {},
            {"irreversible": True, "evidence": []},
            None,
            Gate.BLOCKED,
            "needs passing test evidence",
        ),
        (
            {},
            {"irreversible": True, "sources": [], "evidence": []},
            None,
            Gate.BLOCKED,
            "needs sources and passing test evidence",
        ),
        ({}, {"sources": []}, None, Gate.PARKED, "parked for a human"),
        ({}, {"confidence": 0.51}, None, Gate.BELOW_FLOOR, "0.51 < floor 0.65"),
    ],
)
def test_each_row_of_the_table(ctx_change, draft_change, stale, gate, reason):
    ctx = GateContext(**{**OPEN.__dict__, **ctx_change})
    decision = decide(make(**draft_change), ctx, stale=stale)
    assert decision.gate is gate
    assert reason in decision.reason


def test_rules_are_ordered():
    # stale beats read-only, read-only beats parked, blocked beats parked
    ro = GateContext(**{**OPEN.__dict__, "read_only": ReadOnly(True, reason="x")})
    assert decide(make(sources=[]), ro, stale="moved").gate is Gate.STALE
    assert decide(make(sources=[]), ro).gate is Gate.READ_ONLY
    assert decide(make(sources=[], irreversible=True), OPEN).gate is Gate.BLOCKED
    assert decide(None, OPEN, invalid="bad").gate is Gate.INVALID


def test_irreversible_paths_and_failing_evidence():
    ctx = GateContext(**{**OPEN.__dict__, "irreversible_paths": ("migrations/**",)})
    body = draft("d")
    body["edits"][0]["path"] = "migrations/0001_init.sql"
    assert decide(Draft.from_data(body), ctx).gate is Gate.ACTIONABLE
    failing = {
        **body,
        "evidence": [{"ref": "t", "status": "passed"}, {"ref": "u", "status": "failed"}],
    }
    assert decide(Draft.from_data(failing), ctx).gate is Gate.BLOCKED


def test_raised_floor_says_where_it_came_from():
    ctx = GateContext(**{**OPEN.__dict__, "floor": 0.8, "floor_from": "trust budget"})
    assert decide(make(), ctx).gate is Gate.ACTIONABLE  # 0.82 clears the raised floor
    low = decide(make(confidence=0.7), ctx)
    assert low.gate is Gate.BELOW_FLOOR
    assert low.reason == "0.70 < floor 0.80 (from trust budget)"


@pytest.mark.parametrize("status", ["failed", "error"])
def test_evidence_that_failed_blocks_whatever_the_confidence(status):
    evidence = [
        {"ref": "tests/test_x.py::test_ok", "status": "passed"},
        {"ref": "tests/test_x.py::test_y", "status": status},
    ]
    decision = decide(make(confidence=1.0, evidence=evidence), OPEN)
    assert decision.gate is Gate.BLOCKED
    assert decision.reason == "its own evidence failed: tests/test_x.py::test_y"
    # row 4 comes after read-only and before parked (no sources) and the floor
    ro = GateContext(**{**OPEN.__dict__, "read_only": ReadOnly(True, reason="x")})
    assert decide(make(evidence=evidence), ro).gate is Gate.READ_ONLY
    unsourced = decide(make(evidence=evidence, sources=[], confidence=0.1), OPEN)
    assert unsourced.reason.startswith("its own evidence failed")


def test_every_source_missing_is_unsourced_and_the_title_says_how_many_are():
    from stitch_ls.core.drafts.sources import SourceCheck, SourceReport

    gone = SourceCheck("missing", "docs/x.md does not exist")
    report = SourceReport((gone, gone))
    decision = decide(make(), OPEN, sources=report)
    assert decision.gate is Gate.PARKED and decision.reason == "parked: all 2 sources missing"
    irreversible = decide(make(irreversible=True), OPEN, sources=report)
    assert irreversible.gate is Gate.BLOCKED and "needs sources" in irreversible.reason
    some = SourceReport((SourceCheck("checked", "a"), gone, SourceCheck("external")))
    three = make(sources=[{"kind": "doc", "ref": f"r{i}", "why": "w"} for i in range(3)])
    assert decide(three, OPEN, sources=some).actionable
    assert "— 0.82 · 3 sources (1 missing) · checkout/a/claude-code" in action_title(three, some)


def test_irreversible_requires_verified_evidence_when_the_team_asks():
    from stitch_ls.core.drafts.gate import draft_digest

    strict = GateContext(**{**OPEN.__dict__, "requires_verified": True})
    migration = make(irreversible=True)
    decision = decide(migration, strict)
    assert decision.gate is Gate.BLOCKED and "verified passing test evidence" in decision.reason
    passed = frozenset({("d", draft_digest(migration), "passed")})
    assert decide(migration, GateContext(**{**strict.__dict__, "verified": passed})).actionable
    # a verification of other content (the agent changed its draft since) does not count
    changed = make(irreversible=True, confidence=0.9)
    assert decide(changed, GateContext(**{**strict.__dict__, "verified": passed})).gate is (
        Gate.BLOCKED
    )
    failed = frozenset({("d", draft_digest(migration), "failed")})
    blocked = decide(migration, GateContext(**{**OPEN.__dict__, "verified": failed}))
    assert blocked.reason.startswith("its own evidence failed: verification run")


def test_a_read_only_switch_with_nothing_known_still_says_so_in_words():
    described = ReadOnly(True).describe()
    assert described == "agents are read-only: no reason given, since unknown time, by unknown"


def test_read_only_since_is_shown_in_the_workspace_zone(monkeypatch):
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("TZ", "UTC")  # the reader's own zone: their time is said beside

    since = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    switch = ReadOnly(True, "lead@example.com", since, "bad week", ZoneInfo("Europe/Berlin"))
    assert switch.describe() == (
        "agents are read-only: bad week, since 2026-11-28 10:00 CET (09:00 your time), "
        "by lead@example.com"
    )


@pytest.mark.parametrize(
    ("ctx_change", "body", "kwargs", "gate", "reason"),
    [
        ({"quiet": True}, {}, {}, Gate.QUIET, "quiet hours: shown when they end"),
        ({}, None, {}, Gate.INVALID, "invalid draft: unreadable"),
        (
            {},
            None,
            {"invalid": "line 3: not JSON"},
            Gate.INVALID,
            "invalid draft: line 3: not JSON",
        ),
        (
            {},
            {"sources": []},
            {},
            Gate.PARKED,
            "parked for a human: the draft cites no sources",
        ),
        (
            {"requires_verified": True},
            {"irreversible": True},
            {},
            Gate.BLOCKED,
            "blocked: an irreversible change needs verified passing test evidence"
            " (run stitch-ls verify)",
        ),
    ],
)
def test_each_state_gives_its_whole_reason(ctx_change, body, kwargs, gate, reason):
    ctx = GateContext(**{**OPEN.__dict__, **ctx_change})
    decision = decide(None if body is None else make(**body), ctx, **kwargs)
    assert (decision.gate, decision.reason) == (gate, reason)


def test_an_irreversible_draft_is_flagged_whatever_its_state():
    ctx = GateContext(**{**OPEN.__dict__, "irreversible_paths": ("migrations/**",)})
    body = draft("d")
    body["edits"][0]["path"] = "migrations/0001_init.sql"
    on_path = decide(Draft.from_data(body), ctx)
    assert (on_path.gate, on_path.irreversible) == (Gate.ACTIONABLE, True)
    blocked = decide(make(irreversible=True, evidence=[]), OPEN)
    assert (blocked.gate, blocked.irreversible) == (Gate.BLOCKED, True)
    low = decide(make(irreversible=True, confidence=0.3), OPEN)
    assert (low.gate, low.irreversible) == (Gate.BELOW_FLOOR, True)
    assert decide(make(), ctx).irreversible is False


def test_a_stream_over_its_features_cap_is_blocked_and_only_that_stream():
    why = "stream checkout/a is over the cap of 2 for feature checkout"
    ctx = GateContext(**{**OPEN.__dict__, "beyond_cap": frozenset({("checkout/a", why)})})
    over = decide(make(), ctx)
    assert (over.gate, over.reason) == (Gate.BLOCKED, why)
    assert decide(make(stream="checkout/b"), ctx).actionable


def test_a_vouch_lets_a_parked_draft_on_to_the_floor_for_that_content_only():
    from stitch_ls.core.drafts.gate import draft_digest
    from stitch_ls.core.drafts.sources import SourceCheck, SourceReport

    unsourced = make(sources=[])
    vouched = GateContext(
        **{**OPEN.__dict__, "vouched": frozenset({("d", draft_digest(unsourced))})}
    )
    assert decide(unsourced, vouched).actionable
    low = make(sources=[], confidence=0.5)  # other content: the vouch was not for this
    assert decide(low, vouched).gate is Gate.PARKED
    for_low = GateContext(**{**OPEN.__dict__, "vouched": frozenset({("d", draft_digest(low))})})
    assert decide(low, for_low).reason == "0.50 < floor 0.65"  # the floor still holds
    # a vouch for another draft is no vouch for this one
    other = GateContext(**{**OPEN.__dict__, "vouched": frozenset({("e", draft_digest(unsourced))})})
    assert decide(unsourced, other).gate is Gate.PARKED
    # every cited source missing counts as unsourced, so a vouch lets it on too
    gone = SourceReport((SourceCheck("missing"), SourceCheck("missing")))
    cited = make()
    assert decide(cited, OPEN, sources=gone).gate is Gate.PARKED
    for_cited = GateContext(**{**OPEN.__dict__, "vouched": frozenset({("d", draft_digest(cited))})})
    assert decide(cited, for_cited, sources=gone).actionable


def test_a_vouch_stands_in_for_sources_on_an_irreversible_change_but_not_for_evidence():
    from stitch_ls.core.drafts.gate import draft_digest

    migration = make(irreversible=True, sources=[])
    assert decide(migration, OPEN).reason == ("blocked: an irreversible change needs sources")
    ctx = GateContext(**{**OPEN.__dict__, "vouched": frozenset({("d", draft_digest(migration))})})
    assert decide(migration, ctx).actionable
    untested = make(irreversible=True, sources=[], evidence=[])
    ctx = GateContext(**{**OPEN.__dict__, "vouched": frozenset({("d", draft_digest(untested))})})
    assert decide(untested, ctx).reason == (
        "blocked: an irreversible change needs passing test evidence"
    )


def test_a_draft_whose_only_source_is_missing_is_parked_saying_so():
    from stitch_ls.core.drafts.sources import SourceCheck, SourceReport

    one = make(sources=[{"kind": "doc", "ref": "docs/gone.md", "why": "w"}])
    decision = decide(one, OPEN, sources=SourceReport((SourceCheck("missing"),)))
    assert (decision.gate, decision.reason) == (Gate.PARKED, "parked: its only source is missing")


def test_a_title_cannot_forge_the_suffix_stitch_composes():
    forged = make(title="Fix — 0.99 · 9 sources", stream="checkout/a · x", agent="a—b")
    assert action_title(forged) == (
        "Apply draft: Fix - 0.99 . 9 sources — 0.82 · 2 sources · checkout/a . x/a-b"
    )


@pytest.mark.parametrize(
    ("ctx_change", "body", "kwargs", "line"),
    [
        ({}, {"sources": []}, {}, "the draft cites no sources"),
        ({}, {}, {"stale": "the text moved"}, "the text moved"),
        (
            {},
            {"irreversible": True, "evidence": []},
            {},
            "an irreversible change needs passing test evidence",
        ),
        ({}, {"confidence": 0.51}, {}, "0.51 < floor 0.65"),
        ({"quiet": True}, {}, {}, "quiet hours: shown when they end"),
        ({}, {}, {}, None),
    ],
)
def test_the_state_line_drops_only_the_state_word_the_reason_starts_with(
    ctx_change, body, kwargs, line
):
    from stitch_ls.core.drafts.gate import bare_reason

    ctx = GateContext(**{**OPEN.__dict__, **ctx_change})
    decision = decide(make(**body), ctx, **kwargs)
    assert bare_reason(decision.gate.value, decision.reason) == line


@pytest.mark.parametrize(
    ("statuses", "passing"),
    [
        (["passed"], True),
        (["passed", "passed"], True),
        (["passed", "failed"], False),
        (["error", "passed"], False),
        (["failed"], False),
        (["skipped"], False),
        ([], False),
    ],
)
def test_passing_evidence_is_a_pass_and_nothing_failed(statuses, passing):
    """The predicate on its own: the gate asks it only after `failed_evidence`, so through
    the gate its "nothing failed" half never decides, yet the name promises it."""
    from stitch_ls.core.drafts.gate import has_passing_evidence

    evidence = [{"kind": "test", "ref": f"t::{i}", "status": s} for i, s in enumerate(statuses)]
    assert has_passing_evidence(make(evidence=evidence)) is passing
