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
    assert not ws.read_only().on  # one agent past its budget: that agent, not every agent
    assert ws.agents_read_only() == {
        "claude-code": "claude-code is read-only: 2 unsourced drafts this hour of development "
        "(its budget 1)"
    }
    for minute in range(1, 62):
        ws.note_activity(T0 + timedelta(minutes=minute))
    assert ws.agents_read_only() == {}
    assert ws.budget().used == 0

    ws.set_read_only(True, "manual", "lead@example.com", T0, door="terminal")
    write_draft(ws.root, draft("u3", sources=[]))
    ws.scan_drafts(T0 + timedelta(minutes=62))
    for minute in range(63, 200):
        ws.note_activity(T0 + timedelta(minutes=minute))
    assert ws.read_only().on and ws.read_only().by == "lead@example.com"


def test_raised_floor_comes_back_down(tmp_path: Path):
    ws = ws_with(tmp_path / "ws", TEAM.replace("unsourced_per_hour = 3", "unsourced_per_hour = 0"))
    write_draft(ws.root, draft("u1", sources=[]))
    ws.scan_drafts(T0)
    assert ws.floor("claude-code") == (0.8, "claude-code's trust budget")
    assert ws.floor("aider") == (0.65, "team file")
    for minute in range(1, 62):
        ws.note_activity(T0 + timedelta(minutes=minute))
    assert ws.floor("claude-code") == (0.65, "team file")


def test_each_agent_has_its_own_budget_and_the_team_may_cap_them_all(tmp_path: Path):
    """One agent's fourth unsourced draft raises its own floor, not another's: the other
    agent's sourced 0.77 draft stays actionable (a workspace-wide counter put it under 0.80)."""
    ws = ws_with(tmp_path / "ws", TEAM)
    for n in range(4):
        write_draft(ws.root, draft(f"u{n}", sources=[]))
    write_draft(ws.root, draft("theirs", agent="aider", confidence=0.77))
    write_draft(ws.root, draft("mine", confidence=0.77))
    ws.scan_drafts(T0)
    assert ws.budget("claude-code").exhausted and not ws.budget("aider").exhausted
    by_id = {
        e.record.id: e.decision
        for e in ws.evaluate_all(ws.pending_records(), ws.gate_context(T0), {})
    }
    assert by_id["theirs"].gate.value == "actionable"
    assert by_id["mine"].gate.value == "below_floor"
    assert by_id["mine"].reason == "0.77 < floor 0.80 (from claude-code's trust budget)"
    status = ws.status(T0, ws.read_disk, lambda *a: "no symbols")
    assert status["trust"]["text"] == "unsourced: 4 of 3 used (claude-code) — exhausted"
    assert status["floor"]["raised"] == {"claude-code": 0.8}

    capped = ws_with(
        tmp_path / "capped", TEAM.replace("scrutiny_raise", "team_per_hour = 4\nscrutiny_raise")
    )
    for n in range(3):
        write_draft(capped.root, draft(f"a{n}", sources=[]))
    for n in range(2):
        write_draft(capped.root, draft(f"b{n}", agent="aider", sources=[]))
    write_draft(capped.root, draft("third", agent="cursor", confidence=0.77))
    capped.scan_drafts(T0)
    assert not capped.budget("claude-code").exhausted  # 3 of 3: each within its own budget
    assert capped.team_budget() == capped.team_budget().__class__(5, 4, True)  # 5 of 4 in all
    assert capped.floor("cursor") == (0.8, "trust budget (all agents)")
    status = capped.status(T0, capped.read_disk, lambda *a: "no symbols")
    assert status["trust"]["text"] == (
        "unsourced: 3 of 3 used (claude-code) · all agents 5 of 4 — exhausted"
    )
    assert status["trust"]["team"] == {"used": 5, "cap": 4, "exhausted": True}


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
    assert status["floor"] == {"value": 0.65, "from": "team file", "raised": {}}
    assert status["trust"] == {
        "used": 1,
        "budget": 3,
        "exhausted": False,
        "agent": "claude-code",
        "on_exhausted": "raise_floor",
        "agents": {"claude-code": {"used": 1, "budget": 3, "exhausted": False}},
        "team": None,
        "text": "unsourced: 1 of 3 used (claude-code)",
    }
    assert status["drafts"]["pending"] == 2
    assert status["drafts"]["actionable"] == 1 and status["drafts"]["parked"] == 1


def test_status_times_come_readable_beside_the_iso_ones(tmp_path: Path, monkeypatch):
    """The editors show `*_text` as it is: the one format of `core.timefmt`, in the team's
    zone, with the reader's own time beside it when it differs."""
    monkeypatch.setenv("TZ", "UTC")
    team = TEAM + '\n[quiet_hours]\ntimezone = "Europe/Kyiv"\n'
    ws = ws_with(tmp_path / "ws", team)
    ws.set_read_only(True, "incident", "lead@example.com", T0, door="terminal")
    ws.set_focus(90, T0)
    status = ws.status(T0, ws.read_disk, lambda *a: "no symbols")
    assert status["zone"] == "Europe/Kyiv"
    assert status["read_only"]["since"] == "2026-11-30T09:00:00Z"
    assert status["read_only"]["since_text"] == "2026-11-30 11:00 EET (09:00 your time)"
    assert status["quiet"]["until"] == "2026-11-30T10:30:00Z"
    assert status["quiet"]["until_text"] == "2026-11-30 12:30 EET (10:30 your time)"
    assert status["quiet"]["next_start"] is None and status["quiet"]["next_start_text"] is None
    ws.set_read_only(False, None, "lead@example.com", T0, door="terminal")
    assert ws.status(T0, ws.read_disk, lambda *a: "")["read_only"]["since_text"] is None


def test_reload_reads_only_what_changed_and_ignores_its_own_writes(tmp_path: Path):
    ws = ws_with(tmp_path / "ws", TEAM)
    assert ws.reload(None, T0).everything
    ws.note_activity(T0)  # this process's own write of state.json
    found = ws.reload({ws.paths.state}, T0)
    assert not found.state and not found.drafts.any and not found.config
    other = StitchWorkspace(ws.root)  # another process (the CLI) turns agents read-only
    other.load_state()
    other.set_read_only(True, "release freeze", "lead@example.com", T0, door="terminal")
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
    assert ws.quiet_window_name(inside) == "while you were in quiet hours (09:30–11:30)"
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
        "while you were in quiet hours (09:30–11:30): 1 draft, 1 prompt, 2 stitch points queued"
    )
    ws.arrivals.next_window(None)
    assert ws.arrivals.summary() is None
    ws.set_focus(30, inside + timedelta(hours=3))
    assert (
        ws.quiet_window_name(inside + timedelta(hours=3)) == "while you were in your focus session"
    )
