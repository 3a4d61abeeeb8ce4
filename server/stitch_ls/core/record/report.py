"""The outcomes report: per stream and per agent, what agents proposed and what became of it,
and how well their stated confidence predicted what a human applied (calibration)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from stitch_ls.core.record.signals import KINDS, LABELS
from stitch_ls.core.safetext import escape_markdown
from stitch_ls.core.timefmt import human_time

OUTCOMES = ("applied", "unsaved", "rejected", "parked", "stale", "pending")
NOT_KEPT = "not kept"  # an apply from the editor that never reached the disk: an event


@dataclass
class Tally:
    proposed: int = 0
    applied: int = 0
    unsaved: int = 0  # applied in the editor, accepted once saved
    rejected: int = 0
    parked: int = 0
    stale: int = 0
    pending: int = 0
    unsourced: int = 0  # vouched ones included: a person's word stood in for sources
    vouched: int = 0
    irreversible: int = 0  # of the applied
    not_kept: int = 0  # applies undone, closed or reverted unsaved (the draft went back)

    def add(
        self, outcome: str, sourced: bool, *, irreversible: bool = False, vouched: bool = False
    ) -> None:
        if outcome == NOT_KEPT:
            self.not_kept += 1
            return
        self.proposed += 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        if not sourced:
            self.unsourced += 1
        if vouched:
            self.vouched += 1
        if irreversible and outcome == "applied":
            self.irreversible += 1

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
    sourced: bool  # cited sources that exist (a vouch is not a source)
    outcome: str  # one of OUTCOMES, or NOT_KEPT (one apply that never reached the disk)
    at: datetime | None = None
    irreversible: bool = False
    vouched: bool = False


@dataclass
class Report:
    since: datetime | None
    by_stream: dict[str, Tally] = field(default_factory=dict)
    by_agent: dict[str, Tally] = field(default_factory=dict)
    calibration: list[dict[str, Any]] = field(default_factory=list)
    stitch_points: dict[str, int] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    guard: dict[str, Any] = field(default_factory=dict)  # `core.guard.denial_counts`
    durability: dict[str, Any] = field(default_factory=dict)  # `core.durability.as_dict`
    weekly: list[dict[str, Any]] = field(default_factory=list)  # per-week trends
    workspace: str = ""
    generated: datetime | None = None
    survival: dict[str, Any] = field(default_factory=dict)  # `core.record.survival` as_dict
    signals: dict[str, Any] | None = None  # `report --signals`: {"file", "rows", "problems"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "generated": self.generated.isoformat() if self.generated else None,
            "since": self.since.isoformat() if self.since else None,
            "survival": self.survival,
            "signals": self.signals,
            "by_stream": {k: v.as_dict() for k, v in sorted(self.by_stream.items())},
            "by_agent": {k: v.as_dict() for k, v in sorted(self.by_agent.items())},
            "calibration": self.calibration,
            "stitch_points": self.stitch_points,
            "trust_budget": self.budget,
            "guard": self.guard,
            "durability": self.durability,
            "weekly": self.weekly,
        }


def build(
    facts: list[DraftFact],
    since: datetime | None,
    stitch_points: dict[str, int],
    budget: dict[str, Any],
    durability: dict[str, Any] | None = None,
    workspace: str = "",
    generated: datetime | None = None,
) -> Report:
    report = Report(
        since,
        stitch_points=stitch_points,
        budget=budget,
        durability=durability or {},
        workspace=workspace,
        generated=generated,
    )
    buckets: dict[int, list[int]] = {}
    for fact in facts:
        if since is not None and fact.at is not None and fact.at < since:
            continue
        for table, name in ((report.by_stream, fact.stream), (report.by_agent, fact.agent)):
            table.setdefault(name, Tally()).add(
                fact.outcome, fact.sourced, irreversible=fact.irreversible, vouched=fact.vouched
            )
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
    report.weekly = _weekly(facts, since, report.durability)
    return report


FEW = 5  # a calibration bucket with fewer decided drafts says little: shown greyed
FEW_CLASS = ' class="few"'


def _week(moment: datetime) -> str:
    """The Monday starting `moment`'s week, as 2026-11-16."""
    return (moment.date() - timedelta(days=moment.weekday())).isoformat()


