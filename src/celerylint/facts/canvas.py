"""Canvas shapes, result reads and waits, message delays of one module (CEL209, CEL303,
CEL304, CEL706).

Each scope (the module body, every function) is read on its own, without descending
into nested functions, and only when its text shows the sign of what is looked for, so
most scopes of a project are never visited. A local name stands for what it is bound to
only when the scope binds it exactly once, by a plain assignment, and it is no
parameter: any other binding could give it another value.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

from celerylint.facts.imports import ImportMap
from celerylint.facts.schema import Chord, ResultRead, ResultWait, SignatureRef, TimedCall
from celerylint.facts.signs import Rows, sign, spans
from celerylint.facts.values import Duration, Evaluator, Value, unknown
from celerylint.facts.walk import TreeIndex
from celerylint.findings import Span
from celerylint.parsing.source import SourceFile

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]

CHORDS = {"celery.chord", "celery.canvas.chord", "celery.canvas._chord"}
GROUPS = {"celery.group", "celery.canvas.group"}
CHAINS = {"celery.chain", "celery.canvas.chain", "celery.canvas._chain"}
SIGNATURES = {"celery.signature", "celery.canvas.signature", "celery.canvas.Signature",
              "celery.Signature", "celery.subtask", "celery.canvas.subtask"}
ASYNC_RESULTS = {"celery.result.AsyncResult", "celery.AsyncResult"}
_SIGNATURE_METHODS = {"s", "si", "signature", "subtask"}
_PRODUCERS = {"delay", "apply_async"}
# AsyncResult methods and properties that read the task's state or result.
READ_METHODS = {"get", "wait", "ready", "successful", "failed"}
READ_PROPERTIES = {"state", "status", "result", "traceback"}
# Methods of AsyncResult and GroupResult that wait for the result (CEL209).
WAIT_METHODS = {"get", "wait", "join", "join_native", "collect"}
# Fewest positional arguments of a wait that can reach ``disable_sync_subtasks``
# (``ResultSet.join``'s seventh parameter; later in the others).
_WAIT_POSITIONAL = 7
_ALLOW_JOIN = "celery.result.allow_join_result"
_DELAYING = {"apply_async", "retry", "signature", "set", "send_task"}
_NOW = ("now", "utcnow", "today")
# What a scope's text must show for each kind of fact to be looked for in it.
_SIGNS = {
    "canvas": sign(r"\b(?:chord|group|chain)\s*\(", "chord", "group", "chain"),
    "results": sign(r"\.(?:delay|apply_async)\s*\(|AsyncResult\s*\(",
                    ".delay", ".apply_async", "AsyncResult"),
    "delays": sign(r"\b(?:countdown|eta)\s*=|\.retry\s*\(", "countdown", "eta", ".retry"),
    "waits": sign(r"\.(?:get|wait|join|join_native|collect)\s*\("),  # opens with a literal
}


@dataclass
class CanvasFacts:
    """What `collect` found in one module."""

    chords: list[Chord] = field(default_factory=list)
    result_reads: list[ResultRead] = field(default_factory=list)
    timed_calls: list[TimedCall] = field(default_factory=list)
    result_waits: list[ResultWait] = field(default_factory=list)


def collect(index: TreeIndex, source: SourceFile, imports: ImportMap, evaluator: Evaluator
            ) -> CanvasFacts:
    """Chords, result reads and delayed calls of a module (`index`: its one walk)."""
    found = CanvasFacts()
    tree = index.tree
    # where each sign is in the text; a scope shows it when a match lies in its rows
    signs = {kind: Rows(source.text, spans(source.text, kind_sign))
             for kind, kind_sign in _SIGNS.items()}
    wanted = {kind: rows for kind, rows in signs.items() if rows}
    if not wanted:
        return found
    names = _function_names(tree)
    scopes: list[ast.AST] = [tree, *index.of(*_FUNCTIONS)]
    for scope in scopes:
        kinds = set(wanted) if scope is tree else {
            kind for kind, rows in wanted.items() if rows.within(*_rows(source, scope))}
        if not (names.get(id(scope)) and kinds & {"results", "canvas"}):
            kinds.discard("waits")  # a wait counts in a named function, on what it made
        if kinds:
            reader = _ScopeReader(scope, index.body(scope), source, imports, evaluator,
                                  names.get(id(scope), ""))
            reader.read(kinds, found)
    return found


def named_functions(tree: ast.Module) -> Iterator[tuple[str, FunctionNode]]:
    """Top-level functions by name and methods of top-level classes as ``Class.method``:
    the functions a task body can be."""
    for stmt in tree.body:
        if isinstance(stmt, _FUNCTIONS):
            yield stmt.name, stmt
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:
                if isinstance(item, _FUNCTIONS):
                    yield f"{stmt.name}.{item.name}", item


def _function_names(tree: ast.Module) -> dict[int, str]:
    return {id(function): name for name, function in named_functions(tree)}


def _rows(source: SourceFile, node: ast.AST) -> tuple[int, int]:
    """The first and last row of a scope's text."""
    return getattr(node, "lineno", 1), getattr(node, "end_lineno", None) or len(source.lines)


