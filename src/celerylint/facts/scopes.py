"""What a local name may be bound to at a point of a module: scopes, bindings, reaching.

Judging a task argument such as ``order`` means knowing every binding of ``order`` that
can supply its value at the call: assignments, loop variables, unpackings, parameters,
imports, ``with``/``except`` targets, ``match`` captures... This module records them in one
walk, and `reaching` answers the question for a name at a point.

Each function, lambda and comprehension is its own scope. A name a nested function or
lambda reads from its enclosing function (``on_commit(lambda: t.delay(order))``) is
judged on all the bindings of that function, since the closure runs later. Module-level
names are never trusted: any code may rebind them. Parameters bind with no evidence,
except those `orm.parameter_facts` knows (a model method's ``self``...).
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Callable, NamedTuple, Union

from celerylint.facts.imports import ImportMap
from celerylint.facts.orm import model_classes, parameter_facts
from celerylint.facts.walk import children
from celerylint.parsing.source import Position, node_end, node_start

_Loops = tuple[ast.AST, ...]
_FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
_Comprehension = Union[ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp]
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_MATCH_CAPTURES = tuple(
    getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name)
)
_NOWHERE: Position = (0, 0)  # parameters and global declarations: bound before any use
# The classes `_visit` hands to a dedicated handler; every other node is `_other`'s.
_HANDLED = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                      *_COMPREHENSIONS, ast.For, ast.AsyncFor, ast.While, ast.Assign,
                      ast.AnnAssign, ast.AugAssign, ast.NamedExpr})
# The classes of the nodes `_plain_names` may find a binding in (most nodes are none).
_MAY_BIND = frozenset({ast.Name, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal,
                       ast.ExceptHandler, *_MATCH_CAPTURES,
                       *(getattr(ast, name) for name in ("MatchMapping",) if hasattr(ast, name))})


class Scope:
    """Names bound in one scope. kind: module, class, function (deferred) or inline."""

    def __init__(self, kind: str, parent: Scope | None, model: str = "") -> None:
        self.kind = kind
        self.parent = parent
        self.model = model  # for a class scope: the class name when it is a Django model
        self.bindings: dict[str, list[Binding]] = {}

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


@dataclass(eq=False)
class Binding:
    """One way a name gets its value.

    kind: ``plain`` (no evidence), ``fact`` (evidence known up front, in `sentence`),
    ``value`` (``name = expr``), ``unpack`` (first target of ``get_or_create``), ``loop``
    (loop variable over `expr`). `where` is the scope `expr` is evaluated in; `pos` is
    where the binding takes effect and `start` where its statement begins.
    """

    name: str
    kind: str
    pos: Position
    start: Position
    where: Scope
    loops: _Loops = ()
    expr: ast.expr | None = None
    sentence: str = ""


class Ctx(NamedTuple):
    """Where an expression is judged: its scope, position and enclosing loops."""

    scope: Scope
    at: Position | None  # None: any binding of the scope can reach (a deferred closure)
    loops: _Loops


def walk(tree: ast.Module, imports: ImportMap, hints: list[int],
         wanted: Callable[[ast.Call], bool]) -> list[tuple[ast.Call, Ctx]]:
    """The calls `wanted` picks, in walk order, each with the context to judge it in.

    Only functions and classes spanning one of the sorted `hints` lines are entered.
    """
    walker = _Walker(imports, model_classes(tree, imports), hints, wanted)
    walker.run(tree)
    return walker.calls


def reaching(name: str, ctx: Ctx) -> list[Binding]:
    """The bindings of `name` that can supply its value at `ctx`.

    Module-level names are never trusted: any code may rebind them. A function's free
    name is looked up in its enclosing function, where every binding counts.
    """
    scope: Scope | None = ctx.scope
    at, loops = ctx.at, ctx.loops
    while scope is not None and scope.kind != "module":
        found = scope.bindings.get(name)
        if found is not None:
            return [b for b in found if at is None or b.pos <= at or _inside(b.start, loops)]
        if scope.kind == "function":
            at, loops = None, ()
            scope = scope.parent
            while scope is not None and scope.kind == "class":
                scope = scope.parent  # methods do not see class-body names
        else:
            scope = scope.parent
    return []


def _inside(pos: Position, loops: _Loops) -> bool:
    """True when `pos` lies in one of `loops`: a later binding there reaches earlier code."""
    return any(node_start(loop) <= pos < node_end(loop) for loop in loops)


# -- the walk -------------------------------------------------------------------------


class _Walker:
    """One iterative pass over a module: scopes, bindings, and wanted calls in context.

    Iterative rather than recursive so that deeply nested expressions (long string
    concatenations in generated code) cannot exhaust the interpreter's stack.
    """

    def __init__(self, imports: ImportMap, models: set[str], hints: list[int],
                 wanted: Callable[[ast.Call], bool]) -> None:
        self.imports = imports
        self.models = models
        self.hints = hints  # sorted line numbers that may hold a wanted call
        self.wanted = wanted
        self.calls: list[tuple[ast.Call, Ctx]] = []
        self._stack: list[tuple[ast.AST, Scope, _Loops]] = []

    def run(self, tree: ast.Module) -> None:
        module = Scope("module", None)
        self._push_all(tree.body, module, ())
        while self._stack:
            node, scope, loops = self._stack.pop()
            self._visit(node, scope, loops)

    def _hinted(self, node: ast.AST) -> bool:
        """Whether a wanted call may lie within `node`'s lines."""
        first, last = node_start(node)[0], node_end(node)[0]
        index = bisect.bisect_left(self.hints, first)
        return index < len(self.hints) and self.hints[index] <= last

    def _push(self, node: ast.AST | None, scope: Scope, loops: _Loops) -> None:
        if node is not None:
            self._stack.append((node, scope, loops))

    def _push_all(self, nodes: Sequence[ast.AST | None], scope: Scope, loops: _Loops) -> None:
        for node in nodes:
            self._push(node, scope, loops)

    def _visit(self, node: ast.AST, scope: Scope, loops: _Loops) -> None:
        if node.__class__ not in _HANDLED:  # the common case, decided at once
            self._other(node, scope, loops)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(node, scope)
        elif isinstance(node, ast.Lambda):
            self._lambda(node, scope)
        elif isinstance(node, ast.ClassDef):
            self._class(node, scope)
        elif isinstance(node, _COMPREHENSIONS):
            self._comprehension(node, scope, loops)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._for(node, scope, loops)
        elif isinstance(node, ast.While):
            self._push_all([node.test, *node.body, *node.orelse], scope, (*loops, node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            self._assignment(node, scope, loops)
        else:
            self._other(node, scope, loops)

    def _other(self, node: ast.AST, scope: Scope, loops: _Loops) -> None:
        """Wanted calls, and the bindings no dedicated handler covers (all without evidence)."""
        if node.__class__ is ast.Call and self.wanted(node):
            self.calls.append((node, Ctx(scope, node_start(node), loops)))
        if node.__class__ in _MAY_BIND:
            for name, pos in _plain_names(node):
                scope.add(Binding(name, "plain", pos, node_start(node), scope, loops))
        self._stack.extend([(child, scope, loops) for child in children(node)])

    # -- definitions --------------------------------------------------------------------

    def _function(self, node: _FunctionNode, scope: Scope) -> None:
        self._push_all(node.decorator_list, scope, ())
        self._push_arguments(node.args, scope)
        self._push(node.returns, scope, ())
        scope.add(Binding(node.name, "plain", node_end(node), node_start(node), scope))
        if self._hinted(node):
            inner = Scope("function", scope)
            self._bind_parameters(node, scope, inner)
            self._push_all(node.body, inner, ())

    def _lambda(self, node: ast.Lambda, scope: Scope) -> None:
        self._push_arguments(node.args, scope)
        inner = Scope("function", scope)
        for arg in _parameters(node.args):
            inner.add(Binding(arg.arg, "plain", _NOWHERE, _NOWHERE, inner))
        self._push(node.body, inner, ())

    def _class(self, node: ast.ClassDef, scope: Scope) -> None:
        self._push_all([*node.decorator_list, *node.bases, *node.keywords], scope, ())
        scope.add(Binding(node.name, "plain", node_end(node), node_start(node), scope))
        if self._hinted(node):
            is_model = scope.kind == "module" and node.name in self.models
            inner = Scope("class", scope, node.name if is_model else "")
            self._push_all(node.body, inner, ())

    def _push_arguments(self, args: ast.arguments, scope: Scope) -> None:
        """Defaults and annotations are evaluated in the enclosing scope."""
        self._push_all([*args.defaults, *args.kw_defaults], scope, ())
        self._push_all([a.annotation for a in _parameters(args)], scope, ())

    def _bind_parameters(self, node: _FunctionNode, outer: Scope, inner: Scope) -> None:
        """Parameters bind without evidence, except those `parameter_facts` vouches for."""
        facts = parameter_facts(node, outer.model, self.imports)
        for arg in _parameters(node.args):
            sentence = facts.get(arg.arg, "")
            kind = "fact" if sentence else "plain"
            inner.add(Binding(arg.arg, kind, _NOWHERE, _NOWHERE, inner, sentence=sentence))

    # -- bindings -----------------------------------------------------------------------

    def _comprehension(self, node: _Comprehension, scope: Scope, loops: _Loops) -> None:
        """The first iterable belongs to the enclosing scope; the rest to the inline one."""
        inner = Scope("inline", scope)
        for index, generator in enumerate(node.generators):
            where = scope if index == 0 else inner
            self._push(generator.iter, where, loops)
            # Bound before the element expression runs, though written after it.
            site = Binding("", "loop", node_start(node), node_start(node), where, loops,
                           generator.iter)
            self._bind_loop_target(generator.target, site, inner)
            self._push_all(generator.ifs, inner, loops)
        if isinstance(node, ast.DictComp):
            self._push_all([node.key, node.value], inner, loops)
        else:
            self._push(node.elt, inner, loops)

    def _for(self, node: ast.For | ast.AsyncFor, scope: Scope, loops: _Loops) -> None:
        self._push(node.iter, scope, loops)
        site = Binding("", "loop", node_end(node.iter), node_start(node), scope, loops, node.iter)
        self._bind_loop_target(node.target, site, scope)
        self._push_all([*node.body, *node.orelse], scope, (*loops, node))

    def _bind_loop_target(self, target: ast.expr, site: Binding, scope: Scope) -> None:
        """Binds a loop's variables into `scope` after the pattern `site` (name unset).

        Only a plain name over a queryset can carry evidence; unpacked names never do.
        """
        if isinstance(target, ast.Name):
            scope.add(replace(site, name=target.id))
            return
        for name in _target_names(target):
            scope.add(replace(site, name=name.id, kind="plain", expr=None))
        self._push_target_parts(target, scope, site.loops)

    def _assignment(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr,
                    scope: Scope, loops: _Loops) -> None:
        self._push(node.value, scope, loops)
        owner = scope
        if isinstance(node, ast.NamedExpr):
            while owner.kind == "inline" and owner.parent is not None:
                owner = owner.parent  # a walrus in a comprehension binds outside it
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            self._bind_target(node, target, scope, owner, loops)

    def _bind_target(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr,
                     target: ast.expr, scope: Scope, owner: Scope, loops: _Loops) -> None:
        pos, start = node_end(node), node_start(node)
        value = node.value
        if isinstance(target, ast.Name):
            if value is None:
                return  # ``x: int`` alone binds nothing
            kind = "plain" if isinstance(node, ast.AugAssign) else "value"
            owner.add(Binding(target.id, kind, pos, start, scope, loops, value))
            return
        names = _target_names(target)
        first = _first_unpacked(target)
        for name in names:
            unpacked = name is first and isinstance(node, ast.Assign)
            owner.add(Binding(name.id, "unpack" if unpacked else "plain", pos, start, scope,
                              loops, value if unpacked else None))
        self._push_target_parts(target, scope, loops)

    def _push_target_parts(self, target: ast.expr, scope: Scope, loops: _Loops) -> None:
        """Subscripts and attributes inside a target hold loads (and maybe calls)."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._push_target_parts(elt, scope, loops)
        elif isinstance(target, ast.Starred):
            self._push_target_parts(target.value, scope, loops)
        elif not isinstance(target, ast.Name):
            self._push(target, scope, loops)


# -- small syntax helpers ---------------------------------------------------------------


def _parameters(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return args.posonlyargs + args.args + args.kwonlyargs + extra


def _target_names(target: ast.expr) -> list[ast.Name]:
    """Names bound by an assignment target (not those inside subscripts/attributes)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for elt in target.elts for name in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _first_unpacked(target: ast.expr) -> ast.Name | None:
    """``obj`` in ``obj, created = ...`` (a two-element unpacking with a plain first name)."""
    if isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == 2:
        first = target.elts[0]
        if isinstance(first, ast.Name):
            return first
    return None


def _plain_names(node: ast.AST) -> list[tuple[str, Position]]:
    """Bindings without evidence that `node` itself introduces, and where they apply.

    Covers what the dedicated handlers do not: ``with ... as x``, imports, ``except ...
    as e``, ``global``/``nonlocal`` (the name is then bound elsewhere: never trusted) and
    ``match`` captures.
    """
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return [(node.id, node_end(node))]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [((a.asname or a.name).split(".")[0], node_end(node))
                for a in node.names if a.name != "*"]
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return [(name, _NOWHERE) for name in node.names]
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [(node.name, node_start(node))]
    if _MATCH_CAPTURES and isinstance(node, _MATCH_CAPTURES):
        name = getattr(node, "name", None)
        return [(name, node_end(node))] if isinstance(name, str) else []
    rest = getattr(node, "rest", None) if type(node).__name__ == "MatchMapping" else None
    return [(rest, node_end(node))] if isinstance(rest, str) else []