def _weekly(
    facts: list[DraftFact], since: datetime | None, durability: dict[str, Any]
) -> list[dict[str, Any]]:
    """Per week a draft was proposed (or applied): proposed, applied and parked counts, and
    for drafts applied that week what stood, was rewritten or reverted at the 7-day horizon."""
    weeks: dict[str, dict[str, Any]] = {}

    def row(week: str) -> dict[str, Any]:
        return weeks.setdefault(
            week,
            {
                "week": week,
                "proposed": 0,
                "applied": 0,
                "parked": 0,
                "durability_7d": {"stands": 0, "rewritten": 0, "reverted": 0},
            },
        )

    for fact in facts:
        if fact.at is None or (since is not None and fact.at < since) or fact.outcome == NOT_KEPT:
            continue
        r = row(_week(fact.at))
        r["proposed"] += 1
        if fact.outcome in ("applied", "parked"):
            r[fact.outcome] += 1
    for draft in durability.get("drafts", []):
        at = datetime.fromisoformat(draft["at"])
        verdict = draft["horizons"].get("7")
        if verdict and (since is None or at >= since):
            row(_week(at))["durability_7d"][verdict] += 1
    return [weeks[k] for k in sorted(weeks)]


# -- rendering ------------------------------------------------------------------------------


COLUMNS = (
    "proposed",
    "applied",
    "irreversible",
    "unsaved",
    "not kept",
    "rejected",
    "parked",
    "stale",
    "pending",
    "unsourced",
)


def cells(t: Tally) -> list[str]:
    """A tally's cells, in `COLUMNS` order: the irreversible among the applied, the applies
    not kept (each time one was undone or closed unsaved), and the unsourced with their rate
    and how many of them a person vouched for."""
    rate = t.as_dict()["unsourced_rate"]
    vouched = f"; {t.vouched} vouched" if t.vouched else ""
    return [
        str(t.proposed),
        str(t.applied),
        str(t.irreversible),
        str(t.unsaved),
        str(t.not_kept),
        str(t.rejected),
        str(t.parked),
        str(t.stale),
        str(t.pending),
        f"{t.unsourced} ({rate:.0%}{vouched})",
    ]


def _table(title: str, rows: dict[str, Tally], first: str) -> list[str]:
    if not rows:
        return [f"## {title}", "", "No drafts in this period.", ""]
    lines = [
        f"## {title}",
        "",
        f"| {first} | " + " | ".join(COLUMNS) + " |",
        "| --- " * (len(COLUMNS) + 1) + "|",
    ]
    for name, t in sorted(rows.items()):
        lines.append(f"| {_md(name)} | " + " | ".join(cells(t)) + " |")
    return [*lines, ""]


def budget_lines(budget: dict[str, Any]) -> list[str]:
    """The trust budget as every door says it: the headline, then each agent's."""
    text = budget.get("text") or (
        f"unsourced: {budget.get('used', 0)} of {budget.get('budget', 0)} used"
    )
    lines = [f"Trust budget this hour of development: {text}."]
    for agent, b in sorted((budget.get("agents") or {}).items()):
        lines.append(
            f"- {agent}: {b['used']} of {b['budget']} used"
            + (" (exhausted)" if b["exhausted"] else "")
        )
    return lines


def _md(text: str) -> str:
    return escape_markdown(text)


def to_markdown(report: Report) -> str:
    lines = ["# Stitch outcomes", ""]
    if report.since:
        lines += [f"Since {report.since:%Y-%m-%d}.", ""]
    lines += survival_markdown(report.survival)
    if report.signals is not None:
        lines += signals_markdown(report.signals)
    lines += _table("Drafts by stream", report.by_stream, "stream")
    lines += _table("Drafts by agent", report.by_agent, "agent")
    lines += ["## Calibration: stated confidence against what was applied", ""]
    if not report.calibration:
        lines += ["No decided drafts in this period."]
    else:
        lines += [
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
        *[
            _md(line) if not line.startswith("- ") else "- " + _md(line[2:])
            for line in budget_lines(budget)
        ],
        "",
        f"Agent actions the guard denied: {guard_summary(report.guard)}.",
        "",
        *_durability_markdown(report.durability),
    ]
    return "\n".join(lines) + "\n"