class _ScopeReader:
    """One scope: its single-assignment names, then what `read` is asked for."""

    def __init__(self, scope: ast.AST, nodes: list[ast.AST], source: SourceFile,
                 imports: ImportMap, evaluator: Evaluator, function: str) -> None:
        self.source = source
        self.imports = imports
        self.evaluator = evaluator
        self.function = function
        self.nodes = nodes
        self.bound = _single_bindings(scope, self.nodes)
        # module-level names are dotted origins (tasks, apps); only a function has locals
        self.local = isinstance(scope, _FUNCTIONS)
        self.applied: set[int] = set()

    def read(self, kinds: set[str], found: CanvasFacts) -> None:
        for node in self.nodes:
            if "canvas" in kinds:
                chord = self.chord(node)
                if chord is not None:
                    found.chords.append(chord)
            if "results" in kinds:
                result = self.result_read(node)
                if result is not None:
                    found.result_reads.append(result)
            if "delays" in kinds and isinstance(node, ast.Call):
                found.timed_calls.extend(self.timed_calls(node))
            if "waits" in kinds:
                wait = self.result_wait(node)
                if wait is not None:
                    found.result_waits.append(wait)

    # -- names -------------------------------------------------------------------------

    def origin(self, node: ast.AST) -> str:
        """The dotted origin of an imported or module-level name chain, else ""."""
        if self.local and isinstance(node, ast.Name) and node.id in self.bound:
            return ""
        return self.imports.resolve_bound(node) or ""

    def value_of(self, node: ast.expr) -> ast.expr:
        """A local name bound once stands for its value."""
        if isinstance(node, ast.Name) and node.id in self.bound:
            return self.bound[node.id]
        return node

    def callee(self, node: ast.expr | None) -> str:
        return self.origin(node.func) if isinstance(node, ast.Call) else ""

    # -- canvas --------------------------------------------------------------------------

    def chord(self, node: ast.AST) -> Chord | None:
        """``chord(...)``, ``group(...) | sig`` and ``chain(..., group(...), sig, ...)``."""
        if isinstance(node, ast.Call) and self.callee(node.func) in CHORDS:
            self.applied.add(id(node.func))  # ``chord(header)(body)``: one chord
            inner = node.func
            assert isinstance(inner, ast.Call)
            header = inner.args[0] if inner.args else _keyword(inner, "header")
            body = node.args[0] if node.args else None
            return self._chord("chord", self.source.span(node), header, body)
        if isinstance(node, ast.Call) and id(node) not in self.applied:
            callee = self.callee(node)
            if callee in CHORDS and (node.args or node.keywords):
                header = node.args[0] if node.args else _keyword(node, "header")
                body = node.args[1] if len(node.args) > 1 else _keyword(node, "body")
                return self._chord("chord", self.source.span(node), header, body)
            if callee in CHAINS:
                steps = [self.value_of(a) for a in node.args]
                for index, step in enumerate(steps[:-1]):
                    if self.callee(step) in GROUPS:
                        return self._group_chord("chain", self.source.span(node), step,
                                                 steps[index + 1])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left = self.value_of(node.left)
            if isinstance(left, ast.BinOp) and isinstance(left.op, ast.BitOr):
                left = self.value_of(left.right)
            if self.callee(left) in GROUPS:
                return self._group_chord("group|", self.source.span(node), left,
                                         self.value_of(node.right))
        return None

    def _group_chord(self, kind: str, span: Span, group: ast.expr, body: ast.expr | None
                     ) -> Chord | None:
        """A group followed by a signature or another group is upgraded to a chord;
        followed by something unknown (which may be an empty group), it is left alone."""
        assert isinstance(group, ast.Call)
        if self.callee(body) in GROUPS:
            body = None
        elif not self.signatures(body)[0]:
            return None
        return self._chord(kind, span, _group_tasks(group), body)

    def _chord(self, kind: str, span: Span, header: ast.expr | None,
               body: ast.expr | None) -> Chord:
        refs, complete = self.signatures(header)
        body_refs = self.signatures(body)[0]
        return Chord(kind, span, tuple(refs), not complete, tuple(body_refs))

    def signatures(self, node: ast.expr | None) -> tuple[list[SignatureRef], bool]:
        """The signatures of a header or body, and whether they are all understood."""
        if node is None:
            return [], False
        node = self.value_of(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            refs: list[SignatureRef] = []
            complete = True
            for element in node.elts:
                more, known = self.signatures(element)
                refs.extend(more)
                complete = complete and known
            return refs, complete
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            ref = self.signature(node.elt)
            return ([ref], True) if ref is not None else ([], False)
        if isinstance(node, ast.Call) and self.callee(node) in GROUPS:
            return self.signatures(_group_tasks(node))  # ``chord(group(...), body)``
        ref = self.signature(node)
        return ([ref], True) if ref is not None else ([], False)

    def signature(self, node: ast.expr) -> SignatureRef | None:
        """``t.s(...)``, ``t.si(...)``, ``t.signature(...)``, ``signature("name")``, each
        optionally followed by ``.set(...)``; None for anything else."""
        node = self.value_of(node)
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "set":
            inner = self.signature(func.value)
            if inner is None:
                return None
            override = self._ignore_option(node, node.keywords)
            return SignatureRef(inner.receiver, inner.name, self.source.span(node),
                                override if override is not None else inner.ignore_result)
        options = _keyword(node, "options")
        override = None
        if options is not None:
            override = self._options_ignore(options)
        if isinstance(func, ast.Attribute) and func.attr in _SIGNATURE_METHODS:
            receiver = self.origin(func.value)
            if receiver and self.origin(func) not in SIGNATURES:
                if func.attr == "signature":
                    own = self._ignore_option(node, node.keywords)
                    override = own if own is not None else override
                return SignatureRef(receiver, "", self.source.span(node), override)
        if self.callee(node) in SIGNATURES and node.args:
            name = node.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return SignatureRef("", name.value, self.source.span(node), override)
        return None

    def _ignore_option(self, node: ast.Call, keywords: list[ast.keyword]) -> Value | None:
        for kw in keywords:
            if kw.arg is None:
                return unknown("options passed with **", self.source.span(node))
            if kw.arg == "ignore_result":
                return self.evaluator.eval(kw.value)
        return None

    def _options_ignore(self, options: ast.expr) -> Value | None:
        value = self.evaluator.eval(options)
        ok, data = value.try_plain()
        if not ok or not isinstance(data, dict) or value.partial:
            return unknown("signature options cannot be known", value.span)
        if "ignore_result" in data:
            return Value(True, data["ignore_result"])
        return None

    # -- results -------------------------------------------------------------------------

    def result_read(self, node: ast.AST) -> ResultRead | None:
        """``<result>.get()`` and the other reads, on a result this scope produced."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr in READ_METHODS):
            attribute = node.func
        elif isinstance(node, ast.Attribute) and node.attr in READ_PROPERTIES and (
                isinstance(node.ctx, ast.Load)):
            attribute = node
        else:
            return None
        producer = self.value_of(attribute.value)
        if not isinstance(producer, ast.Call):
            return None
        return self._read(attribute.attr, self.source.span(node), producer)

    def _read(self, read: str, span: Span, call: ast.Call) -> ResultRead | None:
        func = call.func
        splat = any(kw.arg is None for kw in call.keywords)
        ignore = self._ignore_option(call, [k for k in call.keywords if k.arg is not None])
        callee = self.callee(call)
        if callee in ASYNC_RESULTS:
            app = _keyword(call, "app")
            return ResultRead(read, span, "AsyncResult", "",
                              self.origin(app) if app is not None else "", open=splat)
        if not isinstance(func, ast.Attribute):
            return None
        receiver = self.origin(func.value)
        if not receiver:
            return None
        if func.attr in _PRODUCERS:
            return ResultRead(read, span, func.attr, receiver,
                              ignore_result=ignore, open=splat)
        if func.attr == "AsyncResult":
            return ResultRead(read, span, "AsyncResult", receiver,
                              open=splat)
        return None

    def result_wait(self, node: ast.AST) -> ResultWait | None:
        """``<result>.get()`` and the other waits, on a result this function produced."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in WAIT_METHODS):
            return None
        call = self.value_of(node.func.value)
        if not isinstance(call, ast.Call):
            return None
        found = self._producer(call)
        if found is None:
            return None
        producer, ref = found
        # only apply_async takes options: what delay() is given goes to the task
        options = producer == "apply_async"
        named = [k for k in call.keywords if k.arg is not None]
        ignore = self._ignore_option(call, named) if options else None
        return ResultWait(node.func.attr, self.source.span(node), self.function, producer,
                          ref.receiver, ref.name,
                          ignore if ignore is not None else ref.ignore_result,
                          open=options and len(named) < len(call.keywords),
                          allowed=self._wait_allowed(node))

    def _producer(self, call: ast.Call) -> tuple[str, SignatureRef] | None:
        """The producer of a call that returns a result, with what it names: a task's or
        a signature's ``delay``/``apply_async``, ``[X.]AsyncResult(...)``, and a canvas
        called or applied (``group(...)()``, ``chord(header)(body)``, ``chain(...).delay()``)."""
        nothing = SignatureRef("", "", self.source.span(call))
        if self.callee(call) in ASYNC_RESULTS:
            return "AsyncResult", nothing
        func = self.value_of(call.func)
        canvas = _canvas_kind(self.callee(func))
        if canvas:
            return canvas, nothing
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr == "AsyncResult":
            receiver = self.origin(func.value)
            return ("AsyncResult", SignatureRef(receiver, "", nothing.span)) if receiver else None
        if func.attr not in _PRODUCERS:
            return None
        target = self.value_of(func.value)
        canvas = _canvas_kind(self.callee(target))
        if canvas:
            return canvas, nothing
        ref = self.signature(target)
        if ref is not None:
            return func.attr, ref  # ``add.s(2).delay()``, ``signature("name").delay()``
        receiver = self.origin(func.value)
        return (func.attr, SignatureRef(receiver, "", nothing.span)) if receiver else None

    def _wait_allowed(self, call: ast.Call) -> bool:
        """May this wait be allowed: ``disable_sync_subtasks`` not literally True, or
        arguments that may hold it, or ``with allow_join_result():`` around it?"""
        for kw in call.keywords:
            if kw.arg is None:
                return True
            if kw.arg == "disable_sync_subtasks":
                ok, data = self.evaluator.eval(kw.value).try_plain()
                return not (ok and data is True)
        if len(call.args) >= _WAIT_POSITIONAL or any(
                isinstance(a, ast.Starred) for a in call.args):
            return True
        return any(first <= call.lineno <= last for first, last in self._join_allowed)

    @cached_property
    def _join_allowed(self) -> list[tuple[int, int]]:
        """The lines of the bodies of ``with allow_join_result():`` blocks."""
        return [(node.body[0].lineno, node.end_lineno or node.body[0].lineno)
                for node in self.nodes if isinstance(node, (ast.With, ast.AsyncWith))
                and any(self.callee(item.context_expr) == _ALLOW_JOIN for item in node.items)]

    # -- delays --------------------------------------------------------------------------

    def timed_calls(self, call: ast.Call) -> Iterator[TimedCall]:
        """The ``countdown=``/``eta=`` of a delaying call; a bare ``retry()`` too."""
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in _DELAYING:
            return
        receiver = self.imports.resolve(func.value) or ""
        given = False
        for kw in call.keywords:
            if kw.arg in ("countdown", "eta"):
                given = True
                seconds = self.evaluator.eval(kw.value) if kw.arg == "countdown" else (
                    self._eta_offset(kw.value))
                yield TimedCall(func.attr, receiver, self.function, kw.arg, seconds,
                                self.source.span(kw.value))
        if func.attr == "retry" and not given and not any(k.arg is None for k in call.keywords):
            yield TimedCall("retry", receiver, self.function, "", None, self.source.span(call))

    def _eta_offset(self, node: ast.expr) -> Value:
        """``now() + timedelta(...)`` (either order): the timedelta's seconds."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            for now, delta in ((node.left, node.right), (node.right, node.left)):
                if _is_now(now):
                    value = self.evaluator.eval(delta)
                    if value.known and isinstance(value.data, Duration):
                        return Value(True, value.data.seconds, value.span)
        return unknown("eta is not now() plus a literal timedelta")


def _canvas_kind(callee: str) -> str:
    """``group``, ``chain`` or ``chord`` for a canvas class's origin, else ""."""
    for kind, origins in (("group", GROUPS), ("chain", CHAINS), ("chord", CHORDS)):
        if callee in origins:
            return kind
    return ""


def _group_tasks(group: ast.Call) -> ast.expr | None:
    """What a ``group(...)`` call groups: its one argument (a list, a comprehension), or
    its arguments as a tuple; None when splats or keywords leave it open."""
    if any(isinstance(a, ast.Starred) for a in group.args) or group.keywords:
        return None
    if len(group.args) == 1:
        return group.args[0]
    return ast.Tuple(elts=list(group.args), ctx=ast.Load())


def _is_now(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _NOW and not node.args)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _single_bindings(scope: ast.AST, nodes: list[ast.AST]) -> dict[str, ast.expr]:
    """Local names bound exactly once in the scope, by ``name = <value>``, that are not
    parameters (every store counts: loops, ``with``, augmented and walrus targets)."""
    stores = Counter(n.id for n in nodes if isinstance(n, ast.Name)
                     and isinstance(n.ctx, (ast.Store, ast.Del)))
    params: set[str] = set()
    if isinstance(scope, _FUNCTIONS):
        args = scope.args
        params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    bound: dict[str, ast.expr] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            name = node.targets[0].id
            if stores[name] == 1 and name not in params:
                bound[name] = node.value
    return bound
