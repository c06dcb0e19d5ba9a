"""Static evaluation of expressions: folded when certain, unknown otherwise, never raising."""

from __future__ import annotations

import ast
import json

import pytest

from celerylint.facts.values import Construct, Duration, Evaluator, Value, render
from celerylint.findings import Span
from celerylint.model import codec


def evaluate(expression: str, names: dict[str, Value] | None = None) -> Value:
    known = names or {}
    evaluator = Evaluator(lambda node: Span(1, 1, 1, 1), known.get,
                          lambda node: {"os": "os"}.get(getattr(node, "id", ""))
                          if isinstance(node, ast.Name) else None)
    return evaluator.eval(ast.parse(expression, mode="eval").body)


@pytest.mark.parametrize(("expression", "expected"), [
    ("60 * 60 * 3 - 5 * 60", 10500),
    ("'redis://' + 'localhost'", "redis://localhost"),
    ("-5", -5),
    ("f'no placeholders'", "no placeholders"),
    ("int('300')", 300),
    ("[1, 'a']", (1, "a")),
])
def test_constants_fold(expression: str, expected: object) -> None:
    assert evaluate(expression).plain() == expected


def test_timedelta_folds_to_seconds() -> None:
    value = evaluate("timedelta(days=1, hours=1)")
    assert value.plain() == Duration(90000.0)


@pytest.mark.parametrize("expression", [
    "{1} | {2}",               # set union: no arithmetic fold, and no crash
    "FLAG_A | FLAG_B",
    "1 << 3 >> 1",
    "2 ** 10 ** 9",            # bounded: never computed
    "'x' * 10 ** 9",
    "1 / 0",
    "os.environ['X']",
    "some_call()",
    "f'{name}'",
    "[*other]",
])
def test_what_cannot_be_known_is_unknown(expression: str) -> None:
    assert not evaluate(expression).known or not evaluate(expression).try_plain()[0]


def _with_imports(expression: str, imports: dict[str, str]) -> Value:
    """Evaluate with names imported as `imports` gives them (``Queue`` -> ``kombu.Queue``)."""
    def dotted(node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return imports.get(node.id)
        return None
    no_names: dict[str, Value] = {}
    evaluator = Evaluator(lambda node: Span(1, 1, 1, 1), no_names.get, dotted)
    return evaluator.eval(ast.parse(expression, mode="eval").body)


def test_schedules_and_queues_are_kept_with_their_arguments() -> None:
    value = _with_imports('crontab(minute=0, hour="*/3")',
                          {"crontab": "celery.schedules.crontab"})
    assert value.known and isinstance(value.data, Construct)
    assert value.data.kind == "crontab" and not value.data.splat
    assert {k: v.plain() for k, v in value.data.keywords.items()} == {"minute": 0,
                                                                      "hour": "*/3"}
    queue = _with_imports('Queue("images", routing_key=KEY)', {"Queue": "kombu.Queue"})
    assert isinstance(queue.data, Construct) and queue.data.kind == "Queue"
    assert queue.data.args[0].plain() == "images"
    assert not queue.data.keywords["routing_key"].known  # a part may stay unknown
    assert render(queue.data) == (
        "Queue('images', routing_key=unknown (name 'KEY' is not a constant))")


def test_a_splat_leaves_only_the_arguments_before_it() -> None:
    value = _with_imports('Queue("a", *rest, durable=False)', {"Queue": "kombu.Queue"})
    assert isinstance(value.data, Construct) and value.data.splat
    assert [v.plain() for v in value.data.args] == ["a"]


def test_other_calls_of_the_same_short_name_stay_unknown() -> None:
    assert not _with_imports("crontab(minute=0)", {"crontab": "myproj.crontab"}).known
    assert not _with_imports("Queue('a')", {}).known


def test_constructs_survive_the_cache_codec() -> None:
    value = _with_imports('crontab(minute=0, day_of_week="mon")',
                          {"crontab": "celery.schedules.crontab"})
    assert codec.loads(json.dumps(codec.encode(value))) == value
