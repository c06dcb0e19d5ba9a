"""The command line's say over which files are read and which findings each file may
show: ``--exclude``, ``--extend-exclude``, ``--force-exclude``, ``--per-file-ignores``
and ``--extend-per-file-ignores``.

They mean what they mean in ruff, so a ruff user's habits carry over: ``--exclude`` and
``--per-file-ignores`` replace the configuration's value, the ``--extend-`` forms add to
it, and ``--force-exclude`` makes the excludes apply to files named on the command line
too. Globs and selectors are checked like the configuration's, so a typo is an error,
never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from celerylint.engine.options import FileOptions, OptionsError, checked_selectors

PerFileIgnores = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class InputOverrides:
    """What the command line said about inputs (None or empty: the configuration's)."""

    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool | None = None
    per_file_ignores: tuple[str, ...] | None = None  # raw PATTERN:CODES values
    extend_per_file_ignores: tuple[str, ...] = ()


def comma_list(value: str | None) -> tuple[str, ...] | None:
    """``a, b`` -> ("a", "b"); None stays None (the option was not given)."""
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_per_file_ignores(values: Sequence[str], known_codes: Collection[str],
                           option: str) -> PerFileIgnores:
    """``PATTERN:CODES`` values, CODES comma-separated; ruff's ``a:X,b:Y`` form (a new
    pattern after a comma) is read too. The same pattern twice adds up its codes."""
    table: dict[str, list[str]] = {}
    for value in values:
        pattern: str | None = None
        for item in (part.strip() for part in value.split(",")):
            if ":" in item:
                pattern, item = (piece.strip() for piece in item.rsplit(":", 1))
            if not pattern or not pattern.strip("!/. ") or not item:
                raise OptionsError(f"{option} {value!r} must be PATTERN:CODES, such as "
                                   "'tests/*:CEL1,CEL203'")
            table.setdefault(pattern, []).extend(
                checked_selectors([item], known_codes, f"{option} {value!r}"))
    return {pattern: tuple(codes) for pattern, codes in table.items()}


def apply_inputs(options: FileOptions, given: InputOverrides,
                 known_codes: Collection[str]) -> FileOptions:
    """`options` (the configuration's) with the command line's input options applied."""
    table = dict(options.per_file_ignores)
    if given.per_file_ignores is not None:
        table = parse_per_file_ignores(given.per_file_ignores, known_codes,
                                       "--per-file-ignores")
    extra = parse_per_file_ignores(given.extend_per_file_ignores, known_codes,
                                   "--extend-per-file-ignores")
    for pattern, codes in extra.items():
        table[pattern] = (*table.get(pattern, ()), *codes)
    return replace(
        options,
        exclude=options.exclude if given.exclude is None else given.exclude,
        extend_exclude=(*options.extend_exclude, *given.extend_exclude),
        force_exclude=(options.force_exclude if given.force_exclude is None
                       else given.force_exclude),
        per_file_ignores=table,
    )

