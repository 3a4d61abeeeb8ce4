"""The wire: garbled or ill-typed messages get an LSP error, never silence or a crash.

pygls drops a request whose params cannot be structured without answering it (the client then
waits forever), handles a notification's method sent with an id as that notification (no
answer either), and reports a bad notification as an error pop-up. Here a bad request gets an
InvalidParams response with its id, a notification sent as a request InvalidRequest, and a bad
notification is logged and ignored.

pygls also keeps its own copy of every open document, rebuilt whole on each incremental change
(~1.7 ms per keystroke on a 10,000-line file). Stitch keeps its own (`documents.py`), so the
text-sync notifications go straight to Stitch's handlers.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

log = logging.getLogger(__name__)


class _Dropped:
    """Stands in for a message that was answered (or logged) while being decoded."""


DROPPED = _Dropped()


def _notification_with_id(data: Any) -> bool:
    """A message with an id and a method LSP defines as a notification (no result type)."""
    if not isinstance(data, dict) or "id" not in data or "jsonrpc" not in data:
        return False
    known = types.METHOD_TO_TYPES.get(data.get("method"))  # type: ignore[arg-type]
    return known is not None and known[1] is None


class StitchProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
        if _notification_with_id(data):
            message = f"{data['method']} is a notification: it is sent without an id"
            self._send_response(
                data["id"], None, JsonRpcInvalidRequest(message=message).to_response_error()
            )
            log.warning("%s", message)
            return DROPPED
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            method = data.get("method") if isinstance(data, dict) else None
            if method is None:
                raise
            message = f"invalid params for {method}"
            if "id" in data:
                self._send_response(
                    data["id"], None, JsonRpcInvalidParams(message=message).to_response_error()
                )
            else:
                self.notify(
                    types.WINDOW_LOG_MESSAGE,
                    types.LogMessageParams(
                        type=types.MessageType.Warning, message=f"stitch: ignored {message}"
                    ),
                )
            log.warning("%s: %s", message, exc)
            return DROPPED

    def handle_message(self, message: Any) -> Any:
        if message is DROPPED:
            return None
        return super().handle_message(message)

    def _user_handler(self, method: str, params: Any) -> Any:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        yield from self._user_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)
