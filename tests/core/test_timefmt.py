"""Times as people read them: the team's zone first, the reader's own beside it when it
reads otherwise (`11:30 EET (10:30 your time)`), the date when the day differs too."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from stitch_ls.core.timefmt import human_iso, human_time

KYIV, BERLIN, TOKYO = ZoneInfo("Europe/Kyiv"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
AT = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)


def test_the_same_zone_says_it_once():
    assert human_time(AT, KYIV, own=KYIV) == "2026-11-30 11:30 EET"
    assert human_time(AT, None, own=UTC) == "2026-11-30 09:30 UTC"


def test_another_zone_adds_the_readers_time():
    assert human_time(AT, KYIV, own=BERLIN) == "2026-11-30 11:30 EET (10:30 your time)"


def test_another_day_adds_the_date():
    late = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert human_time(late, KYIV, own=TOKYO) == "2026-11-30 22:00 EET (2026-12-01 05:00 your time)"


def test_a_zone_with_the_same_offset_says_it_once():
    """Europe/Minsk and Europe/Istanbul differ in name, not in the hour shown: one time."""
    assert human_time(AT, ZoneInfo("Europe/Istanbul"), own=ZoneInfo("Europe/Minsk")) == (
        "2026-11-30 12:30 +03"
    )


def test_the_machines_zone_is_the_readers_by_default(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert human_time(AT, KYIV) == "2026-11-30 11:30 EET (10:30 your time)"
    assert human_iso("2026-11-30T09:30:00Z", KYIV) == "2026-11-30 11:30 EET (10:30 your time)"
    monkeypatch.setenv("TZ", "Europe/Kyiv")
    assert human_time(AT, KYIV) == "2026-11-30 11:30 EET"
