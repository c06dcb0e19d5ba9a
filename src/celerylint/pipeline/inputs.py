"""The paths a user names on the command line, sorted into those that exist and those
that do not: a missing path is an error naming it, but the others are still checked
(exit 2 at the end), as ruff and flake8 do, rather than one typo aborting the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from celerylint.engine.buffers import buffered
from celerylint.engine.pathnames import printable

STDIN = "-"  # the buffer an editor pipes in (``--stdin-filename``), never a missing path


def split_missing(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """(the paths that exist, one error message per path that does not).

    A dangling symlink exists as a path (`os.path.lexists`): it is checked, and reported
    as unreadable (CEL003) rather than as missing. So does the file an editor's buffer
    stands for (``--stdin-filename``), even before it is first saved.
    """
    present: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if str(path) == STDIN or os.path.lexists(path) or buffered(path) is not None:
            present.append(path)
        else:
            problems.append(f"{printable(str(path))}: no such file or directory")
    return present, problems
