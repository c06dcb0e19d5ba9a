#!/usr/bin/env python
"""Generate ``src/celerylint/model/data/celery_task_options.json`` from Celery's source.

CEL213 needs the names Celery reads from a task decorator's keywords: every keyword of
``@app.task(...)`` that is not a decorator parameter becomes a class attribute of the
generated task class, so the names that do something are

- the attributes and methods of ``celery.app.task.Task`` (its class body);
- the message options ``Task.apply_async`` takes from the task (``extract_exec_options``
  in ``celery/app/task.py``: ``queue``, ``exchange``, ``compression``, ...);
- the parameters of ``Celery._task_from_fun`` (``name``, ``base``, ``bind``, ``pydantic``
  ...) and of ``Celery.task``'s inner ``inner_create_task_cls`` (``shared``, ``filter``,
  ``lazy``) in ``celery/app/base.py``;
- the options ``add_autoretry_behaviour`` reads (``options.get('autoretry_for', ...)`` in
  ``celery/app/autoretry.py``).

The files are parsed, never imported, so the same code reads the installed Celery and the
wheel of every earlier 5.x minor (downloaded as ``scripts/gen_settings_table.py`` does) to
date each name: ``since`` is the first minor that has it. ``--offline`` keeps the ``since``
values already in the table; ``--check`` writes nothing and exits 1 when the table on disk
differs from what would be generated. ``tests/test_task_options_table.py`` holds the table
against the installed Celery.

    .venv/bin/python scripts/gen_task_options.py [--offline] [--check]
"""

from __future__ import annotations

import ast
import json
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import celery  # type: ignore[import-untyped]
from gen_settings_table import HISTORY, download_history, minor_version, parse_args, write_or_check

OUTPUT = Path(__file__).resolve().parent.parent / "src" / "celerylint" / "model" / "data" / (
    "celery_task_options.json"
)
FILES = ("celery/app/task.py", "celery/app/base.py", "celery/app/autoretry.py")
# Parameters of the decorator functions that are not options.
_NOT_OPTIONS = {"self", "fun", "options", "opts", "args", "kwargs"}

Reader = Callable[[str], str | None]


def options_of(read: Reader) -> set[str]:
    """Every option name the Celery whose files `read` returns (None: no such file)."""
    names: set[str] = set()
    task = read("celery/app/task.py")
    if task is None:
        raise SystemExit("no celery/app/task.py")
    tree = ast.parse(task)
    names.update(_class_names(tree, "Task"))
    names.update(_exec_options(tree))
    names.update(_bind_attributes(tree))
    base = read("celery/app/base.py")
    if base is not None:
        names.update(_parameters(ast.parse(base), {"_task_from_fun", "inner_create_task_cls"}))
    autoretry = read("celery/app/autoretry.py")
    if autoretry is not None:
        names.update(_options_get(ast.parse(autoretry)))
    return {name for name in names if not (name.startswith("__") and name.endswith("__"))}


def _class_names(tree: ast.Module, name: str) -> Iterator[str]:
    """Names bound in the body of the module-level class `name`."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            for item in stmt.body:
                if isinstance(item, ast.Assign):
                    yield from (t.id for t in item.targets if isinstance(t, ast.Name))
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    yield item.target.id
                elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield item.name
                if isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "from_config" for t in item.targets):
                    yield from _first_strings(item.value)


def _first_strings(node: ast.expr) -> Iterator[str]:
    """``(("serializer", "task_serializer"), ...)``: the first string of every pair."""
    if isinstance(node, (ast.Tuple, ast.List)):
        for pair in node.elts:
            if isinstance(pair, (ast.Tuple, ast.List)) and pair.elts and isinstance(
                    pair.elts[0], ast.Constant) and isinstance(pair.elts[0].value, str):
                yield pair.elts[0].value


def _bind_attributes(tree: ast.Module) -> Iterator[str]:
    """``for attr in ('queue', 'exchange', 'exchange_type', ...)`` in ``Task.bind``: the
    routing attributes Celery looks for on a task class (and warns about since 5.7)."""
    for stmt in tree.body:
        if not (isinstance(stmt, ast.ClassDef) and stmt.name == "Task"):
            continue
        for item in stmt.body:
            if isinstance(item, ast.FunctionDef) and item.name == "bind":
                for node in ast.walk(item):
                    if isinstance(node, ast.For) and isinstance(node.iter, ast.Tuple):
                        yield from (e.value for e in node.iter.elts
                                    if isinstance(e, ast.Constant) and isinstance(e.value, str))


def _exec_options(tree: ast.Module) -> Iterator[str]:
    """The string arguments of ``extract_exec_options = mattrgetter(...)``."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call) and any(
                isinstance(t, ast.Name) and t.id == "extract_exec_options" for t in stmt.targets):
            yield from (a.value for a in stmt.value.args
                            if isinstance(a, ast.Constant) and isinstance(a.value, str))


def _parameters(tree: ast.Module, functions: set[str]) -> Iterator[str]:
    """The named parameters of the functions `functions`, wherever they are defined."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in functions:
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs:
                if arg.arg not in _NOT_OPTIONS:
                    yield arg.arg


def _options_get(tree: ast.Module) -> Iterator[str]:
    """``options.get('name', ...)`` keys."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "options" and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            yield node.args[0].value


def installed_reader(name: str) -> str | None:
    """A file of the installed Celery."""
    path = Path(celery.__file__).resolve().parent.parent / name
    return path.read_text(encoding="utf-8") if path.exists() else None


def wheel_reader(wheel: Path) -> Reader:
    """A file of a downloaded Celery wheel."""
    archive = zipfile.ZipFile(wheel)
    present = set(archive.namelist())

    def read(name: str) -> str | None:
        return archive.read(name).decode("utf-8") if name in present else None

    return read


def since_from_history(names: Sequence[str], current: str) -> dict[str, str]:
    """The first minor (in HISTORY order) whose wheel has each name."""
    with tempfile.TemporaryDirectory() as directory:
        wheels = download_history(Path(directory))
        found = [(minor, options_of(wheel_reader(wheels[minor]))) for minor, _ in HISTORY]
    return {name: next((minor for minor, known in found if name in known), current)
            for name in names}


def since_from_table(names: Sequence[str], path: Path) -> dict[str, str]:
    """The ``since`` values of the existing table (``--offline``); a new name stops it."""
    known: dict[str, str] = {}
    if path.exists():
        known = json.loads(path.read_text(encoding="utf-8"))["options"]
    missing = sorted(set(names) - set(known))
    if missing:
        raise SystemExit(f"--offline: no `since` for {', '.join(missing)} in {path}; "
                         "run without --offline")
    return {name: known[name] for name in names}


def render(since: dict[str, str]) -> str:
    """The table's JSON text, sorted so that regeneration diffs stay minimal."""
    table = {"celery_version": celery.__version__,
             "options": {name: since[name] for name in sorted(since)}}
    return json.dumps(table, indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or check) the table; return the process exit code."""
    args = parse_args(argv, __doc__ or "", OUTPUT)
    current = minor_version(celery.__version__)
    names = sorted(options_of(installed_reader))
    since = (since_from_table(names, args.output) if args.offline
             else since_from_history(names, current))
    return write_or_check(args.output, render(since), args.check)


if __name__ == "__main__":
    sys.exit(main())
