"""A pytest-lsp client that behaves like an editor: it keeps its open documents, applies
`workspace/applyEdit` (rejecting stale versions), answers prompts and records what it saw."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

VSCODE = "visual-studio-code"
NEOVIM = "neovim"


def _units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def offset_of(text: str, position: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    for index in range(len(line) + 1):
        if _units(line[:index], encoding) >= position.character:
            return start + index
    return start + len(line)


def position_of(text: str, offset: int, encoding: str) -> types.Position:
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=_units(column, encoding))


class EditorClient(LanguageClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.open_docs: dict[str, tuple[int, str]] = {}
        self.answers: list[str] = []
        self.prompts: list[types.ShowMessageRequestParams] = []
        self.statuses: list[dict[str, Any]] = []
        self.lens_refreshes = 0
        self.registrations: list[str] = []
        self.encoding = "utf-16"
        self.status_event = asyncio.Event()
        # called with "before" and "after" around each `workspace/applyEdit` (crash tests);
        # False from "before": the editor does not apply the edit
        self.on_apply: Any = None

    def open(self, path: Path, text: str | None = None, language: str = "python") -> str:
        uri = path.as_uri()
        text = path.read_text() if text is None else text
        self.open_docs[uri] = (1, text)
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language, version=1, text=text
                )
            )
        )
        return uri

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], new: str) -> None:
        """Type into a document: an incremental change in the negotiated encoding."""
        version, text = self.open_docs[uri]
        a = offset_of(text, types.Position(line=start[0], character=start[1]), self.encoding)
        b = offset_of(text, types.Position(line=end[0], character=end[1]), self.encoding)
        self.open_docs[uri] = (version + 1, text[:a] + new + text[b:])
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=start[0], character=start[1]),
                            end=types.Position(line=end[0], character=end[1]),
                        ),
                        text=new,
                    )
                ],
            )
        )

    def text(self, uri: str) -> str:
        return self.open_docs[uri][1]

    def replace_text(self, uri: str, text: str) -> None:
        """The whole buffer replaced (an undo, a revert), as one change."""
        version, _ = self.open_docs[uri]
        self.open_docs[uri] = (version + 1, text)
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def save(self, uri: str) -> None:
        """Write the buffer to its file, then say so (`didSave`), as an editor saves."""
        Path(uri.removeprefix("file://")).write_text(self.open_docs[uri][1])
        self.text_document_did_save(
            types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri), text=self.open_docs[uri][1]
            )
        )

    def close(self, uri: str) -> None:
        """Close the buffer without saving it."""
        self.open_docs.pop(uri, None)
        self.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    async def actions(self, uri: str, line: int, char: int = 0, end_line: int | None = None):
        result = await self.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(
                    start=types.Position(line=line, character=char),
                    end=types.Position(
                        line=end_line if end_line is not None else line, character=char
                    ),
                ),
                context=types.CodeActionContext(diagnostics=[]),
            )
        )
        return list(result or [])

    async def command(self, name: str, *arguments: Any) -> Any:
        return await self.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments))
        )

    async def command_within(self, seconds: float, name: str, *arguments: Any) -> Any:
        """`command`, failing after `seconds` with what the server's processes were doing
        (a hung child names itself), instead of waiting for the test's own timeout."""
        try:
            return await asyncio.wait_for(self.command(name, *arguments), seconds)
        except TimeoutError:
            raise AssertionError(
                f"{name} not answered in {seconds:g} s; the server's processes:\n"
                + self.process_tree()
            ) from None

    def process_tree(self) -> str:
        """`ps` lines of the server and every process below it."""
        import subprocess

        server = getattr(self, "_server", None)
        if server is None:
            return "(no server process)"
        rows = subprocess.run(
            ["ps", "-eo", "pid=,ppid=,stat=,etimes=,args="], capture_output=True, text=True
        ).stdout.splitlines()
        children: dict[int, list[str]] = {}
        for row in rows:
            pid, ppid = (int(field) for field in row.split()[:2])
            children.setdefault(ppid, []).append(row)
        lines, todo = [], [server.pid]
        while todo:
            pid = todo.pop()
            for row in children.get(pid, []):
                lines.append(row.strip())
                todo.append(int(row.split()[0]))
        return "\n".join(lines) or "(none)"

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)

    async def until(self, check, timeout: float = 5.0) -> None:
        """Ask the server again (an awaitable `check`) until it says yes; fail otherwise."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the server never said so")
            await asyncio.sleep(0.05)

    async def until_listed(
        self, draft_id: str, where=lambda row: True, timeout: float = 5.0
    ) -> dict[str, Any]:
        """The server's row for `draft_id` once it has read the draft (a round trip); with
        `where`, once its row says so (a rewritten draft is read again)."""

        async def listed() -> bool:
            rows = await self.command("stitch.listDrafts")
            return any(row["id"] == draft_id and where(row) for row in rows)

        await self.until(listed, timeout)
        rows = await self.command("stitch.listDrafts")
        return next(row for row in rows if row["id"] == draft_id)

    def pending(self) -> int | None:
        """Pending drafts in the latest status notification (None before the first)."""
        return self.statuses[-1]["drafts"]["pending"] if self.statuses else None


def _fixed_code_action_hook(converter):
    def hook(obj: Any, _: type) -> Any:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    return hook


def _apply_text_edits(text: str, edits: Any, encoding: str) -> str:
    spans = [
        (
            offset_of(text, e.range.start, encoding),
            offset_of(text, e.range.end, encoding),
            e.new_text,
        )
        for e in edits
    ]
    for a, b, new in sorted(spans, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def make_client() -> EditorClient:
    client = EditorClient(converter_factory=default_converter)
    register_lsp_features(client)
    converter = client.protocol._converter
    converter.register_structure_hook(
        Union[types.Command, types.CodeAction],  # noqa: UP007 - the key lsprotocol registered
        _fixed_code_action_hook(converter),
    )

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        if client.on_apply is not None and client.on_apply("before") is False:
            return types.ApplyWorkspaceEditResult(applied=False, failure_reason="crashed")
        result = _apply(params)
        if client.on_apply is not None:
            client.on_apply("after")
        return result

    def _apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        edit = params.edit
        changes = list(edit.document_changes or [])
        for uri, edits in (edit.changes or {}).items():
            changes.append(
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=None
                    ),
                    edits=edits,
                )
            )
        for change in changes:
            if isinstance(change, types.TextDocumentEdit):
                uri = change.text_document.uri
                version = change.text_document.version
                if uri in client.open_docs and version is not None:
                    if client.open_docs[uri][0] != version:
                        return types.ApplyWorkspaceEditResult(
                            applied=False, failure_reason="document version changed"
                        )
        for change in changes:
            if isinstance(change, types.CreateFile):
                path = Path(change.uri.removeprefix("file://"))
                if path.exists():
                    return types.ApplyWorkspaceEditResult(applied=False, failure_reason="exists")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("")
            elif isinstance(change, types.DeleteFile):
                Path(change.uri.removeprefix("file://")).unlink()
            elif isinstance(change, types.TextDocumentEdit):
                uri = change.text_document.uri
                if uri in client.open_docs:
                    version, text = client.open_docs[uri]
                    new_text = _apply_text_edits(text, change.edits, client.encoding)
                    client.open_docs[uri] = (version + 1, new_text)
                    client.text_document_did_change(
                        types.DidChangeTextDocumentParams(
                            text_document=types.VersionedTextDocumentIdentifier(
                                uri=uri, version=version + 1
                            ),
                            content_changes=[
                                types.TextDocumentContentChangeWholeDocument(text=new_text)
                            ],
                        )
                    )
                else:
                    path = Path(
                        change.uri.removeprefix("file://")
                        if hasattr(change, "uri")
                        else uri.removeprefix("file://")
                    )
                    path.write_text(
                        _apply_text_edits(path.read_text(), change.edits, client.encoding)
                    )
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(params: types.ShowMessageRequestParams):
        client.prompts.append(params)
        if client.answers and params.actions:
            wanted = client.answers.pop(0)
            return next((a for a in params.actions if a.title == wanted), None)
        return None

    structure = client.protocol.structure_message

    def keep_raw_status(data: dict[str, Any]) -> Any:
        # pygls turns custom params into named tuples (renaming keys such as "from"): keep JSON
        if isinstance(data, dict) and data.get("method") == "stitch/status":
            client.statuses.append(data.get("params"))
            client.status_event.set()
        return structure(data)

    client.protocol.structure_message = keep_raw_status  # type: ignore[method-assign]

    @client.feature("stitch/status")
    def on_status(params: Any) -> None:
        pass

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        client.registrations.extend(r.method for r in params.registrations)

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def lens_refresh(params: Any) -> None:
        client.lens_refreshes += 1

    return client


async def start(
    root: Path,
    *,
    editor: str = VSCODE,
    settings: dict[str, Any] | None = None,
    init_options: Any = None,
    env: dict[str, str] | None = None,
    capabilities: types.ClientCapabilities | None = None,
) -> EditorClient:
    """Start the real server over stdio and initialise it like the named editor would."""
    client = make_client()
    if settings is not None:
        client.set_configuration(settings, section="stitch")
    server_env = {**os.environ, **(env or {})}
    await client.start_io(sys.executable, "-m", "stitch_ls", "serve", env=server_env)
    caps = capabilities or client_capabilities(editor)
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=init_options,
        )
    )
    enc = result.capabilities.position_encoding
    client.encoding = str(getattr(enc, "value", enc) or "utf-16")
    await client.wait_for(lambda: bool(client.statuses), timeout=10)
    return client


async def stop(client: EditorClient) -> None:
    try:
        # a bound, not a pause: with both CPUs busy the server and its indexer take longer
        # than 5 s to shut down (seen in teardown under load)
        await asyncio.wait_for(client.shutdown_session(), timeout=20)
    finally:
        await client.stop()
