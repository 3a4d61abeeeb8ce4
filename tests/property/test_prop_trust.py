"""Each agent's trust budget (`core.policy.trust`, counted by the workspace): generated
arrivals of unsourced drafts by several agents, at generated minutes, against generated
engineer activity. One agent's unsourced drafts count against its own budget and never spend
another's; an agent is past its budget exactly when its count exceeds the budget; the team's
cap counts every agent's together; and a draft stops counting once the engineer's rolling hour
of development has moved past its arrival.

The arithmetic is checked against a model that does not use the module's own helpers (the
window is the earliest of the last 60 distinct minutes the engineer edited in), then the same
is checked through a real workspace that scans drafts agents wrote."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stitch_props import AGENTS, NOW, examples, unshrunk

from stitch_ls.core.policy import trust
from stitch_ls.core.workspace import StitchWorkspace
from workspaces import TEAM, draft, make_workspace, write_draft

AGENT_NAMES = (*AGENTS, "aider")
HOUR = trust.DEV_HOUR_MINUTES


def model_window(active: list[int]) -> int | None:
    """The first minute of the hour of development: the earliest of the last 60 distinct
    minutes the engineer edited in (None before any edit: everything counts)."""
    distinct = sorted(set(active))[-HOUR:]
    return distinct[0] if distinct else None


def model_counts(arrivals: list[tuple[str, str, int]], active: list[int]) -> Counter[str]:
    """Each agent's unsourced drafts (id, agent, minute) that arrived in the hour of
    development (`active`: the minutes the engineer edited in)."""
    start = model_window(active)
    return Counter(agent for _id, agent, at in arrivals if start is None or at >= start)


def at_minute(minute: int) -> datetime:
    return NOW + timedelta(minutes=minute)


def activity(active: list[int]) -> list[int]:
    """The activity record as the workspace keeps it, fed the minutes in time order."""
    minutes: list[int] = []
    for minute in sorted(active):
        minutes = trust.record_activity(minutes, at_minute(minute))
    return minutes


ARRIVALS = st.lists(st.tuples(st.sampled_from(AGENT_NAMES), st.integers(-200, 0)), max_size=25).map(
    lambda xs: [(f"d{n}", agent, minute) for n, (agent, minute) in enumerate(xs)]
)
ACTIVE = st.lists(st.integers(-200, 0), max_size=90)


@examples(150)
@given(
    arrivals=ARRIVALS,
    active=ACTIVE,
    budget=st.integers(0, 6),
    cap=st.one_of(st.none(), st.integers(0, 12)),
)
def test_each_agent_counts_its_own_drafts_in_the_hour_of_development(
    arrivals: list[tuple[str, str, int]], active: list[int], budget: int, cap: int | None
):
    times = {draft_id: at_minute(minute) for draft_id, _agent, minute in arrivals}
    agents = {draft_id: agent for draft_id, agent, _minute in arrivals}
    minutes = activity(active)
    budgets = trust.agent_budgets(times, agents, minutes, budget)

    base = trust.minute_of(NOW)
    expected = model_counts([(i, a, m + base) for i, a, m in arrivals], [m + base for m in active])
    assert {a: b.used for a, b in budgets.items()} == dict(expected)
    for agent, b in budgets.items():
        assert b.agent == agent and b.budget == budget
        assert b.exhausted == (b.used > budget), b  # past the budget exactly when over it
    team = trust.team_budget(times, minutes, cap)
    if cap is None:
        assert team is None
    else:
        assert team is not None and team.used == sum(expected.values())
        assert team.exhausted == (team.used > cap)
    shown = trust.headline(budgets, budget)
    assert shown.used == max(expected.values(), default=0)
    # forgetting what no longer counts changes nobody's count
    kept = trust.prune_arrivals(times, minutes)
    assert trust.agent_budgets(kept, agents, minutes, budget) == budgets


@examples(100)
@given(arrivals=ARRIVALS, active=ACTIVE, budget=st.integers(0, 6), data=st.data())
def test_one_agents_drafts_never_spend_anothers_budget(
    arrivals: list[tuple[str, str, int]], active: list[int], budget: int, data: st.DataObject
):
    """Adding any number of drafts by one agent leaves every other agent's budget as it was."""
    spender = data.draw(st.sampled_from(AGENT_NAMES), label="spender")
    extra = data.draw(st.lists(st.integers(-200, 0), min_size=1, max_size=10), label="extra")
    minutes = activity(active)

    def budgets(rows: list[tuple[str, str, int]]) -> dict[str, trust.Budget]:
        return trust.agent_budgets(
            {i: at_minute(m) for i, _a, m in rows}, {i: a for i, a, _m in rows}, minutes, budget
        )

    before = budgets(arrivals)
    after = budgets([*arrivals, *((f"x{n}", spender, m) for n, m in enumerate(extra))])
    assert {a: b for a, b in after.items() if a != spender} == {
        a: b for a, b in before.items() if a != spender
    }
    mine, spent = before.get(spender), after.get(spender)
    assert (spent.used if spent else 0) >= (mine.used if mine else 0)


