"""The guard caches the policy facts until the next quiet-hours change; at every instant the
cache is trusted, its quiet agrees with the core's schedule.

Generated weekly windows (any days, starts and ends, windows that cross midnight, times in
the small hours where clocks change), IANA zones with and without daylight saving (30- and
45-minute offsets too), an optional focus session, and `now` anywhere, near a clock change or
just before a quiet period starts or ends. The clock is faked: every call takes `now`."""

from __future__ import annotations

import tempfile
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stitch_props import examples

from stitch_ls.core.guard.cache import cached_facts, compile_facts, facts_of
from stitch_ls.core.operations import approve_team_file
from stitch_ls.core.policy.quiet import DAY_NAMES, QuietSchedule, QuietWindow, parse_timezone
from stitch_ls.core.workspace import StitchWorkspace

DST_ZONES = (
    "Europe/Kyiv",
    "America/New_York",
    "Australia/Lord_Howe",  # moves by 30 minutes
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # changes at midnight
    "Europe/London",
    "Antarctica/Troll",  # moves by two hours
)
OTHER_ZONES = ("UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati")


def usable(name: str) -> bool:
    try:
        parse_timezone(name)
    except ValueError:
        return False
    return True


ZONES = st.one_of(
    st.sampled_from(DST_ZONES),
    st.sampled_from(OTHER_ZONES),
    st.sampled_from(sorted(zoneinfo.available_timezones())).filter(usable),
)
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
LAST = datetime(2027, 12, 31, tzinfo=UTC)


@cache
def clock_changes(zone: str) -> tuple[datetime, ...]:
    """The instants `zone` changes its UTC offset in 2026-2027."""
    tz = zoneinfo.ZoneInfo(zone)
    found = []
    day = FIRST
    while day < LAST:
        following = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            low, high = day, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == day.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
        day = following
    return tuple(found)


MINUTE_OF_DAY = st.one_of(
    st.integers(0, 4 * 60 - 1),  # where clocks change
    st.integers(0, 24 * 60 - 1),
    st.sampled_from([0, 30, 45, 60, 120, 150, 165, 180, 23 * 60 + 30, 23 * 60 + 59]),
)


@st.composite
def windows(draw: st.DrawFn) -> dict:
    days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
    start = draw(MINUTE_OF_DAY)
    end = draw(MINUTE_OF_DAY.filter(lambda m: m != start))
    return {
        "days": days,
        "start": f"{start // 60:02d}:{start % 60:02d}",
        "end": f"{end // 60:02d}:{end % 60:02d}",
    }


def team_text(zone: str, found: list[dict]) -> str:
    lines = ["[quiet_hours]", f'timezone = "{zone}"']
    for window in found:
        days = ", ".join(f'"{d}"' for d in window["days"])
        lines += [
            "[[quiet_hours.windows]]",
            f"days = [{days}]",
            f'start = "{window["start"]}"',
            f'end = "{window["end"]}"',
        ]
    return "\n".join(lines) + "\n"


@st.composite
def moments(draw: st.DrawFn, zone: str, schedule: QuietSchedule) -> datetime:
    """`now`: anywhere, near one of the zone's clock changes, and often just before quiet
    turns on or off (the cache's expiry is then what matters)."""
    changes = clock_changes(zone)
    anywhere = st.datetimes(
        min_value=FIRST.replace(tzinfo=None),
        max_value=LAST.replace(tzinfo=None),
        timezones=st.just(UTC),
    )
    near_a_change = (
        st.sampled_from(changes).flatmap(
            lambda c: st.integers(-2 * 86400, 2 * 86400).map(lambda s: c + timedelta(seconds=s))
        )
        if changes
        else anywhere
    )
    start = draw(st.one_of(anywhere, near_a_change))
    if draw(st.booleans()):
        turn = schedule.next_transition(start)
        if turn is not None:
            before = draw(st.integers(0, 15 * 60 * 1_000_000))
            start = max(start, turn - timedelta(microseconds=before))
    return start


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quiet")


@examples(60)
@given(
    zone=ZONES,
    found=st.lists(windows(), min_size=1, max_size=3),
    focus_minutes=st.one_of(st.none(), st.integers(1, 24 * 60)),
    data=st.data(),
)
def test_the_guards_cached_quiet_agrees_with_the_schedule_until_it_expires(
    folders: Path, zone: str, found: list[dict], focus_minutes: int | None, data: st.DataObject
):
    root = Path(tempfile.mkdtemp(dir=folders)).resolve()
    (root / ".stitch").mkdir()
    (root / ".stitch" / "config.toml").write_text(team_text(zone, found))
    tz = parse_timezone(zone)
    plain = QuietSchedule([(QuietWindow.from_data(w), tz) for w in found])
    now = data.draw(moments(zone, plain), label="now")

    ws = StitchWorkspace(root)
    ws.load_state()
    ws.load_config()  # no repository: the working copy's team file waits for a person
    approve_team_file(ws, "dev@example.com", now, "terminal")
    assert ws.load_config() == [] and ws.team_source.origin == "working copy"
    if focus_minutes is not None:
        ws.set_focus(focus_minutes, now)
    core = QuietSchedule([(QuietWindow.from_data(w), tz) for w in found], ws.state.focus_until)

    facts, valid_until = facts_of(ws, root, now)
    assert valid_until > now
    compiled = compile_facts(root, now)
    assert compiled == facts

    # every instant the facts are trusted: both ends, each turn of the schedule in between
    # (and the instant before it), and a few anywhere
    span = valid_until - now
    instants = {now, valid_until - timedelta(microseconds=1), valid_until - timedelta(seconds=1)}
    for start, end in core.intervals(now, valid_until):
        instants |= {start, start - timedelta(microseconds=1), end, end - timedelta(microseconds=1)}
    fractions = data.draw(st.lists(st.floats(0, 1, exclude_max=True), max_size=4), label="at")
    instants |= {now + span * f for f in fractions}
    for t in sorted(i for i in instants if now <= i < valid_until):
        expected = core.state(t).on
        assert ws.quiet_state(t).on is expected, t
        assert facts.quiet is expected, (t, facts.quiet_until, valid_until)
        cached = cached_facts(root, t)
        assert cached is None or cached.quiet is expected, (t, cached)
    assert cached_facts(root, now) == facts  # the fast path is used when nothing changed
    assert cached_facts(root, valid_until) is None  # and never past its expiry
