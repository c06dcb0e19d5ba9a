"""The public result: `WorkerCommand` and `worker_commands`, which picks a file's reader.

Each reader turns its file format into word lists; `invocations` finds the celery worker
in them the same way for all; this module turns offsets into rows and columns and orders
the commands, so every format reports positions by the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

from celerylint.model.workers.dockerfile import dockerfile_sources
from celerylint.model.workers.invocations import Invocation, find_workers
from celerylint.model.workers.kinds import is_dev_only, kind_by_name
from celerylint.model.workers.line_files import (
    procfile_sources,
    shell_sources,
    supervisor_sources,
    systemd_sources,
)
from celerylint.model.workers.shell import Sources
from celerylint.model.workers.source_text import SourceText


@dataclass(frozen=True)
class WorkerCommand:
    """One `celery ... worker` (or `celery multi start`) invocation in a process file.

    Positions are 1-based, columns counted in characters, `end_column` exclusive. The span
    runs from the program word (`celery`, or `python` for `python -m celery`) to the last
    word of the command, across `\\` continuations and YAML lists. `options` holds the raw
    values as written (quotes removed), which may be `${VAR}`, `$VAR`, `{{ ... }}` or
    `%(ENV_X)s` references that callers treat as set-but-unknown. Instances are plain
    data (picklable, for the fact cache and process pool); treat `options` as read-only.
    """

    path: str
    row: int
    column: int
    end_row: int
    end_column: int
    app: str | None
    options: Mapping[str, str] = field(hash=False)
    beat: bool
    dev_only: bool


def _yaml_sources(source: SourceText) -> Sources:
    """`yaml_files.yaml_sources`, imported with PyYAML only when a YAML process file is
    read: most runs, and the flake8 plugin file by file, never meet one."""
    from celerylint.model.workers.yaml_files import yaml_sources

    return yaml_sources(source)


_READERS: dict[str, Callable[[SourceText], Sources]] = {
    "procfile": procfile_sources,
    "dockerfile": dockerfile_sources,
    "systemd": systemd_sources,
    "yaml": _yaml_sources,
    "supervisor": supervisor_sources,
    "shell": shell_sources,
    "run": shell_sources,
}


def _command(path: str, source: SourceText, found: Invocation, dev_only: bool) -> WorkerCommand:
    row, column = source.position(found.start)
    end_row, end_column = source.position(found.end)
    return WorkerCommand(
        path=path, row=row, column=column, end_row=end_row, end_column=end_column,
        app=found.app, options=found.options, beat=found.beat, dev_only=dev_only,
    )


def worker_commands(path: str, text: str) -> list[WorkerCommand]:
    """Every celery worker invocation in a process file, in file order.

    The reader is chosen by the file name alone (see `is_process_file` for the content
    test a discovery pass adds); other files give an empty list. `celery beat` and other
    subcommands are not workers; `celery multi start|restart` is.
    """
    kind = kind_by_name(path)
    if kind is None:
        return []
    source = SourceText(text.replace("\r\n", "\n"))
    dev_only = is_dev_only(path)
    commands = [
        _command(path, source, found, dev_only)
        for words in _READERS[kind](source)
        for found in find_workers(source.text, words)
    ]
    return sorted(commands, key=lambda command: (command.row, command.column))
