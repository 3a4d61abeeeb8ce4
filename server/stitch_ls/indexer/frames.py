"""Frames between the language server and its indexer process: an 8-byte length, a pickle.

Pickles, because both ends are this package, the child started by the server with its own
interpreter; nothing else writes to these pipes. (Validated drafts cross as they are: no
second validation, ~25 ms for a thousand.)
"""

from __future__ import annotations

import pickle
import struct
from typing import IO

HEADER = struct.Struct(">Q")
MAX_FRAME = 1 << 31


def encode_frame(value: object) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def read_frame(stream: IO[bytes]) -> object:
    """The next value; EOFError when the other end closed the pipe."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes")
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)
