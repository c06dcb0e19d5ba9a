"""Reading a project file without ever blocking or raising something other than OSError.

A scan must survive what a checkout can hold in place of a source file: a dangling
symlink, a symlink loop, a FIFO (opening one blocks until a writer appears), a socket or
device, a file it may not read. `read_regular` refuses everything but a regular file
(after following symlinks) before opening it, and every failure is an `OSError` whose
`strerror` is a short, lower-case reason meant for a finding's message (CEL003).
"""

from __future__ import annotations

import errno
import os
import stat

from celerylint.engine.buffers import absent, buffered

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def os_reason(exc: OSError) -> str:
    """The operating system's reason, as it reads inside a sentence ("permission denied")."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return reason[:1].lower() + reason[1:]


def unreadable_reason(path: str | os.PathLike[str]) -> str | None:
    """Why `path` is not a regular file that can be opened without blocking; None if it is."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return "dangling symbolic link"
        return os_reason(exc)
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"not a regular file ({kind})"


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file (or of the editor buffer standing for it, see
    `buffers`); OSError with a reason (`os_reason`) otherwise. A plain string path is
    welcome: loops over every file of a project join strings rather than build `Path`
    objects, which cost more than the read."""
    data = buffered(path)
    if data is not None:
        return data
    if absent(path):
        raise OSError(errno.ENOENT, "no such file or directory")
    reason = unreadable_reason(path)
    if reason is not None:
        raise OSError(errno.EINVAL, reason)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise OSError(exc.errno, os_reason(exc)) from None
