"""Walking one module's syntax tree once, and sharing what the walk found.

Extraction used to walk every tree several times with the generic `ast.walk` and
`ast.iter_child_nodes`: each visits every field of every node through generators, and
every leaf no collector reads (the expression contexts ``Load``/``Store``/``Del`` and the
operators, about a third of all nodes). `children` reads a per-class table of the fields
that can hold nodes instead, and `TreeIndex` keeps, for the collectors of one module:
the nodes in `ast.walk` order (the leaves left out), the nodes of each class, and each
scope's own body (`body.body_nodes`) walked at most once however many collectors ask.

A scope's own body is what a function (or the module, or a class) runs itself: a nested
function, lambda or class runs only when it is called or built elsewhere, so facts about
"the task body" or "this scope" must not see inside it (`body_nodes`).

Orders are those of `ast.walk` and of the former stack walk of `body_nodes`, so that facts
come out in the same order as before (several collectors keep the first or last of what
they meet).
"""

from __future__ import annotations

import ast
from typing import Callable

# Fields that only ever hold the leaves above, which no collector reads from a walk.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold child nodes (computed once per class)."""
    found = _FIELDS.get(cls)
    if found is None:
        names: tuple[str, ...] = getattr(cls, "_fields", ())
        found = _FIELDS[cls] = tuple(n for n in names if n not in _LEAF_FIELDS)
    return found


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes of `node` in `ast.iter_child_nodes` order, without the leaves
    (expression contexts and operators)."""
    found: list[ast.AST] = []
    for name in _fields(node.__class__):
        value = getattr(node, name, None)
        if value.__class__ is list:
            found.extend([item for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def walk(tree: ast.AST) -> list[ast.AST]:
    """Every node under `tree` (itself included) in `ast.walk` order, without the leaves."""
    nodes = [tree]
    append, extend = nodes.append, nodes.extend
    for node in nodes:  # `children` inlined: this loop runs for every node of a module
        for name in _FIELDS.get(node.__class__) or _fields(node.__class__):
            value = getattr(node, name, None)
            if value.__class__ is list:
                extend([item for item in value if isinstance(item, ast.AST)])
            elif isinstance(value, ast.AST):
                append(value)
    return nodes


NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def body_nodes(scope: ast.AST) -> list[ast.AST]:
    """Every node of the scope's own body, not descending into nested functions, lambdas
    or classes (which are left out themselves), nor yielding the leaves."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [s for s in getattr(scope, "body", [])
                            if not isinstance(s, NESTED_SCOPES)]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend([child for child in children(current)
                      if not isinstance(child, NESTED_SCOPES)])
    return found


# How a collector gets a scope's own body: `body_nodes`, or a module's shared `TreeIndex.body`.
Bodies = Callable[[ast.AST], list[ast.AST]]


class TreeIndex:
    """One module's walk, shared by the collectors of its extraction (never kept after it:
    it holds the tree)."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.nodes = walk(tree)
        self._by_class: dict[type, list[ast.AST]] = {}
        for node in self.nodes:
            self._by_class.setdefault(node.__class__, []).append(node)
        self._bodies: dict[int, list[ast.AST]] = {}

    def of(self, *classes: type) -> list[ast.AST]:
        """The nodes of these exact classes, in walk order."""
        if len(classes) == 1:
            return self._by_class.get(classes[0], [])
        wanted = set(classes)
        return [node for node in self.nodes if node.__class__ in wanted]

    def body(self, scope: ast.AST) -> list[ast.AST]:
        """`body_nodes(scope)`, walked the first time a collector asks."""
        found = self._bodies.get(id(scope))
        if found is None:
            found = self._bodies[id(scope)] = body_nodes(scope)
        return found
