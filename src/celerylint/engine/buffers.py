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
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# Absolute path (symlinks resolved) -> the text to read instead of the file's.
_BUFFERS: dict[str, bytes] = {}
# Absolute paths (symlinks resolved) that read as missing (files the base lacks).
_ABSENT: set[str] = set()


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(path)


def buffered(path: str | os.PathLike[str]) -> bytes | None:
    """The buffer standing for `path`, or None when the file is read from disk."""
    if not _BUFFERS:
        return None
    return _BUFFERS.get(_key(path))


def absent(path: str | os.PathLike[str]) -> bool:
    """Does `path` read as missing (a file the version being read does not have)?"""
    return bool(_ABSENT) and _key(path) in _ABSENT


def buffered_under(root: Path) -> list[str]:
    """The root-relative paths of the buffers standing for files under `root`."""
    top = _key(root) + os.sep
    return sorted(Path(key[len(top):]).as_posix() for key in _BUFFERS if key.startswith(top))


@contextmanager
def reading_buffer(path: Path, data: bytes) -> Iterator[None]:
    """While the block runs, reading `path` gives `data`, whether or not it exists."""
    key = _key(path)
    _BUFFERS[key] = data
    try:
        yield
    finally:
        _BUFFERS.pop(key, None)


@contextmanager
def reading_tree(root: Path, files: Mapping[str, bytes], missing: Iterable[str]
                 ) -> Iterator[None]:
    """While the block runs, the root-relative `files` read as the given bytes and the
    `missing` ones as absent; the buffers they cover are restored afterwards."""
    saved = dict(_BUFFERS)
    gone = {_key(root / name) for name in missing}
    _BUFFERS.update({_key(root / name): data for name, data in files.items()})
    for key in gone:
        _BUFFERS.pop(key, None)
    _ABSENT.update(gone)
    try:
        yield
    finally:
        _BUFFERS.clear()
        _BUFFERS.update(saved)
        _ABSENT.difference_update(gone)
