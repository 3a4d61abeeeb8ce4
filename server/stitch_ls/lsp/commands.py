"""`workspace/executeCommand` handlers: the contract's `stitch.*` commands.

Arguments arrive as the client sent them (`*args`), so a garbled call gets one clear error
instead of a converter traceback. Applying re-checks everything at the moment it happens. A
refusal (`Refused`, from the core or the indexer) and an indexer that could not answer
(`IndexerError`) become the command's error in one place (`command`), with their words.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from stitch_ls.core.errors import Refused
from stitch_ls.core.listing import LIST_LIMIT, check_limit
from stitch_ls.indexer.api import IndexerApi
from stitch_ls.indexer.wire import IndexerError
from stitch_ls.lsp.server import StitchServer

Handler = Callable[..., Awaitable[Any]]
# name -> handler of every `workspace/executeCommand` command below (`app.create_server`)
COMMANDS: dict[str, Handler] = {}

REQUEST_FAILED = -32803


def refused(message: str) -> JsonRpcException:
    return JsonRpcException(message=message, code=REQUEST_FAILED)


def command(name: str) -> Callable[[Handler], Handler]:
    """Declare the handler of the command `name` for the server to come; a refusal or an
    indexer that could not answer is its error, with the reason."""

    def declare(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def answered(ls: StitchServer, *args: Any) -> Any:
            try:
                return await handler(ls, *args)
            except (Refused, IndexerError) as exc:
                raise refused(str(exc)) from None

        COMMANDS[name] = answered
        return handler

    return declare


def _text_arg(args: tuple[Any, ...], index: int, what: str, required: bool = True) -> str | None:
    if len(args) <= index or args[index] is None:
        if required:
            raise JsonRpcInvalidParams(message=f"missing argument: {what}")
        return None
    value = args[index]
    if not isinstance(value, str) or not value or len(value) > 4000:
        raise JsonRpcInvalidParams(message=f"{what} must be a non-empty string")
    return value


def _object_arg(args: tuple[Any, ...], what: str) -> dict[str, Any]:
    if not args or args[0] is None:
        return {}
    if not isinstance(args[0], dict):
        raise JsonRpcInvalidParams(message=f"{what} takes one object argument")
    return args[0]


async def _ready(ls: StitchServer) -> Any:
    """The workspace, once its first load is done (a command sent right after start-up waits
    for the drafts and state instead of answering from an empty workspace)."""
    if ls.ws is None and ls.root is None:
        raise refused("the workspace is not initialised yet")
    try:
        await asyncio.wait_for(ls.loaded.wait(), timeout=30)
    except TimeoutError:
        raise refused("the workspace is still loading") from None
    assert ls.ws is not None
    return ls.ws


@command("stitch.applyDraft")
async def apply_draft(ls: StitchServer, *args: Any) -> dict[str, Any]:
    """Checked and committed by the indexer (the process that owns `.stitch/`) under the
    apply lock, which it holds while the editor applies the edit in between."""
    await _ready(ls)
    draft_id = _text_arg(args, 0, "draft id") or ""
    if not ls.indexer_running:  # it records the apply: none, no apply
        raise refused(f"the indexer process is not running; {ls.indexer_note()}")
    return await ls.applies.apply(draft_id)


@command("stitch.rejectDraft")
async def reject_draft(ls: StitchServer, *args: Any) -> dict[str, Any]:
    await _ready(ls)
    draft_id = _text_arg(args, 0, "draft id")
    reason = _text_arg(args, 1, "reason", required=False)
    await ls.change(IndexerApi.reject, draft_id or "", reason, ls.user, ls.clock())
    ls.drafts_changed({draft_id or ""})
    ls.refresh_editor()
    return {"rejected": True, "draft": draft_id, "reason": reason}


@command("stitch.vouchDraft")
async def vouch_draft(ls: StitchServer, *args: Any) -> dict[str, Any]:
    """`stitch.vouchDraft [id, note]`: the engineer vouches for a draft parked without
    sources; recorded by the indexer in the engineer's own state, then the draft meets the
    rest of the gate (read-only, floor, irreversible) like any other."""
    await _ready(ls)
    draft_id = _text_arg(args, 0, "draft id") or ""
    note = _text_arg(args, 1, "note") or ""
    answer = await ls.change_answered(IndexerApi.vouch, draft_id, note, ls.user, ls.clock())
    vouched = answer.value
    ls.drafts_changed({draft_id})
    ls.refresh_editor()
    return {
        "vouched": True,
        "draft": draft_id,
        "by": vouched.by,
        "gate": vouched.gate,
        "reason": vouched.reason,
    }


@command("stitch.verifyDraft")
async def verify_draft(ls: StitchServer, *args: Any) -> dict[str, Any]:
    """`stitch.verifyDraft [id]`: run the team's test command against the draft in a scratch
    worktree (`core.drafts.verify`, in a thread of the indexer: never on this loop), shown as
    `$/progress` the engineer can cancel (as can `$/cancelRequest`). The tests are code, so
    only the engineer starts it, and never in a workspace the editor does not trust."""
    ws = await _ready(ls)
    draft_id = _text_arg(args, 0, "draft id") or ""
    if not ls.trusted:
        raise refused(
            "this workspace is not trusted: Stitch runs no test command in it (trust the"
            " workspace in the editor first)"
        )
    if not ls.indexer_running:
        raise refused(f"the indexer process is not running; {ls.indexer_note()}")

    def cancel() -> None:
        ls.spawn(ls.call(IndexerApi.cancel_verify, draft_id))

    command = await ls.call(IndexerApi.evidence_to_approve, draft_id)
    if command is not None:  # its first run here: the engineer sees it and says yes first
        chosen = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=(
                    "Stitch: the team's test command has not run on this machine before. "
                    f"Run it, with your rights, in a scratch worktree? {' '.join(command)}"
                ),
                actions=[
                    types.MessageActionItem(title="Run"),
                    types.MessageActionItem(title="Cancel"),
                ],
            )
        )
        if chosen is None or chosen.title != "Run":
            raise refused(f"verify {draft_id}: not run (the test command was not approved)")

    token = await _begin_progress(
        ls, f"Verify draft {draft_id}", " ".join(ws.team.evidence.command), cancel
    )
    line = "not verified"
    try:
        verdict = await ls.call(
            IndexerApi.verify, draft_id, ls.user, ls.clock(), command is not None
        )
        line = verdict.line()
    except asyncio.CancelledError:  # the client cancelled the request
        cancel()
        raise
    finally:
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=line))
    await ls.reload({ws.paths.state})  # the outcome, kept in the engineer's state
    ls.drafts_changed({draft_id})
    ls.refresh_editor()
    ls.window_show_message(
        types.ShowMessageParams(
            type=types.MessageType.Info if verdict.passed else types.MessageType.Warning,
            message=verdict.line(),
        )
    )
    return verdict.to_data()


async def _begin_progress(ls: StitchServer, title: str, message: str, on_cancel: Any) -> str | None:
    """A cancellable `$/progress` the server starts (None when the client has none)."""
    if not ls.capability("window.work_done_progress", False):
        return None
    token = f"stitch-{uuid.uuid4()}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception:  # noqa: BLE001 - no progress shown; the work goes on
        return None
    ls.work_done_progress.tokens[token].add_done_callback(
        lambda future: on_cancel() if future.cancelled() else None
    )
    ls.work_done_progress.begin(
        token, types.WorkDoneProgressBegin(title=title, message=message, cancellable=True)
    )
    return token


@command("stitch.approveTeamFile")
async def approve_team_file(ls: StitchServer, *args: Any) -> dict[str, Any]:
    """`stitch.approveTeamFile []`: the engineer approves the team file waiting for approval
    (a newer version on the base branch that loosens what is in force), after seeing what it
    loosens: asked here, in the editor, which only the person at it answers."""
    ws = await _ready(ls)
    source = ws.team_source
    if source.proposal is None:
        return {"approved": False, "reason": "nothing waits for your approval"}
    shown = "; ".join(source.waiting) or "the working copy's team file (no base branch has one)"
    chosen = await ls.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=f"Stitch: approve the team file? It loosens what is in force: {shown}",
            actions=[
                types.MessageActionItem(title="Approve"),
                types.MessageActionItem(title="Cancel"),
            ],
        )
    )
    if chosen is None or chosen.title != "Approve":
        return {"approved": False, "reason": "not approved"}
    await ls.change(IndexerApi.approve_team_file, ls.user, ls.clock(), "editor")
    ls.refresh_editor()
    return {"approved": True, "policy": ws.team_source.label}


@command("stitch.sourceLog")
async def source_log(ls: StitchServer, *args: Any) -> dict[str, Any]:
    """`stitch.sourceLog []`: the source log as readable text (accepted drafts, vouches,
    rejections, questions and answers, sign-offs), for the editors to show."""
    await _ready(ls)
    return {"text": await ls.call(IndexerApi.source_log)}


@command("stitch.showDraft")
async def show_draft(ls: StitchServer, *args: Any) -> dict[str, Any]:
    ws = await _ready(ls)
    draft_id = _text_arg(args, 0, "draft id")
    record = await ls.draft_record(draft_id or "")
    if record is None:
        raise refused(f"no draft with id {draft_id!r}")
    # start-up: the server's first answer loads no core; this runs after it
    from stitch_ls.core.workspace import draft_summary

    ctx = ws.gate_context(ls.clock(), ignore_quiet=True)
    summary: dict[str, Any] = dict(
        draft_summary(ws.evaluate(record, ctx, ls.read_live, ls.find_symbol))
    )
    summary["draft"] = record.draft.to_data() if record.draft else None
    summary["error"] = record.error
    if ls.capability("window.show_document.support", False):
        ls.spawn(
            ls.window_show_document_async(
                types.ShowDocumentParams(uri=record.file.as_uri(), take_focus=True)
            )
        )
    return summary


@command("stitch.pendingPrompts")
async def pending_prompts(ls: StitchServer, *args: Any) -> list[dict[str, Any]]:
    """`stitch.pendingPrompts`: the prompts still waiting for an answer, oldest first; the
    ones the engineer dismissed are shown again (a dismissed prompt is not an answered one)."""
    await _ready(ls)
    found, _ = await ls.call(IndexerApi.prompts)
    pending = [prompt for _, prompt in found if prompt.answer is None]
    ls.prompts.show_again([p.id for p in pending])
    ls.spawn(ls.show_prompts())
    return [
        {
            "id": p.id,
            "agent": p.agent,
            "stream": p.stream,
            "question": p.question,
            "options": list(p.options),
        }
        for p in pending
    ]


@command("stitch.listDrafts")
async def list_drafts(ls: StitchServer, *args: Any) -> list[dict[str, Any]]:
    """`stitch.listDrafts [{"path"?, "limit"?}]`: the pending drafts, at most `limit`
    (`LIST_LIMIT`), and a last entry saying how many more when some were left out."""
    ws = await _ready(ls)
    where = _object_arg(args, "stitch.listDrafts")
    path = where.get("path")
    try:
        limit = check_limit(where.get("limit", LIST_LIMIT))
    except ValueError as exc:
        raise JsonRpcInvalidParams(message=f"stitch.listDrafts: {exc}") from None
    ctx = ws.gate_context(ls.clock(), ignore_quiet=True)
    texts = {d.relative: d.text for d in ls.docs.values() if d.relative}
    found = await ls.call(
        IndexerApi.summaries, ctx, texts, path if isinstance(path, str) else None, limit
    )
    return [dict(row) for row in found.answer("drafts")]


@command("stitch.setReadOnly")
async def set_read_only(ls: StitchServer, *args: Any) -> dict[str, Any]:
    await _ready(ls)
    options = (
        {"on": args[0]}
        if args and isinstance(args[0], bool)
        else _object_arg(args, "stitch.setReadOnly")
    )
    on = options.get("on")
    reason = options.get("reason")
    if not isinstance(on, bool) or (reason is not None and not isinstance(reason, str)):
        raise JsonRpcInvalidParams(message='stitch.setReadOnly takes {"on": bool, "reason": str}')
    async with ls.applies.lock:
        await ls.change(IndexerApi.set_read_only, on, reason, ls.user, ls.clock())
    ls.refresh_editor()
    return await ls.fresh_status()


@command("stitch.focus")
async def focus(ls: StitchServer, *args: Any) -> dict[str, Any]:
    await _ready(ls)
    options = _object_arg(args, "stitch.focus")
    minutes = options.get("minutes", 120)
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise JsonRpcInvalidParams(message='stitch.focus takes {"minutes": int}')
    async with ls.applies.lock:  # an apply queued after this command sees the session
        await ls.change(IndexerApi.set_focus, minutes, ls.clock())
    ls.quiet.wake()
    ls.quiet.check()
    ls.send_status()
    return await ls.fresh_status()


@command("stitch.endFocus")
async def end_focus(ls: StitchServer, *args: Any) -> dict[str, Any]:
    return await focus(ls, {"minutes": 0})


@command("stitch.status")
async def status(ls: StitchServer, *args: Any) -> dict[str, Any]:
    await _ready(ls)
    return await ls.fresh_status()


@command("stitch.signOff")
async def sign_off(ls: StitchServer, *args: Any) -> dict[str, Any]:
    await _ready(ls)
    point_id = _text_arg(args, 0, "stitch point id")
    point = ls.points.find(point_id or "")
    if point is None:
        raise refused(f"no stitch point {point_id!r} in an open file")
    if point.signed:
        return {"signed": True, "stitch_id": point.id, "signer": point.signed_by}
    # written by the indexer; refused unless the owner signs (and the signing key works)
    entry = await ls.call(IndexerApi.sign_off, point, ls.user, ls.clock())
    await ls.update_all_points()
    ls.spawn(ls.recount_points())
    ls.refresh_editor()
    return {"signed": True, "stitch_id": point.id, "signer": entry["signer"]}


@command("stitch.compareStreams")
async def compare_streams(ls: StitchServer, *args: Any) -> dict[str, Any]:
    """`stitch.compareStreams [stitch_id]`: for a stitch point of an open file, each stream's
    version of the file (and the base's), for the editor to show beside the engineer's buffer
    before a sign-off. The indexer reads them from git (bounded; a deleted, binary or too large
    version comes without text, with a note); this answers them as data, and the clients only
    display them."""
    await _ready(ls)
    point_id = _text_arg(args, 0, "stitch point id")
    point = ls.points.find(point_id or "")
    if point is None:
        raise refused(f"no stitch point {point_id!r} in an open file")
    # start-up: the server's first answer loads no core; this runs after it
    from stitch_ls.core.vcs.gitview import ENGINEER

    streams = [name for name in point.streams if name != ENGINEER]
    found = await ls.call(IndexerApi.compare, point.path, point.symbol, streams)

    def side(version: Any) -> dict[str, Any]:
        return {
            "name": version.name,
            "label": version.label,
            "text": version.text,
            "line": version.line,
            "note": version.note or None,
        }

    assert ls.ws is not None
    uri = next((d.uri for d in ls.docs.values() if d.relative == point.path), None)
    return {
        "stitch_id": point.id,
        "path": point.path,
        "symbol": point.symbol,
        "uri": uri or (ls.ws.root / point.path).as_uri(),  # the engineer's buffer
        "yours": ENGINEER in point.streams,
        "base": side(found.base),
        "streams": [side(version) for version in found.streams],
    }
