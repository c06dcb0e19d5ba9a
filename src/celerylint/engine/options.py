"""Project options from ``[tool.celerylint]`` in ``pyproject.toml`` (or the same keys at
the top level of ``celerylint.toml`` / ``.celerylint.toml``), and rule selection.

Options live beside the project's other tool settings so a checkout carries its own
policy; a typo there must not silently do nothing, so every key, type and rule code is
checked and an unknown one is an error that offers the closest valid spelling
(`read_options` gives every error of a file, with the defaults in place of what is
broken, so a run can report them all and still check the project). Selection
follows ruff's semantics because that is what users already know: ``select`` replaces
the default set, ``extend-select`` adds to it, ``ignore`` removes, and when two selectors
disagree about a code the more specific one wins (at equal specificity, ``ignore`` wins).

Globs (``exclude``, ``per-file-ignores``, ...) are read in the dialect of `globs`.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import (
    Any,
    Callable,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from celerylint.engine.globs import glob_hits
from celerylint.engine.links import url_base_problem
from celerylint.engine.readable import os_reason, read_regular

ALL = "ALL"
# Where the facts cache lives, relative to the project root, unless ``cache-dir`` (or the
# CLI's ``--cache-dir``) says otherwise.
CACHE_DIR = ".celerylint_cache"
_SECTION = "[tool.celerylint]"
_SELECTOR_SHAPE = re.compile(r"[A-Z]+[0-9]*\Z")
_VERSION_SHAPE = re.compile(r"[0-9]+\.[0-9]+(?:\.[0-9]+)?\Z")
# ``[tool.celerylint]``, ``[tool.celerylint.x]`` or ``tool.celerylint.x = ...`` in a file
# that cannot be parsed.
_NAMES_SECTION = re.compile(rb"""tool\s*\.\s*["']?celerylint\b""")


class OptionsError(Exception):
    """A configuration or command-line mistake; the message is meant for the user as is."""


@dataclass(frozen=True)
class FileOptions:
    """The options of one project, as read from its ``pyproject.toml``.

    `path` is the file they came from (None when no file set any option). `select` is None
    when the file does not choose a rule set, so the defaults apply; `exclude` is None when
    the default excludes apply. Rule selectors are stored upper-cased.
    """

    path: Path | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    task_decorators: tuple[str, ...] = ()
    test_patterns: tuple[str, ...] = ()
    django_settings_module: str | None = None
    celery_version: str | None = None
    cache_dir: str | None = None
    fix: bool = False
    unsafe_fixes: bool = False
    rule_url_base: str | None = None
    base_ref: str | None = None


@dataclass(frozen=True)
class _Key:
    """Where one option key is reported: its name, its table and the known rule codes."""

    name: str
    source: str
    known_codes: Collection[str]

    def wrong(self, expected: str, value: object) -> OptionsError:
        return OptionsError(
            f"'{self.name}' in {self.source} must be {expected}, not {_describe(value)}"
        )


def _describe(value: object) -> str:
    """A short, user-facing description of a TOML value of the wrong type."""
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    kind = kinds.get(type(value), type(value).__name__)
    if isinstance(value, (list, dict)):
        return kind
    return f"{kind} ({value!r})"


def _string_list(value: object, key: _Key) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise key.wrong("a list of strings", value)
    return tuple(value)


def _selectors(value: object, key: _Key) -> tuple[str, ...]:
    found = tuple(normalize_selector(item) for item in _string_list(value, key))
    for selector in found:
        _check_selector(selector, key.known_codes, f"'{key.name}' in {key.source}")
    return found


def _globs(value: object, key: _Key) -> tuple[str, ...]:
    globs = _string_list(value, key)
    if any(not glob.strip() for glob in globs):
        raise key.wrong("a list of non-empty globs", value)
    return globs


def _per_file_ignores(value: object, key: _Key) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or any(not glob.strip("!/. ") for glob in value):
        raise key.wrong("a table of glob = [rule codes] with non-empty globs", value)
    table: dict[str, tuple[str, ...]] = {}
    for glob, codes in value.items():
        entry = _Key(f'{key.name}."{glob}"', key.source, key.known_codes)
        table[glob] = _selectors(codes, entry)
    return table


