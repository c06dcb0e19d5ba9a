"""Which Celery version the audited project runs: the target of version-dependent rules.

Settings and behaviours differ between Celery releases (a setting arrives in 5.6, an old
name is honoured from 5.7), so some rules need the version. The user can state it
(`--celery-version`, `[tool.celerylint] celery-version`); otherwise it is the *lowest*
version the project's declared requirement allows, because a finding must hold for every
version the project may run on. Requirement files are read as text, never executed or
resolved, from:

* `pyproject.toml`: `[project].dependencies` and `[tool.poetry.dependencies]`;
* `setup.cfg`: `[options] install_requires`;
* `Pipfile`: `[packages]`;
* `requirements*.txt` at the root and `*.txt` in `requirements/`, following `-r`/
  `--requirement` includes (relative to the including file, each file read once).
  Constraint files (`-c`) are not followed: they restrict a requirement, they do not make one.

Only the distribution named `celery` counts (case and `-`/`_`/`.` runs normalised), so
`django-celery-beat` or `celery-redbeat` do not. Extras and environment markers are ignored.
Versions are kept to (major, minor), which is the granularity of Celery's behaviour changes.
The lower bound of a specifier is the highest of its clauses' bounds: `>=`, `==` (also
`==5.3.*`), `===`, `~=`, Poetry's `^`, `~`, `=` and a bare version give their version; `>5.3`
gives 5.3 too, since 5.3.1 satisfies it; `<`, `<=`, `!=` and `*` give none. Poetry's `||`
alternatives give their lowest bound, or none if one alternative has none. A specifier
with anything else in it (a URL, an epoch, a word) gives none.

Each declaration that yields a bound is a candidate and the lowest wins. Declarations
without a bound (`celery`, `celery<6`) do not pull the result down: another file stating a
bound tells more about the environment. A file that cannot be read or parsed is skipped.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celerylint.engine.readable import read_regular

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

Version = tuple[int, int]


@dataclass(frozen=True)
class TargetVersion:
    """The target Celery version, and where it came from so messages can say why."""

    version: Version | None  # None: unknown
    source: str  # e.g. "requirements.txt:3 (celery>=5.3,<6)", "--celery-version", "unknown"


@dataclass(frozen=True)
class _Declaration:
    lowest: Version | None
    source: str


_VERSION_ARG = re.compile(r"(\d+)\.(\d+)(?:\.\d+)?")
_REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?(?P<rest>.*)",
    re.DOTALL,
)
_NAME_SEPARATORS = re.compile(r"[-_.]+")
_CLAUSE = re.compile(
    r"\s*(?P<op>===|==|!=|~=|<=|>=|<|>|\^|~|=)?\s*(?P<version>[^\s,<>=!~^][^\s,]*)"
)
_NO_LOWER_BOUND_OPS = frozenset({"<", "<=", "!="})
_LEADING_VERSION = re.compile(r"v?(\d+)(?:\.(\d+))?(?![\d!])")
_COMMENT = re.compile(r"(?:^|\s+)#.*$")
_INCLUDE = re.compile(r"(?:-r|--requirement)(?:\s*=\s*|\s*)(?P<path>\S+)$")
_TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z].*$")


def parse_version(text: str) -> Version:
    """Read a user-given version, `5.6` or `5.6.2`, as (5, 6)."""
    match = _VERSION_ARG.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"invalid Celery version {text!r}: expected MAJOR.MINOR or MAJOR.MINOR.PATCH, "
            "such as 5.4 or 5.4.2"
        )
    return int(match.group(1)), int(match.group(2))


def resolve_target_version(
    root: Path, given: str | None, given_from: str = "--celery-version"
) -> TargetVersion:
    """The stated version when there is one (`given_from` names where), else the declared one.

    Raises ValueError when `given` is not a version.
    """
    if given is not None:
        return TargetVersion(parse_version(given), given_from)
    return detect_target_version(root)


def detect_target_version(root: Path) -> TargetVersion:
    """The lowest Celery version the requirement files under `root` allow."""
    declarations = [
        *_from_pyproject(root),
        *_from_setup_cfg(root),
        *_from_pipfile(root),
        *_from_requirements(root),
    ]
    bounded = [(d.lowest, d.source) for d in declarations if d.lowest is not None]
    if bounded:
        lowest, source = min(bounded, key=lambda pair: pair[0])
        return TargetVersion(lowest, source)
    if declarations:
        return TargetVersion(None, f"unknown: {declarations[0].source} sets no lower bound")
    return TargetVersion(None, "unknown")


# --- specifiers ---------------------------------------------------------------------------


def _is_celery(name: str) -> bool:
    return _NAME_SEPARATORS.sub("-", name).lower() == "celery"


def _celery_specifier(requirement: str) -> str | None:
    """The version part of a PEP 508 `requirement` naming celery, without extras or marker."""
    match = _REQUIREMENT.fullmatch(requirement)
    if match is None or not _is_celery(match.group("name")):
        return None
    return match.group("rest").split(";", 1)[0].strip()


def _lowest_allowed(specifier: str) -> Version | None:
    """The lowest (major, minor) a PEP 440 / Poetry / Pipfile specifier allows, if bounded."""
    alternatives = [part for part in specifier.split("|") if part.strip()]
    lows = [_lowest_of_clauses(part) for part in alternatives]
    known = [low for low in lows if low is not None]
    if not known or len(known) != len(lows):
        return None
    return min(known)


def _lowest_of_clauses(text: str) -> Version | None:
    bounds: list[Version] = []
    for clause in _CLAUSE.finditer(text.replace("(", " ").replace(")", " ")):
        op, version = clause.group("op"), clause.group("version")
        if version == "*" or op in _NO_LOWER_BOUND_OPS:
            continue
        leading = _LEADING_VERSION.match(version)
        if leading is None:
            return None  # a URL, an epoch or a word: nothing safe to say
        bounds.append((int(leading.group(1)), int(leading.group(2) or 0)))
    return max(bounds) if bounds else None


def _declaration(requirement: str, where: str) -> _Declaration | None:
    specifier = _celery_specifier(requirement)
    if specifier is None:
        return None
    return _Declaration(_lowest_allowed(specifier), f"{where} ({requirement.strip()})")


def _declarations(requirements: Iterable[str], where: str) -> list[_Declaration]:
    found = (_declaration(requirement, where) for requirement in requirements)
    return [declaration for declaration in found if declaration is not None]


# --- sources ------------------------------------------------------------------------------


def _read_text(path: Path) -> str | None:
    """The file's text with universal newlines (through `read_regular`, so an editor
    buffer wins and a FIFO never blocks); None when it cannot be read or decoded."""
    try:
        text = read_regular(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_toml(path: Path) -> dict[str, Any] | None:
    text = _read_text(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The nested table at `keys`, or an empty one when any level is missing or not a table."""
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


