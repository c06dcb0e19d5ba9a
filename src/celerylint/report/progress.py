"""A progress bar on stderr for long scans, only where a person is watching.

None in CI (the CI variable set), in pipes (stderr not a terminal), or with
machine-readable output, so logs and reports stay byte-identical.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Fewer files than this finish before a bar would be worth drawing.
MANY_FILES = 500


def wanted(machine_output: bool) -> bool:
    """Is there a person at a terminal to show progress to?"""
    return not machine_output and not os.environ.get("CI") and sys.stderr.isatty()


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A callback ``advance(count, total)`` drawing on stderr while the block runs, or
    None when no bar is wanted."""
    if not enabled:
        yield None
        return
    console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
    bar = Progress(TextColumn("checking"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)
    task = bar.add_task("files", total=None)
    shown = False

    def advance(count: int, total: int) -> None:
        nonlocal shown
        if not shown and total >= MANY_FILES:
            bar.start()
            shown = True
        bar.update(task, advance=count, total=total)

    try:
        yield advance
    finally:
        if shown:
            bar.stop()
