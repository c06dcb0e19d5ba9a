"""``-v/--verbose``: what a run is doing, on stderr (the report on stdout is untouched):
each project with its configuration and selection, then the files it checked, how many
came from the facts cache, and how long it took."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path


def _shown(path: Path) -> str:
    """A path relative to the current directory (never absolute in output)."""
    return Path(os.path.relpath(path, Path.cwd())).as_posix()


@dataclass(frozen=True)
class Log:
    """Writes verbose lines when `enabled`, nothing otherwise."""

    enabled: bool = False

    def line(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write(f"celerylint: {text}\n")
            sys.stderr.flush()

    def project(self, root: Path, config: Path | None, rules: int,
                version: tuple[int, int] | None) -> None:
        """A project about to be checked."""
        where = _shown(config) if config is not None else "none, defaults"
        label = ".".join(map(str, version)) if version else "unknown"
        self.line(f"project {_shown(root)} (configuration: {where}; {rules} rules "
                  f"selected; Celery {label})")

    def checked(self, root: Path, files: int, cached: int, findings: int,
                seconds: float) -> None:
        """A project checked: files (and those taken from the cache), findings, time."""
        self.line(f"{_shown(root)}: {files} file{'s' if files != 1 else ''} checked "
                  f"({cached} from the cache), {findings} "
                  f"finding{'s' if findings != 1 else ''}, in {seconds:.2f}s")

    def base(self, root: Path, description: str) -> None:
        """``--base-ref``: which commit the project was compared with, and what it cost."""
        self.line(f"{_shown(root)}: {description}")
