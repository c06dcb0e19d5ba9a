"""Unsaved editor text read in place of a file on disk (``celerylint check -`` with
``--stdin-filename NAME``).

An editor pipes the buffer it shows, which may differ from the file on disk or not exist
there yet; the check must see the buffer wherever the run reads that file (its facts, the
configuration read from it, the excerpt under a finding), and the rest of the project
from disk, so the findings are those of the project as it will be once saved. Every
reader goes through `engine.readable.read_regular`, which asks `buffered` first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Absolute path (symlinks resolved) -> the text to read instead of the file's.
_BUFFERS: dict[str, bytes] = {}


def _key(path: Path) -> str:
    return os.path.realpath(path)


def buffered(path: Path) -> bytes | None:
    """The buffer standing for `path`, or None when the file is read from disk."""
    if not _BUFFERS:
        return None
    return _BUFFERS.get(_key(path))


@contextmanager
def reading_buffer(path: Path, data: bytes) -> Iterator[None]:
    """While the block runs, reading `path` gives `data`, whether or not it exists."""
    key = _key(path)
    _BUFFERS[key] = data
    try:
        yield
    finally:
        _BUFFERS.pop(key, None)
