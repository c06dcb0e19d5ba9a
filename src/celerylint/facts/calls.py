"""Task call sites, and the arguments of each that are very likely ORM instances (CEL401).

Mature projects almost never pass model instances to tasks (pretix passes ``.pk`` in more
than a hundred calls), so a false report costs more trust than a missed one. An argument
is evidence-bearing only when it comes straight from something that returns an instance
(a query terminal, ``get_object_or_404``, ``form.save()``, ``request.user``, a model
method's ``self``, a model signal's ``instance``...), and a name counts only when *every*
binding of it that can reach the call is such a source. Parameters are bindings with no
evidence, so ``def f(event: Event)`` never counts: the annotation says nothing about what
the caller really sent (pretix base classes turn keys into objects on the way in).

This module finds the calls and which of their arguments become task arguments, and
judges those arguments by combining `scopes` (the bindings that reach a name) with `orm`
(the expressions that produce instances). It also records, for CEL402 to CEL404, how many
arguments each call passes (its `CallShape`), whether its receiver is a name bound in the
enclosing function, whether it runs inside a Django transaction (`transactions`), and
where its method and literal task name are written.
"""

from __future__ import annotations

import ast
import re

from celerylint.facts.imports import ImportMap
from celerylint.facts.orm import (
    Clauses,
    QuerysetNames,
    instance,
    pair_call,
    positional_or_keyword,
    queryset,
    short,
)
from celerylint.facts.schema import Argument, CallShape, CallSite
from celerylint.facts.scopes import Binding, Ctx, Scope, reaching
from celerylint.facts.scopes import walk as scope_walk
from celerylint.facts.segments import source_segment
from celerylint.facts.signs import Branch, sign, spans
from celerylint.facts.transactions import atomic_calls
from celerylint.facts.values import Evaluator
from celerylint.facts.walk import TreeIndex
from celerylint.findings import Span
from celerylint.parsing.source import Position, SourceFile, node_start

_TASK_METHODS = {"delay", "apply_async", "s", "si", "signature", "send_task"}
# ``signature("proj.add", ...)`` called by name: a signature of a task named by a string.
_SIGNATURE_FUNCTIONS = {"celery.signature", "celery.Signature", "celery.canvas.signature",
                        "celery.canvas.Signature", "celery.subtask", "celery.canvas.subtask"}
# Where a task call can be: the method name after a dot, or ``signature(`` by name.
# Scopes without one are not walked (most functions of a project), which keeps this pass
# cheaper than parsing.
# (the alternation of the two branches, each found quickly: `signs`)
_CALL_HINT = (
    Branch(re.compile(r"\.[\s\\]*(?:delay|apply_async|si?|signature|send_task)\b")),
    *sign(r"\b(?:[Ss]ignature|subtask)\s*\(", "Signature", "signature", "subtask"),
)


