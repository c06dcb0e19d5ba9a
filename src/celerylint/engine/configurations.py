"""The configuration files of one run, each read once, with every mistake said once.

A mistake in ``[tool.celerylint]`` (invalid TOML, a file that is not UTF-8, an unknown
key, a bad value) no longer stops a run: the defaults stand in for what is broken
(`options.read_options`) and every file is checked, as flake8 and ruff go on past a bad
path. The run must still fail (exit code 2) and must not write files (``--fix``,
``--add-noqa``, ``--write-baseline``): the configuration the user meant is unknown, and
what it would have changed cannot be guessed. Several projects may share one file
(``--config``), and discovery asks for a project's options before the run does, so the
files are remembered here and their mistakes reported the first time only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from celerylint.engine.options import FileOptions, read_options

NOT_WRITING = "not writing: the configuration has errors"


@dataclass
class Configurations:
    """Reads configuration files for one run; `report` is told each mistake (a message
    naming the file) the first time its file is read."""

    known_codes: Collection[str]
    report: Callable[[str], object]
    problems: list[str] = field(default_factory=list)
    _read: dict[Path | None, FileOptions] = field(default_factory=dict)

    def options(self, path: Path | None) -> FileOptions:
        """The options of `path` (None: the defaults), mistakes reported and left out."""
        key = path.resolve() if path is not None else None
        if key not in self._read:
            options, problems = read_options(path, self.known_codes)
            for problem in problems:
                self.problems.append(str(problem))
                self.report(str(problem))
            self._read[key] = options
        return self._read[key]

    @property
    def failed(self) -> bool:
        """Did any file read so far have a mistake (the run must exit 2)?"""
        return bool(self.problems)
