"""Walking one scope's own body: what a function (or the module) runs itself.

A nested function, lambda or class runs only when it is called or built elsewhere, so
facts about "the task body" or "this scope" must not see inside it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def body_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Every node of the scope's body, not descending into nested functions, lambdas or
    classes (which are left out themselves)."""
    stack: list[ast.AST] = [s for s in getattr(scope, "body", [])
                            if not isinstance(s, NESTED_SCOPES)]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child for child in ast.iter_child_nodes(current)
                     if not isinstance(child, NESTED_SCOPES))
