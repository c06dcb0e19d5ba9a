"""Applying edits to a file without ever corrupting it.

A fix round reads each file once into a ``Snapshot`` (its exact bytes, encoding, mode),
applies edits to the decoded text, and writes the result only when it is valid Python
that the same parser accepts (host ``ast``, else libcst for newer syntax). The write is
atomic: a temporary file in the same folder, flushed and synced, given the file's mode,
then renamed over it, so a crash leaves either the old or the new file, never half of
one. The text is encoded back with the file's own encoding (a BOM stays, a coding cookie
keeps its codec) and inserted line breaks follow the file's newline style. If the file
changed on disk since it was read (an editor saved it, a formatter ran), it is not
overwritten.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from celerylint.engine.leftovers import folders_of, remove_stale
from celerylint.engine.readable import os_reason
from celerylint.findings import Edit
from celerylint.fixes.view import line_starts, newline_of
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python

# The name every temporary file of a fix ends with (`.<file>.<random>.celerylint-fix`,
# `tempfile.mkstemp` names), so a later run can tell its own leftovers from anything else.
TEMP_SUFFIX = ".celerylint-fix"
_LEFTOVER = re.compile(r"\..+\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX), re.DOTALL)


class FixError(Exception):
    """An edit that cannot be applied or written; the message is meant for the user."""


class FileChanged(FixError):
    """The file on disk is no longer the one the edits were computed for."""


class WriteFailed(FixError):
    """The operating system refused the write (a read-only file system, no permission, a
    full disk); the message is its reason ("read-only file system"), the caller names the
    file as the user gave it."""


@dataclass(frozen=True)
class Snapshot:
    """A file as read before fixing: what is needed to write it back faithfully."""

    path: Path  # the real file (symlinks resolved), which is what gets replaced
    data: bytes
    encoding: str
    text: str
    mode: int
    uid: int
    gid: int


def read_snapshot(path: Path) -> Snapshot:
    """Read a Python file for fixing; FixError when it cannot be read or decoded."""
    real = Path(os.path.realpath(path))
    try:
        data = real.read_bytes()
        info = real.stat()
        text = decode_source(data)
    except (OSError, SourceDecodeError) as exc:
        raise FixError(f"cannot read {path}: {exc}") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    return Snapshot(real, data, encoding, text, info.st_mode, info.st_uid, info.st_gid)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """`text` with every edit applied; the edits must not overlap.

    Line breaks inside inserted text are written in the file's own style.
    """
    starts = line_starts(text)
    newline = newline_of(text)
    located = sorted(((_offset(text, starts, e.span.row, e.span.column),
                       _offset(text, starts, e.span.end_row, e.span.end_column), e.content)
                      for e in edits), key=lambda item: (item[0], item[1]))
    pieces: list[str] = []
    cursor = 0
    for start, end, content in located:
        if start < cursor or end < start:
            raise FixError("overlapping edits")
        pieces.append(text[cursor:start])
        pieces.append(_native(content, newline))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _offset(text: str, starts: list[int], row: int, column: int) -> int:
    if not 1 <= row <= len(starts):
        raise FixError(f"edit row {row} is outside the file")
    line_end = starts[row] if row < len(starts) else len(text)
    offset = starts[row - 1] + column - 1
    if not starts[row - 1] <= offset <= line_end:
        raise FixError(f"edit column {column} is outside row {row}")
    return offset


def _native(content: str, newline: str) -> str:
    if newline == "\n" or ("\n" not in content and "\r" not in content):
        return content
    unified = content.replace("\r\n", "\n").replace("\r", "\n")
    return unified.replace("\n", newline)


def parse_problem(text: str, path: str) -> str | None:
    """Why `text` is not valid Python for celerylint's parser, or None when it is."""
    result = parse_python(text, path)
    if isinstance(result, ParseFailure):
        return f"{result.message} (line {result.row})"
    return None


def encode(snapshot: Snapshot, text: str) -> bytes:
    """`text` in the file's encoding (with its BOM, if it had one)."""
    try:
        return codecs.encode(text, snapshot.encoding)
    except UnicodeEncodeError as exc:
        raise FixError(f"the fixed text cannot be encoded as {snapshot.encoding}: {exc}"
                       ) from None


def write_atomically(snapshot: Snapshot, data: bytes) -> None:
    """Replace the file with `data`, unless it changed since `snapshot` was taken."""
    _check_unchanged(snapshot)
    folder = snapshot.path.parent
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{snapshot.path.name}.",
                                             suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise WriteFailed(os_reason(exc)) from None
    try:
        _write_temporary(handle, temporary, snapshot, data)
        _check_unchanged(snapshot)
        os.replace(temporary, snapshot.path)
    except OSError as exc:
        _remove(temporary)
        raise WriteFailed(os_reason(exc)) from None
    except BaseException:
        _remove(temporary)
        raise


def _write_temporary(handle: int, temporary: str, snapshot: Snapshot, data: bytes) -> None:
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(temporary, stat.S_IMODE(snapshot.mode))
    with contextlib.suppress(OSError, AttributeError):  # not the owner, or no os.chown
        os.chown(temporary, snapshot.uid, snapshot.gid)


def _check_unchanged(snapshot: Snapshot) -> None:
    try:
        current = snapshot.path.read_bytes()
    except OSError as exc:
        raise FileChanged(f"the file cannot be read any more: {os_reason(exc)}") from None
    if current != snapshot.data:
        raise FileChanged("the file changed on disk while it was being fixed")


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def remove_leftovers(root: Path, files: Iterable[str]) -> None:
    """Remove the temporary files a killed ``--fix`` left in the folders of `files`."""
    for folder in folders_of(root, files):
        remove_stale(folder, _LEFTOVER)
