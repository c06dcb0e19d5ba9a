"""The extraction speed levers change no fact and no output: the walk that skips plain
fields, signs found literals first (`facts.signs`), source segments cut from the split
lines, and setting names read from the walk's nodes by class. Each is compared with the
plain way it replaced; the output through the real command with the signs' switch on and
off. No timing here (speed is measured by bench/run.py)."""

from __future__ import annotations

import ast
import json
import re
import tokenize
from pathlib import Path

import pytest
from conftest import ALL_JSON, FIXTURES, PROJECTS, copy_fixture, invoke_celerylint, run_celerylint
from test_speed_facts import _former_body_nodes

from celerylint.engine import noqa
from celerylint.facts.calls import _CALL_HINT
from celerylint.facts.canvas import _SIGNS
from celerylint.facts.configuration import names_read
from celerylint.facts.extract import _may_be_factory
from celerylint.facts.increments import may_increment
from celerylint.facts.segments import source_segment
from celerylint.facts.signs import NO_LITERALS, Rows, spans
from celerylint.facts.task_options import _READ_SIGN
from celerylint.facts.walk import TreeIndex, body_nodes, children, walk
from celerylint.parsing.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)

# Every kind of field the walk reads or skips: plain lists (global, nonlocal, class
# pattern attributes), lists holding None (``**`` in a dict, keyword-only parameters
# without a default), plain values (names, constants, levels, conversions).
EVERY_FIELD = '''
from . import a as b
import os.path
global g
def f(x, /, y=1, *args, k, m=2, **kw) -> int:
    nonlocal_name = lambda q=3: q
    def inner():
        nonlocal nonlocal_name
    return {**kw, "a": [i async for i in y] if x else {j: -j for j in x}}
async def h():
    async with a as (b, c):
        await b
    match x:
        case Point(x=0, y=[1, *rest]) | {"k": 1, **others} if rest:
            pass
        case None:
            pass
class C(Base, metaclass=M):
    v: int = f"{x!r:>{w}}"
    del v[1:2:3], w.x
try:
    raise E from e
except (A, B) as err:
    assert x < y <= z, "m"
'''

_CALL_TEXT = '''
x.delay(1); y.\\
    signature(2)
z. apply_async(); s.si(3); Signature("n"); a.signature ("m"); subtask(4)
signature_of(1); resignature(2); q.sig(3); r.s
'''
_CANVAS_TEXT = '''
def a():
    return chord(x)(y)

def b():
    return group (x), chain\\
        (y)

def c(countdown=3):
    meta = 1; beta = 2
    t.delay(1).get(); AsyncResult("x").wait(); res.join_native()

def d():
    grouped(1); x.retry (countdown=1, eta=now)

def e():
    return t.apply_async(
        eta=1)
'''


def _python_texts() -> list[str]:
    files = sorted((ROOT / "src" / "celerylint").rglob("*.py"))
    files += sorted(FIXTURES.rglob("*.py"))
    return [EVERY_FIELD, _CALL_TEXT, _CANVAS_TEXT] + [f.read_text("utf-8") for f in files]


def _reference_walk(tree: ast.AST) -> list[ast.AST]:
    nodes = [tree]
    for node in nodes:
        nodes.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, _LEAVES))
    return nodes


def test_the_walk_and_scope_bodies_are_those_of_ast_without_the_leaves() -> None:
    for text in _python_texts():
        tree = ast.parse(text)
        nodes = walk(tree)
        assert nodes == _reference_walk(tree)
        for node in nodes:
            assert children(node) == [c for c in ast.iter_child_nodes(node)
                                      if not isinstance(c, _LEAVES)]
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)):
                assert body_nodes(node) == _reference_body(node)


def _reference_body(scope: ast.AST) -> list[ast.AST]:
    """The former body walk without the leaves (they have no children, so leaving them
    out keeps the order of the rest)."""
    return [node for node in _former_body_nodes(scope) if not isinstance(node, _LEAVES)]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_source_segments_are_those_of_ast(newline: str) -> None:
    for text in _python_texts()[:6]:  # `ast` splits the whole text for every node
        tail = "s = 'é' + str((1,\n  'é'), x.y(\n))\n"
        text = (text + tail).replace("\n", newline)
        source = SourceFile("m.py", text)
        for node in ast.walk(ast.parse(text)):
            assert source_segment(source, node) == ast.get_source_segment(text, node)


def _reference_names_read(tree: ast.Module) -> tuple[str, ...]:
    """The former `names_read`, over every node of the walk."""
    loaded: set[str] = set()
    stored: set[str] = set()
    found: set[str] = set()
    imported: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            imported.update(alias.name for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"getattr", "hasattr"} and len(node.args) >= 2):
            key = node.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    found = {n for n in found | loaded if n.startswith("CELERY_") or n.isupper()}
    return tuple(sorted(found | imported | (loaded & stored)))


def test_names_read_from_the_index_are_those_of_every_node() -> None:
    for text in _python_texts():
        tree = ast.parse(text)
        assert names_read(TreeIndex(tree)) == _reference_names_read(tree)


