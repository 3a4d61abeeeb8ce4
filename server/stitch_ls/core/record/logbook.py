"""The source log as a PM reads it: every accepted draft (its facts, who accepted it, its
evidence, verified or only claimed, who vouched for it, and whether it was irreversible), the
applies that were never kept, with the questions agents asked and their answers, the
rejections and why, and the stitch points signed off.

One gathering (`gather`) and three renderings: plain text (a terminal, a pipe, the editors'
"Open Source Log"), Markdown, and one self-contained HTML page filterable by stream and date.
Everything an agent wrote is escaped for the form it lands in; times read in the workspace's
zone (`timefmt`).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from stitch_ls.core.drafts.model import NotKeptEntry, SourceLogEntry
from stitch_ls.core.drafts.prompts import scan_prompts
from stitch_ls.core.policy import decisions
from stitch_ls.core.record.sourcelog import read_log
from stitch_ls.core.safetext import escape_markdown, one_line
from stitch_ls.core.timefmt import human_time
from stitch_ls.core.vcs.gitrun import config_value
from stitch_ls.core.vcs.stitchpoints import SignOffs


@dataclass(frozen=True)
class Event:
    """One line of the story: when, on which stream, what kind, and its readable parts."""

    at: datetime
    stream: str
    kind: str  # accepted, not kept, rejected, vouched, asked, signed off
    title: str
    lines: tuple[str, ...] = ()  # the details, in plain words; "  - " lines belong to the last
    irreversible: bool = False  # marked in every rendering
    commits: tuple[str, ...] = ()  # commit ids its lines name (linked where a remote is known)

    @property
    def heading(self) -> str:
        """`accepted`, `accepted (irreversible)`: the kind as a heading says it."""
        return f"{self.kind} (irreversible)" if self.irreversible else self.kind


@dataclass
class LogBook:
    events: list[Event] = field(default_factory=list)
    zone: tzinfo = UTC
    problems: list[str] = field(default_factory=list)
    commit_web: str | None = None  # https://host/owner/repo of origin, for commit links

    def filtered(self, stream: str | None, since: datetime | None) -> LogBook:
        kept = [
            e
            for e in self.events
            if (stream is None or e.stream == stream) and (since is None or e.at >= since)
        ]
        return LogBook(kept, self.zone, self.problems, self.commit_web)

    def counts(self) -> str:
        """ "3 accepted (1 irreversible), 1 rejected, 2 asked": each kind once, in the order
        of the story, and only those there are."""
        kinds = Counter(e.kind for e in self.events)
        irreversible = Counter(e.kind for e in self.events if e.irreversible)
        order = ["accepted", "not kept", "rejected", "vouched", "asked", "signed off"]
        order += sorted(k for k in kinds if k not in order)
        said = []
        for kind in order:
            if kinds[kind]:
                extra = f" ({irreversible[kind]} irreversible)" if irreversible[kind] else ""
                said.append(f"{kinds[kind]} {kind}{extra}")
        return ", ".join(said)


_SHA = re.compile(r"[0-9a-f]{7,40}")
_WEB_PART = re.compile(r"[A-Za-z0-9._~-]+")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def commit_web(remote: str | None) -> str | None:
    """The web page of a repository whose commits are at `/commit/SHA`, from its remote's
    URL: `https://host/owner/repo(.git)` (credentials dropped), `git@host:owner/repo.git`
    or `ssh://git@host/owner/repo.git`. None for any other scheme (http, file, git, a
    path) and for anything that does not look like a plain host and path."""
    if not remote:
        return None
    remote = remote.strip()
    if remote.startswith("https://"):
        host, _, path = remote[len("https://") :].partition("/")
        host = host.rpartition("@")[2]
    elif remote.startswith("ssh://"):
        host, _, path = remote[len("ssh://") :].partition("/")
        host = host.rpartition("@")[2].partition(":")[0]
    elif re.fullmatch(r"[A-Za-z0-9._-]+@[^/:]+:[^/].*", remote):
        host, _, path = remote.partition("@")[2].partition(":")
    else:
        return None
    parts = path.removesuffix("/").removesuffix(".git").split("/")
    if not _HOST.fullmatch(host) or len(parts) < 2:
        return None
    if not all(_WEB_PART.fullmatch(p) and p not in (".", "..") for p in parts):
        return None
    return f"https://{host.lower()}/{'/'.join(parts)}"


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return datetime.fromtimestamp(0, UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _when(value: datetime, zone: tzinfo) -> str:
    return human_time(value, zone) or "unknown time"


def accepted_event(entry: SourceLogEntry, zone: tzinfo) -> Event:
    lines = [
        f"accepted by {entry.accepted_by} on {_when(_aware(entry.at), zone)}",
        f"draft {entry.draft} from {entry.stream}/{entry.agent}, confidence {entry.confidence:.2f}",
        "files: " + (", ".join(entry.files) or "none"),
    ]
    if entry.irreversible:
        lines.append(
            "irreversible: it cannot simply be undone (its own flag, or a path the team names)"
        )
    if entry.vouched is not None:
        v = entry.vouched
        lines.append(
            f"vouched for by {v.by} on {_when(_aware(v.at), zone)} (no sources cited): {v.note}"
        )
    commits = [s.ref for s in entry.sources if s.kind == "commit" and _SHA.fullmatch(s.ref)]
    if entry.draft.startswith("git-"):  # an agent commit's hunk: git-<sha>-<path>-<n>
        commits += [entry.draft.split("-")[1]]
    facts = [s for s in entry.sources if s.kind != "human"]
    if facts:
        lines.append("facts used:")
        lines += [f"  - {s.kind}: {s.ref} (trusted because {s.why})" for s in facts]
    else:
        lines.append("facts used: none cited")
    for item in entry.evidence:
        run = f" (run {item.run})" if item.run else ""
        lines.append(f"evidence (claimed by the agent): {item.ref}: {item.status}{run}")
    verified = entry.verification
    if verified is not None:
        lines.append(
            f"evidence verified here: {verified.outcome}, exit {verified.exit_code}, "
            f"{' '.join(verified.command)}, by {verified.by}"
        )
    elif entry.evidence:
        lines.append("evidence not verified here (claimed only)")
    return Event(
        _aware(entry.at),
        entry.stream,
        "accepted",
        entry.title,
        tuple(lines),
        irreversible=entry.irreversible,
        commits=tuple(c for c in commits if _SHA.fullmatch(c)),
    )


def not_kept_event(entry: NotKeptEntry, zone: tzinfo) -> Event:
    lines = (
        f"applied in the editor by {entry.applied_by} on {_when(_aware(entry.applied_at), zone)}",
        f"not kept: {entry.what} (seen {_when(_aware(entry.at), zone)})",
        f"draft {entry.draft} from {entry.stream}/{entry.agent} went back to the inbox",
        "files: " + (", ".join(entry.files) or "none"),
    )
    return Event(
        _aware(entry.at),
        entry.stream,
        "not kept",
        entry.title,
        lines,
        irreversible=entry.irreversible,
    )


def _through(door: str | None) -> str:
    """` through the terminal`, as a record names its door (nothing for older records)."""
    return f" through the {door}" if door in ("terminal", "editor") else ""


def gather(ws: Any) -> LogBook:
    """Everything the workspace can tell: the shared source log and sign-offs, the prompts
    folder, and this engineer's own rejections and vouches. An answer or a sign-off that
    cannot be checked as its person's (`core.policy.decisions`) is told as claimed."""
    zone = ws.display_zone()
    book = LogBook(zone=zone, commit_web=commit_web(config_value(ws.root, "remote.origin.url")))
    log = read_log(ws.paths.source_log)
    entries, book.problems = log.accepted, log.problems
    applied = {e.draft for e in entries}
    book.events += [accepted_event(e, zone) for e in entries]
    book.events += [not_kept_event(e, zone) for e in log.not_kept]
    for draft_id, o in ws.state.outcomes.items():
        if o.outcome == "rejected":
            book.events.append(
                Event(
                    _aware(o.at),
                    o.stream,
                    "rejected",
                    o.title or draft_id,
                    (
                        f"rejected by {o.by}{_through(o.door)} on {_when(_aware(o.at), zone)}",
                        f"draft {draft_id} from {o.stream}/{o.agent}",
                        f"why: {o.reason or 'no reason given'}",
                    ),
                )
            )
    counted = ws.vouches()
    for draft_id, v in ws.state.vouches.items():
        if draft_id in applied:
            continue  # told with the accepted draft
        draft = ws.draft(draft_id)
        who = (
            f"vouched for by {v.by}{_through(v.door)}"
            if draft_id in counted
            else f"claimed by {v.by}, not verified (not signed as the team asks; it does not count)"
        )
        book.events.append(
            Event(
                _aware(v.at),
                draft.stream if draft is not None else "",
                "vouched",
                draft.title if draft is not None else draft_id,
                (f"{who} on {_when(_aware(v.at), zone)}", f"note: {v.note}"),
            )
        )
    found, _ = scan_prompts(ws.prompt_folders())
    for _, p in found:
        lines = [f"asked by {p.agent} ({p.stream}): {p.question}"]
        lines.append("options: " + " / ".join(p.options))
        if p.answer is not None:
            answered = _when(_aware(p.answered_at), zone) if p.answered_at else "unknown time"
            body = {**p.answer_body(), "signature": p.signature}
            who = p.answered_by or "unknown"
            checked = decisions.check(ws, "answer", body, who)
            said = decisions.said("answered", who, checked, p.answered_door)
            lines.append(f"{said} on {answered}: {p.answer}")
        else:
            lines.append("not answered yet")
        at = p.answered_at or p.created
        book.events.append(Event(_aware(at), p.stream, "asked", p.question, tuple(lines)))
    for s in SignOffs.read(ws.paths.signoffs).entries:
        try:
            at = datetime.fromisoformat(str(s.get("at", "")).replace("Z", "+00:00"))
        except ValueError:
            continue
        streams = [str(x) for x in s.get("streams", []) if isinstance(x, str)]
        where = f"{s.get('path', '?')} {s.get('symbol', '')}".strip()
        signer = str(s.get("signer", "unknown"))
        checked = decisions.check(ws, "sign-off", s, signer)

        book.events.append(
            Event(
                _aware(at),
                ", ".join(streams),
                "signed off",
                f"stitch point {where}",
                (
                    f"{decisions.said('signed off', signer, checked, s.get('door'))} "
                    f"on {_when(_aware(at), zone)}",
                    "streams: " + (", ".join(streams) or "none named"),
                ),
            )
        )
    book.events.sort(key=lambda e: e.at)
    return book


