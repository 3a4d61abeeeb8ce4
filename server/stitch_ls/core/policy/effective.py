"""The effective policy: the team file, tightened (never loosened) by editor settings.

Each value remembers where it came from, so the status and the editor can say why the floor
is what it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from stitch_ls.core.policy.config import EditorSettings, TeamConfig
from stitch_ls.core.policy.quiet import QuietWindow, parse_timezone


@dataclass(frozen=True)
class EffectivePolicy:
    floor: float
    floor_from: str
    unsourced_per_hour: int  # each agent's
    budget_from: str
    on_exhausted: str
    scrutiny_raise: float
    team_read_only: bool
    irreversible_paths: tuple[str, ...]
    windows: tuple[tuple[QuietWindow, ZoneInfo], ...]
    notes: tuple[str, ...] = field(default=())
    team_per_hour: int | None = None  # every agent's together (`[trust] team_per_hour`)


def local_zone() -> ZoneInfo:
    """The machine's IANA zone, falling back to UTC when it cannot be named."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            link = os.readlink("/etc/localtime")
            name = link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else ""
        except OSError:
            name = ""
    try:
        return parse_timezone(name) if name else ZoneInfo("UTC")
    except ValueError:
        return ZoneInfo("UTC")


def effective_policy(
    team: TeamConfig,
    editor: EditorSettings,
    default_zone: ZoneInfo | None = None,
    team_from: str = "team file",
) -> EffectivePolicy:
    """Merge team and editor: floor = the higher, budget = the lower, windows = the union.
    `team_from` names where the team's values came from (never "team file" when they did
    not: built-in defaults, a fallback, a lock-down)."""
    notes: list[str] = []
    zone = default_zone or local_zone()

    floor, floor_from = team.agents.confidence_floor, team_from
    if editor.confidence_floor is not None:
        if editor.confidence_floor > floor:
            floor, floor_from = editor.confidence_floor, "editor settings"
        elif editor.confidence_floor < floor:
            notes.append(
                f"stitch.confidenceFloor {editor.confidence_floor:g} is ignored: "
                f"the team floor is {floor:g} and an editor may only raise it"
            )

    budget, budget_from = team.trust.unsourced_per_hour, team_from
    wanted = editor.trust.unsourced_per_hour
    if wanted is not None:
        if wanted < budget:
            budget, budget_from = wanted, "editor settings"
        elif wanted > budget:
            notes.append(
                f"stitch.trust.unsourcedPerHour {wanted} is ignored: "
                f"the team budget is {budget} and an editor may only lower it"
            )

    team_zone = parse_timezone(team.quiet_hours.timezone) if team.quiet_hours.timezone else zone
    editor_zone = (
        parse_timezone(editor.quiet_hours.timezone) if editor.quiet_hours.timezone else zone
    )
    windows: list[tuple[QuietWindow, ZoneInfo]] = []
    if editor.quiet_hours.remove_team_windows and team.quiet_hours.engineers_may_remove:
        pass
    else:
        if editor.quiet_hours.remove_team_windows:
            notes.append(
                "stitch.quietHours.removeTeamWindows is ignored: the team file does not allow it"
            )
        windows.extend((window, _zone(window, team_zone)) for window in team.quiet_hours.windows)
    windows.extend((window, _zone(window, editor_zone)) for window in editor.quiet_hours.windows)

    return EffectivePolicy(
        floor=floor,
        floor_from=floor_from,
        unsourced_per_hour=budget,
        budget_from=budget_from,
        on_exhausted=team.trust.on_exhausted,
        scrutiny_raise=team.trust.scrutiny_raise,
        team_read_only=team.agents.read_only,
        irreversible_paths=tuple(team.agents.irreversible_paths),
        windows=tuple(windows),
        notes=tuple(notes),
        team_per_hour=team.trust.team_per_hour,
    )


def _zone(window: QuietWindow, default: ZoneInfo) -> ZoneInfo:
    """A window's own zone where it names one, else its policy's."""
    return parse_timezone(window.timezone) if window.timezone else default
