"""Beat facts of one module: ``crontab(...)`` calls (``crontab.from_string(...)`` too)
and ``add_periodic_task`` entries.

``crontab(...)`` validates its fields when it is called, wherever that is (a settings
module, a decorator's ``run_every=``, a function), so every call is collected, each with
its arguments evaluated in its own scope: a name bound in the enclosing function is
unknown there, never a module constant that happens to share its name. Periodic tasks
added by ``sender.add_periodic_task(...)`` in a handler of ``@app.on_after_configure
.connect`` (or ``on_after_finalize``) are beat entries of that app.

The scan runs only on modules whose text names ``crontab`` or ``add_periodic_task``, and
walks each scope once.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from celerylint.facts.schema import CallInfo, PeriodicTask
from celerylint.facts.values import CONSTRUCTORS
from celerylint.facts.walk import children

# Every origin the evaluator reads as a crontab construction.
CRONTABS = frozenset(origin for origin, kind in CONSTRUCTORS.items() if kind == "crontab")
_HANDLER_SIGNALS = {"on_after_configure", "on_after_finalize"}
_SIGNATURE_METHODS = {"s", "si", "signature"}
_SIGNATURE_FUNCTIONS = {"celery.signature", "celery.canvas.signature", "celery.Signature",
                        "celery.canvas.Signature"}
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_SCOPES = (*_FUNCTIONS, ast.ClassDef)

# Evaluates a call with the given local names unknown (None when its callee is no name).
CallReader = Callable[[ast.Call, frozenset[str]], "CallInfo | None"]
# Resolves a module-scope expression to its dotted origin, None for a local name.
Resolver = Callable[[ast.AST], "str | None"]


def may_hold_beat(text: str) -> bool:
    """Can the module hold a beat fact? Decided on the text, before any walk."""
    return "crontab" in text or "add_periodic_task" in text


@dataclass
class BeatScan:
    """One scope-aware walk of a module collecting its beat facts."""

    read_call: CallReader
    resolve: Resolver
    crontabs: list[CallInfo] = field(default_factory=list)
    periodic_tasks: list[PeriodicTask] = field(default_factory=list)
    _bound: dict[int, frozenset[str]] = field(default_factory=dict)  # by id of a scope

    def module(self, tree: ast.Module) -> None:
        """Every node once, in source order, each with the scopes it is in (an explicit
        stack: deeply nested expressions must not exhaust the recursion limit). The names
        local to them are gathered only for a call that may matter, and once per scope."""
        pending: list[tuple[ast.AST, tuple[ast.AST, ...], str | None]] = [
            (stmt, (), _handler_app(stmt, self.resolve)) for stmt in reversed(tree.body)]
        while pending:
            node, scopes, app = pending.pop()
            if isinstance(node, ast.Call):
                self.call(node, scopes, app)
            decorators = getattr(node, "decorator_list", [])
            # decorators run in the enclosing scope, the rest of a definition in its own
            inner = (*scopes, node) if isinstance(node, _SCOPES) else scopes
            pending.extend((child, scopes if child in decorators else inner, app)
                           for child in reversed(children(node)))

    def local(self, scopes: tuple[ast.AST, ...]) -> frozenset[str]:
        """The names bound in these scopes (unknown there, whatever the module says)."""
        names: frozenset[str] = frozenset()
        for scope in scopes:
            bound = self._bound.get(id(scope))
            if bound is None:
                bound = self._bound[id(scope)] = _bound_names(scope)
            names |= bound
        return names

    def call(self, node: ast.Call, scopes: tuple[ast.AST, ...], app: str | None) -> None:
        """Only the calls that matter are evaluated: the callee is checked first."""
        func = node.func
        if _is_crontab(func, self.resolve) and _root(func) not in (local := self.local(scopes)):
            info = self.read_call(node, local)
            if info is not None:
                self.crontabs.append(info)
        elif app and isinstance(func, ast.Attribute) and func.attr == "add_periodic_task":
            local = self.local(scopes)
            info = self.read_call(node, local)
            if info is not None:
                self.periodic_tasks.append(self.periodic_task(app, node, info, local))

    def periodic_task(self, app: str, node: ast.Call, info: CallInfo, local: frozenset[str]
                      ) -> PeriodicTask:
        """The entry's task: ``signature("x")`` (any receiver: a task's own
        ``.signature()`` takes arguments, never a name) names it, ``add.s(...)`` gives
        a task object; anything else (a signature built elsewhere) stays unknown."""
        sig = node.args[1] if len(node.args) > 1 else next(
            (kw.value for kw in node.keywords if kw.arg == "sig"), None)
        sig_info = self.read_call(sig, local) if isinstance(sig, ast.Call) else None
        if sig_info is None or not isinstance(sig, ast.Call):
            return PeriodicTask(app, info)
        func = sig.func
        method = func.attr if isinstance(func, ast.Attribute) else ""
        first = sig_info.args[0] if sig_info.args else None
        if (method == "signature" or sig_info.callee in _SIGNATURE_FUNCTIONS) and (
            first is not None and first.known and isinstance(first.data, str)
        ):
            return PeriodicTask(app, info, task_name=first)
        if isinstance(func, ast.Attribute) and method in _SIGNATURE_METHODS and (
            _root(func.value) not in local
        ):
            return PeriodicTask(app, info, task=self.resolve(func.value) or "")
        return PeriodicTask(app, info)


def _is_crontab(func: ast.expr, resolve: Resolver) -> bool:
    """``crontab(...)`` or ``crontab.from_string("m h dom mon dow")``."""
    if isinstance(func, ast.Attribute) and func.attr == "from_string":
        func = func.value
    return resolve(func) in CRONTABS


def _handler_app(stmt: ast.stmt, resolve: Resolver) -> str | None:
    """The app of ``@app.on_after_configure.connect`` on a top-level function."""
    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for decorator in stmt.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Attribute) and target.attr == "connect"
                and isinstance(target.value, ast.Attribute)
                and target.value.attr in _HANDLER_SIGNALS):
            app = resolve(target.value.value)
            if app:
                return app
    return None


def _bound_names(scope: ast.AST) -> frozenset[str]:
    """Names a function, lambda or class body binds (parameters, assignments, nested
    definitions), not descending into nested scopes. Imports are left out: the module's
    import map already holds every import of the file, wherever it is written."""
    names: set[str] = set()
    if isinstance(scope, _FUNCTIONS):
        args = scope.args
        names.update(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs)
        names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    for node in _scope_nodes(scope):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, _SCOPES):
            names.add(getattr(node, "name", ""))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return frozenset(names)


def _scope_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a scope's body; nested scopes are yielded but not entered."""
    body = getattr(scope, "body", [])
    stack: list[ast.AST] = list(body) if isinstance(body, list) else [body]  # lambda: an expr
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(children(node))


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None
