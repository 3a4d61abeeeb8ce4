"""The team file, its line-located errors, and the tighten-only merge with editor settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from stitch_ls.core.policy.config import (
    EditorSettings,
    TeamConfig,
    load_team_config,
    parse_editor_settings,
)
from stitch_ls.core.policy.effective import effective_policy

UTC = ZoneInfo("UTC")

GOOD = """\
[agents]
confidence_floor = 0.65
irreversible_paths = ["migrations/**", "**/*.sql"]

[trust]
unsourced_per_hour = 3

[quiet_hours]
timezone = "Europe/Kyiv"
[[quiet_hours.windows]]
days = ["mon", "tue"]
start = "09:30"
end = "11:30"
[[quiet_hours.windows]]
days = ["fri"]
start = "14:00"
end = "16:00"

[features.checkout]
stitch_owner = "lead@example.com"
"""


def problems(text: str):
    result = load_team_config(text)
    assert isinstance(result, list), result
    return result


def test_good_file_loads():
    config = load_team_config(GOOD)
    assert isinstance(config, TeamConfig)
    assert len(config.quiet_hours.windows) == 2
    assert config.features["checkout"].stitch_owner == "lead@example.com"


def test_bad_toml_points_at_its_line():
    [problem] = problems("[agents]\nconfidence_floor = = 0.5\n")
    assert problem.line == 1 and "not valid TOML" in problem.message


def test_out_of_range_floor_points_at_the_key():
    [problem] = problems(GOOD.replace("confidence_floor = 0.65", "confidence_floor = 1.7"))
    assert problem.line == 1
    assert "agents.confidence_floor" in problem.message


def test_unknown_key_points_at_the_key():
    text = GOOD.replace("[trust]\n", "[trust]\nunsourced_per_day = 4\n")
    [problem] = problems(text)
    assert problem.message == "unknown key `trust.unsourced_per_day`"
    assert text.splitlines()[problem.line].startswith("unsourced_per_day")


def test_bad_time_in_second_window_points_at_that_window():
    text = GOOD.replace('start = "14:00"', 'start = "25:00"')
    [problem] = problems(text)
    assert text.splitlines()[problem.line] == 'start = "25:00"'


def test_bad_timezone_is_a_problem():
    [problem] = problems(GOOD.replace("Europe/Kyiv", "Mars/Olympus"))
    assert "Mars/Olympus" in problem.message


def test_editor_may_tighten_but_not_loosen():
    team = load_team_config(GOOD)
    tighter, _ = parse_editor_settings({"confidenceFloor": 0.8, "trust": {"unsourcedPerHour": 1}})
    policy = effective_policy(team, tighter, UTC)
    assert (policy.floor, policy.floor_from) == (0.8, "editor settings")
    assert (policy.unsourced_per_hour, policy.budget_from) == (1, "editor settings")

    looser, _ = parse_editor_settings({"confidenceFloor": 0.3, "trust": {"unsourcedPerHour": 9}})
    policy = effective_policy(team, looser, UTC)
    assert (policy.floor, policy.floor_from) == (0.65, "team file")
    assert policy.unsourced_per_hour == 3
    assert len(policy.notes) == 2 and "may only raise" in policy.notes[0]


def test_engineer_windows_add_and_cannot_remove_team_windows_unless_allowed():
    team = load_team_config(GOOD)
    mine, _ = parse_editor_settings(
        {
            "quietHours": {
                "windows": [{"days": ["sat"], "start": "08:00", "end": "09:00"}],
                "removeTeamWindows": True,
            }
        }
    )
    policy = effective_policy(team, mine, UTC)
    assert len(policy.windows) == 3
    assert policy.notes == (
        "stitch.quietHours.removeTeamWindows is ignored: the team file does not allow it",
    )
    assert policy.team_read_only is False
    allowing = load_team_config(
        GOOD.replace("[quiet_hours]\n", "[quiet_hours]\nengineers_may_remove = true\n")
    )
    assert len(effective_policy(allowing, mine, UTC).windows) == 1


def test_settings_arrive_in_either_shape():
    flat, _ = parse_editor_settings({"confidenceFloor": 0.9})
    nested, _ = parse_editor_settings({"settings": {"stitch": {"confidenceFloor": 0.9}}})
    neovim, _ = parse_editor_settings({"stitch": {"confidenceFloor": 0.9}})
    assert flat == nested == neovim == EditorSettings(confidence_floor=0.9)


def test_invalid_settings_are_ignored_with_a_note():
    settings, notes = parse_editor_settings({"confidenceFloor": "high"})
    assert settings == EditorSettings()
    assert notes and "confidenceFloor" in notes[0]


def test_an_editor_value_equal_to_the_team_s_changes_nothing_and_says_nothing():
    team = load_team_config(GOOD)
    same, _ = parse_editor_settings({"confidenceFloor": 0.65, "trust": {"unsourcedPerHour": 3}})
    policy = effective_policy(team, same, UTC, team_from="team file (HEAD)")
    assert (policy.floor, policy.floor_from) == (0.65, "team file (HEAD)")
    assert (policy.unsourced_per_hour, policy.budget_from) == (3, "team file (HEAD)")
    assert policy.notes == ()


def test_ignored_editor_values_are_named_exactly():
    team = load_team_config(GOOD)
    looser, _ = parse_editor_settings({"confidenceFloor": 0.3, "trust": {"unsourcedPerHour": 9}})
    assert effective_policy(team, looser, UTC).notes == (
        "stitch.confidenceFloor 0.3 is ignored: the team floor is 0.65 and an editor may only raise it",
        "stitch.trust.unsourcedPerHour 9 is ignored: the team budget is 3 and an editor may only lower it",
    )


def test_windows_carry_their_own_zone_and_fall_back_to_the_default():
    team = load_team_config(GOOD)
    mine, _ = parse_editor_settings(
        {"quietHours": {"windows": [{"days": ["sat"], "start": "08:00", "end": "09:00"}]}}
    )
    berlin = ZoneInfo("Europe/Berlin")
    policy = effective_policy(team, mine, berlin)
    assert [str(zone) for _, zone in policy.windows] == ["Europe/Kyiv"] * 2 + ["Europe/Berlin"]
    zoned, _ = parse_editor_settings(
        {
            "quietHours": {
                "timezone": "Asia/Tokyo",
                "windows": [{"days": ["sat"], "start": "08:00", "end": "09:00"}],
            }
        }
    )
    no_zone = load_team_config(GOOD.replace('timezone = "Europe/Kyiv"\n', ""))
    policy = effective_policy(no_zone, zoned, berlin)
    assert [str(zone) for _, zone in policy.windows] == ["Europe/Berlin"] * 2 + ["Asia/Tokyo"]


def test_local_zone_reads_tz_then_the_localtime_link_then_falls_back_to_utc(monkeypatch):
    import os

    from stitch_ls.core.policy.effective import local_zone

    monkeypatch.setenv("TZ", ":Europe/Berlin")
    assert str(local_zone()) == "Europe/Berlin"
    monkeypatch.setenv("TZ", "Mars/Olympus")
    assert str(local_zone()) == "UTC"
    monkeypatch.setenv("TZ", "")
    links = {"/etc/localtime": "/usr/share/zoneinfo/America/New_York"}
    monkeypatch.setattr(os, "readlink", lambda path: links[path])
    assert str(local_zone()) == "America/New_York"
    links["/etc/localtime"] = "/etc/some-file"
    assert str(local_zone()) == "UTC"

    def missing(path):
        raise OSError("no link")

    monkeypatch.delenv("TZ")
    links["/etc/localtime"] = "/usr/share/zoneinfo/Asia/Tokyo"
    assert str(local_zone()) == "Asia/Tokyo"  # TZ unset: the link is read
    monkeypatch.setattr(os, "readlink", missing)
    assert str(local_zone()) == "UTC"
