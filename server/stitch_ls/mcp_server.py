"""`stitch-ls mcp`: Stitch for agents that speak the Model Context Protocol.

Agents propose drafts and ask the engineer through the same core and the same validation as
the CLI; they read the status, stitch points and what became of their drafts. The server only
ever writes into `.stitch/drafts/` and `.stitch/prompts/` (besides what every door does on
opening the workspace: `operations.open_workspace`).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from stitch_ls.core import operations
from stitch_ls.core.drafts.gate import bare_reason
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.errors import Refused
from stitch_ls.core.files.fsio import parse_json
from stitch_ls.core.files.paths import check_relative_path
from stitch_ls.core.listing import LIST_LIMIT, check_limit, first
from stitch_ls.core.operations import add_draft, open_workspace, stamped, withdraw_draft
from stitch_ls.core.record.outcomes import draft_outcome
from stitch_ls.core.records import plain_error, plain_parts, validation_errors
from stitch_ls.core.timefmt import human_time
from stitch_ls.core.vcs.gitview import points_for, take_snapshot
from stitch_ls.core.vcs.stitchpoints import SignOffs
from stitch_ls.core.words import state_word
from stitch_ls.core.workspace import StitchWorkspace

MAX_WAIT = 120.0

# The agent an MCP client is, by the name it gives itself in `initialize` (`clientInfo.name`),
# in the words the guard and `init --agents` use; another client is known by its own name.
CLIENT_AGENTS = {
    "claude-code": "claude-code",
    "claude code": "claude-code",
    "cursor": "cursor",
    "cursor-vscode": "cursor",
    "visual studio code": "vscode",
    "visual studio code - insiders": "vscode",
    "vscode": "vscode",
}


def agent_of_client(name: str | None) -> str | None:
    """The agent behind an MCP client's `clientInfo.name` (None when it gave none)."""
    if not name or not name.strip():
        return None
    name = name.strip()
    return CLIENT_AGENTS.get(name.lower(), name)


def _now() -> datetime:
    return datetime.now(UTC)


def _workspace(root: Path) -> StitchWorkspace:
    ws, _ = open_workspace(root, now=_now())
    ws.scan_drafts(_now())
    return ws


def propose(root: Path, draft: Any, agent: str | None = None) -> dict[str, Any]:
    """Validate and write a draft; field-level errors instead of an exception. `agent`: the
    caller as this server knows it (a note when the draft names another)."""
    if isinstance(draft, str):
        try:
            draft = parse_json(draft)
        except ValueError as exc:
            message = f"not valid JSON: {exc}"
            return {
                "ok": False,
                "error": f"draft: {message}",
                "errors": [{"field": "draft", "message": message}],
            }
    try:
        model = Draft.from_data(draft)
    except ValidationError as exc:
        schema = Draft.json_schema()
        errors = [
            {"field": field or "draft", "message": message}
            for field, message in (plain_parts(e, schema) for e in validation_errors(exc))
        ]
        return {
            "ok": False,
            "error": "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]),
            "errors": errors,
        }
    ws = _workspace(root)
    try:
        now = _now()
        added = add_draft(ws, stamped(model, now), now)
    except Refused as exc:
        return {
            "ok": False,
            "error": f"id: {exc}",
            "errors": [{"field": "id", "message": str(exc)}],
        }
    word = state_word(added.gate)
    result: dict[str, Any] = {"ok": True, "id": model.id, "state": word}
    if added.reason:  # "parked: all 2 sources missing", "blocked: its own evidence failed: …"
        reason = bare_reason(added.gate, added.reason) or added.reason
        result["state"] = f"{word}: {reason}"
    read_only = ws.read_only()
    if read_only.on:
        result["note"] = (
            f"accepted as a draft, but it cannot be applied until a human turns read-only off "
            f"({read_only.describe()})"
        )
    if agent is not None and model.agent != agent:
        result["agent_note"] = (
            f"the draft names agent {model.agent!r}, but this server knows you as {agent!r}: "
            f"you can withdraw only drafts whose agent is {agent!r}"
        )
    return result


def withdraw(root: Path, draft_id: str, agent: str | None) -> dict[str, Any]:
    """The calling agent takes back its own draft before anyone decided on it."""
    if agent is None:
        return {
            "ok": False,
            "error": "this server does not know which agent you are (your MCP client gave no "
            "name when it connected; `stitch-ls mcp --agent NAME` names it): nothing withdrawn",
        }
    ws = _workspace(root)
    try:
        done = withdraw_draft(ws, draft_id, agent, _now())
    except Refused as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "id": done.id, "state": "withdrawn"}


async def ask(
    root: Path,
    question: str,
    options: list[str],
    agent: str,
    stream: str,
    sources: list[dict[str, str]],
    wait_seconds: float,
) -> dict[str, Any]:
    ws = _workspace(root)
    try:
        asked = operations.ask(ws, question, options, agent, stream, sources, _now())
    except Refused as exc:
        return {"ok": False, "error": str(exc)}
    deadline = time.monotonic() + max(0.0, min(wait_seconds, MAX_WAIT))
    while True:
        if (answered := operations.answer_of(asked)) is not None:
            return {
                "ok": True,
                "id": asked.id,
                "status": "answered",
                "answer": answered.answer,
                "answered_by": answered.answered_by,
            }
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.1)
    quiet = ws.quiet_state(_now())
    result: dict[str, Any] = {"ok": True, "id": asked.id, "status": "pending"}
    if quiet.on:
        until = human_time(quiet.until, ws.display_zone()) or "further notice"
        result["note"] = f"the engineer is in quiet hours until {until}; the question waits"
    return result


