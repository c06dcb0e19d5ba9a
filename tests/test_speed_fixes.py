"""The speed levers of fixes and lowering never change what celerylint reports: fixes
skipped where no output shows them (github, gitlab, flake8), the bisecting node lookup
of fix builders, and lowering newer syntax one top-level statement at a time. Proved
through the real command and against the plain implementations; no timing here (speed
is measured by bench/run.py)."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import PROJECTS, copy_fixture, invoke_celerylint, write_tree
from test_parsing import CASES

from celerylint.findings import Span
from celerylint.fixes.view import EAGER_FIXES_ENV, FileView, load_view
from celerylint.parsing.lowering import lower_source
from celerylint.parsing.parse import parse_python

EAGER = {EAGER_FIXES_ENV: "1"}


def late_ack_project(root: Path, tasks: int = 30) -> Path:
    """One module of many late-ack tasks: a fix (unsafe) for every one of them."""
    body = "".join(f"\n\n@app.task(acks_late=True)\ndef work_{i}(order_id):\n    return {i}\n"
                   for i in range(tasks))
    return write_tree(root, {
        "pyproject.toml": "[project]\nname = 'late'\n",
        "late/__init__.py": "",
        "late/celery.py": "from celery import Celery\n\napp = Celery('late')\n",
        "late/tasks.py": "from late.celery import app\n" + body,
    })


def output(project: Path, fmt: str, env: dict[str, str] | None = None) -> str:
    run = invoke_celerylint(["check", "--select", "ALL", "--output-format", fmt,
                             "--exit-zero", "--no-cache"], project, env=env)
    assert run.code == 0, run.stderr
    return run.stdout


@pytest.mark.parametrize("fmt", ["github", "gitlab"])
@pytest.mark.parametrize("name", PROJECTS)
def test_formats_without_fixes_give_the_same_output_without_building_them(
        name: str, fmt: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    assert output(project, fmt) == output(project, fmt, EAGER)


@pytest.mark.parametrize("fmt", ["github", "gitlab", "json", "text", "concise", "sarif"])
def test_many_fixes_in_one_file_give_the_same_output_lazy_or_eager(
        fmt: str, tmp_path: Path) -> None:
    project = late_ack_project(tmp_path / "late")
    lazy = output(project, fmt)
    assert lazy == output(project, fmt, EAGER)
    if fmt == "text":
        assert "(30 fixable with --unsafe-fixes)" in lazy


def _linear_nodes_at(view: FileView, span: Span) -> list[ast.AST]:
    """The lookup as it was before bisection: every child of every enclosing node."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = [view.tree]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            first = getattr(child, "lineno", None)
            if first is not None:
                first = min([first, *(d.lineno for d in getattr(child, "decorator_list", ()))])
                last = getattr(child, "end_lineno", None) or first
                if first > span.row or last < span.end_row:
                    continue
            if isinstance(child, (ast.expr, ast.stmt, ast.keyword)) and (
                    view.span_of(child) == span):
                found.append(child)
            pending.append(child)
    return found


@pytest.mark.parametrize("name", PROJECTS)
def test_node_lookup_by_bisection_finds_what_the_full_walk_finds(
        name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    checked = 0
    for path in sorted(project.rglob("*.py")):
        view = load_view(project, path.relative_to(project).as_posix())
        if view is None:
            continue
        for node in ast.walk(view.tree):
            if isinstance(node, (ast.expr, ast.stmt, ast.keyword)):
                span = view.span_of(node)
                assert view.nodes_at(span) == _linear_nodes_at(view, span)
                checked += 1
    assert checked


def _bench() -> object:
    spec = importlib.util.spec_from_file_location(
        "bench_run", Path(__file__).resolve().parents[1] / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_run", module)
    spec.loader.exec_module(module)
    return module


HOST = sys.version_info[:2]
NEWER_TEXTS = {
    **CASES,
    "bench-file": _bench().newer_syntax_source(True),  # type: ignore[attr-defined]
    "crlf-and-comments": "# head\r\nx = 1\r\n\r\ntype A = int  # c\r\nif x:\r\n    pass\r\n"
                         "else:\r\n    y = f'{x!r}'\r\n@d\r\n@e\r\nclass C[T]: pass\r\n",
    "clauses-at-column-0": "try:\n    pass\nexcept A, B:\n    pass\nfinally:\n    pass\n"
                           "type X = int\n",
}


@pytest.mark.skipif(HOST >= (3, 14), reason="the host reads every construct lowered here")
@pytest.mark.parametrize("name", list(NEWER_TEXTS))
def test_lowering_by_statement_gives_the_whole_file_result(name: str) -> None:
    source = NEWER_TEXTS[name]
    assert lower_source(source, HOST) == lower_source(source, HOST, by_statement=False)


def test_the_generated_newer_syntax_file_lowers_to_its_twin_shape() -> None:
    bench = _bench()
    newer = parse_python(bench.newer_syntax_source(True), "new.py")  # type: ignore[attr-defined]
    twin = ast.parse(bench.newer_syntax_source(False))  # type: ignore[attr-defined]
    assert isinstance(newer, ast.Module)
    assert [type(s) for s in newer.body] == [type(s) for s in twin.body]