# -- renderings ------------------------------------------------------------------------------


def to_text(book: LogBook) -> str:
    """Plain readable text: no markup to escape (controls are the printer's to neutralise)."""
    if not book.events:
        return "Source log: nothing has been accepted, rejected or asked yet.\n"
    out = ["Source log", ""]
    for e in book.events:
        out.append(f"{e.heading.upper()}: {one_line(e.title)}")
        out += [f"  {one_line(line)}" for line in e.lines]
        out.append("")
    return "\n".join(out)


def to_markdown(book: LogBook) -> str:
    if not book.events:
        return "# Source log\n\nNothing has been accepted, rejected or asked yet.\n"
    out = ["# Source log", ""]
    for e in book.events:
        out += [f"## {e.heading.capitalize()}: {escape_markdown(one_line(e.title))}", ""]
        out += [
            f"- {escape_markdown(one_line(line.strip().removeprefix('- ')))}" for line in e.lines
        ]
        out.append("")
    return "\n".join(out)


_SCRIPT = """
function stitchFilter() {
  var s = document.getElementById('stream').value;
  var d = document.getElementById('since').value;
  var rows = document.querySelectorAll('section.event');
  for (var i = 0; i < rows.length; i++) {
    var r = rows[i];
    var ok = (!s || r.dataset.stream === s) && (!d || r.dataset.date >= d);
    r.style.display = ok ? '' : 'none';
  }
}
"""

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
section.event{border-left:4px solid #999;padding:.2rem .8rem;margin:1rem 0}
section.accepted{border-color:#2a7}section.rejected{border-color:#c33}
section.vouched{border-color:#c90}section.asked{border-color:#36c}
section.signed-off{border-color:#639}section.not-kept{border-color:#777;border-style:dashed}
section.irreversible{background:#fff4f0}.mark{color:#b30;font-weight:bold}
h2{font-size:1.05rem;margin:.2rem 0}
.kind{font-variant:small-caps;color:#555}ul{margin:.2rem 0 .4rem;padding-left:1.2rem}
"""


def to_html(book: LogBook, workspace: str, now: datetime) -> str:
    """One self-contained page (no outside resources): every event, filterable by stream
    and date with a small inline script; every agent-written string escaped."""

    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    streams = sorted({e.stream for e in book.events if e.stream})
    options = "".join(f'<option value="{esc(s)}">{esc(s)}</option>' for s in streams)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>Stitch source log: {esc(workspace)}</title>",
        f"<style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>",
        f"<h1>Source log: {esc(workspace)}</h1>",
        f"<p>Written {esc(_when(now, book.zone))}. {len(book.events)} events.</p>",
        '<p><label>Stream <select id="stream" onchange="stitchFilter()">'
        f'<option value="">all</option>{options}</select></label> '
        '<label>Since <input id="since" type="date" onchange="stitchFilter()"></label></p>',
    ]
    if not book.events:
        parts.append("<p>Nothing has been accepted, rejected or asked yet.</p>")
    else:
        parts.append(f'<p class="counts">{esc(book.counts())}.</p>')
    for e in book.events:
        day = e.at.astimezone(book.zone).date().isoformat()
        items = _html_items(e, book.commit_web)
        mark = ' <span class="mark">irreversible</span>' if e.irreversible else ""
        classes = e.kind.replace(" ", "-") + (" irreversible" if e.irreversible else "")
        parts.append(
            f'<section class="event {classes}" '
            f'data-stream="{esc(e.stream)}" data-date="{day}">'
            f'<h2><span class="kind">{esc(e.kind)}</span>{mark} {esc(e.title)}</h2>'
            f"<ul>{items}</ul></section>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_items(event: Event, web: str | None) -> str:
    """The event's lines as list items, each "  - " line in a list under the line before it
    ("facts used:"), and its commit ids linked to the commit's page where the remote is
    known (escaped; the ids are hex, the address https)."""

    def item(line: str) -> str:
        text = html.escape(line.strip().removeprefix("- "), quote=True)
        for sha in event.commits if web else ():
            href = html.escape(f"{web}/commit/{sha}", quote=True)
            text = re.sub(rf"\b{sha}\b", f'<a href="{href}">{sha}</a>', text, count=1)
        return text

    out: list[str] = []
    nested: list[str] = []
    for line in event.lines:
        if line.startswith("  - ") and out:
            nested.append(f"<li>{item(line)}</li>")
            continue
        if nested:
            out[-1] += f"<ul>{''.join(nested)}</ul>"
            nested = []
        out.append(item(line))
    if nested:
        out[-1] += f"<ul>{''.join(nested)}</ul>"
    return "".join(f"<li>{line}</li>" for line in out)


def to_json(book: LogBook) -> str:
    return json.dumps(
        [
            {
                "at": e.at.isoformat(),
                "stream": e.stream,
                "kind": e.kind,
                "title": e.title,
                "irreversible": e.irreversible,
                "lines": list(e.lines),
            }
            for e in book.events
        ],
        indent=2,
    )
