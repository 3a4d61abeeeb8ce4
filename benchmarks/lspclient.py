"""A minimal editor-like LSP client over stdio (Content-Length framing), for measuring."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


class Client:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.notifications: dict[str, list[Any]] = {}
        self.next_id = 0
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Client:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            limit=64 * 1024 * 1024,
        )
        return cls(proc)

    async def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = await stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(await stream.readexactly(length))
            if "id" in message and "method" in message:
                result: Any = None
                if message["method"] == "workspace/configuration":
                    result = [None for _ in message["params"]["items"]]
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif "id" in message:
                future = self.pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            else:
                self.notifications.setdefault(message["method"], []).append(message.get("params"))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        response = await asyncio.wait_for(future, timeout=60)
        if "error" in response:
            raise RuntimeError(response["error"])
        return response.get("result")

    async def timed(self, method: str, params: Any) -> tuple[float, Any]:
        began = time.perf_counter()
        result = await self.request(method, params)
        return time.perf_counter() - began, result

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def open(self, path: Path) -> str:
        """didOpen a Python file with its text on disk; returns its URI."""
        uri = path.as_uri()
        item = {"uri": uri, "languageId": "python", "version": 1, "text": path.read_text()}
        self.notify("textDocument/didOpen", {"textDocument": item})
        return uri

    async def code_action(self, uri: str, line: int, character: int = 4) -> tuple[float, Any]:
        """A timed codeAction for an empty range at (line, character)."""
        at = {"line": line, "character": character}
        return await self.timed(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {"start": at, "end": at},
                "context": {"diagnostics": []},
            },
        )

    async def initialize(self, root: Path) -> float:
        """Seconds from now to the initialize result (the process was just started)."""
        began = time.perf_counter()
        capabilities = {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {"codeAction": {"disabledSupport": True}},
            "workspace": {"workspaceEdit": {"documentChanges": True}},
        }
        await self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": capabilities,
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            },
        )
        elapsed = time.perf_counter() - began
        self.notify("initialized", {})
        return elapsed

    def rss_mib(self, pid: int | None = None) -> float:
        for line in Path(f"/proc/{pid or self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def children_rss_mib(self) -> float:
        """The server's child processes (Stitch's indexer), added up."""
        total = 0.0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                total += self.rss_mib(int(pid))
        return total

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.request("shutdown", None), timeout=10)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), timeout=10)
        except Exception:  # noqa: BLE001 - a benchmark tears down whatever state it is in
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()


def stitch_argv() -> list[str]:
    return [sys.executable, "-m", "stitch_ls", "serve"]


def floor_argv() -> list[str]:
    return [sys.executable, str(Path(__file__).with_name("floor_server.py"))]
