"""Which calls run inside a Django database transaction of the default database (CEL402).

A call is *in a transaction* when a ``with`` statement around it has an item
``transaction.atomic()`` (or the bare ``transaction.atomic``), or the function it is in
is decorated ``@transaction.atomic`` / ``@transaction.atomic(...)``, and the atomic
block is on the ``default`` database (``using`` absent, None or ``"default"``; another
alias, such as a read replica, or an unknown one does not count).

What runs later is not in the transaction of where it is written: the arguments of
``transaction.on_commit(...)`` (a lambda, a ``functools.partial``, a function passed to
it), and the bodies of nested functions, lambdas and classes (when they run cannot be
told; a nested function decorated ``@transaction.atomic`` is its own block).
"""

from __future__ import annotations

import ast
import bisect

from celerylint.facts.imports import ImportMap
from celerylint.facts.signatures import ON_COMMIT
from celerylint.facts.values import Evaluator
from celerylint.facts.walk import children

ATOMIC = {"django.db.transaction.atomic"}
_DEFAULT_ALIASES = (None, "default")
_DEFERRED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def atomic_calls(tree: ast.Module, imports: ImportMap, evaluator: Evaluator,
                 lines: list[int]) -> dict[int, bool]:
    """The ``id`` of the call nodes that run inside a default-database atomic block,
    each with whether it is a whole expression statement (its result unused); complete
    for the calls that start on the sorted `lines` (the calls of interest).

    Whether a call is in a block depends only on the nodes above it, so a statement
    spanning none of `lines` is skipped with all it holds: most of a module."""
    found: dict[int, bool] = {}
    statements: set[int] = set()
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, ast.stmt) and not _spans(node, lines):
            continue
        if isinstance(node, ast.Expr):
            statements.add(id(node.value))
        if isinstance(node, ast.Call):
            if inside:
                found[id(node)] = id(node) in statements
            if imports.resolve(node.func) in ON_COMMIT:
                stack.append((node.func, inside))
                stack.extend((arg, False) for arg in [*node.args, *node.keywords])
                continue
        below = children(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body_inside = any(_opens_atomic(d, imports, evaluator) for d in node.decorator_list)
            head = [*node.decorator_list, node.args]
            stack.extend((child, inside) for child in head)
            stack.extend((stmt, body_inside) for stmt in node.body)
        elif isinstance(node, _DEFERRED):
            stack.extend((child, False) for child in below)
        elif isinstance(node, ast.With):
            opened = any(_opens_atomic(item.context_expr, imports, evaluator)
                         for item in node.items)
            stack.extend((item, inside) for item in node.items)
            stack.extend((stmt, inside or opened) for stmt in node.body)
        else:
            stack.extend((child, inside) for child in below)
    return found


def _spans(stmt: ast.stmt, lines: list[int]) -> bool:
    """Does the statement (its decorators included) span one of the sorted `lines`?"""
    decorators = getattr(stmt, "decorator_list", None)
    first = min(stmt.lineno, *(d.lineno for d in decorators)) if decorators else stmt.lineno
    index = bisect.bisect_left(lines, first)
    return index < len(lines) and lines[index] <= (stmt.end_lineno or stmt.lineno)


def _opens_atomic(expr: ast.expr, imports: ImportMap, evaluator: Evaluator) -> bool:
    """``transaction.atomic`` or ``transaction.atomic(...)`` on the default database."""
    if not isinstance(expr, ast.Call):
        return imports.resolve(expr) in ATOMIC
    if imports.resolve(expr.func) not in ATOMIC:
        return False
    using = next((kw.value for kw in expr.keywords if kw.arg == "using"),
                 expr.args[0] if expr.args else None)
    if any(kw.arg is None for kw in expr.keywords):
        return False  # ``**options`` may name another database
    if using is None:
        return True
    value = evaluator.eval(using)
    return value.known and value.data in _DEFAULT_ALIASES
