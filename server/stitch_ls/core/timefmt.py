"""Instants as people read them: in the workspace's zone (the team's quiet-hours zone, else the
machine's), to the minute, with the zone's name, and the reader's own time beside it when
their zone shows the instant otherwise. Every door (CLI, MCP, LSP messages) formats through
here, so one instant reads the same everywhere; JSON keeps ISO 8601 in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from stitch_ls.core.policy.effective import local_zone
from stitch_ls.core.policy.quiet import parse_timezone


def workspace_zone(team_timezone: str | None) -> tzinfo:
    """The team's quiet-hours zone when the team file names one, else the machine's."""
    if team_timezone:
        try:
            return parse_timezone(team_timezone)
        except ValueError:
            pass
    return local_zone()


def human_time(
    value: datetime | None, zone: tzinfo | None, own: tzinfo | None = None
) -> str | None:
    """`2026-12-01 03:29 EET`: to the minute, in `zone` (UTC when None), zone named; and when
    the reader's own zone (`own`, else the machine's) shows that instant otherwise, theirs
    after it: `2026-12-01 03:29 EET (02:29 your time)` (with the date when it differs)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone or UTC)
    name = local.strftime("%Z") or local.strftime("%z")
    text = local.strftime("%Y-%m-%d %H:%M ") + name
    if own is None:
        own = local_zone()
    mine = value.astimezone(own)
    if mine.utcoffset() == local.utcoffset():
        return text
    if mine.date() == local.date():
        return f"{text} ({mine:%H:%M} your time)"
    return f"{text} ({mine:%Y-%m-%d %H:%M} your time)"


def human_iso(value: str | None, zone: tzinfo | None) -> str | None:
    """`human_time` of an ISO 8601 instant (the status object's form)."""
    if not value:
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return human_time(parsed, zone)


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, `Z`-suffixed (the JSON form)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