def test_signs_found_literals_first_are_those_of_the_plain_regex(
        monkeypatch: pytest.MonkeyPatch) -> None:
    signs = [_CALL_HINT, _READ_SIGN, *_SIGNS.values()]
    texts = _python_texts()
    fast = [[spans(text, sign) for sign in signs] for text in texts]
    monkeypatch.setenv(NO_LITERALS, "1")
    for text, found in zip(texts, fast):
        assert found == [spans(text, sign) for sign in signs]
    assert fast[1][0] and fast[2][2], "the sample texts should hold signs"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_scope_shows_a_sign_when_its_own_text_does(newline: str) -> None:
    """What `canvas` asks of `Rows`, against searching each function's text itself."""
    for text in [_CANVAS_TEXT, *_python_texts()[3:40]]:
        text = text.replace("\n", newline)
        source = SourceFile("m.py", text)
        functions = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.FunctionDef)]
        for (branch,) in _SIGNS.values():
            rows = Rows(text, spans(text, (branch,)))
            for function in functions:
                assert function.end_lineno is not None
                own = "\n".join(source.lines[function.lineno - 1:function.end_lineno])
                shown = branch.regex.search(own) is not None
                assert rows.within(function.lineno, function.end_lineno) == shown


def test_the_call_hints_keep_their_rows() -> None:
    hinted = {m.start() for m in re.finditer(
        r"\.[\s\\]*(?:delay|apply_async|si?|signature|send_task)\b"
        r"|\b(?:[Ss]ignature|subtask)\s*\(", _CALL_TEXT)}
    assert [start for start, _ in spans(_CALL_TEXT, _CALL_HINT)] == sorted(hinted)


@pytest.mark.parametrize("name", PROJECTS)
def test_literal_signs_never_change_the_output(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    runs = [invoke_celerylint([*ALL_JSON, "--no-cache", "--jobs", "1"], project, env=env)
            for env in ({}, {NO_LITERALS: "1"})]
    assert runs[0] == runs[1]
    assert runs[0].code == 0 and runs[0].stderr == ""


def test_literal_signs_never_change_the_output_with_processes_and_cache(
        tmp_path: Path) -> None:
    """Through the console script: two processes, cold and then warm, with and without."""
    demo = copy_fixture("multi_module", tmp_path)
    outputs: list[str] = []
    for env in ({}, {NO_LITERALS: "1"}):
        cache = ["--cache-dir", str(tmp_path / f"cache{len(outputs)}")]
        for args in (["--no-cache", "--jobs", "2"], [*cache, "--jobs", "2"], [*cache]):
            run = run_celerylint([*ALL_JSON, *args], demo, env=env)
            assert run.code == 0, run.stderr
            outputs.append(run.stdout)
    assert len(set(outputs)) == 1
    assert json.loads(outputs[0]) is not None


_FORMER_INCREMENT = re.compile(
    rb"\bF\(|\.a?save\(|\ba?bulk_update\(|\.(?:incr|decr|incrby|decrby|hincrby"
    rb"|hincrbyfloat|incrbyfloat|zincrby)\(")
_FORMER_RETURN = re.compile(r"^[ \t]*return[ \t]+(\w+)[ \t]*(?:#.*)?$", re.MULTILINE)


def _former_may_be_factory(text: str) -> bool:
    return any(re.search(rf"^[ \t]*{name}[ \t]*=[ \t]*[\w.]+[ \t]*\(", text, re.MULTILINE)
               for name in set(_FORMER_RETURN.findall(text)))


def test_text_tests_split_into_literal_gates_keep_their_verdicts() -> None:
    """`may_increment` (one regex per sign, behind its literal) and `_may_be_factory`
    (regexes tried only on the lines holding their word), line by line and function by
    function, against the single regexes they replaced."""
    samples = [b"F(x)", b"xF(", b"a.asave(", b"abulk_update(", b"_bulk_update(",
               b" bulk_update(", b"r.hincrbyfloat(", b"x.incr (", b"Q.save ("]
    factories = ["def f():\n    app = Celery()\n    return app", "def f():\n    return app",
                 "def f():\n  app=make.it (1)\n  return app  # it", "def f():\n return a.b"]
    for text in _python_texts():
        samples.extend(line.encode() for line in text.splitlines())
        lines = text.splitlines()
        factories.extend("\n".join(lines[node.lineno - 1:node.end_lineno])
                         for node in ast.walk(ast.parse(text))
                         if isinstance(node, ast.FunctionDef))
    for sample in samples:
        assert may_increment(sample) == (_FORMER_INCREMENT.search(sample) is not None), sample
    for function in factories:
        assert _may_be_factory(function) == _former_may_be_factory(function), function
    assert any(_may_be_factory(function) for function in factories)


_NOQA_EDGES = [
    "x = 1  # noqa\n", "s = \'\'\'\n# noqa\n\'\'\'  # noqa: CEL1\nt = 2\n",
    "a = (1,\n 2)  # NOQA:CEL101\nb = 'x' \\\n  'y'  # noqa\n(",
    "x = 'İ' * 3  # noqa\ny = \"\"\"\nnoqa", "def f(:\n # noqa\n", "a = 1 # noqa\rb = 2 # noqa\r\n",
    "# celerylint: noqa\nx = 1\n", "x = 1\n# flake8: noqa\n",
]


def _fully_tokenized(source: str) -> noqa.NoqaMap:
    """`scan_noqa` as it was: every token of the file fed to the scanner."""
    scanner = noqa._Scanner()
    try:
        for token in noqa._tokens(source):
            scanner.feed(token)
    except (tokenize.TokenError, SyntaxError):
        pass
    return noqa.NoqaMap(comments=scanner.comments,
                        skip_file=scanner.skip_file or noqa.skips_under_flake8(source),
                        governing_row=scanner.governing_row, celerylint_skip=scanner.skip_file)


def test_noqa_scanning_stops_after_the_last_directive_with_the_same_map() -> None:
    texts = _NOQA_EDGES + [text for text in _python_texts() if "noqa" in text.lower()]
    for text in texts:
        assert noqa.scan_noqa(text) == _fully_tokenized(text), text[:120]
    assert any(noqa.scan_noqa(text).governing_row for text in texts)
