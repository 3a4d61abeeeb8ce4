"""Trust budget arithmetic, the state file, the source log and safe rendering."""

from __future__ import annotations

import json
import multiprocessing
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stitch_ls.core.drafts.model import Source, SourceLogEntry
from stitch_ls.core.files.fsio import append_line, atomic_write
from stitch_ls.core.files.paths import StitchPaths, glob_match, resolve_inside
from stitch_ls.core.policy import trust
from stitch_ls.core.policy.state import read_state, update_state
from stitch_ls.core.record.logbook import LogBook, accepted_event, to_markdown
from stitch_ls.core.record.sourcelog import append_entry, read_entries
from stitch_ls.core.safetext import escape_markdown, markdown_ref, safe_link

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_budget_counts_only_the_last_hour_of_development():
    minutes: list[int] = []
    arrivals = {f"d{i}": T0 for i in range(4)}
    assert trust.budget_state(arrivals, minutes, 3).exhausted  # no activity yet: all count
    for m in range(0, 60):
        minutes = trust.record_activity(minutes, T0 + timedelta(minutes=m))
    assert trust.budget_state(arrivals, minutes, 3) == trust.Budget(4, 3, True)
    # idle for a day: nothing moves, the window is still that hour
    assert trust.budget_state(arrivals, minutes, 3).used == 4
    # one more active minute the next day pushes the window past the arrivals' minute
    minutes = trust.record_activity(minutes, T0 + timedelta(days=1))
    assert trust.budget_state(arrivals, minutes, 3) == trust.Budget(0, 3, False)
    assert len(minutes) == 60


def test_record_activity_is_per_minute():
    minutes = trust.record_activity([], T0)
    assert trust.record_activity(minutes, T0 + timedelta(seconds=30)) is minutes


def test_state_round_trip_and_broken_state_is_strict(tmp_path: Path):
    paths = StitchPaths(tmp_path)
    assert read_state(paths).read_only.on is False

    def flip(state):
        state.read_only.on = True
        state.read_only.reason = "incident"

    update_state(paths, flip)
    assert read_state(paths).read_only.reason == "incident"
    paths.state.write_text('{"version": 1, "read_only": ')
    broken = read_state(paths)
    assert broken.read_only.on and "unreadable" in broken.read_only.reason


def _hammer(path: str, tag: str, count: int) -> None:
    for index in range(count):
        append_line(Path(path), json.dumps({"writer": tag, "n": index, "pad": "x" * 300}))


def test_two_processes_appending_keep_every_line(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    procs = [
        multiprocessing.get_context("spawn").Process(target=_hammer, args=(str(log), tag, 1000))
        for tag in ("a", "b")
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    lines = log.read_text().splitlines()
    assert len(lines) == 2000
    parsed = [json.loads(line) for line in lines]
    for tag in ("a", "b"):
        assert [p["n"] for p in parsed if p["writer"] == tag] == list(range(1000))


def test_atomic_write_replaces_whole(tmp_path: Path):
    target = tmp_path / "f.json"
    atomic_write(target, "old")
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_source_log_reads_back_and_skips_garbage(tmp_path: Path):
    log = tmp_path / "source-log.jsonl"
    entry = SourceLogEntry(
        at=T0,
        draft="d1",
        title="Add *tests*",
        stream="checkout/a",
        agent="bot",
        confidence=0.8,
        sources=[Source(kind="doc", ref="[x](command:rm)", why="<b>trusted</b>")],
        evidence=[],
        accepted_by="dev@example.com",
        files=["src/a.py"],
    )
    append_entry(log, entry)
    with log.open("a") as handle:
        handle.write("not json\n")
    entries, problems = read_entries(log)
    assert entries == [entry] and len(problems) == 1
    text = to_markdown(LogBook([accepted_event(e, UTC) for e in entries], UTC, []))
    assert "accepted by dev@example.com" in text
    assert "\\[x\\](command:rm)" in text and "\\<b\\>" in text


def test_links_only_for_http_and_workspace_files(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "api.md").write_text("x")
    assert safe_link("https://example.com/a", tmp_path) == "https://example.com/a"
    assert safe_link("docs/api.md#intro", tmp_path) == (tmp_path / "docs/api.md").as_uri()
    for hostile in [
        "command:workbench.action.terminal.new",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "file:///etc/passwd",
        "/etc/passwd",
        "../outside.md",
        "https://example.com/a) [x](command:y",
        "vscode://settings",
    ]:
        assert safe_link(hostile, tmp_path) is None, hostile
        assert not re.search(r"(?<!\\)\]\(", markdown_ref(hostile, tmp_path)), hostile
    assert escape_markdown("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)\\>"


def test_paths_never_resolve_outside(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    try:
        resolve_inside(root, "link/secret")
    except ValueError as exc:
        assert "outside" in str(exc)
    else:
        raise AssertionError("symlink escape allowed")
    assert glob_match("migrations/0001.sql", "migrations/**")
    assert glob_match("db/x/y.sql", "**/*.sql") and glob_match("y.sql", "**/*.sql")
    assert not glob_match("src/migrations.py", "migrations/**")


def test_each_agents_budget_follows_its_arrivals_as_they_come_and_are_pruned(tmp_path: Path):
    """`budgets()` is kept between asks (a gate context asks every time): an arrival added in
    place, another agent, a window that moves on and a new state all count at once."""
    from stitch_ls.core.workspace import StitchWorkspace
    from workspaces import make_workspace

    ws = StitchWorkspace(make_workspace(tmp_path / "ws"))
    ws.load_state()
    ws.load_config()
    state = ws.state
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    state.activity_minutes = [int(now.timestamp() // 60) - 30]
    state.unsourced_arrivals["a"] = now
    state.unsourced_agents["a"] = "cursor"
    assert {k: b.used for k, b in ws.budgets().items()} == {"cursor": 1}
    state.unsourced_arrivals["b"] = now
    state.unsourced_agents["b"] = "cursor"
    state.unsourced_arrivals["c"] = now
    state.unsourced_agents["c"] = "claude-code"
    assert {k: b.used for k, b in ws.budgets().items()} == {"claude-code": 1, "cursor": 2}
    ws.budgets()["cursor"] = trust.Budget(99, 99, True)  # an answer changed by its reader
    assert ws.budgets()["cursor"].used == 2
    # the window moves past the arrivals: none of them counts any more
    state.activity_minutes = [int((now + timedelta(hours=2)).timestamp() // 60)]
    assert ws.budgets() == {}
    ws.use_state(type(state)())  # a new state from the indexer
    assert ws.budgets() == {}
