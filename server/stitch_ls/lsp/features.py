"""LSP features: each handler converts its params, asks the server and core, converts back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidRequest

from stitch_ls.lsp import render
from stitch_ls.lsp.documents import new_document, uri_to_path
from stitch_ls.lsp.points import NOTHING
from stitch_ls.lsp.server import StitchServer

# (method, options, handler) of every LSP feature below, registered by `app.create_server`
FEATURES: list[tuple[str, Any, Any]] = []


def feature(method: str, options: Any = None) -> Any:
    """Declare a handler of `method` (with its options, next to it) for the server to come."""

    def declare(handler: Any) -> Any:
        FEATURES.append((method, options, handler))
        return handler

    return declare


MAX_LENSES = 25
MAX_ACTION_DRAFTS = 30  # drafts whose actions one code-action answer carries; then "… and N more"
MAX_HOVER_DRAFTS = 10


def _overlaps(
    a: tuple[tuple[int, int], tuple[int, int]], b: tuple[tuple[int, int], tuple[int, int]]
) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


@feature(types.INITIALIZE)
def on_initialize(ls: StitchServer, params: types.InitializeParams) -> None:
    if ls.root is not None:
        raise JsonRpcInvalidRequest(message="the server is already initialised")
    ls.root = ls.root_from(params)
    options = params.initialization_options
    if isinstance(options, dict) and "workspaceTrusted" in options:  # VS Code's Workspace Trust
        options = dict(options)
        ls.trusted = options.pop("workspaceTrusted") is not False
    ls.init_settings = options
    asyncio.get_running_loop().call_soon(ls.warm_up)  # once the result is written


@feature(types.INITIALIZED)
async def on_initialized(ls: StitchServer, params: types.InitializedParams) -> None:
    if ls.capability("workspace.did_change_configuration.dynamic_registration", False):
        ls.spawn(_register(ls, types.WORKSPACE_DID_CHANGE_CONFIGURATION, None))
    if ls.capability("workspace.did_change_watched_files.dynamic_registration", False):
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern="**/.stitch/**")]
        )
        ls.spawn(_register(ls, types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options))
    await ls.start_workspace()


async def _register(ls: StitchServer, method: str, options: Any) -> None:
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id=f"stitch-{method}", method=method, register_options=options
                    )
                ]
            )
        )
    except Exception as exc:  # noqa: BLE001 - the client refused: our own watcher still runs
        ls.show_log(f"client refused registration of {method}: {exc}")


@feature(types.SHUTDOWN)
async def on_shutdown(ls: StitchServer, params: Any) -> None:
    """The editor is closing this session: what its buffers held and never saved is gone,
    so every apply still waiting is settled by the disk now (`keeping`)."""
    await ls.applies.settle_all("ended")


@feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(ls: StitchServer, params: types.DidChangeConfigurationParams) -> None:
    if ls.ws is None:
        return
    if ls.capability("workspace.configuration", False):
        await ls.pull_settings()
    elif params.settings is not None:
        await ls.use_settings(params.settings)
    ls.quiet.wake()
    ls.refresh_editor()


@feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def on_watched_files(ls: StitchServer, params: types.DidChangeWatchedFilesParams) -> None:
    paths = {uri_to_path(change.uri) for change in params.changes}
    await ls.reload(None if None in paths else {p for p in paths if p is not None})


@feature(types.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: StitchServer, params: types.DidOpenTextDocumentParams) -> None:
    if ls.root is None:
        return
    item = params.text_document
    doc = new_document(item.uri, ls.root, item.version, item.text)
    ls.docs[item.uri] = doc
    ls.publish(doc)
    ls.schedule_points(doc, delay=0)


@feature(types.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: StitchServer, params: types.DidChangeTextDocumentParams) -> None:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None:
        return
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            r = change.range
            doc.apply_change(
                (r.start.line, r.start.character),
                (r.end.line, r.end.character),
                change.text,
                ls.encoding,
            )
        else:
            doc.replace_all(change.text)
    doc.version = params.text_document.version
    if doc.relative is not None:
        ls.note_activity()
        ls.applies.changed(doc)  # an apply waiting to be saved: undone?
    ls.schedule_publish(doc)
    ls.schedule_points(doc)


@feature(types.TEXT_DOCUMENT_DID_SAVE)
async def on_save(ls: StitchServer, params: types.DidSaveTextDocumentParams) -> None:
    doc = ls.docs.get(params.text_document.uri)
    if ls.ws is not None and doc is not None and doc.path == ls.ws.paths.config:
        await ls.reload()
    if doc is not None:
        await ls.applies.saved(doc)


@feature(types.TEXT_DOCUMENT_DID_CLOSE)
def on_close(ls: StitchServer, params: types.DidCloseTextDocumentParams) -> None:
    doc = ls.docs.pop(params.text_document.uri, None)
    ls.forget(params.text_document.uri)
    if doc is not None:
        ls.applies.closed(doc)  # never kept unless it was saved first
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=doc.uri, diagnostics=[])
        )
        ls.invalidate(places=True)  # drafts that also edit it now read it from disk
        ls.publish_config_problems()


@feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=False
    ),
)
async def on_code_action(
    ls: StitchServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None or ls.quiet_now():
        return []
    await ls.placer.wait_placed(doc)
    enc = ls.encoding
    r = params.range
    wanted = (
        doc.to_points(r.start.line, r.start.character, enc),
        doc.to_points(r.end.line, r.end.character, enc),
    )
    disabled = bool(ls.capability("text_document.code_action.disabled_support", False))
    actions: list[types.CodeAction] = []
    shown = more = 0
    for evaluation in ls.placer.evaluations_near(doc, wanted[0][0], wanted[1][0]):
        if any(
            _overlaps(span, wanted) for span in render.draft_ranges(evaluation, doc.relative or "")
        ):
            if shown < MAX_ACTION_DRAFTS:
                actions.extend(render.code_actions(evaluation, disabled))
                if ls.can_verify(evaluation.record):
                    actions.append(render.verify_action(evaluation))
                shown += 1
            else:
                more += 1
    if more:  # fifty thousand drafts on one line must not become a 12 MB answer
        actions.append(
            types.CodeAction(
                title=f"… and {more:,} more agent drafts here — list",
                kind=types.CodeActionKind.QuickFix,
                command=types.Command(
                    title="List drafts",
                    command="stitch.listDrafts",
                    arguments=[{"path": doc.relative, "line": wanted[0][0]}],
                ),
            )
        )
    return actions


@feature(types.TEXT_DOCUMENT_CODE_LENS)
async def on_code_lens(ls: StitchServer, params: types.CodeLensParams) -> list[types.CodeLens]:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None:
        return []
    await ls.placer.wait_placed(doc)
    quiet = ls.quiet_now()
    points = ls.points.of(doc.uri)
    evaluations = NOTHING if quiet else ls.evaluations(doc) or NOTHING  # cached per placement
    key = (quiet, id(points), id(evaluations), doc.seq)
    cached = ls.lenses.get(doc.uri)
    if cached is not None and cached[0] == key:
        return cached[2]
    lenses = _point_lenses(ls, doc, points)
    if evaluations:
        lenses.extend(_draft_lenses(doc, ls.placer.by_line(doc)))
    # the lists are kept with the lenses, so their ids cannot be reused while cached
    ls.lenses[doc.uri] = (key, (points, evaluations), lenses)
    return lenses


def _point_lenses(ls: StitchServer, doc: Any, points: Sequence[Any]) -> list[types.CodeLens]:
    lenses = []
    for point in points:
        line = ls.points.span(doc, point)[0][0]
        at = types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
        )
        command = types.Command(
            title=point.describe(), command="stitch.signOff", arguments=[point.id]
        )
        lenses.append(types.CodeLens(range=at, command=command))
        compare = types.Command(
            title="compare streams", command="stitch.compareStreams", arguments=[point.id]
        )
        lenses.append(types.CodeLens(range=at, command=compare))
    return lenses


def _draft_lenses(doc: Any, placed: list[tuple[int, Any]]) -> list[types.CodeLens]:
    """A lens per draft (per line when a line has more than three); when more than
    MAX_LENSES lines carry drafts, one lens per block of lines (each lens costs the editor
    and the wire; a thousand of them help nobody). Stale, parked and blocked drafts share one
    lens per file, as do invalid ones (all stay in the list and the diagnostics). `placed`: (first line, draft),
    in order."""
    held_back = ("stale", "parked", "blocked", "invalid")
    held = [(line, e) for line, e in placed if e.decision.gate.value in held_back]
    by_line: dict[int, list[Any]] = {}
    for line, evaluation in placed:
        if evaluation.decision.gate.value not in held_back:
            by_line.setdefault(line, []).append(evaluation)
    block = 1
    if len(by_line) > MAX_LENSES:
        block = -(-doc.line_count // MAX_LENSES)
        blocks: dict[int, tuple[int, list[Any]]] = {}
        for line, group in by_line.items():  # each block's lens on its first line with drafts
            blocks.setdefault(line // block * block, (line, []))[1].extend(group)
        by_line = dict(blocks.values())
    lenses = []
    for line, group in sorted(by_line.items()):
        at = types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
        )
        if len(group) > 3 or block > 1:
            ready = sum(1 for e in group if e.decision.actionable)
            first = line // block * block
            where = "here" if block == 1 else f"in lines {first + 1}-{first + block}"
            lenses.append(
                types.CodeLens(
                    range=at,
                    command=types.Command(
                        title=f"{len(group)} agent draft{'' if len(group) == 1 else 's'} "
                        f"{where} ({ready} ready) — list",
                        command="stitch.listDrafts",
                        arguments=[{"path": doc.relative, "line": line}],
                    ),
                )
            )
            continue
        group.sort(key=render.rank)  # menu order, as in the code actions
        lenses.extend(types.CodeLens(range=at, command=render.lens_for(e)) for e in group)
    if held:
        line = min(line for line, _ in held)
        counts = {g: sum(1 for _, e in held if e.decision.gate.value == g) for g in held_back}
        said = ", ".join(f"{n} {g}" for g, n in counts.items() if n)
        at = types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
        )
        title = f"{len(held)} agent draft{'' if len(held) == 1 else 's'} not ready ({said}) — list"
        command = types.Command(
            title=title, command="stitch.listDrafts", arguments=[{"path": doc.relative}]
        )
        lenses.append(types.CodeLens(range=at, command=command))
        lenses.sort(key=lambda lens: lens.range.start.line)
    return lenses


@feature(types.TEXT_DOCUMENT_HOVER)
async def on_hover(ls: StitchServer, params: types.HoverParams) -> types.Hover | None:
    doc = ls.docs.get(params.text_document.uri)
    if doc is None or ls.ws is None or ls.quiet_now():
        return None
    await ls.placer.wait_placed(doc)
    point = doc.to_points(params.position.line, params.position.character, ls.encoding)
    here = [
        evaluation
        for evaluation in ls.placer.evaluations_near(doc, point[0], point[0])
        if any(
            _overlaps(span, (point, point))
            for span in render.draft_ranges(evaluation, doc.relative or "")
        )
    ]
    if not here:
        return None
    verified = ls.ws.state.verifications
    parts = [render.hover_markdown(e, ls.ws.root, verified) for e in here[:MAX_HOVER_DRAFTS]]
    if len(here) > MAX_HOVER_DRAFTS:
        parts.append(f"… and {len(here) - MAX_HOVER_DRAFTS:,} more agent drafts here")
    return types.Hover(
        contents=types.MarkupContent(
            kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
        )
    )
