"""The rule catalog as data: one TOML spec per rule in the top-level ``rules/`` folder.

The specs are the single source of a rule's code, name, severity, documentation and
examples; ``celerylint rule``, ``docs/rules.md`` and the spec-driven tests all read them.
A check run needs only each spec's header (the examples are most of the bytes): the
catalog parses the text before the first ``[[examples]]`` and reads the examples from the
file the first time something asks for them (docs, the spec tests, ``celerylint rule``).
Installed wheels carry them as ``celerylint/rules``; a source checkout reads the folder
at the repository top, so an editable install needs no copy.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, overload

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

from celerylint.findings import Severity

FixKind = Literal["safe", "unsafe", "none"]
ExampleKind = Literal["bad", "good", "fixed"]


@dataclass(frozen=True)
class Example:
    """A small project (file name to source) and what the rule must do with it.

    `expect` lists ``"file:line"`` of every finding a bad example produces; `fixed` holds
    the files as ``--fix`` must leave them; `args` are extra command-line options.
    `base` holds the project at the base git ref: the example then runs in a git
    repository whose last commit holds `base`, with `files` as the working tree (a base
    file they do not list is deleted), checked with ``--base-ref HEAD``.
    """

    kind: ExampleKind
    title: str
    files: Mapping[str, str]
    expect: tuple[str, ...] = ()
    fixed: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    base: Mapping[str, str] = field(default_factory=dict)

    @property
    def command_args(self) -> tuple[str, ...]:
        """The example's own command-line options, ``--base-ref HEAD`` with a base."""
        return (*self.args, "--base-ref", "HEAD") if self.base else self.args


@dataclass(frozen=True)
class RuleSpec:
    """One rule's public contract, read from ``rules/CELnnn.toml``."""

    code: str
    name: str
    severity: Severity
    default_enabled: bool
    fix: FixKind
    summary: str
    rationale: str
    silent: tuple[str, ...]
    fix_description: str
    examples: Sequence[Example]

    @property
    def anchor(self) -> str:
        """The docs anchor, stable because code and name are public."""
        return f"{self.code.lower()}-{self.name}"


def rules_dir() -> Path:
    """Where the specs live: inside the installed package, else at the repository top."""
    packaged = Path(__file__).resolve().parents[1] / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"


class SpecError(Exception):
    """A spec file that does not follow the format; names the file and the problem."""


def _example(raw: Mapping[str, Any], where: str) -> Example:
    kind = raw.get("kind")
    if kind not in ("bad", "good", "fixed"):
        raise SpecError(f"{where}: example kind must be bad, good or fixed, not {kind!r}")
    files = raw.get("files")
    if not isinstance(files, dict) or not files:
        raise SpecError(f"{where}: example {raw.get('title')!r} has no files")
    return Example(
        kind=kind,
        title=str(raw.get("title", "")),
        files=dict(files),
        expect=tuple(raw.get("expect", ())),
        fixed=dict(raw.get("fixed", {})),
        args=tuple(raw.get("args", ())),
        base=dict(raw.get("base", {})),
    )


def load_spec(path: Path) -> RuleSpec:
    """Read and check one whole spec file, examples included."""
    return _spec(tomllib.loads(path.read_bytes().decode()), path, None)


_FIRST_EXAMPLE = re.compile(rb"^\[\[examples\]\]", re.MULTILINE)


def load_header(path: Path) -> RuleSpec:
    """One spec whose examples are read from its file only when first used.

    Every key a spec's header holds comes before its first table, so the text before the
    first ``[[examples]]`` line parses to the same header; when that text does not parse
    (the cut fell inside a multi-line string), the whole file is read instead."""
    data = path.read_bytes()
    cut = _FIRST_EXAMPLE.search(data)
    if cut is not None:
        try:
            raw = tomllib.loads(data[:cut.start()].decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            pass
        else:
            return _spec(raw, path, _LazyExamples(path))
    return _spec(tomllib.loads(data.decode()), path, None)


class _LazyExamples(Sequence[Example]):
    """A spec's examples, read (and checked) from the whole file on first use."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._examples: Sequence[Example] | None = None

    def _loaded(self) -> Sequence[Example]:
        if self._examples is None:
            self._examples = load_spec(self._path).examples
        return self._examples

    @overload
    def __getitem__(self, index: int) -> Example: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Example]: ...

    def __getitem__(self, index: int | slice) -> Example | Sequence[Example]:
        return self._loaded()[index]

    def __len__(self) -> int:
        return len(self._loaded())


def _spec(raw: dict[str, Any], path: Path, examples: Sequence[Example] | None) -> RuleSpec:
    """The spec of a parsed file (`examples` stand in for the file's own when given)."""
    where = path.name
    try:
        spec = RuleSpec(
            code=raw["code"],
            name=raw["name"],
            severity=raw["severity"],
            default_enabled=bool(raw.get("default-enabled", True)),
            fix=raw.get("fix", "none"),
            summary=raw["summary"].strip(),
            rationale=raw["rationale"].strip(),
            silent=tuple(raw.get("silent", ())),
            fix_description=raw.get("fix-description", "").strip(),
            examples=examples if examples is not None else tuple(
                _example(ex, where) for ex in raw.get("examples", ())),
        )
    except KeyError as missing:
        raise SpecError(f"{where}: missing key {missing}") from None
    if spec.code != path.stem:
        raise SpecError(f"{where}: code {spec.code!r} does not match the file name")
    if spec.severity not in ("error", "warning", "note"):
        raise SpecError(f"{where}: severity must be error, warning or note")
    if spec.fix not in ("safe", "unsafe", "none"):
        raise SpecError(f"{where}: fix must be safe, unsafe or none")
    return spec


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, RuleSpec]:
    """Every rule spec by code, in code order (examples read on first use)."""
    specs = [load_header(p) for p in sorted(rules_dir().glob("CEL*.toml"))]
    return {spec.code: spec for spec in specs}


def default_codes(catalog: Mapping[str, RuleSpec] | None = None) -> list[str]:
    """Codes that run when the user selects nothing."""
    specs = catalog if catalog is not None else load_catalog()
    return [code for code, spec in specs.items() if spec.default_enabled]