def _from_pyproject(root: Path) -> list[_Declaration]:
    data = _load_toml(root / "pyproject.toml")
    if data is None:
        return []
    dependencies = _table(data, "project").get("dependencies")
    pep621 = dependencies if isinstance(dependencies, list) else []
    strings = (item for item in pep621 if isinstance(item, str))
    return [
        *_declarations(strings, "pyproject.toml [project].dependencies"),
        *_from_dependency_table(
            _table(data, "tool", "poetry", "dependencies"),
            "pyproject.toml [tool.poetry.dependencies]",
        ),
    ]


def _from_pipfile(root: Path) -> list[_Declaration]:
    data = _load_toml(root / "Pipfile")
    if data is None:
        return []
    return _from_dependency_table(_table(data, "packages"), "Pipfile [packages]")


def _from_dependency_table(table: dict[str, Any], where: str) -> list[_Declaration]:
    """Poetry and Pipfile tables: `celery = "spec"`, `{version = "spec", ...}` or a list of those.

    A table without `version` (git, path, url) declares no bound.
    """
    found: list[_Declaration] = []
    for name, value in table.items():
        if not _is_celery(name):
            continue
        for specifier in _table_specifiers(value):
            found.append(
                _Declaration(_lowest_allowed(specifier), f'{where} ({name} = "{specifier}")')
            )
    return found


def _table_specifiers(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        version = value.get("version", "")
        yield version if isinstance(version, str) else ""
    elif isinstance(value, list):
        for item in value:
            yield from _table_specifiers(item)


def _from_setup_cfg(root: Path) -> list[_Declaration]:
    path = root / "setup.cfg"
    text = _read_text(path)
    if text is None:
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
        value = parser.get("options", "install_requires", fallback="")
    except configparser.Error:
        return []
    # setuptools reads a multi-line value one requirement a line, a single line split on ';'.
    items = value.strip().splitlines() if "\n" in value.strip() else value.split(";")
    stripped = (_COMMENT.sub("", item) for item in items)
    return _declarations(stripped, "setup.cfg [options] install_requires")


def _from_requirements(root: Path) -> list[_Declaration]:
    pending = [
        *sorted(root.glob("requirements*.txt")),
        *sorted((root / "requirements").glob("*.txt")),
    ]
    seen: set[Path] = set()
    found: list[_Declaration] = []
    while pending:
        path = pending.pop(0)
        key = path.resolve()
        text = None if key in seen else _read_text(path)
        seen.add(key)
        if text is None:
            continue
        shown = Path(os.path.relpath(path, root)).as_posix()
        for number, line in _requirement_lines(text):
            include = _INCLUDE.match(line)
            if include is not None:
                pending.append(path.parent / include.group("path"))
            elif line and not line.startswith("-"):
                requirement = _TRAILING_OPTIONS.sub("", line)
                found.extend(_declarations([requirement], f"{shown}:{number}"))
    return found


def _requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's logical lines, comments removed and `\\` continuations joined.

    Each comes with the number of its first physical line.
    """
    parts: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw)
        if not parts:
            first = number
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        yield first, "".join(parts).strip()
        parts = []
    if parts:
        yield first, "".join(parts).strip()
