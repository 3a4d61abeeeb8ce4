"""Malformed and out-of-order LSP traffic gets LSP errors, and the server stays up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawlsp import RawServer
from workspaces import draft, make_workspace, write_draft

METHODS = [
    "textDocument/codeAction",
    "textDocument/codeLens",
    "textDocument/hover",
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "workspace/executeCommand",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWatchedFiles",
    "stitch/unknown",
    "$/cancelRequest",
    "initialize",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("wire") / "ws")
    write_draft(root, draft("ready"))
    raw = RawServer(root)
    # requests before initialize are answered, not fatal
    early = raw.request(
        "textDocument/hover",
        {"textDocument": {"uri": "file:///x"}, "position": {"line": 0, "character": 0}},
    )
    assert "error" in early or "result" in early
    raw.initialize(root)
    uri = (root / "src" / "checkout.py").as_uri()
    raw.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": uri,
                "languageId": "python",
                "version": 1,
                "text": (root / "src" / "checkout.py").read_text(),
            }
        },
    )
    raw.root, raw.uri = root, uri  # type: ignore[attr-defined]
    yield raw
    raw.close()


def healthy(server: RawServer) -> None:
    response = server.request(
        "workspace/executeCommand", {"command": "stitch.status", "arguments": []}
    )
    assert "result" in response, response
    assert response["result"]["drafts"]["pending"] >= 1, response["result"]["drafts"]
    assert server.alive()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(method=st.sampled_from(METHODS), params=json_values, as_request=st.booleans())
def test_random_params_never_take_the_server_down(server, method, params, as_request):
    if as_request:
        response = server.request(method, params)
        assert "result" in response or "error" in response
    else:
        server.notify(method, params)
    healthy(server)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    line=st.integers(-5, 10_000),
    char=st.integers(-5, 10_000),
    text=st.text(max_size=20),
    end_line=st.integers(0, 10_000),
    end_char=st.integers(0, 10_000),
)
def test_edits_past_the_end_and_unopened_documents(server, line, char, text, end_line, end_char):
    for uri in (server.uri, server.uri + ".never-opened"):
        server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": line, "character": char},
                            "end": {"line": end_line, "character": end_char},
                        },
                        "text": text,
                    }
                ],
            },
        )
        response = server.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {
                    "start": {"line": 0, "character": 0},
                    "end": {"line": 99, "character": 0},
                },
                "context": {"diagnostics": []},
            },
        )
        assert "result" in response or "error" in response
    healthy(server)


def test_garbled_frames_and_wrong_types(server):
    server.send_bytes(b"Content-Length: 12\r\n\r\n{not json!!}")
    server.send(
        {
            "jsonrpc": "2.0",
            "id": "w1",
            "method": "textDocument/codeAction",
            "params": {"textDocument": 7},
        }
    )
    response = server.request(
        "workspace/executeCommand", {"command": "stitch.applyDraft", "arguments": [{"id": 1}]}
    )
    assert response["error"]["message"] == "draft id must be a non-empty string"
    response = server.request(
        "workspace/executeCommand", {"command": "stitch.nope", "arguments": []}
    )
    assert "error" in response
    response = server.request(
        "workspace/executeCommand", {"command": "stitch.setReadOnly", "arguments": ["yes"]}
    )
    assert "error" in response
    healthy(server)


def test_an_over_long_header_line_is_dropped_not_fatal(server):
    # stdin is read by the event loop with a bounded line buffer: a 200 KB line of garbage
    # without a newline, then one with, then a whole frame with an over-long header in front
    server.send_bytes(b"X" * 200_000)
    server.send_bytes(b"Y" * 100_000 + b"\r\n")
    body = b'{"jsonrpc": "2.0", "id": "long", "method": "shutdown_probe"}'
    server.send_bytes(b"Z" * 70_000 + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    healthy(server)


def test_stdin_that_is_a_file_is_served_too(tmp_path: Path):
    """Not a pipe (stdin redirected from a file): pygls' own reader takes over."""
    root = make_workspace(tmp_path / "ws")
    frames = b""
    for message in (
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        },
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ):
        data = json.dumps(message).encode()
        frames += b"Content-Length: %d\r\n\r\n" % len(data) + data
    (tmp_path / "in").write_bytes(frames)
    with (tmp_path / "in").open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "stitch_ls", "serve"],
            stdin=stdin,
            capture_output=True,
            cwd=root,
            timeout=60,
        )
    assert b'"id": 1' in done.stdout and b'"stitch-ls"' in done.stdout
    assert b'"id": 2' in done.stdout


def test_a_second_initialize_is_refused_or_answered(server):
    response = server.request(
        "initialize", {"processId": None, "rootUri": Path("/").as_uri(), "capabilities": {}}
    )
    assert "result" in response or "error" in response
    healthy(server)
