"""The language server's end of the indexer process (`stitch_ls.indexer.process`): the pipe.

Two threads move frames: one writes calls (pickling a large argument never holds up the event
loop), one reads replies (unpickling a thousand drafts neither). Replies are handled on the
loop in the order they arrive, which is the order of the calls (background and lone calls
aside); a call's `then` runs right there, before anything else sees the answer, so the updates
of successive calls are applied in order. A refusal is raised again as `Refused`; events
(`wire.EVENT`) are the indexer's own news: files changed under `.stitch/`. Typed calls are
made through `link.IndexerLink`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVarTuple

from stitch_ls.core.errors import Refused
from stitch_ls.indexer.frames import encode_frame, read_frame
from stitch_ls.indexer.wire import EVENT, IndexerError, Reply

log = logging.getLogger(__name__)

LAUNCH = "import sys; from stitch_ls.indexer.process import main; sys.exit(main())"

Call = tuple[int, str, tuple[object, ...]]
Ts = TypeVarTuple("Ts")
Then = Callable[[object], None]


class IndexerClient:
    def __init__(
        self,
        root: Path,
        on_stop: Callable[[int | None], None],
        on_change: Callable[[set[Path] | None], None] = lambda paths: None,
    ) -> None:
        self.root = root
        self.on_stop = on_stop  # called on the loop when the process ends unasked
        self.on_change = on_change  # files changed under .stitch/ (None: everything)
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._calls: queue.SimpleQueue[Call | None] | None = None
        self._pending: dict[int, tuple[asyncio.Future[object], Then | None]] = {}
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False

    @property
    def running(self) -> bool:
        return self._proc is not None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        proc = subprocess.Popen(
            # imported, not run as __main__: what it pickles names stitch_ls.indexer.process;
            # isolated (-I: no current folder, no PYTHON* variables, no user site) and started
            # outside the workspace, so nothing in the repository is imported in its place
            [sys.executable, "-I", "-c", LAUNCH, str(self.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=os.path.abspath(os.sep),
        )
        self._proc, self.pid = proc, proc.pid
        self._calls = calls = queue.SimpleQueue[Call | None]()
        threading.Thread(target=self._write, args=(proc, calls), daemon=True).start()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def call(
        self, method: str, args: tuple[object, ...], then: Then | None = None
    ) -> asyncio.Future[object]:
        """Send a call; the future has its answer, `Refused` with the indexer's words, or
        IndexerError if it failed. `then(answer)` runs on the loop as the answer arrives, in
        call order."""
        if self._proc is None or self._calls is None or self._loop is None:
            raise IndexerError("the indexer is not running", "down")
        call_id = next(self._ids)
        future = self._loop.create_future()
        self._pending[call_id] = (future, then)
        self._calls.put((call_id, method, args))
        return future

    def kill(self) -> None:
        """End a process that stopped answering (SIGSTOPped, stuck): its reader then sees
        the pipe close, fails the pending calls and reports the stop (`on_stop`)."""
        proc = self._proc
        if proc is not None:
            try:
                proc.kill()  # SIGKILL ends a stopped process too
            except OSError:
                pass

    def close(self) -> None:
        """Ask the process to end (it exits when its stdin closes); kill it if it lingers."""
        self._closing = True
        proc, calls = self._proc, self._calls
        self._proc = None
        if calls is not None:
            calls.put(None)
        if proc is not None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            self._fail_pending("the indexer was stopped")
        except RuntimeError:
            pass  # the event loop is already closed: nobody waits for them

    # -- threads -------------------------------------------------------------------------

    def _write(self, proc: subprocess.Popen[bytes], calls: queue.SimpleQueue[Call | None]) -> None:
        assert proc.stdin is not None
        try:
            while (item := calls.get()) is not None:
                proc.stdin.write(encode_frame(item))
                proc.stdin.flush()
        except (OSError, ValueError):
            pass  # the process is gone: the reader reports it
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        try:
            while True:
                reply = read_frame(proc.stdout)
                if not isinstance(reply, Reply):
                    raise ValueError(f"not a reply: {type(reply).__name__}")
                self._on_loop(self._answer, reply)
        except Exception as exc:  # noqa: BLE001 - EOF or a garbled frame: the process is done
            if not isinstance(exc, EOFError):
                log.warning("indexer frame unreadable: %s", exc)
                proc.kill()
        code = proc.wait()
        self._on_loop(self._ended, proc, code)

    def _on_loop(self, fn: Callable[[*Ts], None], *args: *Ts) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop is closed: the server is exiting

    # -- on the loop ---------------------------------------------------------------------

    def _answer(self, reply: Reply) -> None:
        call_id, kind, value = reply
        if call_id == EVENT:
            paths = {p for p in value if isinstance(p, Path)} if isinstance(value, set) else None
            self.on_change(paths)
            return
        future, then = self._pending.pop(call_id, (None, None))
        if future is None or future.done():
            return
        if kind == "refused":
            future.set_exception(Refused(str(value)))
            return
        if kind != "ok":
            future.set_exception(IndexerError(str(value), "failed"))
            return
        try:
            if then is not None:
                then(value)
        except Exception as exc:  # noqa: BLE001 - the caller sees it
            future.set_exception(exc)
        else:
            future.set_result(value)

    def _ended(self, proc: subprocess.Popen[bytes], code: int | None) -> None:
        if proc is not self._proc:
            return  # an earlier process, or one closed on purpose
        self._proc = self._calls = None
        self._fail_pending(f"the indexer process stopped (exit code {code})")
        if not self._closing:
            self.on_stop(code)

    def _fail_pending(self, message: str) -> None:
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(IndexerError(message, "down"))
