"""The trust budget: unsourced drafts tolerated per hour of development.

An hour of development is the last 60 minutes in which the engineer edited something;
idle time does not count. Unsourced drafts that arrived since the start of that hour are
counted against the budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

DEV_HOUR_MINUTES = 60


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


def budget_state(arrivals: dict[str, datetime], minutes: list[int], budget: int) -> Budget:
    """How much of the budget the unsourced drafts in the current window use."""
    start = window_start(minutes)
    used = sum(1 for at in arrivals.values() if start is None or at >= start)
    return Budget(used=used, budget=budget, exhausted=used > budget)


def prune_arrivals(arrivals: dict[str, datetime], minutes: list[int]) -> dict[str, datetime]:
    start = window_start(minutes)
    if start is None:
        return dict(arrivals)
    return {key: at for key, at in arrivals.items() if at >= start}
