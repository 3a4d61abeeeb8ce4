"""The gate (`core.gate.decide`) against DESIGN.md's table, for generated drafts and contexts:
the first matching row wins, read-only beats everything but quiet hours and a draft that
cannot be applied anyway, an irreversible change needs sources and passing evidence, an
unsourced draft needs a human's vouch, and the floor is a floor (a draft exactly at it
passes, one a hair under it does not)."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st
from stitch_props import examples

from stitch_ls.core.drafts.gate import Gate, GateContext, ReadOnly, decide, draft_digest
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.drafts.sources import SourceCheck, SourceReport
from workspaces import draft

SOURCES = {
    "doc": {"kind": "doc", "ref": "docs/money.md", "why": "rule of record"},
    "url": {"kind": "url", "ref": "https://example.com/spec", "why": "the vendor's spec"},
    "human": {"kind": "human", "ref": "me", "why": "trust me"},  # an agent's claim only
}
FLOORS = st.one_of(
    st.sampled_from([0.0, 0.5, 0.65, 0.8, 1.0]),
    st.floats(0, 1, allow_nan=False, allow_infinity=False),
)
CONFIDENCES = st.one_of(
    st.sampled_from([0.0, 0.3, 0.64, 0.65, 0.66, 0.82, 1.0]),
    st.floats(0, 1, allow_nan=False, allow_infinity=False),
)


@st.composite
def drafts(draw: st.DrawFn, confidence: st.SearchStrategy[float] = CONFIDENCES) -> Draft:
    kinds = draw(
        st.one_of(
            st.just(["doc"]),
            st.just(["doc", "url"]),
            st.lists(st.sampled_from(sorted(SOURCES)), max_size=3),
        )
    )
    statuses = draw(
        st.one_of(
            st.just(["passed"]),
            st.just([]),
            st.lists(
                st.sampled_from(["passed", "failed", "error", "skipped", "pending"]), max_size=3
            ),
        )
    )
    body = draft(
        "d",
        confidence=draw(confidence),
        sources=[SOURCES[k] for k in kinds],
        evidence=[{"ref": f"tests/test_x.py::t{i}", "status": s} for i, s in enumerate(statuses)],
        irreversible=draw(st.booleans()),
        stream=draw(st.sampled_from(["checkout/a", "checkout/b"])),
    )
    if draw(st.booleans()):
        body["edits"][0]["path"] = "migrations/0001_init.sql"
    return Draft.from_data(body)


@st.composite
def reports(draw: st.DrawFn, found: Draft) -> SourceReport | None:
    """What checking the draft's sources found (None: not checked)."""
    how = draw(st.sampled_from(["not checked", "all found", "all missing", "any"]))
    if how == "not checked":
        return None
    statuses = {
        "all found": st.just("checked"),
        "all missing": st.just("missing"),
        "any": st.sampled_from(["checked", "missing", "external", "unverifiable"]),
    }[how]
    return SourceReport(tuple(SourceCheck(draw(statuses)) for _ in found.sources))


@st.composite
def contexts(draw: st.DrawFn, found: Draft, floor: st.SearchStrategy[float] = FLOORS):
    digest = draft_digest(found)
    other = "0" * 32  # a digest of other content: the agent changed its draft since
    return GateContext(
        quiet=draw(st.integers(0, 7)) == 0,
        read_only=ReadOnly(draw(st.integers(0, 5)) == 0, "lead@example.com", None, "incident"),
        floor=draw(floor),
        floor_from="team file",
        irreversible_paths=draw(st.sampled_from([(), ("migrations/**",), ("**/*.sql",)])),
        requires_verified=draw(st.booleans()),
        verified=frozenset(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["d", "e"]),
                        st.sampled_from([digest, other]),
                        st.sampled_from(["passed", "failed"]),
                    ),
                    max_size=1,
                )
            )
        ),
        beyond_cap=frozenset(
            draw(st.lists(st.sampled_from([("checkout/a", "checkout/a is over the cap")])))
        ),
        vouched=draw(
            st.sampled_from(
                [frozenset(), frozenset({("d", digest)}), frozenset({("d", other), ("e", digest)})]
            )
        ),
    )


def table(
    found: Draft | None,
    ctx: GateContext,
    stale: str | None,
    invalid: str | None,
    report: SourceReport | None,
) -> Gate:
    """DESIGN.md's table, read row by row."""
    if ctx.quiet:  # 1
        return Gate.QUIET
    if found is None or invalid:  # 2
        return Gate.INVALID
    if stale:
        return Gate.STALE
    if ctx.read_only.on:  # 3
        return Gate.READ_ONLY
    digest = draft_digest(found)
    runs = {outcome for i, d, outcome in ctx.verified if (i, d) == (found.id, digest)}
    statuses = {e.status for e in found.evidence}
    if statuses & {"failed", "error"} or "failed" in runs:  # 4
        return Gate.BLOCKED
    if any(stream == found.stream for stream, _ in ctx.beyond_cap):  # 5
        return Gate.BLOCKED
    checks = list(report.checks) if report is not None else [None] * len(found.sources)
    cited = [c for s, c in zip(found.sources, checks, strict=True) if s.kind != "human"]
    unsourced = not cited or all(c is not None and c.status == "missing" for c in cited)
    vouched = (found.id, digest) in ctx.vouched
    # the generated patterns (migrations/**, **/*.sql) match the migration and nothing else
    on_path = bool(ctx.irreversible_paths) and "migrations/0001_init.sql" in found.paths
    if found.irreversible or on_path:  # 6
        if ctx.requires_verified:
            evidence = "passed" in runs
        else:
            evidence = "passed" in statuses and not statuses & {"failed", "error"}
        if (unsourced and not vouched) or not evidence:
            return Gate.BLOCKED
    if unsourced and not vouched:  # 7
        return Gate.PARKED
    if found.confidence < ctx.floor:  # 8
        return Gate.BELOW_FLOOR
    return Gate.ACTIONABLE  # 9