def _cell(counts: dict[str, int]) -> str:
    """'2 / 1 / 0' (stands / rewritten / reverted), or 'too early' when no applied draft has
    reached the horizon (committed and that long ago) yet: never a dash."""
    if not any(counts.values()):
        return "too early"
    return f"{counts['stands']} / {counts['rewritten']} / {counts['reverted']}"


def _durability_markdown(durability: dict[str, Any]) -> list[str]:
    lines = [
        "## Durability: do applied lines last?",
        "",
        "Per horizon after the apply: stands / rewritten / reverted (git blame on the applied "
        "lines at the last commit by then; only horizons already reached count).",
        "",
    ]
    if not durability.get("drafts"):
        return [*lines, "No applied drafts with line ranges yet.", ""]
    for title, key in (("By stream", "by_stream"), ("By agent", "by_agent")):
        lines += [
            f"### {title}",
            "",
            f"| {key[3:]} | 1 day | 7 days | 30 days |",
            "| --- | --- | --- | --- |",
        ]
        for name, per in durability[key].items():
            lines.append(
                f"| {_md(name)} | {_cell(per['1'])} | {_cell(per['7'])} | {_cell(per['30'])} |"
            )
        lines.append("")
    if durability.get("uncommitted"):
        lines += [f"{durability['uncommitted']} applied drafts not committed yet.", ""]
    return lines


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
        few = row["decided"] < FEW
        parts.append(
            f'<rect x="{x:.1f}" y="{height - pad - bar:.1f}" width="{slot - 8:.1f}" '
            f'height="{bar:.1f}" fill="{"#c8c8c8" if few else "#3b7dd8"}"'
            f"{FEW_CLASS if few else ''}><title>{html.escape(row['bucket'])}: "
            f"{row['applied']}/{row['decided']} applied</title></rect>"
        )
        parts.append(
            f'<text x="{x + (slot - 8) / 2:.1f}" y="{height - pad - bar - 8:.1f}" font-size="10" '
            f'text-anchor="middle" fill="{"#999" if few else "#222"}">n={row["decided"]}</text>'
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


def _svg_weekly(title: str, weeks: list[str], series: list[tuple[str, str, list[int]]]) -> str:
    """A small bar chart, one bar per week; several series stack (name, colour, values)."""
    width, height, pad = 520, 160, 26
    slot = min(48.0, (width - 2 * pad) / max(1, len(weeks)))  # a lone week: a bar, not a wall
    top = max([sum(v[i] for _, _, v in series) for i in range(len(weeks))] + [1])
    scale = (height - 2 * pad) / top
    parts = [
        f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#555"/>',
        f'<text x="{pad}" y="14" font-size="11">{html.escape(title)} (max {top})</text>',
    ]
    for i, week in enumerate(weeks):
        x = pad + i * slot + 2
        y = float(height - pad)
        for name, colour, values in series:
            h = values[i] * scale
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(1.0, slot - 4):.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{html.escape(week)} {html.escape(name)}: {values[i]}'
                "</title></rect>"
            )
        parts.append(
            f'<text x="{x + slot / 2 - 2:.1f}" y="{height - 8}" font-size="9" '
            f'text-anchor="middle">{html.escape(week[5:])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _trends_html(weekly: list[dict[str, Any]]) -> str:
    if not weekly:
        return "<h2>Weekly trends</h2><p>No drafts in this period.</p>"
    weeks = [w["week"] for w in weekly]
    charts = [
        _svg_weekly(
            "proposed per week", weeks, [("proposed", "#3b7dd8", [w["proposed"] for w in weekly])]
        ),
        _svg_weekly(
            "applied per week", weeks, [("applied", "#2e9d5b", [w["applied"] for w in weekly])]
        ),
        _svg_weekly(
            "parked per week", weeks, [("parked", "#d89b3b", [w["parked"] for w in weekly])]
        ),
        _svg_weekly(
            "durability at 7 days, by week applied",
            weeks,
            [
                (verdict, colour, [w["durability_7d"][verdict] for w in weekly])
                for verdict, colour in (
                    ("stands", "#2e9d5b"),
                    ("rewritten", "#d89b3b"),
                    ("reverted", "#d83b3b"),
                )
            ],
        ),
    ]
    return (
        '<h2>Weekly trends</h2><p class="legend">Weeks start on Monday. Durability bars: '
        "green stands, amber rewritten, red reverted.</p>" + "".join(charts)
    )


def _durability_html(durability: dict[str, Any]) -> str:
    head = '<h2>Durability</h2><p class="legend">Per horizon after the apply: stands / rewritten / reverted (git blame on the applied lines at the last commit by then; only horizons already reached count).</p>'
    if not durability.get("drafts"):
        return head + "<p>No applied drafts with line ranges yet.</p>"
    out = [head]
    for title, key in (("By stream", "by_stream"), ("By agent", "by_agent")):
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{_cell(per['1'])}</td>"
            f"<td>{_cell(per['7'])}</td><td>{_cell(per['30'])}</td></tr>"
            for name, per in durability[key].items()
        )
        out.append(
            f"<h3>{title}</h3><table><tr><th>{key[3:]}</th><th>1 day</th><th>7 days</th>"
            f"<th>30 days</th></tr>{rows}</table>"
        )
    if durability.get("uncommitted"):
        out.append(f"<p>{durability['uncommitted']} applied drafts not committed yet.</p>")
    return "".join(out)


