"""Quiet hours: focus windows during which nothing agent-originated is shown.

The team policy declares weekly windows in one IANA time zone, each engineer
may add windows in their own zone, and an engineer may start an ad-hoc focus
session that lasts until a given instant.  :class:`QuietSchedule` merges all
of them into one timeline of quiet periods.

This module never reads the clock: every query takes ``now`` (an aware
datetime) so behaviour is reproducible in tests and the caller decides what
"now" means.  It imports nothing from the LSP layer so the rules can be used
and tested on their own.

Daylight-saving rule (local wall times are resolved with :mod:`zoneinfo`):

* A window belongs to the local day on which it *starts*; it ends the same
  day, or the next day when ``end < start`` (it crosses midnight).
* A wall time that does not exist (spring-forward gap) moves to the first
  instant after the gap, e.g. New York 02:30 on 2026-03-08 becomes 03:00 EDT.
  A window lying wholly inside a gap is empty that day.
* A wall time that occurs twice (fall-back) means its *first* occurrence for
  ``start`` and its *last* occurrence for ``end``.  Because the earliest start
  and the latest end are used, the window is always one contiguous interval
  that covers the repeated hour in full rather than twice or not at all: a
  New York 01:00-03:00 window on 2026-11-01 lasts three real hours.

All returned instants are aware datetimes in UTC.  Intervals are half-open:
quiet from ``start`` inclusive to ``end`` exclusive, and touching or
overlapping intervals (from any zone, or the focus session) chain into one
quiet period.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stitch_ls.core.records import Record, record
from stitch_ls.core.records import rule as field_rule

__all__ = [
    "DAY_NAMES",
    "HORIZON",
    "DayName",
    "QuietSchedule",
    "QuietState",
    "QuietWindow",
    "parse_timezone",
]

DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# Index matches ``date.weekday()``.
DAY_NAMES: tuple[DayName, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# How far ahead state() and next_transition() look, so a query costs a bounded
# amount of work even for a schedule that is quiet around the clock.
HORIZON = timedelta(days=8)

_HHMM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_CACHE_LIMIT = 50_000
# Window occurrences are only computed inside these bounds, which keeps date
# arithmetic clear of datetime.min/max for extreme arguments.
_EARLIEST = datetime(1, 1, 10, tzinfo=UTC)
_LATEST = datetime(9999, 12, 20, tzinfo=UTC)

Interval = tuple[datetime, datetime]


def parse_timezone(name: str) -> ZoneInfo:
    """Return the IANA zone called ``name``, or raise ``ValueError``.

    Names are checked against the shape of IANA keys before loading, so a
    policy file cannot point zoneinfo at arbitrary files ("../x", "/etc/...").
    """
    if not isinstance(name, str) or not _ZONE_NAME.fullmatch(name):
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError, UnicodeError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _normalise_days(value: object) -> object:
    if isinstance(value, str):
        raise ValueError("days must be a list of day names, e.g. ['mon', 'tue']")
    if isinstance(value, list | tuple):
        return tuple(d.strip().lower() if isinstance(d, str) else d for d in value)
    return value


def _check_days(value: tuple[DayName, ...]) -> tuple[DayName, ...]:
    if not value:
        raise ValueError("a window needs at least one day")
    seen: set[str] = set()
    for day in value:
        if day in seen:
            raise ValueError(f"{day!r} is listed more than once")
        seen.add(day)
    return tuple(sorted(value, key=DAY_NAMES.index))


def _parse_hhmm(value: object) -> object:
    # TOML's unquoted local time (09:30:00) already arrives as a time.
    if isinstance(value, time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise ValueError(
                f"{value.isoformat()!r} is not a whole minute; write it as 'HH:MM', e.g. '09:30'"
            )
        return value
    if isinstance(value, str) and _HHMM.fullmatch(value):
        return time(int(value[:2]), int(value[3:]))
    raise ValueError(
        f"{value!r} is not a time of day; write it as 'HH:MM' in 24-hour time, e.g. '09:30'"
    )


Days = Annotated[tuple[DayName, ...], field_rule(before=_normalise_days, after=_check_days)]
Minute = Annotated[time, field_rule(before=_parse_hhmm)]


def _check_zone(name: str | None) -> str | None:
    if name is not None:
        parse_timezone(name)
    return name


ZoneName = Annotated[str | None, field_rule(after=_check_zone)]


@record()
class QuietWindow(Record):
    """One weekly quiet window, in wall-clock time of a zone given alongside it (or its own).

    ``start``/``end`` are written ``"HH:MM"`` (24-hour).  ``end`` earlier than
    ``start`` means the window runs past midnight into the next day; the
    ``days`` listed are the days the window *starts* on.
    """

    # Read with `QuietWindow.from_data`, which parses those spellings; the constructor
    # takes `time` values.

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    days: Days = DAY_NAMES
    start: Minute
    end: Minute
    # its own zone, where it is not the one its policy names (a window kept from a team file
    # in another zone, when two versions are merged: `teamfile.tighten`)
    timezone: ZoneName = None

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError(f"a window needs a length: start and end are both {self.start:%H:%M}")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts."""
        return self.end < self.start


@dataclass(frozen=True)
class QuietState:
    """Whether it is quiet at some instant, and when that changes.

    ``until``: when on, the end of the whole contiguous quiet period (``None``
    if it does not end within the horizon).  ``next_start``: when off, the
    start of the next quiet period; when on, the start of the one after
    ``until``; ``None`` if there is none within the horizon.  ``reason`` is
    ``"focus"`` while a focus session runs (even inside a window), ``"window"``
    otherwise, and ``None`` when off.
    """

    on: bool
    until: datetime | None
    next_start: datetime | None
    reason: Literal["window", "focus"] | None


