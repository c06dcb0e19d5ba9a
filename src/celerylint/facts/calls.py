"""Task call sites, and the arguments of each that are very likely ORM instances (CEL401).

Mature projects almost never pass model instances to tasks (pretix passes ``.pk`` in more
than a hundred calls), so a false report costs more trust than a missed one. An argument
is evidence-bearing only when it comes straight from something that returns an instance
(a query terminal, ``get_object_or_404``, ``form.save()``, ``request.user``, a model
method's ``self``, a model signal's ``instance``...), and a name counts only when *every*
binding of it that can reach the call is such a source. Parameters are bindings with no
evidence, so ``def f(event: Event)`` never counts: the annotation says nothing about what
the caller really sent (pretix base classes turn keys into objects on the way in).

Each function, lambda and comprehension is its own scope. A name a nested function or
lambda reads from its enclosing function (``on_commit(lambda: t.delay(order))``) is
judged on all the bindings of that function, since the closure runs later.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple, Union

from celerylint.facts.imports import ImportMap
from celerylint.facts.schema import Argument, CallSite
from celerylint.facts.values import Evaluator
from celerylint.parsing.source import Position, SourceFile, node_end, node_start

_TASK_METHODS = {"delay", "apply_async", "s", "si", "signature", "send_task"}
# Where a task call can be: the method name after a dot. Scopes without one are not
# walked (most functions of a project), which keeps this pass cheaper than parsing.
_CALL_HINT = re.compile(r"\.[\s\\]*(?:delay|apply_async|si?|signature|send_task)\b")

_MANAGERS = {"objects", "_default_manager"}
_DJANGO_TERMINALS = {
    "get", "create", "first", "last", "latest", "earliest",
    "aget", "acreate", "afirst", "alast", "alatest", "aearliest",
}
_DJANGO_PAIRS = {"get_or_create", "update_or_create", "aget_or_create", "aupdate_or_create"}
# Queryset methods whose result is not a queryset of instances: a chain through them
# (``values_list("pk", flat=True)``) or ending in them yields keys, dicts or numbers.
_NOT_INSTANCES = _DJANGO_TERMINALS | _DJANGO_PAIRS | {
    "values", "values_list", "count", "exists", "aggregate", "in_bulk", "dates",
    "datetimes", "explain", "update", "delete", "contains", "bulk_create", "bulk_update",
    "acount", "aexists", "aaggregate", "ain_bulk", "aupdate", "adelete", "acontains",
    "abulk_create", "abulk_update",
}
_INSTANCE_SHORTCUTS = {"get_object_or_404", "aget_object_or_404"}

_SQLA_TERMINALS = {"first", "one", "one_or_none", "get"}
_SQLA_NOT_INSTANCES = {
    "with_entities", "add_columns", "add_column", "values", "value", "count", "scalar",
    "exists", "subquery", "cte", "statement",
}

_RECEIVER_DECORATORS = {"django.dispatch.receiver", "django.dispatch.dispatcher.receiver"}
_MODEL_SIGNALS_MODULE = "django.db.models.signals."
_MODEL_SIGNALS = {"post_save", "pre_save", "post_delete", "pre_delete", "m2m_changed"}

_Pos = Position
_Loops = tuple[ast.AST, ...]
_FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]
_Comprehension = Union[ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp]
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_MATCH_CAPTURES = tuple(
    getattr(ast, name) for name in ("MatchAs", "MatchStar") if hasattr(ast, name)
)
_NOWHERE: _Pos = (0, 0)  # parameters and global declarations: bound before any use


class _Scope:
    """Names bound in one scope. kind: module, class, function (deferred) or inline."""

    def __init__(self, kind: str, parent: _Scope | None, model: str = "") -> None:
        self.kind = kind
        self.parent = parent
        self.model = model  # for a class scope: the class name when it is a Django model
        self.bindings: dict[str, list[_Binding]] = {}

    def add(self, binding: _Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


@dataclass(eq=False)
class _Binding:
    """One way a name gets its value.

    kind: ``plain`` (no evidence), ``fact`` (evidence known up front, in `sentence`),
    ``value`` (``name = expr``), ``unpack`` (first target of ``get_or_create``), ``loop``
    (loop variable over `expr`). `where` is the scope `expr` is evaluated in; `pos` is
    where the binding takes effect and `start` where its statement begins.
    """

    name: str
    kind: str
    pos: _Pos
    start: _Pos
    where: _Scope
    loops: _Loops = ()
    expr: ast.expr | None = None
    sentence: str = ""


class _Ctx(NamedTuple):
    """Where an expression is judged: its scope, position and enclosing loops."""

    scope: _Scope
    at: _Pos | None  # None: any binding of the scope can reach (a deferred closure)
    loops: _Loops


@dataclass(frozen=True)
class _Why:
    """An instance-producing expression: its sentence as an argument, and support."""

    direct: str  # the sentence when the expression itself is the argument
    clauses: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Recorded:
    """A task call met during the walk, with the context to judge its arguments in."""

    call: ast.Call
    method: str
    ctx: _Ctx


class EvidenceScanner:
    """Finds every task call site of a module and the evidence-bearing arguments of each."""

    def __init__(self, source: SourceFile, imports: ImportMap, evaluator: Evaluator) -> None:
        self.source = source
        self.imports = imports
        self.evaluator = evaluator
        self._memo: dict[tuple[int, str], tuple[str, ...] | None] = {}
        self._active: set[tuple[int, str]] = set()

    def scan(self, tree: ast.Module) -> list[CallSite]:
        """All ``delay``/``apply_async``/``s``/``si``/``signature``/``send_task`` calls."""
        hints = _hint_lines(self.source.text)
        if not hints:
            return []
        walker = _Walker(self.imports, _model_classes(tree, self.imports), hints)
        walker.run(tree)
        sites = [self._site(rec) for rec in walker.calls]
        return sorted(sites, key=lambda site: site.span)

    # -- call sites -------------------------------------------------------------------

    def _site(self, rec: _Recorded) -> CallSite:
        call = rec.call
        assert isinstance(call.func, ast.Attribute)
        receiver = self.imports.resolve(call.func.value) or ""
        task_name, values = self._task_arguments(call, rec.method)
        arguments: list[Argument] = []
        for expr in values:
            evidence = self._argument_evidence(expr, rec.ctx)
            if evidence is not None:
                arguments.append(Argument(self.source.span(expr), self._text(expr), evidence))
        return CallSite(receiver, rec.method, self.source.span(call), tuple(arguments),
                        task_name)

    def _task_arguments(self, call: ast.Call, method: str) -> tuple[str | None, list[ast.expr]]:
        """The task name (when literal) and the expressions that become task arguments.

        ``delay``/``s``/``si`` take the task's own arguments; ``apply_async(args, kwargs,
        **options)`` and ``send_task(name, args, kwargs, **options)`` take them as a list
        and a dict; ``signature`` may start with a task name (``app.signature("x", ...)``)
        or with the argument list (``task.signature((a,), {...})``).
        """
        if method in ("delay", "s", "si"):
            values = [a for a in call.args if not isinstance(a, ast.Starred)]
            return None, values + [kw.value for kw in call.keywords if kw.arg is not None]
        if method == "apply_async":
            return None, _packed_arguments(call, 0)
        if method == "send_task":
            return self._literal_name(_positional_or_keyword(call, 0, "name")), (
                _packed_arguments(call, 1))
        name = self._literal_name(call.args[0] if call.args else None)
        if name is not None:
            return name, _packed_arguments(call, 1)
        if call.args and isinstance(call.args[0], (ast.List, ast.Tuple)):
            return None, _packed_arguments(call, 0)
        return None, _packed_arguments(call, None)

    def _literal_name(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        value = self.evaluator.eval(node)
        return value.data if value.known and isinstance(value.data, str) else None

    def _text(self, node: ast.expr) -> str:
        text = ast.get_source_segment(self.source.text, node)
        return text if text is not None else _short(node)

    # -- evidence ---------------------------------------------------------------------

    def _argument_evidence(self, expr: ast.expr, ctx: _Ctx) -> str | None:
        if isinstance(expr, ast.Name):
            return self._name_evidence(expr.id, ctx)
        why = self._instance(expr, ctx)
        return None if why is None else _join(why.direct, why.clauses)

    def _name_evidence(self, name: str, ctx: _Ctx) -> str | None:
        """The evidence of a name when every binding that can reach `ctx` carries some."""
        judged = self._judge_all(name, ctx, "instance")
        return None if judged is None else "; ".join(judged)

    def _judge_all(self, name: str, ctx: _Ctx, mode: str) -> tuple[str, ...] | None:
        """Clauses for the nearest reaching binding, if all reaching bindings pass `mode`."""
        reaching = _reaching(name, ctx)
        if not reaching:
            return None
        results = [self._judge(binding, mode) for binding in reaching]
        if any(result is None for result in results):
            return None
        nearest = max(range(len(reaching)), key=lambda i: reaching[i].pos)
        return results[nearest]

    def _judge(self, binding: _Binding, mode: str) -> tuple[str, ...] | None:
        """Memoized judgement of one binding; a binding depending on itself fails."""
        key = (id(binding), mode)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            return None
        self._active.add(key)
        try:
            result = self._judge_once(binding, mode)
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def _judge_once(self, binding: _Binding, mode: str) -> tuple[str, ...] | None:
        expr = binding.expr
        ctx = _Ctx(binding.where, binding.start, binding.loops)
        line = binding.start[0]
        if mode == "queryset":
            if binding.kind != "value" or expr is None:
                return None
            clauses = self._queryset(expr, ctx, need_step=False)
            if clauses is None:
                return None
            return (f"`{binding.name}` is bound from `{_short(expr)}` on line {line}",) + clauses
        if binding.kind == "fact":
            return (binding.sentence,)
        if expr is None or binding.kind == "plain":
            return None
        if binding.kind == "loop":
            clauses = self._queryset(expr, ctx, need_step=True)
            if clauses is None:
                return None
            head = f"`{binding.name}` is the loop variable over `{_short(expr)}` on line {line}"
            return (head,) + clauses
        if binding.kind == "unpack":
            pair = self._pair_call(expr, ctx)
            if pair is None:
                return None
            return (f"`{binding.name}` is unpacked from `{_short(expr)}` on line {line}",) + pair
        return self._value_clauses(binding, expr, ctx)

    def _value_clauses(self, binding: _Binding, expr: ast.expr,
                       ctx: _Ctx) -> tuple[str, ...] | None:
        head = f"`{binding.name}` is bound from `{_short(expr)}` on line {binding.start[0]}"
        if isinstance(expr, ast.Name):
            inner = self._judge_all(expr.id, ctx, "instance")
            return None if inner is None else (head,) + inner
        why = self._instance(expr, ctx)
        return None if why is None else (head,) + why.clauses

    def _instance(self, expr: ast.expr, ctx: _Ctx) -> _Why | None:
        """Why a (non-name) expression is an ORM instance, or None."""
        if isinstance(expr, ast.Await):
            return self._instance(expr.value, ctx)
        if isinstance(expr, ast.Attribute):
            if _is_request_user(expr):
                return _Why(f"`{_short(expr)}` is the request's user, a model instance")
            return None
        if isinstance(expr, ast.Subscript):
            return self._pair_first(expr, ctx)
        if isinstance(expr, ast.Call):
            return self._instance_call(expr, ctx)
        return None

    def _instance_call(self, call: ast.Call, ctx: _Ctx) -> _Why | None:
        text = _short(call)
        direct = f"`{text}` returns a model instance"
        func = call.func
        callee = self.imports.resolve(func) or ""
        if callee.rsplit(".", 1)[-1] in _INSTANCE_SHORTCUTS:
            return _Why(direct)
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr in _DJANGO_TERMINALS:
            clauses = self._queryset(func.value, ctx, need_step=False)
            if clauses is not None:
                return _Why(direct, clauses)
        if func.attr == "get_object" and _is_name(func.value, "self"):
            return _Why(direct)
        if func.attr == "save" and _is_form_like(func.value):
            return _Why(direct)
        if _is_sqlalchemy_instance(call):
            return _Why(f"`{text}` returns an SQLAlchemy instance")
        return None

    def _pair_first(self, expr: ast.Subscript, ctx: _Ctx) -> _Why | None:
        """``Model.objects.get_or_create(...)[0]``."""
        index = expr.slice
        if not (isinstance(index, ast.Constant) and index.value == 0):
            return None
        pair = self._pair_call(expr.value, ctx)
        if pair is None:
            return None
        return _Why(f"`{_short(expr)}` is a model instance", pair)

    def _pair_call(self, expr: ast.expr, ctx: _Ctx) -> tuple[str, ...] | None:
        """Clauses when `expr` is ``<queryset>.get_or_create(...)``-style (instance, flag)."""
        if isinstance(expr, ast.Await):
            expr = expr.value
        if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
            return None
        if expr.func.attr not in _DJANGO_PAIRS:
            return None
        return self._queryset(expr.func.value, ctx, need_step=False)

    def _queryset(self, expr: ast.expr, ctx: _Ctx, need_step: bool) -> tuple[str, ...] | None:
        """Clauses when `expr` is a Django queryset (or manager) of model instances.

        The chain must reach ``.objects``/``._default_manager`` or a name bound only to
        querysets, through methods that keep instances (``filter``, ``select_related``,
        slices...). With `need_step`, a bare manager (not iterable) does not count.
        """
        node = expr
        steps = 0
        while True:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in _NOT_INSTANCES:
                    return None
                node = node.func.value
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                node = node.value
            else:
                break
            steps += 1
        if isinstance(node, ast.Attribute) and node.attr in _MANAGERS:
            return () if steps or not need_step else None
        if isinstance(node, ast.Name):
            return self._judge_all(node.id, ctx, "queryset")
        return None


# -- the walk -------------------------------------------------------------------------


class _Walker:
    """One iterative pass over a module: scopes, bindings, and task calls in context.

    Iterative rather than recursive so that deeply nested expressions (long string
    concatenations in generated code) cannot exhaust the interpreter's stack.
    """

    def __init__(self, imports: ImportMap, models: set[str], hints: list[int]) -> None:
        self.imports = imports
        self.models = models
        self.hints = hints  # sorted line numbers that may hold a task call
        self.calls: list[_Recorded] = []
        self._stack: list[tuple[ast.AST, _Scope, _Loops]] = []

    def run(self, tree: ast.Module) -> None:
        module = _Scope("module", None)
        self._push_all(tree.body, module, ())
        while self._stack:
            node, scope, loops = self._stack.pop()
            self._visit(node, scope, loops)

    def _hinted(self, node: ast.AST) -> bool:
        """Whether a task call may lie within `node`'s lines."""
        first, last = node_start(node)[0], node_end(node)[0]
        index = bisect.bisect_left(self.hints, first)
        return index < len(self.hints) and self.hints[index] <= last

    def _push(self, node: ast.AST | None, scope: _Scope, loops: _Loops) -> None:
        if node is not None:
            self._stack.append((node, scope, loops))

    def _push_all(self, nodes: Sequence[ast.AST | None], scope: _Scope, loops: _Loops) -> None:
        for node in nodes:
            self._push(node, scope, loops)

    def _visit(self, node: ast.AST, scope: _Scope, loops: _Loops) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
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
            self._push_all([node.test, *node.body, *node.orelse], scope, loops + (node,))
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            self._assignment(node, scope, loops)
        else:
            self._other(node, scope, loops)

    def _other(self, node: ast.AST, scope: _Scope, loops: _Loops) -> None:
        """Task calls, and the bindings no dedicated handler covers (all without evidence)."""
        if isinstance(node, ast.Call) and _task_method(node):
            self.calls.append(_Recorded(node, _task_method(node), _Ctx(scope, node_start(node),
                                                                       loops)))
        for name, pos in _plain_names(node):
            scope.add(_Binding(name, "plain", pos, node_start(node), scope, loops))
        self._push_all(list(ast.iter_child_nodes(node)), scope, loops)

    # -- definitions --------------------------------------------------------------------

    def _function(self, node: _FunctionNode, scope: _Scope) -> None:
        self._push_all(node.decorator_list, scope, ())
        self._push_arguments(node.args, scope)
        self._push(node.returns, scope, ())
        scope.add(_Binding(node.name, "plain", node_end(node), node_start(node), scope))
        if self._hinted(node):
            inner = _Scope("function", scope)
            self._bind_parameters(node, scope, inner)
            self._push_all(node.body, inner, ())

    def _lambda(self, node: ast.Lambda, scope: _Scope) -> None:
        self._push_arguments(node.args, scope)
        inner = _Scope("function", scope)
        for arg in _parameters(node.args):
            inner.add(_Binding(arg.arg, "plain", _NOWHERE, _NOWHERE, inner))
        self._push(node.body, inner, ())

    def _class(self, node: ast.ClassDef, scope: _Scope) -> None:
        self._push_all([*node.decorator_list, *node.bases, *node.keywords], scope, ())
        scope.add(_Binding(node.name, "plain", node_end(node), node_start(node), scope))
        if self._hinted(node):
            is_model = scope.kind == "module" and node.name in self.models
            inner = _Scope("class", scope, node.name if is_model else "")
            self._push_all(node.body, inner, ())

    def _push_arguments(self, args: ast.arguments, scope: _Scope) -> None:
        """Defaults and annotations are evaluated in the enclosing scope."""
        self._push_all([*args.defaults, *args.kw_defaults], scope, ())
        self._push_all([a.annotation for a in _parameters(args)], scope, ())

    def _bind_parameters(self, node: _FunctionNode, outer: _Scope, inner: _Scope) -> None:
        """Parameters bind without evidence, except a model method's ``self`` and a
        model-signal receiver's ``instance``."""
        facts: dict[str, str] = {}
        positional = node.args.posonlyargs + node.args.args
        if outer.model and positional and positional[0].arg == "self" and not _is_static(node):
            facts["self"] = f"`self` is an instance of the Django model `{outer.model}`"
        signal = _model_signal(node, self.imports)
        if signal:
            facts["instance"] = (f"`instance` is the model instance sent by `{signal}` to the "
                                 f"receiver `{node.name}`")
        for arg in _parameters(node.args):
            sentence = facts.get(arg.arg, "")
            kind = "fact" if sentence else "plain"
            inner.add(_Binding(arg.arg, kind, _NOWHERE, _NOWHERE, inner, sentence=sentence))

    # -- bindings -----------------------------------------------------------------------

    def _comprehension(self, node: _Comprehension, scope: _Scope, loops: _Loops) -> None:
        """The first iterable belongs to the enclosing scope; the rest to the inline one."""
        inner = _Scope("inline", scope)
        for index, generator in enumerate(node.generators):
            where = scope if index == 0 else inner
            self._push(generator.iter, where, loops)
            # Bound before the element expression runs, though written after it.
            site = _Binding("", "loop", node_start(node), node_start(node), where, loops, generator.iter)
            self._bind_loop_target(generator.target, site, inner)
            self._push_all(generator.ifs, inner, loops)
        if isinstance(node, ast.DictComp):
            self._push_all([node.key, node.value], inner, loops)
        else:
            self._push(node.elt, inner, loops)

    def _for(self, node: ast.For | ast.AsyncFor, scope: _Scope, loops: _Loops) -> None:
        self._push(node.iter, scope, loops)
        site = _Binding("", "loop", node_end(node.iter), node_start(node), scope, loops, node.iter)
        self._bind_loop_target(node.target, site, scope)
        self._push_all([*node.body, *node.orelse], scope, loops + (node,))

    def _bind_loop_target(self, target: ast.expr, site: _Binding, scope: _Scope) -> None:
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
                    scope: _Scope, loops: _Loops) -> None:
        self._push(node.value, scope, loops)
        owner = scope
        if isinstance(node, ast.NamedExpr):
            while owner.kind == "inline" and owner.parent is not None:
                owner = owner.parent  # a walrus in a comprehension binds outside it
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            self._bind_target(node, target, scope, owner, loops)

    def _bind_target(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr,
                     target: ast.expr, scope: _Scope, owner: _Scope, loops: _Loops) -> None:
        pos, start = node_end(node), node_start(node)
        value = node.value
        if isinstance(target, ast.Name):
            if value is None:
                return  # ``x: int`` alone binds nothing
            kind = "plain" if isinstance(node, ast.AugAssign) else "value"
            owner.add(_Binding(target.id, kind, pos, start, scope, loops, value))
            return
        names = _target_names(target)
        first = _first_unpacked(target)
        for name in names:
            unpacked = name is first and isinstance(node, ast.Assign)
            owner.add(_Binding(name.id, "unpack" if unpacked else "plain", pos, start, scope,
                               loops, value if unpacked else None))
        self._push_target_parts(target, scope, loops)

    def _push_target_parts(self, target: ast.expr, scope: _Scope, loops: _Loops) -> None:
        """Subscripts and attributes inside a target hold loads (and maybe calls)."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._push_target_parts(elt, scope, loops)
        elif isinstance(target, ast.Starred):
            self._push_target_parts(target.value, scope, loops)
        elif not isinstance(target, ast.Name):
            self._push(target, scope, loops)


def _hint_lines(text: str) -> list[int]:
    """Sorted 1-based lines where a task-call method name follows a dot."""
    lines: list[int] = []
    row, counted = 1, 0
    for match in _CALL_HINT.finditer(text):
        row += text.count("\n", counted, match.start())
        counted = match.start()
        if not lines or lines[-1] != row:
            lines.append(row)
    return lines


def _model_classes(tree: ast.Module, imports: ImportMap) -> set[str]:
    """Top-level classes that are Django models, following in-module inheritance."""
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    models: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in classes:
            if node.name not in models and any(_model_base(b, imports, models)
                                               for b in node.bases):
                models.add(node.name)
                changed = True
    return models


def _model_base(base: ast.expr, imports: ImportMap, models: set[str]) -> bool:
    if isinstance(base, ast.Name) and base.id in models:
        return True
    origin = imports.resolve(base) or ""
    return origin.startswith("django.db.models.") and origin.endswith(".Model")


def _model_signal(node: _FunctionNode, imports: ImportMap) -> str:
    """The signal names when every ``@receiver`` of `node` listens to model signals."""
    names: list[str] = []
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        if imports.resolve(decorator.func) not in _RECEIVER_DECORATORS:
            continue
        signal = _positional_or_keyword(decorator, 0, "signal")
        signals = signal.elts if isinstance(signal, (ast.List, ast.Tuple)) else [signal]
        for item in signals:
            origin = imports.resolve(item) if item is not None else None
            if not origin or not origin.startswith(_MODEL_SIGNALS_MODULE):
                return ""
            if origin[len(_MODEL_SIGNALS_MODULE):] not in _MODEL_SIGNALS:
                return ""
            names.append(origin.rsplit(".", 1)[-1])
    return "/".join(names)


def _is_static(node: _FunctionNode) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
               for d in node.decorator_list)


# -- reaching bindings ----------------------------------------------------------------


def _reaching(name: str, ctx: _Ctx) -> list[_Binding]:
    """The bindings of `name` that can supply its value at `ctx`.

    Module-level names are never trusted: any code may rebind them. A function's free
    name is looked up in its enclosing function, where every binding counts.
    """
    scope: _Scope | None = ctx.scope
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


def _inside(pos: _Pos, loops: _Loops) -> bool:
    """True when `pos` lies in one of `loops`: a later binding there reaches earlier code."""
    return any(node_start(loop) <= pos < node_end(loop) for loop in loops)


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


def _plain_names(node: ast.AST) -> list[tuple[str, _Pos]]:
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


def _positional_or_keyword(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred)
                                          for a in call.args[: index + 1]):
        return call.args[index]
    return None


def _packed_arguments(call: ast.Call, offset: int | None) -> list[ast.expr]:
    """Elements of the ``args`` list and values of the ``kwargs`` dict literals.

    `offset` is the position of ``args`` among the positional arguments (``kwargs``
    follows it); None when positional arguments cannot be told apart.
    """
    found: list[ast.expr] = []
    args = _slot(call, offset, "args")
    if isinstance(args, (ast.List, ast.Tuple)):
        found.extend(e for e in args.elts if not isinstance(e, ast.Starred))
    kwargs = _slot(call, None if offset is None else offset + 1, "kwargs")
    if isinstance(kwargs, ast.Dict):
        found.extend(v for k, v in zip(kwargs.keys, kwargs.values) if k is not None)
    return found


def _slot(call: ast.Call, index: int | None, keyword: str) -> ast.expr | None:
    if index is None:
        return next((kw.value for kw in call.keywords if kw.arg == keyword), None)
    return _positional_or_keyword(call, index, keyword)


def _task_method(call: ast.Call) -> str:
    """``delay`` for ``X.delay(...)``; empty for anything but a task-call method."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) and func.attr in _TASK_METHODS else ""


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _last_identifier(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_request_user(node: ast.Attribute) -> bool:
    """``request.user`` or ``self.request.user``."""
    if node.attr != "user":
        return False
    owner = node.value
    if _is_name(owner, "request"):
        return True
    return (isinstance(owner, ast.Attribute) and owner.attr == "request"
            and _is_name(owner.value, "self"))


def _is_form_like(node: ast.expr) -> bool:
    """``form``, ``order_form``, ``orderForm``, ``serializer``...; not ``platform``."""
    ident = _last_identifier(node)
    for word in ("form", "serializer"):
        if ident.lower() == word or ident.lower().endswith("_" + word):
            return True
        if ident.endswith(word.capitalize()):
            return True
    return False


def _is_session(node: ast.expr) -> bool:
    return _last_identifier(node).lower().endswith("session")


def _is_class_ref(node: ast.expr) -> bool:
    """A CapWords name (``User``, ``models.Dashboard``), not a constant or a variable."""
    ident = _last_identifier(node)
    return bool(ident) and ident[0].isupper() and any(c.islower() for c in ident)


def _is_sqlalchemy_instance(call: ast.Call) -> bool:
    """``session.get(Model, pk)`` or ``session.query(Model)...first()/one()/get()``."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr == "get" and _is_session(func.value):
        return len(call.args) >= 2 and _is_class_ref(call.args[0])
    if func.attr not in _SQLA_TERMINALS:
        return False
    node = func.value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "query":
            return (_is_session(node.func.value) and len(node.args) == 1
                    and not node.keywords and _is_class_ref(node.args[0]))
        if node.func.attr in _SQLA_NOT_INSTANCES:
            return False
        node = node.func.value
    return False


def _short(node: ast.expr) -> str:
    """A compact rendering for messages: ``Order.objects.filter(...).get(...)``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_short(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        inner = "..." if node.args or node.keywords else ""
        return f"{_short(node.func)}({inner})"
    if isinstance(node, ast.Subscript):
        index = node.slice
        shown = repr(index.value) if isinstance(index, ast.Constant) else "..."
        return f"{_short(node.value)}[{shown}]"
    if isinstance(node, ast.Await):
        return f"await {_short(node.value)}"
    return "..."


def _join(head: str, clauses: tuple[str, ...]) -> str:
    return "; ".join((head,) + clauses)
