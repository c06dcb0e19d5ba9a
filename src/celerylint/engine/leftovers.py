"""Removing the temporary files a killed run left behind, and nothing else.

Every write celerylint makes goes through a temporary file renamed into place; a run
killed between the two (SIGKILL, a full disk) leaves the temporary file. The next run
removes it when three things hold: its name has the exact shape of one of celerylint's
own temporary files (the caller's `pattern`), it is a regular file (never a symlink or a
folder), and it was last modified more than `STALE_AFTER` seconds ago, so a concurrent
run's file, still being written, is never taken away from it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path
from re import Pattern

STALE_AFTER = 600.0  # seconds: far longer than any single write takes


def folders_of(root: Path, files: Iterable[str]) -> list[Path]:
    """The folders holding `files` (relative to `root`, ``/``-separated), each once, in
    path order. The folder names are cut as strings: a `Path` per file of a large project
    cost more than scanning all its folders."""
    return sorted(root / folder for folder in {path.rpartition("/")[0] for path in files})


def remove_stale(folder: Path, pattern: Pattern[str], now: float | None = None) -> list[str]:
    """Remove the stale files of `folder` whose name matches `pattern`; their names."""
    deadline = (time.time() if now is None else now) - STALE_AFTER
    removed: list[str] = []
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if pattern.fullmatch(entry.name)]
    except OSError:
        return removed
    for name in sorted(names):
        path = folder / name
        with contextlib.suppress(OSError):
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_mtime < deadline:
                path.unlink()
                removed.append(name)
    return removed
