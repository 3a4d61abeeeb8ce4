"""Tests for quiet hours: every query gets an explicit ``now``; nothing sleeps."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from stitch_ls.core.policy.quiet import (
    DAY_NAMES,
    QuietSchedule,
    QuietState,
    QuietWindow,
    parse_timezone,
)

KYIV = parse_timezone("Europe/Kyiv")
NEW_YORK = parse_timezone("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def parsed(**data: object) -> QuietWindow:
    return QuietWindow.from_data(data)


def window(start: str, end: str, days: tuple[str, ...] = DAY_NAMES) -> QuietWindow:
    return parsed(days=days, start=start, end=end)


def schedule(*windows: tuple[QuietWindow, object], focus_until: datetime | None = None):
    return QuietSchedule(list(windows), focus_until=focus_until)


def day_intervals(sched: QuietSchedule, first: datetime, days: int = 1):
    return sched.intervals(first, first + timedelta(days=days))


# -- QuietWindow validation --------------------------------------------------


def test_window_parses_hhmm_and_defaults_to_every_day() -> None:
    w = parsed(start="09:30", end="11:30")
    assert w.days == DAY_NAMES
    assert (w.start, w.end) == (time(9, 30), time(11, 30))
    assert not w.crosses_midnight


def test_window_accepts_extremes_and_crossing_midnight() -> None:
    w = parsed(start="23:59", end="00:00")
    assert (w.start, w.end) == (time(23, 59), time(0, 0))
    assert w.crosses_midnight


def test_window_accepts_toml_local_time_objects() -> None:
    # tomllib turns unquoted `start = 09:30:00` into a datetime.time
    assert parsed(start=time(9, 30), end=time(10, 0)).start == time(9, 30)
    with pytest.raises(ValidationError, match="whole minute"):
        parsed(start=time(9, 30, 15), end=time(10, 0))


@pytest.mark.parametrize(
    "bad", ["9:3", "9:30", "25:00", "24:00", "09:60", "09:30:15", "", "noon", " 09:30", "09h30"]
)
def test_window_rejects_other_time_formats_plainly(bad: str) -> None:
    with pytest.raises(ValidationError, match=r"write it as 'HH:MM' in 24-hour time"):
        parsed(start=bad, end="11:30")


def test_window_rejects_non_string_time() -> None:
    with pytest.raises(ValidationError, match="is not a time of day"):
        parsed(start=930, end="11:30")


def test_window_needs_a_length() -> None:
    with pytest.raises(ValidationError, match="a window needs a length"):
        parsed(start="09:30", end="09:30")


def test_window_days_are_validated() -> None:
    with pytest.raises(ValidationError, match="at least one day"):
        parsed(days=[], start="09:30", end="11:30")
    with pytest.raises(ValidationError, match="listed more than once"):
        parsed(days=["mon", "mon"], start="09:30", end="11:30")
    with pytest.raises(ValidationError):
        parsed(days=["funday"], start="09:30", end="11:30")
    with pytest.raises(ValidationError, match="list of day names"):
        parsed(days="mon", start="09:30", end="11:30")


def test_window_days_are_normalised_to_week_order() -> None:
    w = parsed(days=["Fri", " mon "], start="09:30", end="11:30")
    assert w.days == ("mon", "fri")


def test_window_is_strict_and_frozen() -> None:
    with pytest.raises(ValidationError):
        parsed(start="09:30", end="11:30", zone="UTC")  # an unknown key
    with pytest.raises(ValidationError):
        parsed(start="09:30", end="11:30", timezone="../etc/passwd")
    assert parsed(start="09:30", end="11:30", timezone="Asia/Tokyo").timezone == "Asia/Tokyo"
    w = parsed(start="09:30", end="11:30")
    with pytest.raises(FrozenInstanceError):
        w.start = time(8, 0)  # type: ignore[misc]
    assert hash(w) == hash(parsed(start="09:30", end="11:30"))


def test_window_from_policy_shaped_data() -> None:
    w = QuietWindow.from_data({"days": WEEKDAYS, "start": "09:30", "end": "11:30"})
    assert w.days == WEEKDAYS


# -- parse_timezone ----------------------------------------------------------


def test_parse_timezone_known() -> None:
    assert parse_timezone("Europe/Kyiv").key == "Europe/Kyiv"
    assert parse_timezone("UTC").key == "UTC"


@pytest.mark.parametrize(
    "bad",
    [
        "Mars/Olympus",
        "",
        "../etc/passwd",
        "/etc/localtime",
        "Europe/../UTC",
        "Europe",
        "zone.tab",
        "Europe/Kyiv\x00",
        "Europe\\Kyiv",
    ],
)
def test_parse_timezone_rejects_unknown_and_path_like(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown time zone "):
        parse_timezone(bad)


def test_parse_timezone_message() -> None:
    with pytest.raises(ValueError) as info:
        parse_timezone("Mars/Olympus")
    assert str(info.value) == "unknown time zone 'Mars/Olympus'"


# -- basic state and weekdays --------------------------------------------------

TEAM = (window("09:30", "11:30", WEEKDAYS), KYIV)  # Kyiv is UTC+3 in June


def test_inside_team_window() -> None:
    sched = schedule(TEAM)
    state = sched.state(utc(2026, 6, 10, 7, 0))  # Wed 10:00 Kyiv
    assert state == QuietState(True, utc(2026, 6, 10, 8, 30), utc(2026, 6, 11, 6, 30), "window")
    assert state.until is not None and state.until.tzinfo is UTC


def test_window_edges_are_half_open() -> None:
    sched = schedule(TEAM)
    assert sched.state(utc(2026, 6, 10, 6, 30)).on
    assert not sched.state(utc(2026, 6, 10, 6, 30) - timedelta(microseconds=1)).on
    assert not sched.state(utc(2026, 6, 10, 8, 30)).on


def test_off_before_window_reports_next_start() -> None:
    state = schedule(TEAM).state(utc(2026, 6, 10, 5, 0))
    assert state == QuietState(False, None, utc(2026, 6, 10, 6, 30), None)


def test_weekdays_only_window_is_off_at_weekend() -> None:
    sched = schedule(TEAM)
    saturday = utc(2026, 6, 13, 7, 0)  # Sat 10:00 Kyiv
    sunday = utc(2026, 6, 14, 7, 0)
    for now in (saturday, sunday):
        state = sched.state(now)
        assert not state.on
        assert state.next_start == utc(2026, 6, 15, 6, 30)  # Monday 09:30 Kyiv
    assert sched.state(utc(2026, 6, 12, 7, 0)).on  # Friday


def test_now_may_be_given_in_any_zone() -> None:
    sched = schedule(TEAM)
    kyiv_now = datetime(2026, 6, 10, 10, 0, tzinfo=KYIV)
    assert sched.state(kyiv_now) == sched.state(utc(2026, 6, 10, 7, 0))


def test_window_belongs_to_the_day_it_starts() -> None:
    friday_night = schedule((window("22:00", "02:00", ("fri",)), KYIV))
    saturday_night = schedule((window("22:00", "02:00", ("sat",)), KYIV))
    saturday_1am = datetime(2026, 6, 13, 1, 0, tzinfo=KYIV)
    sunday_1am = datetime(2026, 6, 14, 1, 0, tzinfo=KYIV)
    assert friday_night.state(saturday_1am).on
    assert friday_night.state(saturday_1am).until == datetime(2026, 6, 13, 2, 0, tzinfo=KYIV)
    assert not saturday_night.state(saturday_1am).on
    assert saturday_night.state(sunday_1am).on
    assert not friday_night.state(datetime(2026, 6, 12, 1, 0, tzinfo=KYIV)).on


def test_window_crossing_sunday_into_monday() -> None:
    sched = schedule((window("23:00", "01:00", ("sun",)), NEW_YORK))
    assert sched.state(datetime(2026, 6, 15, 0, 30, tzinfo=NEW_YORK)).on  # Monday 00:30
    assert sched.state(datetime(2026, 6, 14, 23, 30, tzinfo=NEW_YORK)).on  # Sunday 23:30
    assert not sched.state(datetime(2026, 6, 14, 0, 30, tzinfo=NEW_YORK)).on  # Sunday 00:30
    state = sched.state(datetime(2026, 6, 14, 23, 30, tzinfo=NEW_YORK))
    assert state.until == utc(2026, 6, 15, 5, 0)
    assert state.next_start == utc(2026, 6, 22, 3, 0)


def test_no_windows_is_never_quiet() -> None:
    sched = QuietSchedule([])
    now = utc(2026, 6, 10, 7, 0)
    assert sched.state(now) == QuietState(False, None, None, None)
    assert sched.next_transition(now) is None
    assert sched.intervals(now, now + timedelta(days=30)) == []


# -- daylight saving -----------------------------------------------------------


def test_kyiv_spring_forward_keeps_local_start() -> None:
    sched = schedule((window("09:30", "11:30"), KYIV))
    # 2026-03-29: 03:00 EET (+2) -> 04:00 EEST (+3)
    assert day_intervals(sched, utc(2026, 3, 28)) == [
        (utc(2026, 3, 28, 7, 30), utc(2026, 3, 28, 9, 30))
    ]
    assert day_intervals(sched, utc(2026, 3, 29)) == [
        (utc(2026, 3, 29, 6, 30), utc(2026, 3, 29, 8, 30))
    ]


def test_kyiv_fall_back_keeps_local_start() -> None:
    sched = schedule((window("09:30", "11:30"), KYIV))
    # 2026-10-25: 04:00 EEST (+3) -> 03:00 EET (+2)
    assert day_intervals(sched, utc(2026, 10, 24)) == [
        (utc(2026, 10, 24, 6, 30), utc(2026, 10, 24, 8, 30))
    ]
    assert day_intervals(sched, utc(2026, 10, 25)) == [
        (utc(2026, 10, 25, 7, 30), utc(2026, 10, 25, 9, 30))
    ]


def test_kyiv_start_in_gap_moves_to_end_of_gap() -> None:
    sched = schedule((window("03:00", "04:30"), KYIV))
    # 03:00 does not exist on 2026-03-29; the window starts at 04:00 EEST = 01:00 UTC
    assert day_intervals(sched, utc(2026, 3, 28, 12)) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 1, 30))
    ]


def test_kyiv_fall_back_ambiguous_start_uses_first_occurrence() -> None:
    sched = schedule((window("03:00", "05:00"), KYIV))
    # 03:00 happens at 00:00 UTC (EEST) and 01:00 UTC (EET); 05:00 EET = 03:00 UTC
    assert day_intervals(sched, utc(2026, 10, 24, 12)) == [
        (utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 3, 0))
    ]


def test_new_york_spring_forward_window_starts_at_three() -> None:
    sched = schedule((window("02:00", "04:00"), NEW_YORK))
    # 2026-03-08: 02:00 EST -> 03:00 EDT; window runs 03:00-04:00 EDT
    [(start, end)] = day_intervals(sched, utc(2026, 3, 8))
    assert start == utc(2026, 3, 8, 7, 0)
    assert start.astimezone(NEW_YORK).time() == time(3, 0)
    assert end == utc(2026, 3, 8, 8, 0)
    assert sched.state(utc(2026, 3, 8, 6, 59)).next_start == start
    assert not sched.state(utc(2026, 3, 8, 6, 30)).on


def test_new_york_spring_forward_end_in_gap() -> None:
    sched = schedule((window("01:00", "02:30"), NEW_YORK))
    # 02:30 does not exist; the window ends at the first instant after the gap
    assert day_intervals(sched, utc(2026, 3, 8)) == [(utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 7, 0))]


def test_window_wholly_inside_gap_is_empty_that_day() -> None:
    sched = schedule((window("02:15", "02:45"), NEW_YORK))
    assert day_intervals(sched, utc(2026, 3, 8)) == []
    assert day_intervals(sched, utc(2026, 3, 9)) == [
        (utc(2026, 3, 9, 6, 15), utc(2026, 3, 9, 6, 45))
    ]
    state = sched.state(utc(2026, 3, 7, 12))
    assert state.next_start == utc(2026, 3, 9, 6, 15)


def test_new_york_fall_back_window_lasts_three_hours_once() -> None:
    sched = schedule((window("01:00", "03:00"), NEW_YORK))
    # 2026-11-01: 02:00 EDT -> 01:00 EST; 01:00 EDT = 05:00 UTC, 03:00 EST = 08:00 UTC
    intervals = day_intervals(sched, utc(2026, 11, 1))
    assert intervals == [(utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 8, 0))]
    assert intervals[0][1] - intervals[0][0] == 3 * HOUR
    # both passes through 01:30 are quiet, and the period is one period
    for now in (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)):
        state = sched.state(now)
        assert state.on and state.until == utc(2026, 11, 1, 8, 0)
    # the next day is back to two hours
    assert day_intervals(sched, utc(2026, 11, 2)) == [
        (utc(2026, 11, 2, 6, 0), utc(2026, 11, 2, 8, 0))
    ]


def test_new_york_fall_back_ambiguous_end_uses_later_occurrence() -> None:
    sched = schedule((window("00:30", "01:30"), NEW_YORK))
    # 00:30 EDT = 04:30 UTC; 01:30 EST (the later one) = 06:30 UTC
    assert day_intervals(sched, utc(2026, 11, 1)) == [
        (utc(2026, 11, 1, 4, 30), utc(2026, 11, 1, 6, 30))
    ]


def test_new_york_overnight_window_across_fall_back() -> None:
    sched = schedule((window("22:00", "02:00", ("sat",)), NEW_YORK))
    # Sat 2026-10-31 22:00 EDT = 02:00 UTC to Sun 02:00 EST = 07:00 UTC: five real hours
    state = sched.state(utc(2026, 11, 1, 3, 0))
    assert state.on and state.until == utc(2026, 11, 1, 7, 0)
    assert sched.intervals(utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0))
    ]


def test_new_york_change_day_keeps_local_start() -> None:
    sched = schedule((window("09:30", "11:30"), NEW_YORK))
    assert day_intervals(sched, utc(2026, 3, 8)) == [
        (utc(2026, 3, 8, 13, 30), utc(2026, 3, 8, 15, 30))
    ]
    assert day_intervals(sched, utc(2026, 11, 1)) == [
        (utc(2026, 11, 1, 14, 30), utc(2026, 11, 1, 16, 30))
    ]


# -- merging zones and focus -----------------------------------------------------

ENGINEER = (window("04:30", "06:00", WEEKDAYS), NEW_YORK)  # 08:30-10:00 UTC in June


def test_windows_from_two_zones_chain_into_one_period() -> None:
    sched = schedule(TEAM, ENGINEER)
    state = sched.state(utc(2026, 6, 10, 7, 0))
    assert state.on and state.until == utc(2026, 6, 10, 10, 0)
    assert state.next_start == utc(2026, 6, 11, 6, 30)
    assert sched.intervals(utc(2026, 6, 10), utc(2026, 6, 11)) == [
        (utc(2026, 6, 10, 6, 30), utc(2026, 6, 10, 10, 0))
    ]
    assert sched.next_transition(utc(2026, 6, 10, 8, 30)) == utc(2026, 6, 10, 10, 0)


def test_overlapping_windows_chain() -> None:
    sched = schedule(TEAM, (window("11:00", "13:00"), KYIV))
    state = sched.state(utc(2026, 6, 10, 6, 45))
    assert state.until == utc(2026, 6, 10, 10, 0)
    # at the weekend only the second window applies
    assert sched.state(utc(2026, 6, 13, 8, 30)).until == utc(2026, 6, 13, 10, 0)


def test_focus_session_alone() -> None:
    focus = utc(2026, 6, 13, 12, 0)
    sched = QuietSchedule([], focus_until=focus)
    state = sched.state(utc(2026, 6, 13, 10, 0))
    assert state == QuietState(True, focus, None, "focus")
    assert not sched.state(focus).on
    assert sched.next_transition(utc(2026, 6, 13, 10, 0)) == focus
    assert sched.intervals(utc(2026, 6, 13), utc(2026, 6, 14)) == [(utc(2026, 6, 13), focus)]


def test_focus_chains_into_window_and_wins_reason() -> None:
    sched = schedule(TEAM, focus_until=utc(2026, 6, 10, 6, 45))
    before = sched.state(utc(2026, 6, 10, 6, 0))
    assert before == QuietState(True, utc(2026, 6, 10, 8, 30), utc(2026, 6, 11, 6, 30), "focus")
    both = sched.state(utc(2026, 6, 10, 6, 40))
    assert both.reason == "focus"
    after = sched.state(utc(2026, 6, 10, 7, 0))
    assert after.reason == "window" and after.until == utc(2026, 6, 10, 8, 30)


def test_focus_touching_window_chains() -> None:
    sched = schedule(TEAM, focus_until=utc(2026, 6, 10, 6, 30))
    assert sched.state(utc(2026, 6, 10, 5, 0)).until == utc(2026, 6, 10, 8, 30)


def test_focus_with_gap_before_window() -> None:
    sched = schedule(TEAM, focus_until=utc(2026, 6, 10, 6, 0))
    state = sched.state(utc(2026, 6, 10, 5, 0))
    assert state == QuietState(True, utc(2026, 6, 10, 6, 0), utc(2026, 6, 10, 6, 30), "focus")
    assert sched.next_transition(utc(2026, 6, 10, 6, 0)) == utc(2026, 6, 10, 6, 30)


def test_expired_focus_is_ignored() -> None:
    sched = schedule(TEAM, focus_until=utc(2026, 6, 10, 4, 0))
    assert sched.state(utc(2026, 6, 10, 5, 0)) == schedule(TEAM).state(utc(2026, 6, 10, 5, 0))


def test_long_focus_still_sees_windows_after_it() -> None:
    focus = utc(2026, 7, 1, 7, 0)  # Wed, inside the team window (10:00 Kyiv)
    sched = schedule(TEAM, focus_until=focus)
    state = sched.state(utc(2026, 6, 10, 7, 0))
    assert state == QuietState(True, utc(2026, 7, 1, 8, 30), utc(2026, 7, 2, 6, 30), "focus")


def test_focus_until_far_future_does_not_overflow() -> None:
    sched = schedule(TEAM, focus_until=datetime.max.replace(tzinfo=UTC))
    now = utc(2026, 6, 10, 7, 0)
    assert sched.state(now) == QuietState(True, None, None, "focus")
    assert sched.next_transition(now) is None


def test_quiet_around_the_clock_has_no_end_within_horizon() -> None:
    sched = schedule((window("00:00", "12:00"), KYIV), (window("12:00", "00:00"), KYIV))
    now = utc(2026, 6, 10, 7, 0)
    state = sched.state(now)
    assert state.on and state.until is None and state.next_start is None
    assert sched.next_transition(now) is None
    assert sched.intervals(now, now + timedelta(days=3)) == [(now, now + timedelta(days=3))]


# -- intervals and transitions -------------------------------------------------


def test_intervals_are_clipped_sorted_and_utc() -> None:
    sched = schedule(TEAM)
    result = sched.intervals(utc(2026, 6, 10, 7, 0), utc(2026, 6, 12, 7, 0))
    assert result == [
        (utc(2026, 6, 10, 7, 0), utc(2026, 6, 10, 8, 30)),
        (utc(2026, 6, 11, 6, 30), utc(2026, 6, 11, 8, 30)),
        (utc(2026, 6, 12, 6, 30), utc(2026, 6, 12, 7, 0)),
    ]
    assert all(a.tzinfo is UTC and b.tzinfo is UTC for a, b in result)
    assert sched.intervals(utc(2026, 6, 12), utc(2026, 6, 11)) == []


def test_next_transition_walks_the_week() -> None:
    sched = schedule(TEAM)
    now = utc(2026, 6, 12, 0, 0)  # Friday
    seen = []
    for _ in range(4):
        now = sched.next_transition(now)
        assert now is not None
        seen.append(now)
    assert seen == [
        utc(2026, 6, 12, 6, 30),
        utc(2026, 6, 12, 8, 30),
        utc(2026, 6, 15, 6, 30),
        utc(2026, 6, 15, 8, 30),
    ]


def test_sparse_window_is_found_within_horizon() -> None:
    sched = schedule((window("09:30", "11:30", ("mon",)), KYIV))
    now = utc(2026, 6, 15, 8, 30)  # Monday, the moment the window ends
    assert sched.next_transition(now) == utc(2026, 6, 22, 6, 30)


# -- misuse ------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    sched = schedule(TEAM)
    naive = datetime(2026, 6, 10, 7, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        sched.state(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        sched.next_transition(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        sched.intervals(naive, utc(2026, 6, 11))
    with pytest.raises(ValueError, match="timezone-aware"):
        QuietSchedule([TEAM], focus_until=naive)


# -- properties ----------------------------------------------------------------

ZONES = [parse_timezone(n) for n in ("Europe/Kyiv", "America/New_York", "UTC")] + [
    parse_timezone("Australia/Lord_Howe")  # half-hour DST shifts
]
CHANGE_DAYS = [
    utc(2026, 3, 8, 7),
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 11, 1, 6),
    utc(2026, 4, 5, 15),
    utc(2026, 10, 3, 15),
]

minutes_of_day = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))


@st.composite
def quiet_window(draw: st.DrawFn) -> QuietWindow:
    start = draw(minutes_of_day)
    end = draw(minutes_of_day.filter(lambda t: t != start))
    days = draw(st.sets(st.sampled_from(DAY_NAMES), min_size=1))
    return parsed(days=tuple(days), start=start, end=end)


instants = st.one_of(
    st.datetimes(datetime(2025, 6, 1), datetime(2027, 6, 1), timezones=st.just(UTC)),
    st.builds(
        lambda base, minutes: base + timedelta(minutes=minutes),
        st.sampled_from(CHANGE_DAYS),
        st.integers(-36 * 60, 36 * 60),
    ),
)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[QuietSchedule, datetime]:
    now = draw(instants)
    pairs = draw(st.lists(st.tuples(quiet_window(), st.sampled_from(ZONES)), max_size=3))
    focus = draw(
        st.one_of(st.none(), st.integers(-600, 600).map(lambda m: now + timedelta(minutes=m)))
    )
    return QuietSchedule(pairs, focus_until=focus), now


@settings(max_examples=300, deadline=None)
@given(schedules())
def test_state_agrees_with_intervals(case: tuple[QuietSchedule, datetime]) -> None:
    sched, now = case
    intervals = sched.intervals(now - timedelta(days=1), now + timedelta(days=1))
    inside = any(start <= now < end for start, end in intervals)
    state = sched.state(now)
    assert state.on is inside
    assert (state.reason is None) is (not state.on)
    # intervals are sorted, non-empty and separated by gaps
    for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
        assert end < start
    assert all(start < end for start, end in intervals)


@settings(max_examples=300, deadline=None)
@given(schedules())
def test_next_transition_flips_state(case: tuple[QuietSchedule, datetime]) -> None:
    sched, now = case
    state = sched.state(now)
    flip = sched.next_transition(now)
    if flip is None:
        return
    assert flip > now
    assert sched.state(flip).on is not state.on
    # nothing flips in between
    assert sched.state(flip - timedelta(microseconds=1)).on is state.on
    assert sched.state(now + (flip - now) / 2).on is state.on
    if state.on and state.next_start is not None:
        assert sched.state(state.next_start).on
        assert state.next_start > flip


@settings(max_examples=200, deadline=None)
@given(quiet_window(), st.sampled_from(ZONES), instants)
def test_single_window_occurrence_is_close_to_its_wall_length(
    w: QuietWindow, zone: object, now: datetime
) -> None:
    sched = QuietSchedule([(w, zone)])
    start_minutes = w.start.hour * 60 + w.start.minute
    end_minutes = w.end.hour * 60 + w.end.minute
    wall = timedelta(minutes=(end_minutes - start_minutes) % (24 * 60))
    for start, end in sched.intervals(now - timedelta(days=3), now + timedelta(days=3)):
        if start == now - timedelta(days=3) or end == now + timedelta(days=3):
            continue  # clipped at the range edges
        if len(w.days) == 1 or wall < timedelta(hours=22):
            # a DST change moves an occurrence by at most an hour either way
            assert wall - HOUR <= end - start <= wall + HOUR


def test_naive_times_are_refused_naming_the_argument():
    naive = datetime(2026, 11, 30, 9, 0)
    sched = schedule((window("09:00", "10:00"), KYIV))
    for call, name in [
        (lambda: QuietSchedule([], focus_until=naive), "focus_until"),
        (lambda: sched.state(naive), "now"),
        (lambda: sched.intervals(naive, utc(2026, 12, 1)), "start"),
        (lambda: sched.intervals(utc(2026, 11, 1), naive), "end"),
    ]:
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == f"{name} must be timezone-aware, got naive 2026-11-30T09:00:00"


def test_day_lists_are_checked_with_exact_messages():
    with pytest.raises(
        ValidationError,
        match=r"Value error, days must be a list of day names, e\.g\. \['mon', 'tue'\] \[",
    ):
        parsed(days="mon", start="09:00", end="10:00")
    with pytest.raises(ValidationError, match=r"Value error, a window needs at least one day \["):
        parsed(days=[], start="09:00", end="10:00")
    assert parsed(days=[" MON "], start="09:00", end="10:00").days == ("mon",)
    with pytest.raises(ValidationError):
        parsed(days=[1], start="09:00", end="10:00")


def test_a_time_with_a_zone_is_not_a_wall_time():
    with pytest.raises(ValidationError, match="is not a whole minute"):
        parsed(days=["mon"], start=time(9, 0, tzinfo=UTC), end="10:00")


def test_an_empty_range_has_no_intervals_and_a_focus_ending_now_is_over():
    sched = schedule((window("00:00", "23:59"), KYIV), focus_until=utc(2026, 11, 30, 12))
    assert sched.intervals(utc(2026, 11, 30, 10), utc(2026, 11, 30, 10)) == []
    assert sched.state(utc(2026, 11, 30, 11)).reason == "focus"
    assert sched.state(utc(2026, 11, 30, 12)).reason == "window"  # on through the window
    assert not schedule(focus_until=utc(2026, 11, 30, 12)).state(utc(2026, 11, 30, 12)).on


def test_parse_timezone_refuses_what_is_not_a_string():
    for bad in (None, 5, "../etc/passwd", "/etc/localtime", ""):
        with pytest.raises(ValueError, match="unknown time zone"):
            parse_timezone(bad)  # type: ignore[arg-type]
