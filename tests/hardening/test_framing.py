"""A client that gets the framing wrong: one clear log line, and the session stays in step."""

from __future__ import annotations

import json
import queue
from pathlib import Path

from rawlsp import RawServer


def frame(message: dict, skew: int = 0) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % (len(body) + skew) + body


def status_request(ident: str) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": ident,
        "method": "workspace/executeCommand",
        "params": {"command": "stitch.status"},
    }


def answer(server: RawServer, ident: str) -> dict:
    box = server.responses.setdefault(ident, queue.Queue())
    return box.get(timeout=10)


def test_a_wrong_content_length_is_survived_both_ways(workspace: Path):
    server = RawServer(workspace)
    try:
        server.initialize(workspace)
        for ident in ("long", "after-long", "short", "after-short"):
            server.responses.setdefault(ident, queue.Queue())
        # too large: it runs into the next message, which must still be answered
        server.send_bytes(
            frame(status_request("long"), skew=+25) + frame(status_request("after-long"))
        )
        assert answer(server, "after-long")["result"]["read_only"]["on"] is False
        assert answer(server, "long")["result"]["read_only"]["on"] is False
        # too small: the body is cut short; the next message is still read whole
        server.send_bytes(
            frame(status_request("short"), skew=-12) + frame(status_request("after-short"))
        )
        assert answer(server, "after-short")["result"]["read_only"]["on"] is False
        assert server.alive()
    finally:
        server.close()
