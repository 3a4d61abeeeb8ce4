"""The wire: garbled or ill-typed messages get an LSP error, never silence or a crash.

pygls drops a request whose params cannot be structured without answering it (the client then
waits forever) and reports a bad notification as an error pop-up. Here a bad request gets an
InvalidParams response with its id, and a bad notification is logged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


class _Dropped:
    """Stands in for a message that was answered (or logged) while being decoded."""


DROPPED = _Dropped()


class StitchProtocol(LanguageServerProtocol):
    def structure_message(self, data: dict[str, Any]) -> Any:
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
