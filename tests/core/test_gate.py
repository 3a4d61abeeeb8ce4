"""The gate: DESIGN.md's table, first matching rule wins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stitch_ls.core.gate import Gate, GateContext, ReadOnly, action_title, decide
from stitch_ls.core.model import Draft
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
    from stitch_ls.core.sources import SourceCheck, SourceReport

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
    from stitch_ls.core.gate import draft_digest

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