@examples(60)
@given(
    active=st.lists(st.integers(0, 30), min_size=1, max_size=40),
    steps=st.lists(st.integers(1, 400), min_size=1, max_size=80),
)
def test_the_activity_record_is_the_last_hour_of_editing(active: list[int], steps: list[int]):
    """Minutes kept in order, each once, at most an hour's worth, the latest last; once the
    engineer has edited in 60 more minutes after an arrival, it no longer counts."""
    minutes: list[int] = []
    minute = 0
    for step in [*active, *steps]:
        minute += step
        minutes = trust.record_activity(minutes, at_minute(minute))
        assert minutes == sorted(set(minutes)) and len(minutes) <= HOUR
        assert minutes[-1] == trust.minute_of(at_minute(minute))
    arrived = {"d": at_minute(minute)}  # arrives in the last minute edited
    assert trust.budget_state(arrived, minutes, 0).used == 1
    for later in range(1, HOUR + 1):
        minutes = trust.record_activity(minutes, at_minute(minute + later))
        assert trust.budget_state(arrived, minutes, 0).used == (1 if later < HOUR else 0)
    assert trust.prune_arrivals(arrived, minutes) == {}


# -- through a workspace ------------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.integers(0, 45),  # minutes since the last step
        st.booleans(),  # the engineer edited then
        st.lists(st.tuples(st.sampled_from(AGENT_NAMES), st.booleans()), max_size=4),
    ),
    min_size=1,
    max_size=6,
)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trust")


@unshrunk(12)
@given(
    steps=STEPS,
    budget=st.integers(0, 3),
    on_exhausted=st.sampled_from(["raise_floor", "read_only"]),
)
def test_a_workspace_spends_only_the_writing_agents_budget(
    folders: Path,
    steps: list[tuple[int, bool, list[tuple[str, bool]]]],
    budget: int,
    on_exhausted: str,
):
    """Agents write drafts (unsourced or sourced) while the engineer edits or not; after each
    scan, each agent's count is its own unsourced drafts in the hour of development, only the
    agents past their own budget are raised or turned read-only, and nobody else is."""
    team = TEAM.replace("unsourced_per_hour = 3", f"unsourced_per_hour = {budget}").replace(
        '"raise_floor"', f'"{on_exhausted}"'
    )
    root = make_workspace(Path(tempfile.mkdtemp(dir=folders)) / "ws", team)
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    floor = ws.policy.floor

    arrivals: list[tuple[str, str, int]] = []
    active: list[int] = []
    minute = 0
    for number, (wait, edited, written) in enumerate(steps):
        minute += wait
        now = at_minute(minute)
        if edited:
            ws.note_activity(now)
            active.append(trust.minute_of(now))
        for index, (agent, sourced) in enumerate(written):
            draft_id = f"s{number}-{index}"
            body = draft(draft_id, agent=agent)
            if not sourced:
                body["sources"] = []
                arrivals.append((draft_id, agent, trust.minute_of(now)))
            write_draft(root, body)
        ws.scan_drafts(now)

        counts = model_counts(arrivals, active)
        assert {a: b.used for a, b in ws.budgets().items()} == dict(counts), (minute, arrivals)
        past = {a for a, n in counts.items() if n > budget}
        if on_exhausted == "read_only":
            assert set(ws.agents_read_only()) == past
            assert ws.agent_floors() == {}
        else:
            assert set(ws.agent_floors()) == past
            assert ws.agents_read_only() == {}
        for agent in AGENT_NAMES:
            assert ws.budget(agent).used == counts.get(agent, 0)
            raised = agent in past and on_exhausted == "raise_floor"
            assert (ws.floor(agent)[0] > floor) == (raised and ws.policy.scrutiny_raise > 0)
        assert not ws.read_only().on  # no team cap: no agent turns every agent read-only