def to_html(report: Report, zone: tzinfo | None = None) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, nothing fetched; times in
    `zone` (the workspace's; UTC when None), to the minute."""

    def table(title: str, rows: dict[str, Tally], first: str) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in (first, *COLUMNS))
        body = "".join(
            f"<tr><td>{html.escape(name)}</td>"
            + "".join(f"<td>{html.escape(c)}</td>" for c in cells(t))
            + "</tr>"
            for name, t in sorted(rows.items())
        )
        return f"<h2>{title}</h2><table><tr>{head}</tr>{body}</table>"

    budget_html = "".join(
        f"<p>{html.escape(line)}</p>"
        if not line.startswith("- ")
        else f"<p>{html.escape(line[2:])}</p>"
        for line in budget_lines(report.budget)
    )

    calibration = "".join(
        f"<tr{FEW_CLASS if r['decided'] < FEW else ''}><td>{r['bucket']}</td><td>{r['decided']}</td><td>{r['applied']}</td><td>{r['applied_share']:.0%}</td></tr>"
        for r in report.calibration
    )
    points = report.stitch_points
    generated = report.generated
    start = report.since or min(
        (datetime.fromisoformat(w["week"]) for w in report.weekly), default=None
    )
    period = (f"{start:%Y-%m-%d}" if start else "the beginning") + (
        f" to {generated:%Y-%m-%d}" if generated else " to now"
    )
    since = (
        f"<p>Workspace <b>{html.escape(report.workspace or '(unnamed)')}</b> · period {period}"
        + (f" · generated {human_time(generated, zone)}" if generated else "")
        + "</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Stitch outcomes · {html.escape(report.workspace)}{f" · {generated:%Y-%m-%d}" if generated else ""}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
.legend {{ color: #555; font-size: 12px; }}
tr.few td {{ color: #999; background: #f4f4f4; }}
svg {{ display: block; margin: 0.5rem 0; }}
</style></head><body>
<h1>Stitch outcomes{f" · {generated:%Y-%m-%d}" if generated else ""}</h1>{since}
{survival_html(report.survival)}
{signals_html(report.signals) if report.signals is not None else ""}
{_trends_html(report.weekly)}
{table("Drafts by stream", report.by_stream, "stream")}
{table("Drafts by agent", report.by_agent, "agent")}
<h2>Calibration</h2>
<p class="legend">Bars: share of decided drafts that a human applied, by stated confidence, with how many were decided (n). Red dots: the confidence stated. A bar far below its dot: the agent overstates. Greyed: fewer than {FEW} drafts, too few to read.</p>
{_svg_calibration(report.calibration)}
<table><tr><th>stated confidence</th><th>decided</th><th>applied</th><th>share applied</th></tr>{calibration}</table>
<h2>Stitch points and the trust budget</h2>
<p>Stitch points: {points.get("signed", 0)} signed, {points.get("open", 0)} open.</p>
{budget_html}
<p>Agent actions the guard denied: {html.escape(guard_summary(report.guard))}.</p>
{_durability_html(report.durability)}
</body></html>
"""


# -- survival and the outcome signals -------------------------------------------------------

FATE_COLUMNS = (
    ("stands", "stands"),
    ("rewritten", "rewritten by a person"),
    ("rewritten_by_agent", "rewritten by an agent"),
    ("reverted", "reverted"),
)
GROUPS = (
    ("By agent", "by_agent", "agent"),
    ("By stream", "by_stream", "stream"),
    ("By feature", "by_feature", "feature"),
)


def _days(n: str) -> str:
    return "1 day" if n == "1" else f"{n} days"


def survival_cells(cell: dict[str, Any]) -> list[str]:
    """[lines, stands, rewritten, rewritten by an agent, reverted] for one horizon: each share
    with its number of lines; "too early" (never a dash) where no line has reached it."""
    lines, early = cell.get("lines", 0), cell.get("too_early", 0)
    if not lines:
        word = "too early" if early else "no lines"
        count = f"{early} line" + ("s" if early != 1 else "")
        return [f"{word} ({count})" if early else word, *([word] * len(FATE_COLUMNS))]
    shown = [f"{lines}" + (f" (+{early} too early)" if early else "")]
    for key, _ in FATE_COLUMNS:
        shown.append(f"{cell[key] / lines:.0%} ({cell[key]})")
    return shown


def _survival_intro(survival: dict[str, Any], markdown: bool = False) -> str:
    branch = str(survival.get("branch", "HEAD"))
    branch = _md(branch) if markdown else branch
    since = str(survival.get("since", ""))[:10]
    as_of = str(survival.get("as_of", ""))[:16].replace("T", " ")
    return (
        f"Of the AI lines that reached {branch} since {since} (agents' own edits, agent commits "
        "and drafts applied through Stitch), the share that 1, 7 and 30 days later still stands, "
        "was rewritten by a person, was rewritten by an agent, or was reverted, with the number "
        f"of lines behind each share. From git history as of {as_of} UTC "
        f"({survival.get('commits_read', 0)} commits read)."
    )


def survival_markdown(survival: dict[str, Any]) -> list[str]:
    lines = ["## Survival: do AI lines last?", ""]
    if not survival:
        return [*lines, "No git history to read.", ""]
    lines += [_survival_intro(survival, markdown=True), ""]
    if not survival.get("ai_lines"):
        return [
            *lines,
            f"No AI lines reached {_md(str(survival.get('branch', 'HEAD')))} in this period: "
            "attribution "
            "starts with `stitch-ls init --agents ... --git-hooks` (README, Outcomes).",
            "",
            *[f"- {_md(p)}" for p in survival.get("problems", [])],
        ]
    head = "| lines | " + " | ".join(label for _, label in FATE_COLUMNS) + " |"
    rule = "| --- " * (len(FATE_COLUMNS) + 2) + "|"
    lines += [f"### All {survival['ai_lines']} AI lines", "", "| horizon " + head, rule]
    for n, cell in survival["all"].items():
        lines.append(f"| {_days(n)} | " + " | ".join(survival_cells(cell)) + " |")
    lines.append("")
    for title, key, first in GROUPS:
        lines += [f"### {title}", "", f"| {first} | horizon " + head, rule + " --- |"]
        for name, per in survival.get(key, {}).items():
            for n, cell in per.items():
                lines.append(
                    f"| {_md(name)} | {_days(n)} | " + " | ".join(survival_cells(cell)) + " |"
                )
        lines.append("")
    if survival.get("not_landed"):
        lines += [
            f"{survival['not_landed']} AI lines are on branches not merged into "
            f"{_md(str(survival.get('branch')))} yet.",
            "",
        ]
    lines += [f"- {_md(p)}" for p in survival.get("problems", [])]
    return lines


def survival_html(survival: dict[str, Any]) -> str:
    out = ["<h2>Survival: do AI lines last?</h2>"]
    if not survival:
        return out[0] + "<p>No git history to read.</p>"
    out.append(f'<p class="legend">{html.escape(_survival_intro(survival))}</p>')
    if not survival.get("ai_lines"):
        out.append(
            f"<p>No AI lines reached {html.escape(str(survival.get('branch')))} in this period.</p>"
        )
        return "".join(out)
    heads = "".join(f"<th>{h}</th>" for h in ("lines", *(label for _, label in FATE_COLUMNS)))

    def row(first: list[str], cell: dict[str, Any]) -> str:
        return (
            "<tr>"
            + "".join(f"<td>{html.escape(v)}</td>" for v in [*first, *survival_cells(cell)])
            + "</tr>"
        )

    body = "".join(row([_days(n)], cell) for n, cell in survival["all"].items())
    out.append(
        f"<h3>All {survival['ai_lines']} AI lines</h3><table><tr><th>horizon</th>{heads}</tr>{body}</table>"
    )
    for title, key, first in GROUPS:
        body = "".join(
            row([name, _days(n)], cell)
            for name, per in survival.get(key, {}).items()
            for n, cell in per.items()
        )
        out.append(
            f"<h3>{title}</h3><table><tr><th>{first}</th><th>horizon</th>{heads}</tr>{body}</table>"
        )
    for problem in survival.get("problems", []):
        out.append(f"<p>{html.escape(problem)}</p>")
    return "".join(out)


def signal_cell(kind: str, cell: dict[str, Any]) -> str:
    """`3 → 1`, `420.5 (7) → 380 (7)` for averaged kinds, `no data`, `too early`."""

    def one(value: Any) -> str:
        if not isinstance(value, dict):
            return str(value)
        if kind.endswith("_ms"):
            return f"{value['value']} ({value['n']})"
        return str(value["value"])

    return f"{one(cell['before'])} → {one(cell['after'])}"


def _signal_kinds(rows: list[dict[str, Any]]) -> list[str]:
    extra = sorted({k for r in rows for k in r["kinds"]} - set(KINDS))
    return [*KINDS, *extra]


def signals_markdown(signals: dict[str, Any]) -> list[str]:
    lines = [
        "## Outcomes by service: the week before each merge against the week after",
        "",
        f"From {_md(signals.get('file', ''))}: {signals.get('signals', 0)} signals read. "
        "Counts are summed; kinds in ms are averaged, with the number of samples in brackets.",
        "",
    ]
    rows = signals.get("rows", [])
    if not signals.get("services"):
        lines += [
            "No services are mapped to paths: add `[outcomes.services]` to the team file.",
            "",
        ]
    elif not rows:
        lines += ["No merged stream touched a mapped service in this period.", ""]
    else:
        kinds = _signal_kinds(rows)
        lines += [
            "| stream | merged | service | "
            + " | ".join(LABELS[k] if k in LABELS else _md(k) for k in kinds)
            + " |",
            "| --- " * (3 + len(kinds)) + "|",
        ]
        for r in rows:
            cells = [
                signal_cell(k, r["kinds"].get(k, {"before": "no data", "after": "no data"}))
                for k in kinds
            ]
            lines.append(
                f"| {_md(r['stream'])} | {r['merged_at'][:16].replace('T', ' ')} | {_md(r['service'])} | "
                + " | ".join(cells)
                + " |"
            )
        lines.append("")
    lines += [f"- {_md(p)}" for p in signals.get("problems", [])]
    return [*lines, ""] if signals.get("problems") else lines


def signals_html(signals: dict[str, Any]) -> str:
    out = [
        "<h2>Outcomes by service: the week before each merge against the week after</h2>",
        f'<p class="legend">From {html.escape(str(signals.get("file", "")))}: {signals.get("signals", 0)} signals read. Counts are summed; kinds in ms are averaged, with the number of samples in brackets.</p>',
    ]
    rows = signals.get("rows", [])
    if not signals.get("services"):
        out.append(
            "<p>No services are mapped to paths: add <code>[outcomes.services]</code> to the team file.</p>"
        )
    elif not rows:
        out.append("<p>No merged stream touched a mapped service in this period.</p>")
    else:
        kinds = _signal_kinds(rows)
        head = "".join(
            f"<th>{html.escape(h)}</th>"
            for h in ("stream", "merged", "service", *(LABELS.get(k, k) for k in kinds))
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(v)}</td>"
                for v in (
                    r["stream"],
                    r["merged_at"][:16].replace("T", " "),
                    r["service"],
                    *(
                        signal_cell(k, r["kinds"].get(k, {"before": "no data", "after": "no data"}))
                        for k in kinds
                    ),
                )
            )
            + "</tr>"
            for r in rows
        )
        out.append(f"<table><tr>{head}</tr>{body}</table>")
    out += [f"<p>{html.escape(p)}</p>" for p in signals.get("problems", [])]
    return "".join(out)
