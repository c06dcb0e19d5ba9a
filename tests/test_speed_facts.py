"""The extraction speed levers change nothing: the literal-first prefilter gives the
regex's verdicts, the shared walk visits the nodes `ast.walk` and the former body walk
did in the same order, and a settings module the model interprets is parsed once.
(No timing here: speed is measured by bench/run.py.)"""

from __future__ import annotations

import ast
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_fixture, corpus_projects, invoke_celerylint, write_tree

from celerylint.facts import filework, prefilter
from celerylint.facts.walk import NESTED_SCOPES, TreeIndex, body_nodes, walk
from celerylint.model import store

SRC = Path(__file__).resolve().parents[1] / "src" / "celerylint"
# Pieces of every sign, near misses of them, and filler, joined at random below.
_PIECES = (
    b"Celery", b"celery", b"CELERY", b"config_from_object", b"config_from", b".conf", b".conf.",
    b".conf[", b"conf.", b".Task", b".Task =", b".Task=", b"Task", b"Task,", b"Task )", b"task",
    b".task", b".tasks", b"_task", b"shared_task", b"shared", b".delay(", b".delay (", b"delay(",
    b".apply_async(", b"apply_async", b".s(", b".si(", b".sig(", b".signature(", b"signature(",
    b"Signature(", b"Signature", b".send_task(", b"send_task", b"DJANGO_SETTINGS_MODULE",
    b"DJANGO_SETTINGS", b"crontab", b"crontabs", b"xcrontab", b"AsyncResult(", b"AsyncResult",
    b"@", b"@ ", b"@my_task", b"@my_taskx", b"my_task", b"@periodic", b"periodic", b" ", b"\n",
    b"\t", b"(", b")", b",", b"=", b".", b"[", b"x", b"_", b"0", b"#", b"\xc3\xa9",
)
_NAMES = ("my_task", "periodic")


def _legacy_verdict(data: bytes, signs: re.Pattern[bytes]) -> bool:
    """What the prefilter decided before the literal fast path: the regex alone."""
    return signs.search(data) is not None


def _fast_verdict(data: bytes, signs: re.Pattern[bytes]) -> bool:
    return prefilter.may_hold_facts(data, signs, [n.encode() for n in _NAMES])


def test_literal_prefilter_gives_the_regex_verdict_on_generated_inputs() -> None:
    signs = prefilter.pattern(_NAMES)
    rng = random.Random(14)
    verdicts: Counter[bool] = Counter()
    for _ in range(20000):
        data = b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        expected = _legacy_verdict(data, signs)
        assert _fast_verdict(data, signs) == expected, data
        verdicts[expected] += 1
    assert min(verdicts.values()) > 1000, "both verdicts must be exercised"


def test_literal_prefilter_gives_the_regex_verdict_on_every_corpus_file() -> None:
    folder, names = corpus_projects()
    signs = prefilter.pattern(_NAMES)
    checked = 0
    for name in names:
        for path in sorted((folder / name).rglob("*.py")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                assert _fast_verdict(data, signs) == _legacy_verdict(data, signs), path
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()
                                         if (p / "pyproject.toml").exists()))
def test_the_real_command_reports_the_same_with_the_regex_alone(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture(name, tmp_path)
    args = ["check", "--select", "ALL", "--output-format", "json", "--exit-zero",
            "--no-cache", "--jobs", "1"]
    fast = invoke_celerylint(args, project)
    monkeypatch.setattr(prefilter, "may_hold_facts",
                        lambda data, signs, names=(): _legacy_verdict(data, signs))
    legacy = invoke_celerylint(args, project)
    assert fast.code == legacy.code == 0, fast.stderr
    assert fast.stdout == legacy.stdout


# -- the shared walk --------------------------------------------------------------------

_LEAVES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)


def _former_body_nodes(scope: ast.AST) -> list[ast.AST]:
    """The body walk extraction used before `walk.body_nodes` (leaves then included)."""
    found: list[ast.AST] = []
    stack = [s for s in getattr(scope, "body", []) if not isinstance(s, NESTED_SCOPES)]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(c for c in ast.iter_child_nodes(current)
                     if not isinstance(c, NESTED_SCOPES))
    return found


def _without_leaves(nodes: list[ast.AST]) -> list[int]:
    return [id(n) for n in nodes if not isinstance(n, _LEAVES)]


def _trees() -> list[ast.Module]:
    """Our own sources: every kind of statement and expression the host knows, plenty
    of nesting, f-strings, comprehensions, decorators and matches."""
    return [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SRC.rglob("*.py"))]


def test_walk_visits_what_ast_walk_visits_in_its_order() -> None:
    for tree in _trees():
        assert [id(n) for n in walk(tree)] == _without_leaves(list(ast.walk(tree)))


def test_body_nodes_and_the_index_keep_the_former_body_walk_order() -> None:
    for tree in _trees():
        index = TreeIndex(tree)
        definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        scopes = [tree, *(n for n in index.nodes if isinstance(n, definitions))]
        for scope in scopes:
            expected = _without_leaves(_former_body_nodes(scope))
            assert [id(n) for n in body_nodes(scope)] == expected
            assert [id(n) for n in index.body(scope)] == expected
            assert index.body(scope) is index.body(scope), "walked once, then shared"


def test_index_of_keeps_walk_order_across_classes() -> None:
    for tree in _trees():
        index = TreeIndex(tree)
        wanted = (ast.Import, ast.ImportFrom)
        assert index.of(*wanted) == [n for n in ast.walk(tree) if isinstance(n, wanted)]
        assert index.of(ast.Call) == [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


# -- parse once -------------------------------------------------------------------------


def _settings_project(root: Path) -> Path:
    """A Django project whose settings module says nothing the prefilter looks for: the
    model reads it when it interprets the settings, after loading."""
    return write_tree(root, {
        "pyproject.toml": "[project]\nname = 'shop'\n",
        "shop/__init__.py": "",
        "shop/settings.py": "BROKER_URL = 'redis://localhost'\nCELERY_ACKS_LATE = True\n",
        "shop/celery.py": (
            "import os\nfrom celery import Celery\n\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n"
            "app = Celery('shop')\n"
            "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        ),
        "shop/tasks.py": (
            "from shop.celery import app\n\n\n@app.task\ndef work(order_id):\n"
            "    return order_id\n"
        ),
    })


def test_a_settings_module_is_parsed_once_per_run(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = _settings_project(tmp_path / "shop")
    assert not prefilter.may_hold_facts((project / "shop/settings.py").read_bytes(),
                                        prefilter.pattern())
    parsed: Counter[str] = Counter()

    def counting(source: str, filename: str) -> ast.Module | filework.ParseFailure:
        parsed[filename] += 1
        return real(source, filename)

    real = filework.parse_python
    monkeypatch.setattr(filework, "parse_python", counting)
    monkeypatch.setattr(store, "parse_python", counting)
    run = invoke_celerylint(["check", "--select", "ALL", "--output-format", "json",
                             "--exit-zero", "--no-cache", "--jobs", "1"], project)
    assert run.code == 0, run.stderr
    assert parsed["shop/settings.py"] == 1, parsed
    assert max(parsed.values()) == 1, parsed
    findings = json.loads(run.stdout)
    monkeypatch.undo()
    again = invoke_celerylint(["check", "--select", "ALL", "--output-format", "json",
                               "--exit-zero", "--no-cache", "--jobs", "1"], project)
    assert json.loads(again.stdout) == findings
