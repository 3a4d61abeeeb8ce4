"""stdio read by the event loop itself.

pygls reads stdin with a blocking call in a thread pool, three hand-offs per message (header,
blank line, body); each costs a thread switch, and more when a worker thread holds the GIL.
Here stdin is a pipe registered with the event loop, so a message is read where it is handled.
Framing and dispatch stay pygls' own (`run_async`). Where stdin is not a pipe (a file, or
Windows), pygls' reader is used as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
from threading import Event
from typing import BinaryIO

from pygls.io_ import StdoutWriter, run_async
from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)

HEADER_LIMIT = 64 * 1024
SWITCH_INTERVAL = 0.0002


class ClosingWriter(StdoutWriter):
    """stdout that, once `exit` has closed it, drops what background work still sends.

    pygls reports a failed write by sending a message, which fails the same way: without
    this, a diagnostic published just after `exit` recursed, logging a traceback per level
    to stderr until a client that does not drain stderr blocked the process at exit."""

    def __init__(self, stdout: BinaryIO) -> None:
        super().__init__(stdout)
        self.closed = False

    def close(self) -> None:
        self.closed = True
        super().close()

    def write(self, data: bytes) -> None:
        if self.closed:
            log.debug("dropped a message sent after the session ended (%d bytes)", len(data))
            return
        super().write(data)


class PipeReader:
    """`readline`/`readexactly` over an asyncio stream, keeping the session in step when a
    client's framing is wrong. A header line longer than any real one is dropped (as a line
    the framing ignores) instead of ending the session. A `Content-Length` that is too large
    runs into the next message: the body is cut where the next header starts and that header
    is read again. One that is too small leaves the rest of the body before the next header:
    those stray bytes are dropped from the header line. Either way one clear log line says
    so, and the next message is read as it was sent."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream
        self._pending = b""  # bytes read ahead that belong to the next message

    async def _line(self) -> bytes:
        try:
            return await self._stream.readline()
        except ValueError:  # over HEADER_LIMIT: garbage, not a header
            return b"X-Stitch-Dropped: over-long line\r\n"

    async def readline(self) -> bytes:
        if self._pending:
            end = self._pending.find(b"\n")
            if end >= 0:
                line, self._pending = self._pending[: end + 1], self._pending[end + 1 :]
            else:
                line, self._pending = self._pending + await self._line(), b""
        else:
            line = await self._line()
        start = line.find(HEADER)
        if start > 0:
            log.warning(
                "framing error: %d stray bytes before a header (a Content-Length too small?); "
                "resynchronised at the next message",
                start,
            )
            line = line[start:]
        return line

    async def readexactly(self, n: int) -> bytes:
        body, self._pending = self._pending[:n], self._pending[n:]
        if len(body) < n:
            try:
                body += await self._stream.readexactly(n - len(body))
            except asyncio.IncompleteReadError as exc:  # the client went away mid-message
                return body + exc.partial
        start = body.find(HEADER)
        if start >= 0 and not _is_json(body):
            log.warning(
                "framing error: Content-Length %d runs into the next message; "
                "resynchronised at its header",
                n,
            )
            self._pending, body = body[start:] + self._pending, body[:start]
        return body


HEADER = b"Content-Length:"


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _is_pipe(stream: BinaryIO) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


def serve_stdio(server: JsonRPCServer) -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    if sys.platform == "win32" or not _is_pipe(stdin):
        server.start_io(stdin, stdout)
        return
    # Worker threads (start-up imports, placements, parses, the indexer pipe's reader) hold
    # the GIL for up to the switch interval before the event loop gets it back; 0.2 ms
    # instead of 5 keeps requests answered while they run (codeAction p95 during a git
    # snapshot ~16 ms -> ~5 ms at 1 ms; during start-up ~1.8 ms -> ~0.9 ms at 0.2 ms).
    sys.setswitchinterval(SWITCH_INTERVAL)
    server._stop_event = stop = Event()
    server.protocol.set_writer(ClosingWriter(stdout))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stream = asyncio.StreamReader(limit=HEADER_LIMIT)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), stdin)
        await run_async(
            stop_event=stop,
            reader=PipeReader(stream),
            protocol=server.protocol,
            logger=log,
            error_handler=server.report_server_error,
        )

    try:
        asyncio.run(main())
    except BrokenPipeError:
        log.error("the client closed the connection")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