def status(root: Path) -> dict[str, Any]:
    """The status object every door answers (`operations.status`)."""
    ws = _workspace(root)
    now = _now()
    return operations.status(ws, now, operations.look_at_git(ws, now))


def stitch_points(root: Path, path: str, limit: int = LIST_LIMIT) -> dict[str, Any]:
    try:
        relative = check_relative_path(path)
        check_limit(limit)
    except ValueError as exc:
        return {"ok": False, "error": str(exc)}
    ws = _workspace(root)
    snap = take_snapshot(ws.root, ws.team, now=_now())
    if snap is None:
        return {"ok": False, "error": "the workspace is not a git repository"}
    try:
        text = ws.read_disk(relative)
    except ValueError as exc:
        return {"ok": False, "error": str(exc)}
    points = points_for(ws.root, ws.team, snap, relative, text, SignOffs.read(ws.paths.signoffs))
    page = first(points, limit)
    answer = {"ok": True, "path": relative, "stitch_points": [p.to_json() for p in page.rows]}
    truncated = page.truncation("stitch points")
    if truncated is not None:
        answer["truncated"] = truncated
    return answer


def outcome(root: Path, draft_id: str) -> dict[str, Any]:
    """What became of a draft (`core.record.outcomes.draft_outcome`)."""
    return draft_outcome(_workspace(root), draft_id, _now())


def _refusal(answer: dict[str, Any]) -> Any:
    """A refusal the agent sees as one (isError): the plain error as the text, the whole
    answer as structured content."""
    return CallToolResult(
        content=[TextContent(type="text", text=answer["error"])],
        structured_content=answer,
        is_error=True,
    )


def build_server(root: Path, agent: str | None = None) -> Any:
    """The MCP server for the workspace at `root`. `agent`: who the caller is; by default
    the agent its MCP client names itself as (`agent_of_client`)."""

    class Server(MCPServer):
        async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
            """Arguments that do not fit a tool's parameters answered with one plain line
            naming the field (`confidence: must be between 0 and 1`), not pydantic's report."""
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as exc:
                cause = exc.__cause__
                if not isinstance(cause, ValidationError):
                    raise
                tools = {tool.name: tool for tool in await self.list_tools()}
                schema = tools[name].input_schema if name in tools else None
                plain = "; ".join(plain_error(e, schema) for e in validation_errors(cause)[:5])
                raise ToolError(plain) from None

    server = Server(
        "stitch",
        instructions=(
            "Stitch gates agent drafts by the team's policy. Propose changes as drafts with "
            "sources (what, where from, why trusted) and confidence; they are applied only by a "
            "human. Check get_status before acting: read-only and quiet hours are respected."
        ),
    )

    def caller(ctx: Context) -> str | None:
        if agent is not None:
            return agent
        params = ctx.session.client_params
        return agent_of_client(params.client_info.name if params is not None else None)

    @server.tool()
    def propose_draft(draft: dict[str, Any], ctx: Context) -> dict[str, Any]:
        """Propose a draft (the same schema as `stitch-ls schema draft`). Returns its id and
        the state the gate gives it now (e.g. "parked: all 2 sources missing"), or, with
        isError set, `error` (one line naming each bad field) and `errors` by field."""
        answer = propose(root, draft, caller(ctx))
        return answer if answer["ok"] else _refusal(answer)

    @server.tool()
    def withdraw_draft(draft_id: str, ctx: Context) -> dict[str, Any]:
        """Take back a draft of yours (its `agent` is you, as this server knows you) before a
        person decided on it: it leaves the engineer's inbox and nothing is logged; its id
        can be proposed again. Refused once it was applied or rejected, and for another
        agent's draft."""
        answer = withdraw(root, draft_id, caller(ctx))
        return answer if answer["ok"] else _refusal(answer)

    @server.tool()
    async def ask_engineer(
        question: str,
        options: list[str],
        ctx: Context,
        agent: str | None = None,
        stream: str = "local",
        sources: list[dict[str, str]] | None = None,
        wait_seconds: float = 0.0,
    ) -> dict[str, Any]:
        """Ask the engineer a question with fixed options. Returns the answer, or "pending"
        (always pending during the engineer's quiet hours). `agent`: by default, you as this
        server knows you."""
        asker = agent or caller(ctx) or "mcp-agent"
        return await ask(root, question, options, asker, stream, sources or [], wait_seconds)

    @server.tool()
    def get_status() -> dict[str, Any]:
        """Read-only switch, quiet hours (and when they end), effective floor, trust budget."""
        return status(root)

    @server.tool()
    def list_stitch_points(path: str, limit: int = LIST_LIMIT) -> dict[str, Any]:
        """Stitch points (code two or more streams change) in a workspace file: at most
        `limit`; when some were left out, `truncated` says how many."""
        return stitch_points(root, path, limit)

    @server.tool()
    def get_draft_outcome(draft_id: str) -> dict[str, Any]:
        """What became of a draft (a draft file's, or an agent commit's `git-…` id): pending,
        applied, rejected (with reason), parked, stale, or unsaved (applied in the editor,
        accepted once saved)."""
        return outcome(root, draft_id)

    return server


def run(root: Path, agent: str | None = None) -> None:
    build_server(root.resolve(), agent).run("stdio")