@dataclass(frozen=True, slots=True)
class _Rule:
    start: time
    end: time
    tz: tzinfo
    weekdays: frozenset[int]


class QuietSchedule:
    """The merged quiet timeline of some windows plus an optional focus session.

    ``windows`` pairs each window with the zone its wall times are read in.
    ``focus_until`` makes every instant before it quiet (the session's start is
    not needed: whoever asks has already started it).  Per-day window
    occurrences are cached, so ``state()`` is cheap enough for every request.
    """

    def __init__(
        self,
        windows: Sequence[tuple[QuietWindow, ZoneInfo]],
        focus_until: datetime | None = None,
    ) -> None:
        self._rules = tuple(
            _Rule(w.start, w.end, tz, frozenset(DAY_NAMES.index(d) for d in w.days))
            for w, tz in windows
        )
        self._focus_until = None if focus_until is None else _utc(focus_until, "focus_until")
        self._cache: dict[tuple[int, date], Interval | None] = {}

    @property
    def focus_until(self) -> datetime | None:
        """The end of the focus session in UTC, or ``None``."""
        return self._focus_until

    def state(self, now: datetime) -> QuietState:
        """Whether ``now`` is quiet, why, and the surrounding transitions."""
        now = _utc(now, "now")
        focus = self._focus_until
        horizon_end = min(max(now, focus or now), _LATEST - HORIZON) + HORIZON
        periods = self._quiet_between(now, horizon_end)
        if not periods or periods[0][0] != now:
            return QuietState(False, None, periods[0][0] if periods else None, None)
        end = periods[0][1]
        return QuietState(
            on=True,
            until=end if end < horizon_end else None,
            next_start=periods[1][0] if len(periods) > 1 else None,
            reason="focus" if focus is not None and now < focus else "window",
        )

    def next_transition(self, now: datetime) -> datetime | None:
        """The first instant after ``now`` at which quiet turns on or off.

        Meant for a scheduler that sleeps until then; ``None`` when nothing
        changes within the horizon.
        """
        current = self.state(now)
        return current.until if current.on else current.next_start

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """Merged quiet intervals within ``[start, end)``, sorted, in UTC.

        Intervals are clipped to the range asked for, so the answer depends
        only on that range (and a focus session shows as starting at ``start``).
        """
        return self._quiet_between(_utc(start, "start"), _utc(end, "end"))

    # -- internals ---------------------------------------------------------

    def _quiet_between(self, lo: datetime, hi: datetime) -> list[Interval]:
        if lo >= hi:
            return []
        pieces: list[Interval] = []
        windows_from = lo
        focus = self._focus_until
        if focus is not None and focus > lo:
            windows_from = min(focus, hi)
            pieces.append((lo, windows_from))
        # Windows inside the focus session are swallowed by it; skip them.
        pieces.extend(self._window_pieces(windows_from, hi))
        return _merge(pieces)

    def _window_pieces(self, lo: datetime, hi: datetime) -> Iterator[Interval]:
        lo, hi = max(lo, _EARLIEST), min(hi, _LATEST)
        if lo >= hi:
            return
        for index, rule in enumerate(self._rules):
            # An occurrence lies within two local days of its start date; the
            # extra margin covers zones whose clocks move back across midnight.
            day = lo.astimezone(rule.tz).date() - 2 * _ONE_DAY
            last = hi.astimezone(rule.tz).date() + _ONE_DAY
            while day <= last:
                if day.weekday() in rule.weekdays:
                    occurrence = self._occurrence(index, rule, day)
                    if occurrence is not None and occurrence[0] < hi and occurrence[1] > lo:
                        yield max(occurrence[0], lo), min(occurrence[1], hi)
                day += _ONE_DAY

    def _occurrence(self, index: int, rule: _Rule, day: date) -> Interval | None:
        key = (index, day)
        try:
            return self._cache[key]
        except KeyError:
            pass
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        end_day = day + _ONE_DAY if rule.end < rule.start else day
        start = _wall_to_utc(datetime.combine(day, rule.start), rule.tz, latest=False)
        end = _wall_to_utc(datetime.combine(end_day, rule.end), rule.tz, latest=True)
        result = (start, end) if start < end else None  # None: wholly inside a gap
        self._cache[key] = result
        return result


def _utc(value: datetime, name: str) -> datetime:
    """Convert an aware datetime to UTC; a naive one is a programming error."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _wall_to_utc(wall: datetime, tz: tzinfo, *, latest: bool) -> datetime:
    """Resolve a naive local wall time in ``tz`` to a UTC instant (module DST rule).

    Repeated times resolve to their first occurrence, or the last one when
    ``latest``; skipped times resolve to the first instant after the gap.
    """
    first_offset = wall.replace(tzinfo=tz, fold=0).utcoffset()
    second_offset = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert first_offset is not None and second_offset is not None
    naive_first = wall - first_offset
    naive_second = wall - second_offset
    if first_offset == second_offset:
        return naive_first.replace(tzinfo=UTC)
    if first_offset > second_offset:  # clocks went back: the time happens twice
        return (naive_second if latest else naive_first).replace(tzinfo=UTC)
    # Clocks jumped forward over this time.  The transition instant lies in
    # (naive_second, naive_first]; find it by bisection (tz data is in seconds).
    before = naive_second.replace(tzinfo=UTC)
    after = naive_first.replace(tzinfo=UTC)
    while after - before > _ONE_SECOND:
        middle = before + (after - before) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == second_offset:
            after = middle
        else:
            before = middle
    return after


def _merge(pieces: list[Interval]) -> list[Interval]:
    """Sort intervals and chain the overlapping or touching ones."""
    merged: list[Interval] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
