"""Where the report goes: stdout, or ``-o/--output-file FILE``.

A report file is written whole or not at all: the report is rendered in memory, written
to a temporary file beside FILE and renamed over it, so a reader (a CI step uploading
SARIF) never sees half a report and a failed run leaves the previous report in place."""

from __future__ import annotations

import io
import os
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
    on error."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # as a plain open() would create it
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
