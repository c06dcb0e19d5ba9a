"""File names as every output shows them.

On POSIX a file name is bytes; Python hands a name that is not valid UTF-8 over as a
string with lone surrogates, which cannot be encoded to write JSON, SARIF, a baseline or a
hash. `printable` is the one escaping every output goes through: the bad bytes become
``\\xNN`` and the rest stays as it is, so text, JSON, SARIF, GitHub, GitLab, baselines and
fingerprints all name such a file the same way, and a valid name is never changed.
"""

from __future__ import annotations

import os
from pathlib import Path


def printable(name: str) -> str:
    """`name` with the bytes that are not valid UTF-8 written as ``\\xNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def as_named(path: Path) -> Path:
    """The absolute path of what the user named, symlinks resolved except the last: a
    symlinked file is checked, reported and fixed under the name it has in the project,
    not under its target's (which may lie elsewhere, or nowhere: a dangling link)."""
    if path.is_symlink() and not path.is_dir():
        return path.parent.resolve() / path.name
    return path.resolve()
