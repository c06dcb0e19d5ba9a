"""A progress bar on stderr for long scans, only where a person is watching.

It covers the whole run, stage by stage, each with its own bar: reading the files,
building the model (no count to show: the bar pulses, so it never looks frozen at 100%),
then running the rules. None in CI (the CI variable set), in pipes (stderr not a
terminal), or with machine-readable output, so logs and reports stay byte-identical.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich.progress is imported only when a bar is drawn (a terminal)
    from rich.progress import Progress

# Fewer files than this finish before a bar would be worth drawing.
MANY_FILES = 500

READING = "reading files"
MODELLING = "building the model"
RULES = "running rules"


def wanted(machine_output: bool) -> bool:
    """Is there a person at a terminal to show progress to?"""
    return not machine_output and not os.environ.get("CI") and sys.stderr.isatty()


class Tracker:
    """The callbacks the run reports to: `files` and `rules`, each ``(done, total)``."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._task = bar.add_task(READING, total=None)
        self._stage = ""
        self.shown = False

    def files(self, count: int, total: int) -> None:
        """`count` more files read of `total`; after the last, the model is built."""
        if not self.shown and total >= MANY_FILES:
            self._bar.start()
            self.shown = True
        self._enter(READING, total)
        self._bar.advance(self._task, count)
        if self._bar.tasks[0].completed >= total:
            self._enter(MODELLING, None)

    def rules(self, count: int, total: int) -> None:
        """`count` more rules run of `total`."""
        self._enter(RULES, total)
        self._bar.advance(self._task, count)

    def _enter(self, stage: str, total: int | None) -> None:
        """Start `stage` afresh (a new project starts at reading again)."""
        if stage != self._stage:
            self._stage = stage
            self._bar.reset(self._task, total=total, description=stage)
            if self.shown:
                self._bar.refresh()  # every stage is seen, however short


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Tracker | None]:
    """A tracker drawing on stderr while the block runs, or None when no bar is wanted."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)
    tracker = Tracker(bar)
    try:
        yield tracker
    finally:
        if tracker.shown:
            bar.stop()
