"""The workspace facade with time as an argument: budget undo, read-only precedence, status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from stitch_ls.core.workspace import StitchWorkspace
from workspaces import TEAM, draft, make_workspace, write_draft

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def ws_with(root: Path, team: str) -> StitchWorkspace:
    make_workspace(root, team)
    ws = StitchWorkspace(root)
    ws.load_state()
    assert ws.load_config() == []
    return ws


def test_budget_read_only_undoes_itself_but_never_a_humans(tmp_path: Path):
    team = TEAM.replace("unsourced_per_hour = 3", "unsourced_per_hour = 1").replace(
        '"raise_floor"', '"read_only"'
    )
    ws = ws_with(tmp_path / "ws", team)
    write_draft(ws.root, draft("u1", sources=[]))
    write_draft(ws.root, draft("u2", sources=[]))
    ws.scan_drafts(T0)
    assert ws.read_only().on and ws.read_only().by == "trust budget"
    for minute in range(1, 62):
        ws.note_activity(T0 + timedelta(minutes=minute))
    assert not ws.read_only().on
    assert ws.budget().used == 0

    ws.set_read_only(True, "manual", "lead@example.com", T0)
    write_draft(ws.root, draft("u3", sources=[]))
    ws.scan_drafts(T0 + timedelta(minutes=62))
    for minute in range(63, 200):
        ws.note_activity(T0 + timedelta(minutes=minute))
    assert ws.read_only().on and ws.read_only().by == "lead@example.com"


def test_raised_floor_comes_back_down(tmp_path: Path):
    ws = ws_with(tmp_path / "ws", TEAM.replace("unsourced_per_hour = 3", "unsourced_per_hour = 0"))
    write_draft(ws.root, draft("u1", sources=[]))
    ws.scan_drafts(T0)
    assert ws.floor() == (0.8, "trust budget")
    for minute in range(1, 62):
        ws.note_activity(T0 + timedelta(minutes=minute))
    assert ws.floor() == (0.65, "team file")


def test_counting_survives_a_restart_and_counts_each_draft_once(tmp_path: Path):
    ws = ws_with(tmp_path / "ws", TEAM)
    write_draft(ws.root, draft("u1", sources=[]))
    ws.scan_drafts(T0)
    again = StitchWorkspace(ws.root)
    again.load_state()
    again.load_config()
    again.scan_drafts(T0 + timedelta(minutes=5))
    assert again.budget().used == 1


def test_status_object_has_the_contract_fields(tmp_path: Path):
    ws = ws_with(tmp_path / "ws", TEAM)
    write_draft(ws.root, draft("ready"))
    write_draft(ws.root, draft("parked", sources=[]))
    ws.scan_drafts(T0)
    status = ws.status(T0, ws.read_disk, lambda *a: "no symbols")
    assert set(status["read_only"]) >= {"on", "by", "since", "reason"}
    assert set(status["quiet"]) >= {"on", "until", "next_start"}
    assert status["floor"] == {"value": 0.65, "from": "team file"}
    assert status["trust"] == {
        "used": 1,
        "budget": 3,
        "exhausted": False,
        "on_exhausted": "raise_floor",
    }
    assert status["drafts"]["pending"] == 2
    assert status["drafts"]["actionable"] == 1 and status["drafts"]["parked"] == 1


def test_status_times_come_readable_beside_the_iso_ones(tmp_path: Path, monkeypatch):
    """The editors show `*_text` as it is: the one format of `core.timefmt`, in the team's
    zone, with the reader's own time beside it when it differs."""
    monkeypatch.setenv("TZ", "UTC")
    team = TEAM + '\n[quiet_hours]\ntimezone = "Europe/Kyiv"\n'
    ws = ws_with(tmp_path / "ws", team)
    ws.set_read_only(True, "incident", "lead@example.com", T0)
    ws.set_focus(90, T0)
    status = ws.status(T0, ws.read_disk, lambda *a: "no symbols")
    assert status["zone"] == "Europe/Kyiv"
    assert status["read_only"]["since"] == "2026-11-30T09:00:00Z"
    assert status["read_only"]["since_text"] == "2026-11-30 11:00 EET (09:00 your time)"
    assert status["quiet"]["until"] == "2026-11-30T10:30:00Z"
    assert status["quiet"]["until_text"] == "2026-11-30 12:30 EET (10:30 your time)"
    assert status["quiet"]["next_start"] is None and status["quiet"]["next_start_text"] is None
    ws.set_read_only(False, None, "lead@example.com", T0)
    assert ws.status(T0, ws.read_disk, lambda *a: "")["read_only"]["since_text"] is None


def test_reload_reads_only_what_changed_and_ignores_its_own_writes(tmp_path: Path):
    ws = ws_with(tmp_path / "ws", TEAM)
    assert ws.reload(None, T0).everything
    ws.note_activity(T0)  # this process's own write of state.json
    found = ws.reload({ws.paths.state}, T0)
    assert not found.state and not found.drafts.any and not found.config
    other = StitchWorkspace(ws.root)  # another process (the CLI) turns agents read-only
    other.load_state()
    other.set_read_only(True, "release freeze", "lead@example.com", T0)
    assert ws.reload({ws.paths.state}, T0).state and ws.read_only().on
    path = write_draft(ws.root, draft("fresh"))
    found = ws.reload({path}, T0)
    assert found.drafts.added == ["fresh"] and not found.state and not found.config
    found = ws.reload({ws.paths.config, ws.paths.prompts / "q.json"}, T0)
    assert found.config and found.prompts and not found.drafts.any


QUIET = (
    TEAM
    + """
[quiet_hours]
timezone = "Europe/Kyiv"
[[quiet_hours.windows]]
days = ["mon"]
start = "09:30"
end = "11:30"
"""
)


def test_the_quiet_summary_counts_arrivals_and_names_the_window(tmp_path: Path):
    from stitch_ls.core.drafts.index import ScanResult

    ws = ws_with(tmp_path / "ws", QUIET)
    inside = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv, a Monday
    assert ws.quiet_window_name(inside) == "during quiet hours 09:30–11:30"
    assert ws.quiet_window_name(inside + timedelta(hours=3)) is None
    ws.arrivals.next_window(ws.quiet_window_name(inside))
    # what a first look finds was there before the window: not an arrival
    ws.note_arrivals(ScanResult(added=[f"old-{n}" for n in range(15)]), inside, first=True)
    ws.arrivals.note("prompts", ["q-old"], False)
    ws.arrivals.note("points", ["p-old"], False)
    ws.note_arrivals(ScanResult(added=["new", "old-3"]), inside)
    ws.arrivals.note("prompts", ["q-old", "q-new"], True)
    ws.arrivals.note("points", ["p-old", "p1", "p2"], True)
    assert ws.arrivals.summary() == (
        "during quiet hours 09:30–11:30: 1 draft, 1 prompt, 2 stitch points arrived"
    )
    ws.arrivals.next_window(None)
    assert ws.arrivals.summary() is None
    ws.set_focus(30, inside + timedelta(hours=3))
    assert ws.quiet_window_name(inside + timedelta(hours=3)) == "during your focus session"
