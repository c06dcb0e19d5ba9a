"""Static evaluation of expressions: folded when certain, unknown otherwise, never raising."""

from __future__ import annotations

import ast

import pytest

from celerylint.facts.values import Duration, Evaluator, Value
from celerylint.findings import Span


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
