"""What task bodies and task classes do with the task itself (CEL206, CEL208, CEL213).

Three small facts per module, gathered without a walk of the whole file: the bodies of
module-level functions and of methods of module-level classes are walked only when their
text mentions ``retry`` or ``self``, and the names a class reads on its instance come
from a search of the class's text.

- `TaskBody.retries`: the ``X.retry(...)`` calls of a body and the ``max_retries`` each
  passes (CEL206: a task whose every retry passes a bound is bounded).
- `TaskBody.unbound_self`: ``self.retry``, ``self.request``, ``self.update_state``,
  ``self.backend`` in a module-level function where ``self`` is no name of the function
  but its first parameter (CEL208: without ``bind=True`` it is not the task).
- `class_reads`: per class, the attribute names its methods read on the instance or the
  class (``self.x``, ``cls.x``, ``getattr(self, "x")``): a task option of that name is
  read by the class (CEL213). A text search finds more than the code reads (comments,
  strings), which only makes CEL213 quieter.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from celerylint.facts.schema import RetryCall, TaskBody
from celerylint.facts.signs import sign, spans
from celerylint.facts.values import Evaluator, unknown
from celerylint.facts.walk import Bodies, body_nodes
from celerylint.findings import Span
from celerylint.parsing.source import SourceFile

# What a task reaches through ``self`` that only a bound task has (CEL208).
TASK_ATTRIBUTES = frozenset({"retry", "request", "update_state", "backend"})
# Position of ``max_retries`` among ``Task.retry``'s parameters (celery/app/task.py:816).
_MAX_RETRIES_POSITION = 6
_READ_ATTRIBUTE = r"\b(?:self|cls)\s*\.\s*(\w+)"
_READ_BY_NAME = r"\b(?:getattr|hasattr)\(\s*(?:self|cls)\s*,\s*[\"'](\w+)[\"']"
_READS = re.compile(f"{_READ_ATTRIBUTE}|{_READ_BY_NAME}")
# The same alternation, found literals first (`signs`): the text of every class is read.
_READ_SIGN = (*sign(_READ_ATTRIBUTE, "self", "cls"), *sign(_READ_BY_NAME, "getattr", "hasattr"))


def task_bodies(tree: ast.Module, source: SourceFile, evaluator: Evaluator,
                bodies: Bodies = body_nodes) -> Iterator[TaskBody]:
    """The bodies of module-level functions and methods that mention the task."""
    for stmt in _top_level(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = _body(stmt, "", source, evaluator, bodies)
            if body is not None:
                yield body
        elif isinstance(stmt, ast.ClassDef):
            for method in stmt.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    body = _body(method, stmt.name, source, evaluator, bodies)
                    if body is not None:
                        yield body


def class_reads(tree: ast.Module, source: SourceFile) -> dict[str, tuple[str, ...]]:
    """Per module-level class with bases: the names its text reads on ``self``/``cls``."""
    reads: dict[str, tuple[str, ...]] = {}
    for stmt in _top_level(tree.body):
        if isinstance(stmt, ast.ClassDef) and stmt.bases:
            text = _text(stmt, source)
            found = (_READS.match(text, start) for start, _ in spans(text, _READ_SIGN))
            names = {a or b for match in found if match is not None for a, b in [match.groups()]}
            if names:
                reads[stmt.name] = tuple(sorted(names))
    return reads


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, descending into if/try/with blocks as definitions do."""
    for stmt in body:
        if isinstance(stmt, (ast.If, ast.Try, ast.With, ast.AsyncWith)):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(stmt, block, []))
            for handler in getattr(stmt, "handlers", []):
                yield from _top_level(handler.body)
        else:
            yield stmt


def _text(node: ast.stmt, source: SourceFile) -> str:
    return "\n".join(source.lines[node.lineno - 1:node.end_lineno])


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef, klass: str, source: SourceFile,
          evaluator: Evaluator, bodies: Bodies) -> TaskBody | None:
    text = _text(node, source)
    if "retry" not in text and (klass or "self" not in text):
        return None  # decided from the text: most functions mention neither
    nodes = bodies(node)
    retries = tuple(_retry(call, source, evaluator) for call in nodes
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "retry" and isinstance(call.func.value, ast.Name))
    unbound = () if klass else tuple(_unbound_self(node, nodes, source))
    if not retries and not unbound:
        return None
    return TaskBody(node.name, klass, retries, unbound)


def _retry(call: ast.Call, source: SourceFile, evaluator: Evaluator) -> RetryCall:
    span = source.span(call)
    for keyword in call.keywords:
        if keyword.arg == "max_retries":
            return RetryCall(span, evaluator.eval(keyword.value))
        if keyword.arg is None:
            return RetryCall(span, unknown("options passed with **", span))
    if len(call.args) > _MAX_RETRIES_POSITION or any(
            isinstance(a, ast.Starred) for a in call.args):
        return RetryCall(span, unknown("positional arguments", span))
    return RetryCall(span, None)


def _unbound_self(node: ast.FunctionDef | ast.AsyncFunctionDef, nodes: list[ast.AST],
                  source: SourceFile) -> Iterator[tuple[str, Span]]:
    """``self.<task attribute>`` where ``self`` is not the function's own name, or is
    its first positional parameter (which a task not bound receives from the caller)."""
    args = node.args
    positional = args.posonlyargs + args.args
    others = [a.arg for a in positional[1:] + args.kwonlyargs]
    others += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    if "self" in others or _binds_self(nodes):
        return
    for sub in nodes:
        if (isinstance(sub, ast.Attribute) and sub.attr in TASK_ATTRIBUTES
                and isinstance(sub.value, ast.Name) and sub.value.id == "self"):
            yield sub.attr, source.span(sub)


def _binds_self(nodes: list[ast.AST]) -> bool:
    """Is ``self`` assigned, imported, declared global or caught in the body?"""
    for sub in nodes:
        if isinstance(sub, ast.Name) and sub.id == "self" and not isinstance(sub.ctx, ast.Load):
            return True
        if isinstance(sub, (ast.Global, ast.Nonlocal)) and "self" in sub.names:
            return True
        if isinstance(sub, ast.ExceptHandler) and sub.name == "self":
            return True
        if isinstance(sub, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name.split(".")[0]) == "self" for a in sub.names):
            return True
    return False


