"""``--diff``: the changes ``--fix`` would make, as a unified diff of the files' bytes.

The diff is made of bytes, not text, so that it applies exactly: a latin-1 file's lines,
a BOM, CRLF line endings all appear in the diff as they are in the file. Headers name
each file by its path relative to the current folder with no ``a/``/``b/`` prefix, which
is what ``patch -p0`` and ``git apply -p0`` expect, and a last line without a line break
gets the usual ``\\ No newline at end of file`` marker.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

_NO_NEWLINE = b"\\ No newline at end of file\n"


def diff_name(root: Path, path: str) -> str:
    """The project file `path` relative to the current folder, `/`-separated and not
    escaped: the diff is bytes, and names the file with its own bytes, as ``patch``
    needs to find it (even a name that is not valid UTF-8)."""
    return Path(os.path.relpath(root / path)).as_posix()


def unified_diff(name: str, before: bytes, after: bytes) -> bytes:
    """The diff of one file (empty when nothing changed)."""
    if before == after:
        return b""
    label = os.fsencode(name)
    lines = difflib.diff_bytes(difflib.unified_diff, before.splitlines(keepends=True),
                               after.splitlines(keepends=True), fromfile=label, tofile=label,
                               lineterm=b"\n")
    return b"".join(_terminated(lines))


def _terminated(lines: Iterator[bytes]) -> Iterator[bytes]:
    for line in lines:
        if line.endswith((b"\n", b"\r")):
            yield line
        else:
            yield line + b"\n" + _NO_NEWLINE
