"""The core of Stitch: plain modules that take values (and `now`) and return values.

Nothing here imports pygls or lsprotocol; the LSP layer and the CLI both build on it.
"""
