"""An old source log still renders: lines written before version 2 (no `event`, no
`irreversible`, no range hashes; the oldest without ranges) are read by every reader, as
accepted and not marked irreversible, beside the new kinds of line."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import cli
from workspaces import make_workspace

OLDEST = {  # the first format: no ranges
    "version": 1,
    "at": "2026-10-01T09:00:00Z",
    "draft": "oldest",
    "title": "Guard the empty cart",
    "stream": "checkout/a",
    "agent": "claude-code",
    "confidence": 0.82,
    "sources": [{"kind": "doc", "ref": "docs/money.md", "why": "rule of record"}],
    "evidence": [{"kind": "test", "ref": "tests/test_checkout.py::test_pay", "status": "passed"}],
    "accepted_by": "dev@example.com",
    "files": ["src/checkout.py"],
}
OLDER = {  # with ranges, a verification, a vouch: version 1 as the last release wrote it
    **OLDEST,
    "at": "2026-10-02T09:00:00Z",
    "draft": "older",
    "title": "Round the total",
    "sources": [
        {"kind": "human", "ref": "dev@example.com, 2026-10-02T08:59:00Z", "why": "read it"}
    ],
    "ranges": {"src/checkout.py": [[13, 13]]},
    "verification": {
        "outcome": "passed",
        "at": "2026-10-02T08:58:00Z",
        "by": "dev@example.com",
        "command": ["pytest", "-q"],
        "exit_code": 0,
        "duration_s": 1.5,
    },
    "vouched": {"by": "dev@example.com", "at": "2026-10-02T08:59:00Z", "note": "read it"},
}
NOT_KEPT = {
    "version": 2,
    "event": "not kept",
    "at": "2026-10-03T09:05:00Z",
    "draft": "later",
    "title": "Drop the legacy table",
    "stream": "db/a",
    "agent": "aider",
    "applied_by": "dev@example.com",
    "applied_at": "2026-10-03T09:00:00Z",
    "what": "migrations/001.sql: closed without saving",
    "files": ["migrations/001.sql"],
    "irreversible": True,
}


def test_an_old_log_renders_in_every_view_and_counts_in_the_report(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    lines = [json.dumps(OLDEST), json.dumps(OLDER), json.dumps(NOT_KEPT)]
    (root / ".stitch" / "source-log.jsonl").write_text("\n".join(lines) + "\n")

    text = cli(root, "log")
    assert text.returncode == 0 and text.stderr == "", text.stderr
    assert "ACCEPTED: Guard the empty cart" in text.stdout
    assert "ACCEPTED: Round the total" in text.stdout
    assert "vouched for by dev@example.com" in text.stdout
    assert "evidence verified here: passed" in text.stdout
    assert "NOT KEPT (IRREVERSIBLE): Drop the legacy table" in text.stdout
    assert "IRREVERSIBLE" not in text.stdout.split("NOT KEPT")[0]  # old lines: not marked

    markdown = cli(root, "log", "--format", "md").stdout
    assert "## Accepted: Guard the empty cart" in markdown
    assert "## Not kept (irreversible): Drop the legacy table" in markdown
    page = cli(root, "log", "--format", "html").stdout
    assert page.count('<section class="event accepted"') == 2
    assert '<section class="event not-kept irreversible"' in page

    data = json.loads(cli(root, "log", "--json").stdout)
    assert [(e["draft"], e["event"], e["version"]) for e in data] == [
        ("oldest", "accepted", 1),
        ("older", "accepted", 1),
        ("later", "not kept", 2),
    ]
    assert [e.get("irreversible") for e in data] == [False, False, True]

    trace = cli(root, "log", "--format", "agent-trace")
    assert trace.returncode == 0, trace.stderr
    records = [json.loads(line) for line in trace.stdout.splitlines()]
    assert [
        (r["metadata"]["dev.stitch"]["draft"], r["metadata"]["dev.stitch"]["irreversible"])
        for r in records
    ] == [("oldest", False), ("older", False)]

    report = json.loads(cli(root, "report", "--json").stdout)
    claude = report["by_agent"]["claude-code"]
    assert (claude["applied"], claude["vouched"], claude["unsourced"]) == (2, 1, 1)
    assert report["by_agent"]["aider"]["not_kept"] == 1
