"""The outcomes report from a log and state with known outcomes: exact figures, three formats."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.drafts.model import Source, SourceLogEntry
from stitch_ls.core.record.sourcelog import append_entry
from stitch_ls.core.workspace import StitchWorkspace
from workspaces import draft, write_draft

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SOURCE = Source(kind="doc", ref="d", why="w")


def seed(root: Path) -> None:
    """claude: 3 applied (0.9, 0.9, 0.85), 1 rejected (0.95); copilot: 1 applied (0.7),
    2 rejected (0.72, 0.75); aider: 1 parked, 1 stale pending; one old rejection before --since."""
    ws = StitchWorkspace(root)
    log = ws.paths.source_log
    for i, conf in enumerate([0.9, 0.9, 0.85]):
        append_entry(
            log,
            SourceLogEntry(
                at=T0,
                draft=f"c{i}",
                title="t",
                stream="checkout/a",
                agent="claude",
                confidence=conf,
                sources=[SOURCE],
                evidence=[],
                accepted_by="dev",
                files=["a"],
            ),
        )
    append_entry(
        log,
        SourceLogEntry(
            at=T0,
            draft="p0",
            title="t",
            stream="checkout/b",
            agent="copilot",
            confidence=0.7,
            sources=[SOURCE],
            evidence=[],
            accepted_by="dev",
            files=["a"],
        ),
    )
    for draft_id, agent, stream, conf, when in [
        ("c9", "claude", "checkout/a", 0.95, T0),
        ("p1", "copilot", "checkout/b", 0.72, T0),
        ("p2", "copilot", "checkout/b", 0.75, T0),
        ("old", "copilot", "checkout/b", 0.75, T0 - timedelta(days=30)),
    ]:
        write_draft(root, draft(draft_id, agent=agent, stream=stream, confidence=conf))
        ws.scan_drafts(when)
        ws.reject(draft_id, "wrong", "dev", when, door="terminal")
    write_draft(root, draft("a1", agent="aider", stream="checkout/b", sources=[]))
    stale = draft("a2", agent="aider", stream="checkout/b")
    stale["edits"][0]["expect"] = "not there"
    write_draft(root, stale)
    seed_cursor(log)


def seed_cursor(log: Path) -> None:
    """cursor (stream db/a): an irreversible draft applied, an unsourced one applied on a
    person's word (vouched), and one apply that was never kept."""
    from stitch_ls.core.drafts.model import NotKeptEntry, Vouched

    common = dict(title="t", stream="db/a", agent="cursor", evidence=[], accepted_by="dev")
    append_entry(
        log,
        SourceLogEntry(
            at=T0,
            draft="x0",
            confidence=0.9,
            sources=[SOURCE],
            files=["m.sql"],
            irreversible=True,
            **common,
        ),
    )
    append_entry(
        log,
        SourceLogEntry(
            at=T0,
            draft="x1",
            confidence=0.8,
            sources=[Source(kind="human", ref="dev, 2026-11-20", why="I checked it")],
            files=["a"],
            vouched=Vouched(by="dev", at=T0, note="I checked it"),
            **common,
        ),
    )
    append_entry(
        log,
        NotKeptEntry(
            at=T0,
            draft="x2",
            title="t",
            stream="db/a",
            agent="cursor",
            applied_by="dev",
            applied_at=T0,
            what="src/a.py: closed without saving",
            files=["src/a.py"],
        ),
    )


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stitch_ls", "report", *args, "--workspace", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_figures_are_exact(workspace: Path):
    seed(workspace)
    data = json.loads(cli(workspace, "--json", "--since", "2026-11-01").stdout)
    assert data["by_agent"]["claude"] == {
        "proposed": 4,
        "applied": 3,
        "unsaved": 0,
        "rejected": 1,
        "parked": 0,
        "stale": 0,
        "pending": 0,
        "unsourced": 0,
        "vouched": 0,
        "irreversible": 0,
        "not_kept": 0,
        "unsourced_rate": 0.0,
    }
    # the irreversible counted, the vouched one unsourced (and said), the apply not kept
    assert data["by_agent"]["cursor"] == {
        "proposed": 2,
        "applied": 2,
        "unsaved": 0,
        "rejected": 0,
        "parked": 0,
        "stale": 0,
        "pending": 0,
        "unsourced": 1,
        "vouched": 1,
        "irreversible": 1,
        "not_kept": 1,
        "unsourced_rate": 0.5,
    }
    assert (
        data["by_agent"]["copilot"]["applied"] == 1 and data["by_agent"]["copilot"]["rejected"] == 2
    )
    assert data["by_agent"]["aider"] == {
        "proposed": 2,
        "applied": 0,
        "unsaved": 0,
        "rejected": 0,
        "parked": 1,
        "stale": 1,
        "pending": 0,
        "unsourced": 1,
        "vouched": 0,
        "irreversible": 0,
        "not_kept": 0,
        "unsourced_rate": 0.5,
    }
    assert data["by_stream"]["checkout/b"]["proposed"] == 5
    assert data["calibration"] == [
        {"bucket": "0.7-0.8", "decided": 3, "applied": 1, "applied_share": 0.3333, "stated": 0.75},
        {"bucket": "0.8-0.9", "decided": 2, "applied": 2, "applied_share": 1.0, "stated": 0.85},
        {"bucket": "0.9-1.0", "decided": 4, "applied": 3, "applied_share": 0.75, "stated": 0.95},
    ]
    everything = json.loads(cli(workspace, "--json").stdout)
    assert everything["by_agent"]["copilot"]["rejected"] == 3  # the old one counts without --since


def test_markdown_and_bad_since(workspace: Path):
    seed(workspace)
    text = cli(workspace, "--since", "2026-11-01").stdout
    assert (
        "| agent | proposed | applied | irreversible | unsaved | not kept | rejected | parked "
        "| stale | pending | unsourced |" in text
    )
    assert "| claude | 4 | 3 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 (0%) |" in text
    assert "| cursor | 2 | 2 | 1 | 0 | 1 | 0 | 0 | 0 | 0 | 1 (50%; 1 vouched) |" in text
    assert "| 0.7-0.8 | 3 | 1 | 33% |" in text
    bad = cli(workspace, "--since", "last tuesday")
    assert bad.returncode == 2 and "--since takes a date" in bad.stderr


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (scripts/test.sh installs it)"
)
def test_html_is_self_contained_and_renders_in_a_headless_browser(workspace: Path, tmp_path: Path):
    seed(workspace)
    page = tmp_path / "report.html"
    page.write_text(cli(workspace, "--format", "html").stdout)
    source = page.read_text()
    assert "<script" not in source and "http://" not in source and "https://" not in source
    assert "<svg" in source
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        ["chromium", *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Stitch outcomes" in dom.stdout
    assert "claude" in dom.stdout and "share applied" in dom.stdout
    # a fresh folder: a screenshot left by an earlier run cannot pass for this one
    shots = tmp_path / "shots"
    shots.mkdir()
    shot = shots / "report.png"
    taken = subprocess.run(
        ["chromium", *flags, f"--screenshot={shot}", "--window-size=900,1200", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    # kept for a person to look at (CI uploads test-artifacts/)
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shutil.copyfile(shot, artifacts / "report.png")
