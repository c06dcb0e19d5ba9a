"""Where the report goes: stdout, or ``-o/--output-file FILE``.

A report file is written whole or not at all: the report is rendered in memory, written
to a temporary file beside FILE and renamed over it, so a reader (a CI step uploading
SARIF) never sees half a report and a failed run leaves the previous report in place.
FILE may also be what is not a file to replace: ``/dev/null``, ``/dev/stdout``, a named
pipe, a shell's ``>(...)``; those are written straight through."""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


class OutputError(Exception):
    """The report file cannot be written; the message names it and says why."""


@contextmanager
def report_stream(output_file: Path | None) -> Iterator[TextIO]:
    """A stream to render the report into: stdout, or one that becomes `output_file`
    when the block ends without an exception."""
    if output_file is None:
        yield sys.stdout
        return
    buffer = io.StringIO()
    yield buffer
    write_atomically(output_file, buffer.getvalue())


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` (text as UTF-8) in one rename; nothing is left behind
    on error.

    A path that is not a regular file (a device such as ``/dev/null``, a pipe, a socket)
    is written straight through: a rename would put a plain file in place of the device
    or pipe (as root, a ``/dev/null`` that keeps every report), and its reader sees a
    stream anyway. A symbolic link is followed, so the file it names is replaced and the
    link stays; an existing file keeps its permissions."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        info: os.stat_result | None = os.stat(path)
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_through(path, payload)
        return
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.chmod(temporary, mode)  # as a plain open() would leave it
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_through(path: Path, payload: bytes) -> None:
    """Write to a device or pipe as a shell redirection would."""
    try:
        with open(path, "wb") as stream:
            stream.write(payload)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
