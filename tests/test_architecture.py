"""The package's shape, checked like any test: the flake8 plugin stays light, and the
stage packages depend on each other in one direction only.

A *unit* is a first-level subpackage of ``celerylint`` (``engine``, ``parsing``,
``facts``, ...) or a top-level module (``cli``, ``findings``, ``flake8_plugin``,
``__init__``, ``__main__``). The unit graph is read from the source with `ast`, never by
importing it: every import statement counts, at module level or inside a function (a
lazy import is still a dependency).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "celerylint"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# Generic lint machinery, the Python front end and git: they know nothing of Celery.
GENERIC_UNITS = ("engine", "parsing", "vcs")
CELERY_UNITS = ("facts", "model", "checks", "fixes", "pipeline")

# Modules a flake8 run must not load: the CLI's toolkit and its terminal renderer.
HEAVY = re.compile(r"(?:click|rich)(?:\..+)?")

Edge = tuple[str, str]  # (importing unit, imported unit)
Site = str  # "celerylint/engine/discover.py:20 imports celerylint.engine.globs"


def test_flake8_plugin_imports_neither_click_nor_rich() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import celerylint.flake8_plugin"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")]
    assert "celerylint.flake8_plugin" in imported, done.stderr
    heavy = [name for name in imported if HEAVY.fullmatch(name)]
    assert not heavy, f"importing celerylint.flake8_plugin loads {heavy}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _units() -> set[str]:
    """Every unit: the subpackages and the top-level modules of the package."""
    packages = {p.parent.name for p in SOURCE.glob("*/__init__.py")}
    return packages | {p.stem for p in SOURCE.glob("*.py")}


def _unit_of(module: str, units: set[str]) -> str:
    """The unit a dotted module (or a name imported from the package) belongs to."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] not in units:
        return "__init__"  # the package itself, or a name such as __version__ it defines
    return parts[1]


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool
              ) -> Iterator[str]:
    """The dotted names an import statement reads, relative imports resolved."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".")
            anchor = anchor if is_package else anchor[:-1]
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, *([node.module] if node.module else [])])
        if base == PACKAGE:  # from celerylint import engine, __version__
            yield from (f"{PACKAGE}.{alias.name}" for alias in node.names)
        else:
            yield base


def _unit_graph() -> dict[Edge, list[Site]]:
    """Every edge between two different units, with the imports that make it."""
    units = _units()
    edges: dict[Edge, list[Site]] = defaultdict(list)
    for path in sorted(SOURCE.rglob("*.py")):
        module = _module_name(path)
        source = _unit_of(module, units)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported(node, module, path.name == "__init__.py"):
                if name != PACKAGE and not name.startswith(f"{PACKAGE}."):
                    continue
                target = _unit_of(name, units)
                if target != source:
                    where = path.relative_to(SOURCE.parent).as_posix()
                    edges[source, target].append(f"{where}:{node.lineno} imports {name}")
    return edges


def _find_cycle(edges: dict[Edge, list[Site]]) -> list[str] | None:
    """A cycle of units as a path (first unit repeated at the end), or None."""
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in sorted(edges):
        successors[source].append(target)
    done: set[str] = set()
    stack: list[str] = []

    def visit(unit: str) -> list[str] | None:
        if unit in stack:
            return [*stack[stack.index(unit):], unit]
        if unit in done:
            return None
        stack.append(unit)
        for following in successors[unit]:
            cycle = visit(following)
            if cycle:
                return cycle
        stack.pop()
        done.add(unit)
        return None

    for unit in sorted(successors):
        cycle = visit(unit)
        if cycle:
            return cycle
    return None


def test_the_unit_graph_is_read() -> None:
    """A guard for the tests below: an empty graph would make them pass vacuously."""
    edges = _unit_graph()
    assert {"engine", "parsing", "facts", "model", "checks", "pipeline", "cli"} <= _units()
    assert ("cli", "pipeline") in edges
    assert ("pipeline", "engine") in edges


def test_no_import_cycle_between_units() -> None:
    edges = _unit_graph()
    cycle = _find_cycle(edges)
    if cycle is None:
        return
    steps = [f"  {a} -> {b}: " + "; ".join(edges[a, b][:3])
             for a, b in zip(cycle, cycle[1:])]
    pytest.fail("import cycle " + " -> ".join(cycle) + "\n" + "\n".join(steps))


@pytest.mark.parametrize("unit", GENERIC_UNITS)
def test_generic_units_know_nothing_of_celery(unit: str) -> None:
    edges = _unit_graph()
    wrong = [site for (source, target), sites in sorted(edges.items())
             if source == unit and target in CELERY_UNITS for site in sites]
    assert not wrong, f"{unit} must not import {'/'.join(CELERY_UNITS)}:\n" + "\n".join(wrong)
