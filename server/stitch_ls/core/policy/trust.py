"""The trust budget: unsourced drafts tolerated per hour of development, per agent.

An hour of development is the last 60 minutes in which the engineer edited something;
idle time does not count. Unsourced drafts that arrived since the start of that hour are
counted against the budget of the agent that wrote them: one agent's unsourced drafts raise
its own scrutiny, never another's. The team file may also cap every agent's together
(`[trust] team_per_hour`); past that cap, every agent's scrutiny rises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

DEV_HOUR_MINUTES = 60
UNKNOWN_AGENT = "unknown agent"  # arrivals counted before agents were told apart


def minute_of(now: datetime) -> int:
    return int(now.timestamp() // 60)


def record_activity(minutes: list[int], now: datetime) -> list[int]:
    """Add `now`'s minute to the activity record, keeping only the last hour's worth."""
    minute = minute_of(now)
    if minutes and minutes[-1] == minute:
        return minutes
    return [*[m for m in minutes if m < minute], minute][-DEV_HOUR_MINUTES:]


def window_start(minutes: list[int]) -> datetime | None:
    """Start of the rolling hour of development; None before any activity (count everything)."""
    if not minutes:
        return None
    return datetime.fromtimestamp(minutes[0] * 60, UTC)


@dataclass(frozen=True)
class Budget:
    used: int
    budget: int
    exhausted: bool
    agent: str | None = None  # whose budget; None: the team's cap

    def describe(self, team: Budget | None = None) -> str:
        """`unsourced: 3 of 4 used (claude-code)`, as every door says it (with the team's
        cap: `· all agents 5 of 8`)."""
        whose = self.agent or "each agent"
        text = f"unsourced: {self.used} of {self.budget} used ({whose})"
        if team is not None:
            text += f" · all agents {team.used} of {team.budget}"
        if self.exhausted or (team is not None and team.exhausted):
            text += " — exhausted"
        return text


def _in_window(arrivals: dict[str, datetime], minutes: list[int]) -> list[str]:
    start = window_start(minutes)
    return [key for key, at in arrivals.items() if start is None or at >= start]


def budget_state(arrivals: dict[str, datetime], minutes: list[int], budget: int) -> Budget:
    """How much of `budget` the unsourced drafts in `arrivals` use in the current window."""
    used = len(_in_window(arrivals, minutes))
    return Budget(used=used, budget=budget, exhausted=used > budget)


def agent_budgets(
    arrivals: dict[str, datetime], agents: dict[str, str], minutes: list[int], budget: int
) -> dict[str, Budget]:
    """Each agent's use of its own budget in the current window (only agents with a draft in
    it), by agent name; `agents` names the agent of each arrival (draft id -> agent)."""
    counted: dict[str, int] = {}
    for key in _in_window(arrivals, minutes):
        agent = agents.get(key, UNKNOWN_AGENT)
        counted[agent] = counted.get(agent, 0) + 1
    return {
        agent: Budget(used=n, budget=budget, exhausted=n > budget, agent=agent)
        for agent, n in sorted(counted.items())
    }


def team_budget(
    arrivals: dict[str, datetime], minutes: list[int], cap: int | None
) -> Budget | None:
    """Every agent's unsourced drafts together against the team's cap (None: no cap)."""
    if cap is None:
        return None
    used = len(_in_window(arrivals, minutes))
    return Budget(used=used, budget=cap, exhausted=used > cap)


def headline(budgets: dict[str, Budget], budget: int) -> Budget:
    """The budget a status line shows: the agent nearest to (or furthest past) its budget,
    ties by name; nobody's when no agent has an unsourced draft this hour."""
    if not budgets:
        return Budget(used=0, budget=budget, exhausted=False)
    return min(budgets.values(), key=lambda b: (-b.used, b.agent or ""))


def prune_arrivals(arrivals: dict[str, datetime], minutes: list[int]) -> dict[str, datetime]:
    start = window_start(minutes)
    if start is None:
        return dict(arrivals)
    return {key: at for key, at in arrivals.items() if at >= start}
