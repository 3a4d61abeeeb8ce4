"""The outcomes report: per stream and per agent, what agents proposed and what became of it,
and how well their stated confidence predicted what a human applied (calibration)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

OUTCOMES = ("applied", "rejected", "parked", "stale", "pending")


@dataclass
class Tally:
    proposed: int = 0
    applied: int = 0
    rejected: int = 0
    parked: int = 0
    stale: int = 0
    pending: int = 0
    unsourced: int = 0

    def add(self, outcome: str, sourced: bool) -> None:
        self.proposed += 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        if not sourced:
            self.unsourced += 1

    def as_dict(self) -> dict[str, Any]:
        rate = self.unsourced / self.proposed if self.proposed else 0.0
        return {**self.__dict__, "unsourced_rate": round(rate, 4)}


@dataclass
class DraftFact:
    """One draft as the report sees it."""

    id: str
    stream: str
    agent: str
    confidence: float | None
    sourced: bool
    outcome: str  # one of OUTCOMES
    at: datetime | None = None


@dataclass
class Report:
    since: datetime | None
    by_stream: dict[str, Tally] = field(default_factory=dict)
    by_agent: dict[str, Tally] = field(default_factory=dict)
    calibration: list[dict[str, Any]] = field(default_factory=list)
    stitch_points: dict[str, int] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    guard: dict[str, Any] = field(default_factory=dict)  # `core.guard.denial_counts`

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "by_stream": {k: v.as_dict() for k, v in sorted(self.by_stream.items())},
            "by_agent": {k: v.as_dict() for k, v in sorted(self.by_agent.items())},
            "calibration": self.calibration,
            "stitch_points": self.stitch_points,
            "trust_budget": self.budget,
            "guard": self.guard,
        }


def build(
    facts: list[DraftFact],
    since: datetime | None,
    stitch_points: dict[str, int],
    budget: dict[str, Any],
) -> Report:
    report = Report(since, stitch_points=stitch_points, budget=budget)
    buckets: dict[int, list[int]] = {}
    for fact in facts:
        if since is not None and fact.at is not None and fact.at < since:
            continue
        report.by_stream.setdefault(fact.stream, Tally()).add(fact.outcome, fact.sourced)
        report.by_agent.setdefault(fact.agent, Tally()).add(fact.outcome, fact.sourced)
        if fact.outcome in ("applied", "rejected") and fact.confidence is not None:
            bucket = min(9, int(fact.confidence * 10 + 1e-9))
            counts = buckets.setdefault(bucket, [0, 0])
            counts[0] += 1
            counts[1] += fact.outcome == "applied"
    report.calibration = [
        {
            "bucket": f"{b / 10:.1f}-{(b + 1) / 10:.1f}",
            "decided": n,
            "applied": a,
            "applied_share": round(a / n, 4),
            "stated": round(b / 10 + 0.05, 2),
        }
        for b, (n, a) in sorted(buckets.items())
    ]
    return report


# -- rendering ------------------------------------------------------------------------------


def _table(title: str, rows: dict[str, Tally], first: str) -> list[str]:
    lines = [
        f"## {title}",
        "",
        f"| {first} | proposed | applied | rejected | parked | stale | pending | unsourced |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, t in sorted(rows.items()):
        d = t.as_dict()
        lines.append(
            f"| {_md(name)} | {t.proposed} | {t.applied} | {t.rejected} | {t.parked} | {t.stale} | "
            f"{t.pending} | {t.unsourced} ({d['unsourced_rate']:.0%}) |"
        )
    return [*lines, ""]


def _md(text: str) -> str:
    from stitch_ls.core.render import escape_markdown

    return escape_markdown(text)


def to_markdown(report: Report) -> str:
    lines = ["# Stitch outcomes", ""]
    if report.since:
        lines += [f"Since {report.since:%Y-%m-%d}.", ""]
    lines += _table("By stream", report.by_stream, "stream")
    lines += _table("By agent", report.by_agent, "agent")
    lines += [
        "## Calibration: stated confidence against what was applied",
        "",
        "| stated confidence | decided | applied | share applied |",
        "| --- | --- | --- | --- |",
    ]
    for row in report.calibration:
        lines.append(
            f"| {row['bucket']} | {row['decided']} | {row['applied']} | {row['applied_share']:.0%} |"
        )
    points = report.stitch_points
    budget = report.budget
    lines += [
        "",
        "## Stitch points and the trust budget",
        "",
        f"Stitch points: {points.get('signed', 0)} signed, {points.get('open', 0)} open.",
        "",
        f"Unsourced drafts this hour of development: {budget.get('used', 0)} of {budget.get('budget', 0)}"
        + (" (exhausted)" if budget.get("exhausted") else "")
        + ".",
        "",
        f"Agent actions the guard denied: {guard_summary(report.guard)}.",
    ]
    return "\n".join(lines) + "\n"


def guard_summary(guard: dict[str, Any]) -> str:
    """'3 (irreversible_path 2, read_only 1; claude-code 3)', or '0'."""
    if not guard.get("denied"):
        return "0"
    reasons = ", ".join(f"{k} {v}" for k, v in guard.get("by_reason", {}).items())
    agents = ", ".join(f"{k} {v}" for k, v in guard.get("by_agent", {}).items())
    return f"{guard['denied']} ({reasons}; {agents})"


def _svg_calibration(rows: list[dict[str, Any]]) -> str:
    """Bars: the share of decided drafts that were applied, per stated-confidence bucket; the
    dots mark the stated confidence, so a bar far below its dot is an agent overstating."""
    width, height, pad = 520, 220, 30
    slot = (width - 2 * pad) / 10
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="calibration chart">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#555"/>',
    ]
    scale = height - 2 * pad
    for row in rows:
        bucket = int(float(row["bucket"].split("-")[0]) * 10 + 1e-9)
        x = pad + bucket * slot + 4
        bar = row["applied_share"] * scale
        parts.append(
            f'<rect x="{x:.1f}" y="{height - pad - bar:.1f}" width="{slot - 8:.1f}" '
            f'height="{bar:.1f}" fill="#3b7dd8"><title>{html.escape(row["bucket"])}: '
            f"{row['applied']}/{row['decided']} applied</title></rect>"
        )
        stated_y = height - pad - row["stated"] * scale
        parts.append(
            f'<circle cx="{x + (slot - 8) / 2:.1f}" cy="{stated_y:.1f}" r="4" fill="#d83b3b"/>'
        )
    for bucket in range(10):
        x = pad + bucket * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" font-size="10" text-anchor="middle">{bucket / 10:.1f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: Report) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, nothing fetched."""

    def table(title: str, rows: dict[str, Tally], first: str) -> str:
        head = "".join(
            f"<th>{h}</th>"
            for h in (
                first,
                "proposed",
                "applied",
                "rejected",
                "parked",
                "stale",
                "pending",
                "unsourced",
            )
        )
        body = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{t.proposed}</td><td>{t.applied}</td><td>{t.rejected}</td>"
            f"<td>{t.parked}</td><td>{t.stale}</td><td>{t.pending}</td>"
            f"<td>{t.unsourced} ({t.as_dict()['unsourced_rate']:.0%})</td></tr>"
            for name, t in sorted(rows.items())
        )
        return f"<h2>{title}</h2><table><tr>{head}</tr>{body}</table>"

    calibration = "".join(
        f"<tr><td>{r['bucket']}</td><td>{r['decided']}</td><td>{r['applied']}</td><td>{r['applied_share']:.0%}</td></tr>"
        for r in report.calibration
    )
    points, budget = report.stitch_points, report.budget
    since = f"<p>Since {report.since:%Y-%m-%d}.</p>" if report.since else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Stitch outcomes</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
.legend {{ color: #555; font-size: 12px; }}
</style></head><body>
<h1>Stitch outcomes</h1>{since}
{table("By stream", report.by_stream, "stream")}
{table("By agent", report.by_agent, "agent")}
<h2>Calibration</h2>
<p class="legend">Bars: share of decided drafts that a human applied, by stated confidence. Red dots: the confidence stated. A bar far below its dot: the agent overstates.</p>
{_svg_calibration(report.calibration)}
<table><tr><th>stated confidence</th><th>decided</th><th>applied</th><th>share applied</th></tr>{calibration}</table>
<h2>Stitch points and the trust budget</h2>
<p>Stitch points: {points.get("signed", 0)} signed, {points.get("open", 0)} open.</p>
<p>Unsourced drafts this hour of development: {budget.get("used", 0)} of {budget.get("budget", 0)}{" (exhausted)" if budget.get("exhausted") else ""}.</p>
<p>Agent actions the guard denied: {html.escape(guard_summary(report.guard))}.</p>
</body></html>
"""
