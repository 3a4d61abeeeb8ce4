"""The team's outcome exports: read as CSV or JSON lines, a bad line named and skipped, and the
week before a merge set against the week after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.record.signals import (
    MergeEvent,
    Signal,
    compare,
    merged_branch,
    read_signals,
    touched,
)

MERGE = datetime(2026, 3, 4, 11, 0, tzinfo=UTC)


def test_json_lines_with_epoch_and_iso_times_and_bad_lines_named(tmp_path: Path):
    file = tmp_path / "export.jsonl"
    file.write_text(
        '{"time": "2026-03-01T10:00:00Z", "service": "payments", "kind": "incident"}\n'
        "\n"
        '{"time": 1772704800, "service": "payments", "kind": "p95_ms", "value": 412.5}\n'
        "not json\n"
        '["a list"]\n'
        '{"time": "2026-03-01", "service": "", "kind": "incident"}\n'
        '{"time": "2026-03-01", "service": "s", "kind": "p95_ms"}\n'
        '{"time": "2026-03-01", "service": "s", "kind": "ticket", "value": "NaN"}\n'
        '{"time": "2026-03-01", "service": "s", "kind": "ticket", "value": true}\n'
        + "[" * 5000
        + "\n"
    )
    signals, problems = read_signals(file)
    assert signals == [
        Signal(datetime(2026, 3, 1, 10, tzinfo=UTC), "payments", "incident", 1.0),
        Signal(datetime.fromtimestamp(1772704800, UTC), "payments", "p95_ms", 412.5),
    ]
    assert problems == [
        "export.jsonl line 4: not JSON; skipped",
        "export.jsonl line 5: not a JSON object; skipped",
        "export.jsonl line 6: no service; skipped",
        "export.jsonl line 7: a p95_ms row needs a value; skipped",
        "export.jsonl line 8: value is not a finite number; skipped",
        "export.jsonl line 9: value is not a number; skipped",
        "export.jsonl line 10: nested too deeply; skipped",
    ]


def test_csv_needs_its_header_and_counts_lines_as_a_reader_would(tmp_path: Path):
    file = tmp_path / "export.csv"
    file.write_text(
        "\ufefftime,service,kind,value\n"
        "2026-03-01T10:00:00+02:00,payments,incident,1\n"
        '"2026-03-02T10:00:00Z","pay\nments",ticket,2\n'  # a quoted newline: one record
        "2026-03-03T10:00:00Z,payments,slo_breach,x\n"
        "2026-03-03T10:00:00Z,payments,slo_breach,1,extra\n"
    )
    signals, problems = read_signals(file)
    assert [(s.at.isoformat(), s.service, s.kind, s.value) for s in signals] == [
        ("2026-03-01T10:00:00+02:00", "payments", "incident", 1.0),
        ("2026-03-02T10:00:00+00:00", "pay\nments", "ticket", 2.0),
    ]
    assert problems == [
        "export.csv line 5: value 'x' is not a number; skipped",
        "export.csv line 6: 5 fields, the header has 4; skipped",
    ]
    (tmp_path / "bad.csv").write_text("when,what\n1,2\n")
    with pytest.raises(ValueError, match="the header must name time, service, kind"):
        read_signals(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="does not exist"):
        read_signals(tmp_path / "missing.csv")


def test_too_many_bad_lines_are_summed_up(tmp_path: Path):
    file = tmp_path / "x.jsonl"
    file.write_text("{}\n" * 80)
    _, problems = read_signals(file)
    assert (
        len(problems) == 51 and problems[-1] == "x.jsonl: more lines could not be read; not listed"
    )


def signal(days: float, kind: str, value: float = 1.0, service: str = "payments") -> Signal:
    return Signal(MERGE + timedelta(days=days), service, kind, value)


def test_the_week_before_against_the_week_after():
    signals = [
        signal(-7, "incident"),  # the first instant of the week before: in
        signal(-7.01, "incident"),  # before it: out
        signal(-1, "incident", 2),
        signal(0, "incident"),  # the merge's instant: after
        signal(6.99, "incident"),
        signal(7, "incident"),  # a week on: out
        signal(-2, "p95_ms", 400),
        signal(-1, "p95_ms", 421),
        signal(3, "queue_depth", 5, "payments"),
        signal(1, "incident", 9, "search"),
    ]
    event = MergeEvent("checkout/a", MERGE, "c" * 40, ("src/payments/refund.py", "README.md"))
    services = {"payments": ["src/payments/**"], "search": ["src/search/**"]}
    (row,) = compare(signals, [event], services, MERGE + timedelta(days=30))
    assert row["service"] == "payments" and row["stream"] == "checkout/a"
    assert row["kinds"] == {
        "incident": {"before": {"value": 3, "n": 2}, "after": {"value": 2, "n": 2}},
        "slo_breach": {"before": "no data", "after": "no data"},
        "p95_ms": {"before": {"value": 410.5, "n": 2}, "after": "no data"},
        "ticket": {"before": "no data", "after": "no data"},
        "queue_depth": {"before": {"value": 0, "n": 0}, "after": {"value": 5, "n": 1}},
    }
    early = compare(signals, [event], services, MERGE + timedelta(days=6))[0]["kinds"]
    assert early["incident"] == {"before": {"value": 3, "n": 2}, "after": "too early"}


def test_services_and_merge_subjects():
    assert touched(
        ("src/payments/a.py", "docs/x.md"), {"pay": ["src/payments/**"], "doc": ["*.md"]}
    ) == ["pay"]
    assert touched(("docs/x.md",), {"doc": ["**/*.md"]}) == ["doc"]
    assert merged_branch("Merge branch 'stream/checkout/a'") == "stream/checkout/a"
    assert merged_branch("Merge branch 'stream/checkout/a' into main") == "stream/checkout/a"
    assert merged_branch("Merge remote-tracking branch 'origin/stream/x/y'") == "stream/x/y"
    assert merged_branch("Merge pull request #12 from acme/stream/x/y") == "stream/x/y"
    assert merged_branch("Fix merge of branches") is None
