"""The ``check`` options about inputs and adoption, kept out of `cli` so the command stays
readable: ``--exclude`` & co., ``--per-file-ignores``, ``-`` with ``--stdin-filename``,
``--show-files``, ``--show-settings``, ``--add-noqa``, ``--fix-only`` and
``--exit-non-zero-on-fix``. Names and meanings are ruff's, so its users find them.

`input_options` adds them all to the command and hands them over as one `CheckInputs`
(the ``inputs`` argument); it also turns ``-`` into the ``--stdin-filename`` path and
makes every read of that file see the buffer while the command runs.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from celerylint.engine.buffers import reading_buffer
from celerylint.engine.discover import project_files, under
from celerylint.engine.input_options import InputOverrides, apply_inputs, comma_list
from celerylint.engine.options import FileOptions
from celerylint.pipeline.add_noqa import add_noqa
from celerylint.pipeline.check import RunResult, relative_targets
from celerylint.report import display_path
from celerylint.report.settings import ResolvedSettings, file_lines, settings_lines

STDIN = "-"
EXIT_USAGE = 2


@dataclass(frozen=True)
class CheckInputs:
    """The input and adoption options of one ``check`` invocation."""

    exclude: str | None = None
    extend_exclude: str | None = None
    force_exclude: bool | None = None
    per_file_ignores: tuple[str, ...] = ()
    extend_per_file_ignores: tuple[str, ...] = ()
    stdin_filename: Path | None = None
    show_files: bool = False
    show_settings: bool = False
    add_noqa: bool = False
    fix_only: bool = False
    exit_non_zero_on_fix: bool = False

    def overrides(self) -> InputOverrides:
        return InputOverrides(
            exclude=comma_list(self.exclude),
            extend_exclude=comma_list(self.extend_exclude) or (),
            force_exclude=self.force_exclude,
            per_file_ignores=self.per_file_ignores or None,
            extend_per_file_ignores=self.extend_per_file_ignores,
        )

    def options(self, options: FileOptions, known_codes: Collection[str]) -> FileOptions:
        """A project's configured options with the command line's input options applied
        (OptionsError for a bad ``--per-file-ignores``)."""
        return apply_inputs(options, self.overrides(), known_codes)

    def fix(self, fix: bool | None) -> bool | None:
        """``--fix-only`` implies ``--fix``."""
        return True if self.fix_only else fix

    @property
    def shows(self) -> bool:
        """Does the run only show what it would check (files or settings)?"""
        return self.show_files or self.show_settings


# What `check` sees when called without the decorator (tests of its other options).
NO_INPUTS = CheckInputs()

_OPTIONS = (
    click.option("--exclude", metavar="GLOBS",
                 help="Globs of files and folders to leave out (comma-separated; replaces "
                      "the configured and default excludes)."),
    click.option("--extend-exclude", metavar="GLOBS",
                 help="Globs to leave out in addition to the excludes."),
    click.option("--force-exclude/--no-force-exclude", "force_exclude", default=None,
                 help="Apply the excludes to files named on the command line too."),
    click.option("--per-file-ignores", metavar="PATTERN:CODES", multiple=True,
                 help="Codes to ignore in files matching PATTERN (repeatable; replaces the "
                      "configured table)."),
    click.option("--extend-per-file-ignores", metavar="PATTERN:CODES", multiple=True,
                 help="Like --per-file-ignores, added to the configured table."),
    click.option("--stdin-filename", type=click.Path(path_type=Path), metavar="NAME",
                 help="With the path -, check stdin as the file NAME of its project."),
    click.option("--show-files", is_flag=True,
                 help="List the files that would be read, then exit."),
    click.option("--show-settings", is_flag=True,
                 help="Print the resolved settings of each project, then exit."),
    click.option("--add-noqa", is_flag=True,
                 help="Add '# noqa: CODE' to the line of every finding, then exit."),
    click.option("--fix-only", is_flag=True,
                 help="Apply fixes and report nothing else; exit 0 unless an error."),
    click.option("--exit-non-zero-on-fix", is_flag=True,
                 help="Exit 1 when something was fixed, even if no finding remains."),
)
_NAMES = ("exclude", "extend_exclude", "force_exclude", "per_file_ignores",
          "extend_per_file_ignores", "stdin_filename", "show_files", "show_settings",
          "add_noqa", "fix_only", "exit_non_zero_on_fix")


def _fail(message: str) -> NoReturn:
    click.echo(f"celerylint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def input_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the options to `command`, passed to it as ``inputs``; with the path ``-``,
    run it on the ``--stdin-filename`` path with stdin's bytes standing for that file."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        inputs = CheckInputs(**{name: kwargs.pop(name) for name in _NAMES})
        paths: tuple[Path, ...] = kwargs.pop("paths")
        _check_combinations(inputs, kwargs)
        if STDIN not in (str(path) for path in paths):
            if inputs.stdin_filename is not None:
                _fail("--stdin-filename needs the path - (stdin)")
            command(*args, paths=paths, inputs=inputs, **kwargs)
            return
        name = _stdin_name(paths, inputs, kwargs)
        with reading_buffer(name, sys.stdin.buffer.read()):
            command(*args, paths=(name,), inputs=inputs, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def _check_combinations(inputs: CheckInputs, kwargs: dict[str, Any]) -> None:
    """Options that contradict each other are a usage error, never a guess."""
    if inputs.add_noqa and (kwargs.get("fix") or kwargs.get("diff") or inputs.fix_only):
        _fail("--add-noqa cannot be used with --fix, --fix-only or --diff")
    if inputs.fix_only and kwargs.get("diff"):
        _fail("--fix-only cannot be used with --diff")
    if inputs.fix_only and kwargs.get("fix") is False:
        _fail("--fix-only cannot be used with --no-fix")


def _stdin_name(paths: Sequence[Path], inputs: CheckInputs, kwargs: dict[str, Any]) -> Path:
    """The file stdin stands for; stdin is one file, which cannot be written back."""
    if len(paths) != 1:
        _fail("- (stdin) cannot be combined with other paths")
    if inputs.stdin_filename is None:
        _fail("- (stdin) needs --stdin-filename NAME: the file the text stands for")
    if kwargs.get("fix") or kwargs.get("diff") or inputs.fix_only or inputs.add_noqa:
        _fail("- (stdin) cannot be fixed or annotated: --fix, --fix-only, --diff and "
              "--add-noqa write files")
    if inputs.stdin_filename.is_dir():
        _fail(f"--stdin-filename {inputs.stdin_filename} is a folder, not a file")
    return inputs.stdin_filename


def show(inputs: CheckInputs, projects: Sequence[tuple[ResolvedSettings, Sequence[Path]]],
         failed: bool = False) -> NoReturn:
    """``--show-settings`` and/or ``--show-files`` for every project, then exit 0 (2 when
    `failed`: the configuration has errors, shown on stderr, the defaults in their place)."""
    lines: list[str] = []
    if inputs.show_settings:
        lines.extend(settings_lines([settings for settings, _ in projects]))
    if inputs.show_files:
        if lines:
            lines.append("")
        lines.extend(file_lines([(s.root, path) for s, paths in projects
                                 for path in _files(s, paths)]))
    sys.stdout.flush()
    sys.stdout.buffer.write(b"".join(os.fsencode(line) + b"\n" for line in lines))
    sys.stdout.flush()
    sys.exit(EXIT_USAGE if failed else 0)


def _files(settings: ResolvedSettings, paths: Sequence[Path]) -> list[str]:
    """The project files a check of `paths` reads and reports on."""
    targets = relative_targets(settings.root, paths)
    return [path for path in project_files(settings.root, settings.options, paths)
            if under(path, targets)]


def add_noqa_and_exit(results: Sequence[RunResult]) -> NoReturn:
    """``--add-noqa``: comment every finding of every project, say how many, exit 0
    (2 when a file could not be changed)."""
    added, problems = 0, []
    for result in results:
        shown = {f.path: display_path(result.root, f.path) for f in result.findings}
        outcome = add_noqa(result.root, result.findings, shown)
        added += outcome.added
        problems.extend(outcome.problems)
    for problem in problems:
        click.echo(f"celerylint: error: {problem}", err=True)
    click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
    sys.exit(EXIT_USAGE if problems else 0)


def exit_code(inputs: CheckInputs, fixed: int, failing: bool, exit_zero: bool) -> int:
    """The exit code: ``--fix-only`` ignores the findings that remain,
    ``--exit-non-zero-on-fix`` fails when something was fixed, and ``--exit-zero`` wins
    over both, as in ruff."""
    if exit_zero:
        return 0
    if inputs.exit_non_zero_on_fix and fixed:
        return 1
    return 1 if failing and not inputs.fix_only else 0