def _is_dotted(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def _task_decorators(value: object, key: _Key) -> tuple[str, ...]:
    paths = _string_list(value, key)
    for path in paths:
        if "." not in path or not _is_dotted(path):
            raise key.wrong('a list of dotted import paths ("package.module.decorator")', path)
    return paths


def _settings_module(value: object, key: _Key) -> str:
    if not isinstance(value, str) or not _is_dotted(value):
        raise key.wrong('a dotted module name ("project.settings")', value)
    return value


def _celery_version(value: object, key: _Key) -> str:
    if not isinstance(value, str) or not _VERSION_SHAPE.match(value):
        raise key.wrong('a version string such as "5.4" or "5.4.1"', value)
    return value


def _boolean(value: object, key: _Key) -> bool:
    if not isinstance(value, bool):
        raise key.wrong("true or false", value)
    return value


def _directory(value: object, key: _Key) -> str:
    if not isinstance(value, str) or not value.strip():
        raise key.wrong("a directory path (relative to the project root)", value)
    return value


def _url_base(value: object, key: _Key) -> str:
    problem = url_base_problem(value) if isinstance(value, str) else "a URL string"
    if problem:
        raise key.wrong(problem, value)
    return str(value)


def _git_ref(value: object, key: _Key) -> str:
    if not isinstance(value, str) or not value.strip() or value.startswith("-"):
        raise key.wrong('a git ref such as "origin/main" or "HEAD"', value)
    return value


_Reader = Callable[[object, _Key], Any]
_KEYS: dict[str, tuple[str, _Reader]] = {
    "select": ("select", _selectors),
    "ignore": ("ignore", _selectors),
    "extend-select": ("extend_select", _selectors),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _globs),
    "extend-exclude": ("extend_exclude", _globs),
    "force-exclude": ("force_exclude", _boolean),
    "task-decorators": ("task_decorators", _task_decorators),
    "test-patterns": ("test_patterns", _globs),
    "django-settings-module": ("django_settings_module", _settings_module),
    "celery-version": ("celery_version", _celery_version),
    "cache-dir": ("cache_dir", _directory),
    "fix": ("fix", _boolean),
    "unsafe-fixes": ("unsafe_fixes", _boolean),
    "rule-url-base": ("rule_url_base", _url_base),
    "base-ref": ("base_ref", _git_ref),
}


# Files holding only celerylint's options, at their top level, in the order they are tried
# after a ``pyproject.toml`` with a ``[tool.celerylint]`` table in the same folder.
CONFIG_FILES: tuple[str, ...] = ("celerylint.toml", ".celerylint.toml")


