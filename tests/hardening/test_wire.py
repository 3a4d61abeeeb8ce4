"""Malformed and out-of-order LSP traffic gets LSP errors, and the server stays up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.protocol import default_converter

from rawlsp import RawServer
from stitch_ls.lsp.commands import COMMANDS
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
    assert early.get("result") is None and "error" not in early, early
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


INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32600, -32601, -32602
CONVERTER = default_converter()
# the commands the server declares (its executeCommandProvider), not a copy that drifts
KNOWN_COMMANDS = frozenset(COMMANDS)


def well_formed(method: str, params: object) -> bool:
    """Whether lsprotocol reads `params` as the method's params (what pygls checks first)."""
    params_type = types.METHOD_TO_TYPES[method][2]
    try:
        CONVERTER.structure(params, params_type)
    except Exception:
        return False
    return True


def expected_answer(method: str, params: object) -> str | int:
    """What a request must get back: "result", "any" (a command's own answer or refusal)
    or an error code. A notification's method sent with an id is an invalid request."""
    if method not in types.METHOD_TO_TYPES:
        return METHOD_NOT_FOUND
    if types.METHOD_TO_TYPES[method][1] is None:
        return INVALID_REQUEST
    if not well_formed(method, params):
        return INVALID_PARAMS
    if method == "workspace/executeCommand":
        assert isinstance(params, dict)
        if params["command"] not in KNOWN_COMMANDS:
            return INVALID_PARAMS
        return "any"  # a real command with arbitrary arguments: its own answer or refusal
    if method == "initialize":
        return INVALID_REQUEST  # well-formed, but the server is initialised already
    return "result"


def check_answer(response: dict, expected: str | int) -> None:
    if expected == "result":
        assert "result" in response and "error" not in response, response
    elif expected == "any":
        assert ("result" in response) != ("error" in response), response
    else:
        assert response.get("error", {}).get("code") == expected, response


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(method=st.sampled_from(METHODS), params=json_values, as_request=st.booleans())
def test_random_params_never_take_the_server_down(server, method, params, as_request):
    if as_request:
        check_answer(server.request(method, params), expected_answer(method, params))
    else:
        server.notify(method, params)
    healthy(server)


def test_the_fuzz_oracle_tells_good_params_from_bad(server):
    """The answers above are checked per input: pin the oracle on inputs of each kind."""
    uri = server.uri
    good_lens = {"textDocument": {"uri": uri}}
    assert expected_answer("textDocument/codeLens", good_lens) == "result"
    check_answer(server.request("textDocument/codeLens", good_lens), "result")
    for bad in (None, 5, [], {}, {"textDocument": 7}):
        assert expected_answer("textDocument/codeLens", bad) == INVALID_PARAMS
        check_answer(server.request("textDocument/codeLens", bad), INVALID_PARAMS)
    check_answer(server.request("stitch/unknown", {}), METHOD_NOT_FOUND)
    status = {"command": "stitch.status", "arguments": []}
    check_answer(server.request("workspace/executeCommand", status), "any")
    assert "result" in server.request("workspace/executeCommand", status)
    assert expected_answer("workspace/executeCommand", {"command": "nope"}) == INVALID_PARAMS
    check_answer(server.request("workspace/executeCommand", {"command": "nope"}), INVALID_PARAMS)
    closing = {"textDocument": {"uri": uri}}
    assert expected_answer("textDocument/didClose", closing) == INVALID_REQUEST
    answer = server.request("textDocument/didClose", closing)  # a notification with an id
    assert answer["error"] == {
        "code": INVALID_REQUEST,
        "message": "textDocument/didClose is a notification: it is sent without an id",
    }
    # every declared command is known: answered by its own handler, not as unknown
    unknown = server.request("workspace/executeCommand", {"command": "nope", "arguments": []})
    assert unknown["error"]["message"] == "Invalid Params: Command name 'nope' is not defined"
    assert {"stitch.verifyDraft", "stitch.vouchDraft", "stitch.compareStreams"} <= KNOWN_COMMANDS
    for name in sorted(KNOWN_COMMANDS - {"stitch.verifyDraft"}):  # verify would run tests
        answer = server.request(
            "workspace/executeCommand", {"command": name, "arguments": ["no-such-id"]}
        )
        check_answer(answer, "any")
        assert "is not defined" not in answer.get("error", {}).get("message", ""), (name, answer)
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
        # well-formed: an answer (a list, or null for a document never opened), never an error
        assert "result" in response and "error" not in response, response
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
    assert response["error"]["code"] == INVALID_PARAMS, response
    response = server.request(
        "workspace/executeCommand", {"command": "stitch.setReadOnly", "arguments": ["yes"]}
    )
    assert "error" in response and "result" not in response, response
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


def test_a_second_initialize_is_refused(server):
    response = server.request(
        "initialize", {"processId": None, "rootUri": Path("/").as_uri(), "capabilities": {}}
    )
    assert response["error"] == {"code": -32600, "message": "the server is already initialised"}
    healthy(server)