def changed(found: Draft, **fields) -> Draft:
    return Draft.from_data({**found.to_data(), **fields})


@st.composite
def cases(draw: st.DrawFn):
    """(draft or None, context, stale, invalid, sources report), each part drawn over its
    whole range, and often focused on one row's edge: an unsourced draft (with vouches
    for it or for other content), an irreversible one, one at or just under the floor."""
    focus = draw(st.sampled_from(["anything", "unsourced", "irreversible", "at the floor"]))
    found = draw(drafts())
    floor = FLOORS
    if focus == "unsourced":
        kinds = draw(st.sampled_from([[], ["human"], ["doc"], ["doc", "human"], ["doc", "url"]]))
        found = changed(found, sources=[SOURCES[k] for k in kinds])
    elif focus == "irreversible":
        found = changed(found, irreversible=True)
    elif focus == "at the floor":
        level = draw(FLOORS)
        under = draw(st.booleans()) and level > 0
        found = changed(found, confidence=math.nextafter(level, 0) if under else level)
        floor = st.just(level)
    ctx = draw(contexts(found, floor))
    if focus == "unsourced":
        report = SourceReport(tuple(SourceCheck("missing") for _ in found.sources))
    else:
        report = draw(reports(found))
    stale = "the text moved" if draw(st.integers(0, 7)) == 0 else None
    invalid = "line 3: not JSON" if draw(st.integers(0, 9)) == 0 else None
    if draw(st.integers(0, 11)) == 0:
        found = None
    return found, ctx, stale, invalid, report


@examples(400)
@given(case=cases())
def test_the_first_row_of_the_table_that_matches_decides(case):
    found, ctx, stale, invalid, report = case
    decision = decide(found, ctx, stale=stale, invalid=invalid, sources=report)
    assert decision.gate is table(found, ctx, stale, invalid, report), decision


@examples(150)
@given(case=cases())
def test_read_only_wins_over_everything_but_quiet_hours_and_an_unusable_draft(case):
    found, ctx, stale, invalid, report = case
    ctx = GateContext(**{**ctx.__dict__, "read_only": ReadOnly(True, reason="incident")})
    decision = decide(found, ctx, stale=stale, invalid=invalid, sources=report)
    if ctx.quiet or found is None or invalid or stale:
        assert decision.gate in (Gate.QUIET, Gate.INVALID, Gate.STALE)
    else:
        assert decision.gate is Gate.READ_ONLY
        assert decision.reason == "agents are read-only: incident, since unknown time, by unknown"


@examples(150)
@given(case=cases())
def test_an_irreversible_change_without_sources_or_passing_evidence_is_never_actionable(case):
    found, ctx, stale, invalid, report = case
    if found is None:
        return
    irreversible = Draft.from_data({**found.to_data(), "irreversible": True})
    for evidence in ([], [{"ref": "t", "status": "failed"}], [{"ref": "t", "status": "skipped"}]):
        untested = Draft.from_data({**irreversible.to_data(), "evidence": evidence})
        decision = decide(untested, ctx, stale=stale, invalid=invalid, sources=report)
        assert not decision.actionable, (evidence, decision)
    unsourced = Draft.from_data({**irreversible.to_data(), "sources": []})
    unvouched = GateContext(**{**ctx.__dict__, "vouched": frozenset()})
    assert not decide(unsourced, unvouched, stale=stale, invalid=invalid).actionable


@examples(150)
@given(case=cases())
def test_an_unsourced_draft_is_never_actionable_unless_a_human_vouched_for_it(case):
    found, ctx, stale, invalid, report = case
    if found is None:
        return
    human_only = [s.to_data() for s in found.sources if s.kind == "human"]
    unsourced = Draft.from_data({**found.to_data(), "sources": human_only})
    vouched = frozenset((i, d) for i, d in ctx.vouched if i != unsourced.id)
    unvouched = GateContext(**{**ctx.__dict__, "vouched": vouched})
    decision = decide(unsourced, unvouched, stale=stale, invalid=invalid)
    assert not decision.actionable, decision
    if found.sources and report is not None:  # every cited source missing: as good as none
        gone = SourceReport(tuple(SourceCheck("missing") for _ in found.sources))
        assert not decide(found, unvouched, stale=stale, invalid=invalid, sources=gone).actionable


def open_context(floor: float) -> GateContext:
    return GateContext(quiet=False, read_only=ReadOnly(False), floor=floor, floor_from="team file")


@examples(150)
@given(floor=FLOORS)
def test_a_draft_exactly_at_the_floor_passes_and_one_just_under_it_does_not(floor: float):
    at = Draft.from_data(draft("d", confidence=floor))
    assert decide(at, open_context(floor)).gate is Gate.ACTIONABLE
    if floor > 0:
        under = Draft.from_data(draft("d", confidence=math.nextafter(floor, 0)))
        assert decide(under, open_context(floor)).gate is Gate.BELOW_FLOOR


@examples(40)
@given(floor=FLOORS.filter(lambda f: f > 0), under=st.floats(0, 0.01, exclude_min=True))
def test_the_below_floor_reason_shows_a_confidence_below_the_floor(floor: float, under: float):
    confidence = max(0.0, min(math.nextafter(floor, 0), floor - under))
    decision = decide(Draft.from_data(draft("d", confidence=confidence)), open_context(floor))
    assert decision.gate is Gate.BELOW_FLOOR
    shown, shown_floor = (float(x) for x in re.findall(r"\d+\.\d+", decision.reason or ""))
    assert shown < shown_floor, decision.reason