def config_in(folder: Path) -> Path | None:
    """The celerylint configuration of `folder`: its ``pyproject.toml`` when that has a
    ``[tool.celerylint]`` table, else its ``celerylint.toml`` or ``.celerylint.toml``.

    A ``pyproject.toml`` that cannot be read as TOML but names the table is the
    configuration all the same (the user meant to configure celerylint there): reading
    its options reports the mistake and gives the defaults (`read_options`).
    """
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and _has_section(pyproject):
        return pyproject
    for name in CONFIG_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _has_section(pyproject: Path) -> bool:
    try:
        text = read_regular(pyproject)
    except OSError:
        return False
    if b"celerylint" not in text:
        return False  # cheap: most pyproject.toml files never mention it
    try:
        return _read_section(pyproject) is not None
    except OptionsError:
        return _NAMES_SECTION.search(text) is not None


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in `start` (a file's folder) or a folder above it."""
    here = start.resolve()
    if not here.is_dir():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _display(path: Path) -> str:
    """The file as the user most likely knows it: relative to the current folder if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_document(path: Path) -> dict[str, Any]:
    """The TOML document of `path` (or of the editor buffer standing for it)."""
    try:
        return tomllib.loads(read_regular(path).decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise OptionsError(f"{_display(path)} is not valid TOML: {error}") from None
    except UnicodeDecodeError as error:  # TOML is UTF-8 only
        raise OptionsError(f"{_display(path)} is not UTF-8 text (byte {error.start} "
                           f"is {error.object[error.start]:#04x})") from None
    except OSError as error:
        raise OptionsError(f"cannot read {_display(path)}: {os_reason(error)}") from None


def _is_pyproject_shaped(path: Path, document: Mapping[str, Any]) -> bool:
    """``pyproject.toml``, or another file (``--config``) whose options are under
    ``[tool.celerylint]``; ``celerylint.toml`` has them at its top level."""
    if path.name == "pyproject.toml":
        return True
    if path.name in CONFIG_FILES:
        return False
    tool = document.get("tool")
    return isinstance(tool, dict) and "celerylint" in tool


def _read_section(pyproject: Path, document: Mapping[str, Any] | None = None
                  ) -> Mapping[str, Any] | None:
    if document is None:
        document = _read_document(pyproject)
    tool = document.get("tool", {})
    section = tool.get("celerylint") if isinstance(tool, dict) else None
    if section is not None and not isinstance(section, dict):
        raise OptionsError(f"{_SECTION} in {_display(pyproject)} must be a table")
    return section


def _unknown_key(name: str, source: str) -> OptionsError:
    guess = name.replace("_", "-").lower()
    if guess not in _KEYS:
        close = difflib.get_close_matches(guess, list(_KEYS), n=1)
        guess = close[0] if close else ""
    hint = f"did you mean '{guess}'?" if guess else "valid keys: " + ", ".join(_KEYS)
    return OptionsError(f"unknown key '{name}' in {source}; {hint}")


def load_options(pyproject: Path | None, known_codes: Collection[str]) -> FileOptions:
    """Read and check ``[tool.celerylint]`` of a ``pyproject.toml``, or the top level of a
    ``celerylint.toml``; no file or no section gives the defaults.

    Raises OptionsError (the first of `read_options`' problems) naming the file and the
    key for invalid TOML, unknown keys, values of the wrong type and rule selectors that
    match no code in `known_codes`.
    """
    options, problems = read_options(pyproject, known_codes)
    if problems:
        raise problems[0]
    return options


def read_options(pyproject: Path | None, known_codes: Collection[str]
                 ) -> tuple[FileOptions, list[OptionsError]]:
    """The options of `pyproject` (as `load_options`) and every mistake in it, in file
    order, instead of stopping at the first: a run goes on with what the file surely
    means. An unknown key is left out, a key with a bad value keeps its default, and a
    file that cannot be read as TOML (or whose section is no table) gives the defaults.
    """
    if pyproject is None:
        return FileOptions(), []
    try:
        document = _read_document(pyproject)
        section, source = _section_of(pyproject, document)
    except OptionsError as error:
        return FileOptions(path=pyproject), [error]
    if section is None:
        return FileOptions(), []
    values: dict[str, Any] = {}
    problems: list[OptionsError] = []
    for name, raw in section.items():
        try:
            values.update(_read_key(name, raw, source, known_codes))
        except OptionsError as error:
            problems.append(error)
    return FileOptions(path=pyproject, **values), problems


def _section_of(pyproject: Path, document: Mapping[str, Any]
                ) -> tuple[Mapping[str, Any] | None, str]:
    """The options' table of the file (None: it has none) and how messages name it."""
    if _is_pyproject_shaped(pyproject, document):
        return _read_section(pyproject, document), f"{_SECTION} of {_display(pyproject)}"
    return document, _display(pyproject)


def _read_key(name: str, raw: object, source: str, known_codes: Collection[str]
              ) -> dict[str, Any]:
    """One key of the section as a FileOptions field; OptionsError when it is wrong."""
    if name not in _KEYS:
        raise _unknown_key(name, source)
    attribute, reader = _KEYS[name]
    return {attribute: reader(raw, _Key(name, source, known_codes))}


def _frozen(value: Any) -> Any:
    """Command-line values arrive as lists; FileOptions holds tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(value, Mapping):
        return {key: tuple(codes) for key, codes in value.items()}
    return value


def merge(file: FileOptions, **cli_overrides: Any) -> FileOptions:
    """`file` with every non-None command-line value (by field name) put in its place.

    A command-line value replaces the file's value for the same field; it is not added to
    it (``--ignore X`` drops the file's ``ignore`` list). An unknown field is a TypeError.
    """
    changes = {name: _frozen(value) for name, value in cli_overrides.items() if value is not None}
    return replace(file, **changes)


def normalize_selector(selector: str) -> str:
    """Selectors are case-insensitive, like ``# noqa`` codes."""
    return selector.strip().upper()


def _letters(code: str) -> str:
    return code.rstrip("0123456789")


def _is_valid_selector(selector: str, known_codes: Collection[str]) -> bool:
    """ALL, a full code, or a prefix that keeps the code's whole letter part ("CEL2")."""
    if selector == ALL:
        return True
    if not _SELECTOR_SHAPE.match(selector):
        return False
    letters = _letters(selector)
    return any(code.startswith(selector) and _letters(code) == letters for code in known_codes)


def _check_selector(selector: str, known_codes: Collection[str], where: str) -> None:
    if _is_valid_selector(selector, known_codes):
        return
    close = _closest_selector(selector, known_codes)
    hint = f"; did you mean '{close}'?" if close else ""
    raise OptionsError(f"unknown rule selector '{selector}' in {where}{hint}")


def _closest_selector(selector: str, known_codes: Collection[str]) -> str | None:
    """A valid selector one typed character away (``CEL2O1`` -> ``CEL201``), else the
    closest by difflib; difflib alone prefers short prefixes (``CEL21``) over the code."""
    prefixes = {code[:end] for code in known_codes for end in range(len(_letters(code)), len(code))}
    candidates = sorted({ALL, *known_codes, *prefixes})
    for candidate in candidates:
        if len(candidate) == len(selector) and _differences(candidate, selector) == 1:
            return candidate
    close = difflib.get_close_matches(selector, candidates, n=1)
    return close[0] if close else None


def _differences(left: str, right: str) -> int:
    return sum(a != b for a, b in zip(left, right))


def _specificity(selector: str) -> int:
    """ALL is the least specific; otherwise a longer prefix is more specific."""
    return 0 if selector == ALL else len(selector)


def _expand(selector: str, codes: Collection[str]) -> set[str]:
    if selector == ALL:
        return set(codes)
    return {code for code in codes if code.startswith(selector)}


@dataclass(frozen=True)
class Selection:
    """One layer of rule selectors, as ruff layers them: the configuration's first, then
    the command line's (celerylint's options, or the codes flake8 names). A layer with
    `select` starts afresh, dropping what earlier layers chose or ignored; a layer without
    it adds `extend_select` to, and removes `ignore` from, the selection so far."""

    select: Sequence[str] | None = None
    ignore: Sequence[str] = ()
    extend_select: Sequence[str] = ()

    @classmethod
    def of(cls, options: FileOptions) -> Selection:
        """The configuration's layer."""
        return cls(options.select, options.ignore, options.extend_select)


def select_codes(
    all_codes: Sequence[str],
    default_codes: Collection[str],
    select: Sequence[str] | None,
    ignore: Sequence[str],
    extend_select: Sequence[str],
    known_codes: Collection[str] | None = None,
) -> frozenset[str]:
    """The codes that run, chosen from `all_codes`.

    Start from `select` (the `default_codes` when it is None), add `extend_select`, remove
    `ignore`. Selectors are applied from least to most specific, so ``select CEL2`` with
    ``ignore CEL201`` turns CEL201 off while ``ignore CEL2`` with ``select CEL201`` keeps it
    on; at equal specificity ``ignore`` wins. A selector that matches nothing in
    `known_codes` (default: `all_codes`) raises OptionsError with the closest selector.
    """
    return select_layers(all_codes, default_codes, [Selection(select, ignore, extend_select)],
                         known_codes)


def select_layers(
    all_codes: Sequence[str],
    default_codes: Collection[str],
    layers: Sequence[Selection],
    known_codes: Collection[str] | None = None,
) -> frozenset[str]:
    """The codes that run: `default_codes`, changed by each layer in turn (`Selection`);
    within a layer, as in `select_codes`."""
    known = all_codes if known_codes is None else known_codes
    enabled = set(default_codes).intersection(all_codes)
    for layer in layers:
        enabled = _apply_layer(enabled, layer, all_codes, known)
    return frozenset(enabled)


def _apply_layer(enabled: set[str], layer: Selection, all_codes: Sequence[str],
                 known: Collection[str]) -> set[str]:
    adds: list[str] = []
    for label, group in (("select", layer.select or ()), ("extend-select", layer.extend_select)):
        adds.extend(_checked(group, known, label))
    removes = _checked(layer.ignore, known, "ignore")
    result = set(enabled) if layer.select is None else set()
    for level in sorted({_specificity(s) for s in adds + removes}):
        for selector in adds:
            if _specificity(selector) == level:
                result |= _expand(selector, all_codes)
        for selector in removes:
            if _specificity(selector) == level:
                result -= _expand(selector, all_codes)
    return result


def checked_selectors(selectors: Sequence[str], known: Collection[str], where: str
                      ) -> tuple[str, ...]:
    """`selectors` normalized; OptionsError naming `where` for one that matches no code."""
    return tuple(_checked(selectors, known, where))


def _checked(selectors: Sequence[str], known: Collection[str], label: str) -> list[str]:
    normalized = [normalize_selector(selector) for selector in selectors]
    for selector in normalized:
        _check_selector(selector, known, label)
    return normalized


def is_code_ignored(code: str, selectors: Collection[str]) -> bool:
    """Does any selector (ALL, a code or a prefix) cover `code`?"""
    wanted = code.upper()
    return any(
        selector == ALL or wanted.startswith(selector)
        for selector in (normalize_selector(s) for s in selectors)
    )


def ignored_for_file(relpath: str, per_file_ignores: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The selectors that `per_file_ignores` turns off for one project-relative file.

    A glob matches the whole '/'-separated path; a glob without '/' also matches the file
    name alone (``"conftest.py"`` anywhere); a glob starting with ``!`` applies to every
    file it does *not* match.
    """
    name = relpath.rsplit("/", 1)[-1]
    ignored: set[str] = set()
    for glob, selectors in per_file_ignores.items():
        negated = glob.startswith("!")
        pattern = glob[1:] if negated else glob
        if glob_hits(pattern, relpath, name) != negated:
            ignored.update(normalize_selector(selector) for selector in selectors)
    return frozenset(ignored)