class EvidenceScanner:
    """Finds every task call site of a module and the evidence-bearing arguments of each."""

    def __init__(self, source: SourceFile, imports: ImportMap, evaluator: Evaluator) -> None:
        self.source = source
        self.imports = imports
        self.evaluator = evaluator
        self._memo: dict[tuple[int, str], Clauses | None] = {}
        self._index: TreeIndex | None = None
        self._imported: set[Position] | None = None
        self._atomic: dict[int, bool] = {}  # calls in a transaction: is it a statement
        self._active: set[tuple[int, str]] = set()

    def scan(self, index: TreeIndex) -> list[CallSite]:
        """All ``delay``/``apply_async``/``s``/``si``/``signature``/``send_task`` calls
        (`index`: the module's one walk)."""
        hints = _hint_lines(self.source.text)
        if not hints:
            return []
        tree = index.tree
        calls = scope_walk(tree, self.imports, hints, self._is_task_call)
        self._index = index
        self._atomic = (atomic_calls(tree, self.imports, self.evaluator,
                                     sorted({call.lineno for call, _ in calls}))
                        if "atomic" in self.source.text else {})
        sites = [self._site(call, ctx) for call, ctx in calls]
        return sorted(sites, key=lambda site: site.span)

    def _is_task_call(self, call: ast.Call) -> bool:
        """``X.delay(...)`` and the other task-call methods, ``signature("name")``."""
        func = call.func
        if isinstance(func, ast.Attribute):
            return func.attr in _TASK_METHODS
        return isinstance(func, ast.Name) and self.imports.resolve(func) in _SIGNATURE_FUNCTIONS

    # -- call sites -------------------------------------------------------------------

    def _site(self, call: ast.Call, ctx: Ctx) -> CallSite:
        func = call.func
        if isinstance(func, ast.Attribute):
            method, head = func.attr, func.value
            receiver = self.imports.resolve(head) or ""
            end = self.source.span(func)
            method_span = Span(end.end_row, end.end_column - len(method), end.end_row,
                               end.end_column)
        else:  # ``signature("name")`` by name: a signature made by Celery's module
            method, head = "signature", func
            receiver = (self.imports.resolve(func) or "").rpartition(".")[0]
            method_span = self.source.span(func)
        task_name, values = self._task_arguments(call, method)
        arguments: list[Argument] = []
        for expr in values:
            evidence = self._argument_evidence(expr, ctx)
            if evidence is not None:
                arguments.append(Argument(self.source.span(expr), self._text(expr), evidence))
        in_atomic = id(call) in self._atomic
        return CallSite(receiver, method, self.source.span(call), tuple(arguments), task_name,
                        shape=None if task_name is not None else self._shape(call, method),
                        local_receiver=head is not func and self._is_local(head, ctx),
                        atomic=in_atomic, statement=in_atomic and self._atomic[id(call)],
                        method_span=method_span, name_span=self._name_span(call, method))

    def _name_span(self, call: ast.Call, method: str) -> Span | None:
        """Where the literal task name of ``send_task``/``signature`` is written."""
        node = (positional_or_keyword(call, 0, "name") if method == "send_task"
                else call.args[0] if method == "signature" and call.args else None)
        return self.source.span(node) if node is not None else None

    def _shape(self, call: ast.Call, method: str) -> CallShape | None:
        """The task arguments a call passes; None when some cannot be counted."""
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
                kw.arg is None for kw in call.keywords):
            return None
        if method in ("delay", "s", "si"):
            return CallShape(tuple(self.source.span(a) for a in call.args),
                             tuple((kw.arg, self.source.span(kw)) for kw in call.keywords
                                   if kw.arg is not None))
        if method in ("apply_async", "signature"):
            return self._packed_shape(_slot(call, 0, "args"), _slot(call, 1, "kwargs"))
        return None

    def _packed_shape(self, args: ast.expr | None, kwargs: ast.expr | None
                      ) -> CallShape | None:
        """``apply_async(args, kwargs)``: a literal list or tuple and a literal dict with
        string keys (or None, or left out); anything else cannot be counted."""
        if _is_none(args):
            positional: tuple[Span, ...] = ()
        elif isinstance(args, (ast.List, ast.Tuple)) and not any(
                isinstance(e, ast.Starred) for e in args.elts):
            positional = tuple(self.source.span(e) for e in args.elts)
        else:
            return None
        if _is_none(kwargs):
            return CallShape(positional, ())
        if not isinstance(kwargs, ast.Dict):
            return None
        keywords = tuple((k.value, self.source.span(k)) for k in kwargs.keys
                         if isinstance(k, ast.Constant) and isinstance(k.value, str))
        return CallShape(positional, keywords) if len(keywords) == len(kwargs.keys) else None

    def _is_local(self, head: ast.expr, ctx: Ctx) -> bool:
        """Is the receiver's first name bound in an enclosing function by anything but an
        import (a parameter, an assignment, a loop)? Then it is not the module's name."""
        while isinstance(head, (ast.Attribute, ast.Call, ast.Subscript)):
            head = head.func if isinstance(head, ast.Call) else head.value
        if not isinstance(head, ast.Name):
            return False
        scope: Scope | None = ctx.scope
        while scope is not None and scope.kind != "module":
            for binding in scope.bindings.get(head.id, ()):
                if binding.start not in self._imports():
                    return True
            scope = scope.parent
        return False

    def _imports(self) -> set[Position]:
        """Where the file's import statements start (a local import binds the module's
        own origin), found once and only when a receiver is bound locally."""
        if self._imported is None:
            assert self._index is not None
            self._imported = {node_start(n) for n in self._index.of(ast.Import, ast.ImportFrom)}
        return self._imported

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
            return self._literal_name(positional_or_keyword(call, 0, "name")), (
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
        text = source_segment(self.source, node)
        return text if text is not None else short(node)

    # -- evidence ---------------------------------------------------------------------

    def _argument_evidence(self, expr: ast.expr, ctx: Ctx) -> str | None:
        if isinstance(expr, ast.Name):
            return self._name_evidence(expr.id, ctx)
        why = instance(expr, self.imports, self._querysets(ctx))
        return None if why is None else "; ".join((why.direct, *why.clauses))

    def _name_evidence(self, name: str, ctx: Ctx) -> str | None:
        """The evidence of a name when every binding that can reach `ctx` carries some."""
        judged = self._judge_all(name, ctx, "instance")
        return None if judged is None else "; ".join(judged)

    def _querysets(self, ctx: Ctx) -> QuerysetNames:
        """Judges a name read at `ctx` as bound only to querysets."""
        return lambda name: self._judge_all(name, ctx, "queryset")

    def _judge_all(self, name: str, ctx: Ctx, mode: str) -> Clauses | None:
        """Clauses for the nearest reaching binding, if all reaching bindings pass `mode`."""
        bindings = reaching(name, ctx)
        if not bindings:
            return None
        results = [self._judge(binding, mode) for binding in bindings]
        if any(result is None for result in results):
            return None
        nearest = max(range(len(bindings)), key=lambda i: bindings[i].pos)
        return results[nearest]

    def _judge(self, binding: Binding, mode: str) -> Clauses | None:
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

    def _judge_once(self, binding: Binding, mode: str) -> Clauses | None:
        ctx = Ctx(binding.where, binding.start, binding.loops)
        if mode == "queryset":
            return self._queryset_clauses(binding, ctx)
        expr = binding.expr
        line = binding.start[0]
        if binding.kind == "fact":
            return (binding.sentence,)
        if expr is None or binding.kind == "plain":
            return None
        if binding.kind == "loop":
            clauses = queryset(expr, self._querysets(ctx), need_step=True)
            if clauses is None:
                return None
            head = f"`{binding.name}` is the loop variable over `{short(expr)}` on line {line}"
            return (head, *clauses)
        if binding.kind == "unpack":
            pair = pair_call(expr, self._querysets(ctx))
            if pair is None:
                return None
            return (f"`{binding.name}` is unpacked from `{short(expr)}` on line {line}", *pair)
        return self._value_clauses(binding, expr, ctx)

    def _queryset_clauses(self, binding: Binding, ctx: Ctx) -> Clauses | None:
        """``name = <queryset>``: the binding holds a queryset of instances."""
        expr = binding.expr
        if binding.kind != "value" or expr is None:
            return None
        clauses = queryset(expr, self._querysets(ctx), need_step=False)
        if clauses is None:
            return None
        head = f"`{binding.name}` is bound from `{short(expr)}` on line {binding.start[0]}"
        return (head, *clauses)

    def _value_clauses(self, binding: Binding, expr: ast.expr, ctx: Ctx) -> Clauses | None:
        """``name = expr``: `expr` is an instance, or a name whose bindings all are."""
        head = f"`{binding.name}` is bound from `{short(expr)}` on line {binding.start[0]}"
        if isinstance(expr, ast.Name):
            inner = self._judge_all(expr.id, ctx, "instance")
            return None if inner is None else (head, *inner)
        why = instance(expr, self.imports, self._querysets(ctx))
        return None if why is None else (head, *why.clauses)

def _hint_lines(text: str) -> list[int]:
    """Sorted 1-based lines where a task-call method name follows a dot."""
    lines: list[int] = []
    row, counted = 1, 0
    for start, _ in spans(text, _CALL_HINT):
        row += text.count("\n", counted, start)
        counted = start
        if not lines or lines[-1] != row:
            lines.append(row)
    return lines


def _is_none(node: ast.expr | None) -> bool:
    """An absent argument, or a literal None."""
    return node is None or (isinstance(node, ast.Constant) and node.value is None)


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
    return positional_or_keyword(call, index, keyword)
