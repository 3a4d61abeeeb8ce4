"""Messages sent after the session ended are dropped, once, quietly: the process still exits.

A background diagnostic published just after `exit` used to fail, and pygls reported the
failure by sending a message that failed the same way, a traceback per level on stderr: a
client that does not drain stderr (the demo) then waited forever for the server to end."""

from __future__ import annotations

import io
import logging

import pytest
from lsprotocol import types
from pygls.io_ import StdoutWriter

from stitch_ls.lsp.app import create_server
from stitch_ls.lsp.stdio import ClosingWriter


def closed_stdout() -> io.BytesIO:
    stream = io.BytesIO()
    stream.close()
    return stream


def a_message() -> types.ShowMessageParams:
    return types.ShowMessageParams(type=types.MessageType.Info, message="late news")


def test_a_failed_write_is_reported_once_not_without_end(caplog: pytest.LogCaptureFixture):
    server = create_server()
    server.protocol.set_writer(StdoutWriter(closed_stdout()))  # pygls' own writer
    with caplog.at_level(logging.ERROR):
        server.window_show_message(a_message())
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert 1 <= len(errors) <= 3, [r.getMessage() for r in errors]


def test_after_exit_the_writer_drops_what_background_work_sends(
    caplog: pytest.LogCaptureFixture,
):
    server = create_server()
    stdout = io.BytesIO()
    writer = ClosingWriter(stdout)
    server.protocol.set_writer(writer)
    server.window_show_message(a_message())
    assert b"late news" in stdout.getvalue()
    writer.close()
    with caplog.at_level(logging.WARNING):
        server.window_show_message(a_message())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
