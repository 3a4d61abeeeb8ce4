"""The diagnostics the editor shows, as one part: a buffer's drafts (never in quiet hours) and
stitch points, the team file's problems and stream caps (checked by the indexer as typed:
this process never loads pydantic), and broken draft files even when closed. Each is sent
only when what it shows changed (a thousand drafts are ~25 ms to build and send).
"""

from __future__ import annotations

import asyncio
import logging
import operator
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from lsprotocol import types

from stitch_ls.core.safetext import plain
from stitch_ls.indexer.wire import IndexerError
from stitch_ls.lsp import render
from stitch_ls.lsp.documents import OpenDocument
from stitch_ls.lsp.points import NOTHING

if TYPE_CHECKING:
    from stitch_ls.core.policy.config import ConfigProblem
    from stitch_ls.core.workspace import StitchWorkspace
    from stitch_ls.lsp.points import PointTracker

log = logging.getLogger(__name__)

# Diagnostics one file gets: past it, the rest are left out and one more says how many (agents
# can write drafts by the thousand on one line; docs/security.md). Stitch points and the team
# file's problems are kept before drafts.
MAX_DIAGNOSTICS = 500
SEND_SLICE = 25  # closed files' diagnostics sent per turn of the loop


def bounded(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    """At most `MAX_DIAGNOSTICS`: the first ones, and a last one saying how many were left
    out and where every draft is listed."""
    if len(diagnostics) <= MAX_DIAGNOSTICS:
        return diagnostics
    kept = diagnostics[: MAX_DIAGNOSTICS - 1]
    left_out = len(diagnostics) - len(kept)
    return [
        *kept,
        types.Diagnostic(
            range=types.Range(
                start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
            ),
            message=(
                f"… and {left_out:,} more Stitch diagnostics in this file, left out: "
                "“Stitch: List Drafts” (:StitchDrafts in Neovim) or `stitch-ls draft list` lists them all"
            ),
            severity=types.DiagnosticSeverity.Information,
            source=render.SOURCE,
            code="stitch-left-out",
        ),
    ]


class Host(Protocol):
    """What diagnostics read of the server."""

    ws: StitchWorkspace | None
    docs: dict[str, OpenDocument]

    @property
    def encoding(self) -> str: ...
    def quiet_now(self) -> bool: ...
    def evaluations(self, doc: OpenDocument) -> Any: ...  # the buffer's drafts, judged
    def streams_status(self) -> dict[str, Any]: ...


class Diagnostics:
    def __init__(
        self,
        host: Host,
        *,
        points: PointTracker,
        check_team: Callable[[str], Awaitable[list[ConfigProblem]]],
        send: Callable[[types.PublishDiagnosticsParams], None],
        spawn: Callable[[Coroutine[Any, Any, Any]], Any],
    ) -> None:
        """`points`: the open buffers' stitch points; `check_team(text)`: a team file's
        problems, checked by the indexer; `send`: `textDocument/publishDiagnostics`."""
        self.host = host
        self._points, self._check_team, self._send, self._spawn = points, check_team, send, spawn
        self.shown: dict[str, tuple[Any, ...]] = {}  # uri -> what its diagnostics showed
        self._published: dict[str, list[types.Diagnostic]] = {}  # closed files' diagnostics
        self._typed_team: tuple[str | None, list[Any]] = (None, [])  # (text, its problems)
        self._broken: tuple[list[Any], dict[str, list[types.Diagnostic]]] | None = None
        # closed files' diagnostics waiting to be sent, a slice per turn of the loop (a
        # thousand broken draft files are a thousand notifications): the latest per file
        self._outbox: dict[str, types.PublishDiagnosticsParams] = {}
        self._draining: Any = None

    def forget(self, uri: str) -> None:
        self.shown.pop(uri, None)

    def point_diagnostics(self, doc: OpenDocument) -> list[types.Diagnostic]:
        diagnostics = []
        for point in self._points.of(doc.uri):
            start, end = self._points.span(doc, point)
            diagnostics.append(
                types.Diagnostic(
                    range=render.lsp_range(doc, start, end, self.host.encoding),
                    message=point.describe(),
                    severity=types.DiagnosticSeverity.Information,
                    source=render.SOURCE,
                    code=f"stitch-point:{point.id}",
                )
            )
        return diagnostics

    def cap_diagnostics(self) -> list[types.Diagnostic]:
        """A warning on the team file's feature entry for each feature over the stream cap."""
        # start-up: the server's first answer loads no core; this runs after it
        from stitch_ls.core.policy.config import locate_key

        assert self.host.ws is not None
        over = self.host.streams_status()["over_cap"]
        if not over:
            return []
        text = self.host.ws.team_source.text or ""  # as the indexer read it
        cap = self.host.ws.team.streams.max_per_feature
        out = []
        for feature, names in sorted(over.items()):
            loc = (
                ("features", feature)
                if feature in self.host.ws.team.features
                else ("streams", "max_per_feature")
            )
            line = locate_key(text, loc)
            out.append(
                types.Diagnostic(
                    range=types.Range(
                        start=types.Position(line=line, character=0),
                        end=types.Position(line=line + 1, character=0),
                    ),
                    message=f"feature {feature} has {len(names)} active streams (cap {cap}): {', '.join(names)}",
                    severity=types.DiagnosticSeverity.Warning,
                    source=render.SOURCE,
                )
            )
        return out

    def publish(self, doc: OpenDocument) -> None:
        """Diagnostics for a buffer: its drafts (not in quiet hours), its stitch points, and
        on the team file its problems. Not sent again when nothing they show changed (a
        thousand drafts are ~25 ms to build and send)."""
        quiet = self.host.quiet_now()
        evaluations = NOTHING if quiet else self.host.evaluations(doc) or NOTHING
        points = self._points.of(doc.uri)
        is_config = self.host.ws is not None and doc.path == self.host.ws.paths.config
        shown = (doc.version, quiet, evaluations, points)
        last = self.shown.get(doc.uri)
        if not is_config and last is not None and all(map(operator.is_, last, shown)):
            return
        self.shown[doc.uri] = shown
        diagnostics = self.point_diagnostics(doc)  # kept first when some must be left out
        if is_config:
            diagnostics.extend(self.config_diagnostics(doc.text))
            diagnostics.extend(self.cap_diagnostics())
        if not quiet:
            for evaluation in evaluations:
                for start, end in render.draft_ranges(evaluation, doc.relative or ""):
                    diagnostics.append(
                        types.Diagnostic(
                            range=render.lsp_range(doc, start, end, self.host.encoding),
                            message=render.diagnostic_message(evaluation),
                            severity=types.DiagnosticSeverity.Hint,
                            source=render.SOURCE,
                            code=evaluation.record.id,
                        )
                    )
        # sent now, so what waited in the outbox for this file (as closed) is older
        self._outbox.pop(doc.uri, None)
        self._send(
            types.PublishDiagnosticsParams(
                uri=doc.uri, diagnostics=bounded(diagnostics), version=doc.version
            )
        )

    def config_diagnostics(self, text: str | None = None) -> list[types.Diagnostic]:
        """The team file's problems: the file in force's (`text` None), or an open buffer's
        as typed, checked by the indexer (this process never loads pydantic): until its
        answer for this text is in, the last answer shows, and the answer republishes."""
        assert self.host.ws is not None
        if text is None:
            problems = self.host.ws.config_problems
        else:
            checked, problems = self._typed_team
            if checked != text:
                self._spawn(self._check_typed_team(text))
        return [
            types.Diagnostic(
                range=types.Range(
                    start=types.Position(line=p.line, character=0),
                    end=types.Position(line=p.line + 1, character=0),
                ),
                message=p.message,
                severity=types.DiagnosticSeverity.Error,
                source=render.SOURCE,
            )
            for p in problems
        ]

    async def _check_typed_team(self, text: str) -> None:
        try:
            problems = await self._check_team(text)
        except IndexerError as exc:
            log.debug("team file not checked as typed: %s", exc)
            return
        if self.host.ws is None:
            return
        self._typed_team = (text, problems)
        for doc in list(self.host.docs.values()):
            if doc.path == self.host.ws.paths.config and doc.text == text:
                self.publish(doc)

    def publish_config_problems(self) -> None:
        """Diagnostics on the team file and on broken draft files, even when they are closed;
        sent only for files whose diagnostics changed."""
        if self.host.ws is None:
            return
        ws = self.host.ws
        wanted: dict[str, list[types.Diagnostic]] = {}
        config_uri = ws.paths.config.as_uri()
        if not any(d.path == ws.paths.config for d in self.host.docs.values()):
            wanted[config_uri] = self.config_diagnostics() + self.cap_diagnostics()
        if self._broken is None or self._broken[0] is not ws.drafts.invalid:
            broken: dict[str, list[types.Diagnostic]] = {}
            for record in ws.drafts.invalid:
                broken.setdefault(record.file.as_uri(), []).append(
                    types.Diagnostic(
                        range=types.Range(
                            start=types.Position(line=record.error_line, character=0),
                            end=types.Position(line=record.error_line + 1, character=0),
                        ),
                        message=plain(record.error or "invalid draft"),
                        severity=types.DiagnosticSeverity.Error,
                        source=render.SOURCE,
                    )
                )
            self._broken = (ws.drafts.invalid, broken)
        for uri, diagnostics in self._broken[1].items():
            wanted.setdefault(uri, []).extend(diagnostics)
        wanted = {uri: bounded(d) for uri, d in wanted.items() if d}
        for uri in set(self._published) | set(wanted):
            diagnostics = wanted.get(uri, [])
            if self._published.get(uri, []) != diagnostics:
                self._outbox[uri] = types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        self._published = wanted
        if self._outbox and self._draining is None:
            self._draining = self._spawn(self._drain())

    async def _drain(self) -> None:
        """Send what waits in the outbox, SEND_SLICE notifications per turn of the loop, so
        the editor's requests are answered in between."""
        try:
            while self._outbox:
                for uri in list(self._outbox)[:SEND_SLICE]:
                    self._send(self._outbox.pop(uri))
                await asyncio.sleep(0)
        finally:
            self._draining = None
