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
from typing import Callable, TypeVar

# Fields that only ever hold the leaves above, which no collector reads from a walk.
_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
# ASDL types of fields that hold plain values, never nodes (``Name.id``, ``Constant.value``,
# ``ImportFrom.level``, ``Global.names``...).
_PLAIN_TYPES = frozenset({"identifier", "string", "constant", "int"})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold child nodes (computed once per class):
    neither leaves nor plain values, which is why a `Name` or a `Constant` costs the walk
    no attribute read at all."""
    found = _FIELDS.get(cls)
    if found is None:
        names: tuple[str, ...] = getattr(cls, "_fields", ())
        plain = _plain_fields(cls)
        found = _FIELDS[cls] = tuple(
            n for n in names if n not in _LEAF_FIELDS and n not in plain)
    return found


def _plain_fields(cls: type) -> frozenset[str]:
    """The fields of `cls` whose ASDL type is a plain value, read from the signature
    `ast` documents each class with (``Name(identifier id, expr_context ctx)``); none
    when the class documents no signature, so its every field is looked at."""
    doc = (cls.__doc__ or "").strip()
    if not doc.startswith(f"{cls.__name__}(") or not doc.endswith(")"):
        return frozenset()
    plain: set[str] = set()
    for part in doc[len(cls.__name__) + 1:-1].split(","):
        kind, _, name = part.strip().rpartition(" ")
        if kind.rstrip("*?") in _PLAIN_TYPES:
            plain.add(name)
    return frozenset(plain)


def children(node: ast.AST) -> list[ast.AST]:
    """The child nodes of `node` in `ast.iter_child_nodes` order, without the leaves
    (expression contexts and operators)."""
    found: list[ast.AST] = []
    for name in _FIELDS.get(node.__class__) or _fields(node.__class__):
        value = getattr(node, name, None)
        if value.__class__ is list:
            # A list field holds nodes, and None for what is absent (``Dict.keys`` of
            # ``**d``, ``arguments.kw_defaults``): the common case costs one C-level scan.
            found.extend([item for item in value if item is not None]
                         if None in value else value)
        elif value is not None:
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
                extend([item for item in value if item is not None] if None in value else value)
            elif value is not None:
                append(value)
    return nodes


NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_NESTED = frozenset(NESTED_SCOPES)  # tested by exact class: no node class derives from them


def body_nodes(scope: ast.AST) -> list[ast.AST]:
    """Every node of the scope's own body, not descending into nested functions, lambdas
    or classes (which are left out themselves), nor yielding the leaves."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = [s for s in getattr(scope, "body", [])
                            if s.__class__ not in _NESTED]
    pop, push, append = stack.pop, stack.append, found.append
    while stack:
        current = pop()
        append(current)
        for name in _FIELDS.get(current.__class__) or _fields(current.__class__):  # `children`
            value = getattr(current, name, None)
            if value.__class__ is list:
                stack.extend([child for child in value
                              if child is not None and child.__class__ not in _NESTED])
            elif value is not None and value.__class__ not in _NESTED:
                push(value)
    return found


_Node = TypeVar("_Node", bound=ast.AST)

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
        self._mixed: dict[tuple[type, ...], list[ast.AST]] = {}

    def of(self, *classes: type) -> list[ast.AST]:
        """The nodes of these exact classes, in walk order (several classes: a pass over
        the nodes the first time they are asked for together)."""
        if len(classes) == 1:
            return self._by_class.get(classes[0], [])
        found = self._mixed.get(classes)
        if found is None:
            wanted = set(classes)
            found = self._mixed[classes] = [node for node in self.nodes
                                            if node.__class__ in wanted]
        return found

    def each(self, cls: type[_Node]) -> list[_Node]:
        """The nodes of exactly class `cls`, in walk order, typed as such."""
        return self._by_class.get(cls, [])  # type: ignore[return-value]  # keyed by class

    def body(self, scope: ast.AST) -> list[ast.AST]:
        """`body_nodes(scope)`, walked the first time a collector asks."""
        found = self._bodies.get(id(scope))
        if found is None:
            found = self._bodies[id(scope)] = body_nodes(scope)
        return found
