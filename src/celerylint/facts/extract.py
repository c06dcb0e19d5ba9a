"""One pass over one module's `ast`, producing its ModuleFacts.

Only what the project model needs is kept: app creations and config writes, candidate
tasks (every decorated top-level function: whether a decorator makes a task is decided
later, across modules), classes, call sites with ORM evidence, and body events.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from celerylint.facts.beat import BeatScan, may_hold_beat
from celerylint.facts.calls import EvidenceScanner
from celerylint.facts.canvas import collect as collect_canvas
from celerylint.facts.configuration import names_read
from celerylint.facts.event_loops import collect as collect_event_loops
from celerylint.facts.imports import ImportMap, collect_imports
from celerylint.facts.increments import function_events, may_increment
from celerylint.facts.registration import collect_registration
from celerylint.facts.schema import (
    CallAssign,
    CallInfo,
    ClassFacts,
    ConfigWrite,
    Decorator,
    Factory,
    FunctionFacts,
    ModuleFacts,
    NameAssign,
    SettingsPointer,
    TaskCall,
    TaskWrapper,
    factory_target,
    instance_target,
)
from celerylint.facts.signatures import method_calls, parameters
from celerylint.facts.signs import line_matches
from celerylint.facts.task_options import class_reads, task_bodies
from celerylint.facts.values import Evaluator, Value, unknown
from celerylint.facts.walk import TreeIndex, children, walk
from celerylint.findings import Span
from celerylint.parsing.source import SourceFile

_SETTINGS_ENV = "DJANGO_SETTINGS_MODULE"
_CONFIGURATION_ENV = "DJANGO_CONFIGURATION"  # django-configurations' class name
_CONF_MUTATORS = {"append", "extend", "insert", "update", "setdefault", "pop", "add", "__setitem__"}
# Methods Celery runs for every instance: config writes there configure every app of
# the class; writes in other methods (``init_app``, helpers) happen only when called.
_ALWAYS_RUN = {"__init__", "on_init"}


def extract(source: SourceFile, tree: ast.Module, module: str, is_package: bool) -> ModuleFacts:
    """The facts of one parsed module."""
    index = TreeIndex(tree)  # one walk; each pass below picks the nodes it needs
    imports = collect_imports(tree, module, is_package, index.of(ast.Import, ast.ImportFrom))
    facts = ModuleFacts(path=source.path, module=module, is_package=is_package)
    facts.star_imports = list(imports.star_imports)
    facts.imports = dict(imports.aliases)
    extractor = _Extractor(source, imports, facts, _module_constants(tree), index)
    extractor.wrapped(index.of(ast.Call))
    extractor.module_body(tree.body, conditional=False)
    extractor.nested(index.of(ast.Assign, ast.Expr))
    facts.call_sites = EvidenceScanner(source, imports, extractor.evaluator).scan(index)
    facts.call_options = list(_call_options(index.of(ast.Call), source, extractor.evaluator))
    facts.names_read = names_read(index)
    facts.task_bodies = list(task_bodies(tree, source, extractor.evaluator, index.body))
    facts.class_reads = class_reads(tree, source)
    if may_hold_beat(source.text):
        beat = BeatScan(extractor.call_in_scope, imports.resolve_bound)
        beat.module(tree)
        facts.crontabs, facts.periodic_tasks = beat.crontabs, beat.periodic_tasks
    facts.registration = collect_registration(index, imports, source.text)
    canvas = collect_canvas(index, source, imports, extractor.evaluator)
    facts.chords, facts.result_reads, facts.timed_calls = (
        canvas.chords, canvas.result_reads, canvas.timed_calls)
    facts.result_waits = canvas.result_waits
    facts.event_loop_calls = collect_event_loops(tree, source, imports, index.body)
    return facts


_OPTION_METHODS = {"apply_async", "send_task", "signature", "set"}
_CALL_OPTIONS = {"serializer", "queue"}


def _call_options(
    nodes: list[ast.AST], source: SourceFile, evaluator: Evaluator
) -> Iterator[tuple[str, str, Value, Span]]:
    """Message options given per call (``apply_async(serializer="pickle")``)."""
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
            node.func.attr in _OPTION_METHODS
        ):
            for kw in node.keywords:
                if kw.arg in _CALL_OPTIONS:
                    value = evaluator.eval(kw.value)
                    yield node.func.attr, kw.arg, value, value.span or source.span(kw)


def _module_constants(tree: ast.Module) -> dict[str, ast.expr | None]:
    """Names assigned exactly once, unconditionally, at the top level (None otherwise)."""
    seen: dict[str, ast.expr | None] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                seen[target.id] = None if target.id in seen else stmt.value
    return seen


class _Extractor:
    """Walks the statements of a module that can hold Celery facts."""

    def __init__(
        self,
        source: SourceFile,
        imports: ImportMap,
        facts: ModuleFacts,
        constants: dict[str, ast.expr | None],
        index: TreeIndex,
    ) -> None:
        self.source = source
        self.body = index.body
        self.imports = imports
        self.facts = facts
        self._constants = constants
        self._resolving: set[str] = set()
        self._visited: set[int] = set()
        self._wrapped: set[str] = set()
        self.evaluator = Evaluator(source.span, self._constant, imports.resolve_bound)

    def _constant(self, name: str) -> Value | None:
        """A top-level constant's value, evaluated on demand (cycles are unknown)."""
        if name not in self._constants:
            return None
        expr = self._constants[name]
        if expr is None:
            return unknown(f"{name!r} is assigned more than once")
        if name in self._resolving:
            return unknown(f"{name!r} refers to itself")
        self._resolving.add(name)
        try:
            return self.evaluator.eval(expr)
        finally:
            self._resolving.discard(name)

    # -- statements ---------------------------------------------------------------

    def module_body(self, body: list[ast.stmt], conditional: bool) -> None:
        """Top-level statements, descending into if/try/with blocks."""
        for stmt in body:
            self.statement(stmt, conditional)

    def statement(self, stmt: ast.stmt, conditional: bool) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(stmt)
        elif isinstance(stmt, ast.ClassDef):
            self.klass(stmt)
        elif isinstance(stmt, ast.If):
            self.module_body(stmt.body, True)
            self.module_body(stmt.orelse, True)
        elif isinstance(stmt, ast.Try):
            self.module_body(stmt.body, True)
            for handler in stmt.handlers:
                self.module_body(handler.body, True)
            self.module_body(stmt.orelse, True)
            self.module_body(stmt.finalbody, conditional)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.module_body(stmt.body, conditional)
        elif isinstance(stmt, (ast.For, ast.While, ast.AsyncFor)):
            self.module_body(stmt.body, True)
        else:
            self.simple(stmt, conditional)

    def simple(self, stmt: ast.stmt, conditional: bool) -> None:
        """Assignments and expression statements: apps, config writes, pointers."""
        self._visited.add(id(stmt))
        if isinstance(stmt, ast.Assign):
            self.assign(stmt, conditional)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self.call_statement(stmt.value, conditional)

    def assign(self, stmt: ast.Assign, conditional: bool) -> None:
        value = stmt.value
        for target in stmt.targets:
            if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                call = self.call_info(value)
                if call is not None:
                    self.facts.call_assigns.append(CallAssign(target.id, call, conditional))
            elif isinstance(target, ast.Name) and isinstance(value, (ast.Name, ast.Attribute)):
                origin = self.imports.resolve(value)
                if origin:
                    self.facts.name_assigns.append(
                        NameAssign(target.id, origin, self.source.span(stmt), conditional))
            elif isinstance(target, ast.Attribute):
                self.attribute_write(target, value, conditional)
            elif isinstance(target, ast.Subscript):
                self.subscript_write(target, value, conditional)
        if isinstance(value, ast.Call):
            self.task_call_form(value)

    def attribute_write(self, target: ast.Attribute, value: ast.expr, conditional: bool) -> None:
        """``app.conf.X = v`` (a setting) and ``app.Task = X`` (the app's task class)."""
        span = self.source.span(target)
        if isinstance(target.value, ast.Attribute) and target.value.attr == "conf":
            owner = self.imports.resolve(target.value.value)
            if owner:
                entry = (target.attr, self.evaluator.eval(value), span)
                self.facts.config_writes.append(
                    ConfigWrite(owner, "set", span, conditional, entries=(entry,))
                )
        elif target.attr == "Task":
            owner = self.imports.resolve(target.value)
            if owner:
                self.facts.config_writes.append(
                    ConfigWrite(owner, "task_cls", span, conditional,
                                value=self.evaluator.eval(value))
                )

    def subscript_write(self, target: ast.Subscript, value: ast.expr, conditional: bool) -> None:
        """``app.conf["X"] = v``; a key that cannot be known makes the config open."""
        owner = _conf_owner(target.value, self.imports)
        if owner is None:
            return
        key = self.evaluator.eval(target.slice)
        span = self.source.span(target)
        if key.known and isinstance(key.data, str):
            entry = (key.data, self.evaluator.eval(value), span)
            self.facts.config_writes.append(
                ConfigWrite(owner, "set", span, conditional, entries=(entry,))
            )
        else:
            self.facts.config_writes.append(ConfigWrite(owner, "open", span, conditional))

    def call_statement(self, call: ast.Call, conditional: bool) -> None:
        """Expression statements: conf updates, config_from_object, settings pointers."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            self.task_call_form(call)
            return
        if func.attr == "setdefault" and self._is_environ(func.value):
            self.settings_pointer(call)
        owner_conf = _conf_owner(func.value, self.imports)
        if owner_conf is not None:
            self.conf_method(owner_conf, func.attr, call, conditional)
            return
        if func.attr == "config_from_object":
            owner = self.imports.resolve(func.value)
            target = self._keyword(call, "obj")
            if call.args:
                target = self.evaluator.eval(call.args[0])
            if owner and target is not None:
                namespace = self._keyword(call, "namespace")
                self.facts.config_writes.append(
                    ConfigWrite(owner, "from_object", self.source.span(call), conditional,
                                value=target, namespace=namespace)
                )
            return
        mutated = _conf_collection(func, self.imports)
        if mutated is not None and func.attr in _CONF_MUTATORS:
            owner, key = mutated
            span = self.source.span(call)
            self.facts.config_writes.append(
                ConfigWrite(owner, "mutate", span, True, entries=((key, unknown(
                    f"changed at run time by .{func.attr}()"), span),))
            )

    def conf_method(self, owner: str, method: str, call: ast.Call, conditional: bool) -> None:
        """``app.conf.update(...)`` and ``app.conf.setdefault("k", v)``."""
        span = self.source.span(call)
        if method == "update":
            entries, open_ended = self.update_entries(call)
            self.facts.config_writes.append(
                ConfigWrite(owner, "update", span, conditional, entries=tuple(entries))
            )
            if open_ended:
                self.facts.config_writes.append(ConfigWrite(owner, "open", span, conditional))
        elif method == "setdefault" and call.args:
            key = self.evaluator.eval(call.args[0])
            value = self.evaluator.eval(call.args[1]) if len(call.args) > 1 else Value(True, None)
            if key.known and isinstance(key.data, str):
                entry = (key.data, value, self.source.span(call.args[0]))
                self.facts.config_writes.append(
                    ConfigWrite(owner, "set", span, True, entries=(entry,))
                )
        elif method in ("from_object", "from_envvar", "load_from"):
            self.facts.config_writes.append(ConfigWrite(owner, "open", span, conditional))

    def update_entries(self, call: ast.Call) -> tuple[list[tuple[str, Value, Span]], bool]:
        """Keywords and dict-literal entries of an update call; True when some are unknown."""
        entries: list[tuple[str, Value, Span]] = []
        open_ended = False
        for arg in call.args:
            if isinstance(arg, ast.Dict):
                for key, val in zip(arg.keys, arg.values):
                    key_value = self.evaluator.eval(key) if key is not None else None
                    if key is None or key_value is None or not isinstance(key_value.data, str):
                        open_ended = True
                        continue
                    entries.append((key_value.data, self.evaluator.eval(val),
                                    self.source.span(key)))
            else:
                open_ended = True
        for kw in call.keywords:
            if kw.arg is None:
                open_ended = True
            else:
                entries.append((kw.arg, self.evaluator.eval(kw.value), self.source.span(kw)))
        return entries, open_ended

    def settings_pointer(self, call: ast.Call) -> None:
        if len(call.args) < 2:
            return
        key = self.evaluator.eval(call.args[0])
        value = self.evaluator.eval(call.args[1])
        if key.data == _SETTINGS_ENV and value.known and isinstance(value.data, str):
            self.facts.settings_pointers.append(
                SettingsPointer(value.data, self.source.span(call.args[1]))
            )
        elif key.data == _CONFIGURATION_ENV and value.known and isinstance(value.data, str):
            self.facts.configuration_pointers.append(
                SettingsPointer(value.data, self.source.span(call.args[1]))
            )

    def _is_environ(self, node: ast.expr) -> bool:
        return self.imports.resolve(node) == "os.environ"

    def _keyword(self, call: ast.Call, name: str) -> Value | None:
        for kw in call.keywords:
            if kw.arg == name:
                return self.evaluator.eval(kw.value)
        return None

    # -- definitions ----------------------------------------------------------------

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A top-level function: decorators, parameters, body events, direct calls."""
        args = node.args
        params = tuple(a.arg for a in args.posonlyargs + args.args + args.kwonlyargs)
        decorators = tuple(d for d in (self.decorator(expr) for expr in node.decorator_list) if d)
        text = "\n".join(self.source.lines[node.lineno - 1:node.end_lineno]).encode()
        # Body events only where the text could hold one; direct calls of every function
        # (CEL501 follows them from task bodies through helpers).
        self.factory(node)
        self.task_wrapper(node)
        self.facts.functions.append(
            FunctionFacts(
                name=node.name,
                span=self._name_span(node),
                decorators=decorators,
                params=params,
                has_varargs=args.vararg is not None,
                has_varkw=args.kwarg is not None,
                events=tuple(function_events(node, self.source, self.imports, self.body))
                if may_increment(text) else (),
                calls=tuple(self._direct_calls(node)),
                signature=parameters(args),
            )
        )

    def task_wrapper(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``def my_task(func=None, **opts): ... shared_task(**opts)(func)``: a function
        that makes a task of the function it decorates (see `TaskWrapper`)."""
        params = _param_names(node.args)
        if not params or "task" not in self._text(node):
            return  # a wrapper names task or shared_task: decided without walking the body
        found = self._applications(node, set())
        if not found:
            return
        self._wrapper(node, found, "")

    def task_method(self, klass: str, method: ast.FunctionDef | ast.AsyncFunctionDef
                    ) -> None:
        """``def periodic_task(self, *args, **options): return self.task(*args, **options)``
        in a class: a method that makes tasks when the class is a Celery subclass (see
        `TaskWrapper`'s `klass`); every ``return`` must give ``self.task(...)``."""
        positional = method.args.posonlyargs + method.args.args
        if not positional or method.decorator_list or ".task(" not in self._text(method):
            return  # no ``self.task(`` in the text: decided without walking the body
        var = positional[0].arg
        names = _param_names(method.args) - {var}
        returns = [n for n in _nodes_within(method) if isinstance(n, ast.Return)]
        if not returns:
            return
        found: list[ast.Call] = []
        for ret in returns:
            call = _application(ret.value, names)
            if call is None and isinstance(ret.value, ast.Call) and not ret.value.args:
                call = ret.value  # ``self.task(**options)``: the decorator itself
            if call is None or not _is_attribute_of(call.func, var, "task"):
                return
            found.append(call)
        rebound = any(
            (isinstance(n, ast.Name) and n.id == var and not isinstance(n.ctx, ast.Load))
            or (isinstance(n, (ast.Global, ast.Nonlocal)) and var in n.names)
            for n in _nodes_within(method))
        if not rebound:
            self._wrapper(method, found, klass)

    def _wrapper(self, node: ast.FunctionDef | ast.AsyncFunctionDef, found: list[ast.Call],
                 klass: str) -> None:
        """Record the `TaskWrapper` of `node`, whose returns apply the calls `found`; in a
        method of `klass`, its first parameter stands for the instance."""
        applied = list({id(call): call for call in found}.values())  # closures reached twice
        local: set[str] = set()
        for sub in walk(node):
            if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                local.add(sub.id)
            elif isinstance(sub, ast.arguments):
                local |= _param_names(sub)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub is not node:
                local.add(sub.name)
        bound: dict[str, str] = {}
        if klass:
            var = (node.args.posonlyargs + node.args.args)[0].arg
            local.discard(var)
            bound[var] = instance_target(self.facts.module, klass)
        if any(_root_name(call.func) in local for call in applied):
            return
        with self._unknown_locals(local, bound):
            calls = [self.call_info(call) for call in applied]
        first = calls[0]
        if first is None:
            return
        if klass and first.callee != f"{instance_target(self.facts.module, klass)}.task":
            return
        if first.callee.rsplit(".", 1)[-1] not in ("task", "shared_task"):
            return
        same = all(c is not None and c.callee == first.callee
                   and _plain_keywords(c) == _plain_keywords(first) for c in calls)
        kwarg = node.args.kwarg.arg if node.args.kwarg is not None else None
        splats = [[kw.value for kw in call.keywords if kw.arg is None] for call in applied]
        faithful = all(
            all(isinstance(v, ast.Name) and v.id == kwarg for v in found) for found in splats)
        uses = sum(1 for n in walk(node) if isinstance(n, ast.Name) and n.id == kwarg)
        shadowed = any(isinstance(n, ast.arguments) and kwarg in _param_names(n)
                       for n in walk(node) if n is not node.args)
        passes = (kwarg is not None and faithful and not shadowed
                  and all(len(found) == 1 for found in splats) and uses == len(applied))
        opened = not same or not faithful or (kwarg is not None and not passes)
        named = tuple(a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                      if a.arg not in bound)
        self.facts.task_wrappers.append(
            TaskWrapper(node.name, first, named, passes, opened, klass))

    def _applications(self, node: ast.FunctionDef | ast.AsyncFunctionDef, given: set[str]
                      ) -> list[ast.Call] | None:
        """The decorator calls `node` applies to a function it is given (a parameter of
        it or of an enclosing wrapper function, or an inner function made with
        ``functools.wraps``), one for each ``return``; None when some return gives
        anything else (a decorator closure it defines counts by what that returns)."""
        nested = {n.name: n for n in _nodes_within(node)
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        wraps = {name for name, n in nested.items() if any(
            isinstance(d, ast.Call) and self.imports.resolve(d.func) == "functools.wraps"
            for d in n.decorator_list)}
        names = given | _param_names(node.args) | wraps
        returns = [n for n in _nodes_within(node) if isinstance(n, ast.Return)]
        if not returns:
            return None
        found: list[ast.Call] = []
        for ret in returns:
            value = ret.value
            closure = value.func if isinstance(value, ast.Call) else value
            if isinstance(closure, ast.Name) and closure.id in nested and closure.id not in wraps:
                if isinstance(value, ast.Call) and len(value.args) != 1:
                    return None
                inner = self._applications(nested[closure.id], names)
                if inner is None:
                    return None
                found.extend(inner)
                continue
            call = _application(value, names)
            if call is None:
                return None
            found.append(call)
        return found

    @contextmanager
    def _unknown_locals(self, local: set[str], bound: dict[str, str] | None = None
                        ) -> Iterator[None]:
        """Inside a function: its local names are unknown rather than module names, and
        the names `bound` resolve to what they map to (``self`` to the instance)."""
        imports = copy.copy(self.imports)
        imports.aliases = {k: v for k, v in self.imports.aliases.items() if k not in local}
        bound = bound or {}
        imports.aliases.update(bound)

        def names(name: str) -> Value | None:
            if name in local or name in bound:
                return unknown(f"{name!r} is a local name")
            return self._constant(name)

        def dotted(expr: ast.AST) -> str | None:
            root = _root_name(expr)
            if root is None or root in local or root in bound:
                return None
            return self.imports.resolve_bound(expr)

        saved = self.imports, self.evaluator
        self.imports = imports
        self.evaluator = Evaluator(self.source.span, names, dotted)
        try:
            yield
        finally:
            self.imports, self.evaluator = saved

    def wrapped(self, nodes: list[ast.AST]) -> None:
        """Names passed alone to a call of a call (``app.task(name="x")(func)``): such
        functions may be tasks without a decorator."""
        self._wrapped = {
            node.args[0].id for node in nodes
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Call)
            and len(node.args) == 1 and isinstance(node.args[0], ast.Name)
        }

    def nested(self, nodes: list[ast.AST]) -> None:
        """Config writes and settings pointers inside functions and methods (mayan appends
        to ``celery_app.conf.task_queues`` at run time): conditional, as their call is."""
        for node in nodes:
            if id(node) in self._visited:
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute):
                        self.attribute_write(target, node.value, True)
                    elif isinstance(target, ast.Subscript):
                        self.subscript_write(target, node.value, True)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(
                node.value.func, ast.Attribute
            ):
                self.call_statement(node.value, True)

    def klass(self, node: ast.ClassDef) -> None:
        """A top-level class: its bases, literal attributes and methods."""
        attributes: dict[str, Value] = {}
        methods: list[str] = []
        for stmt in node.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        attributes[target.id] = self.evaluator.eval(stmt.value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    attributes[stmt.target.id] = self.evaluator.eval(stmt.value)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods.append(stmt.name)
                self.instance_writes(node.name, stmt)
                self.task_method(node.name, stmt)
        bases = tuple(b for b in (self.imports.resolve(base) for base in node.bases) if b)
        self.facts.classes.append(
            ClassFacts(node.name, self._name_span(node), bases, attributes, tuple(methods),
                       method_calls=method_calls(node, self._text(node), self.imports))
        )

    # -- factories and instance methods -------------------------------------------------

    def factory(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """``def create_app(): app = Celery(...); ...; return app``: the creation, and the
        config writes made on the local name, recorded against what the function returns.

        Only a function whose every ``return`` gives the same local name, bound exactly
        once in it by ``name = callee(...)``, is a factory."""
        if not _may_be_factory(self._text(node)):
            return  # the common case, decided from the text without walking the body
        params = _param_names(node.args)
        returns = [n for n in self.body(node) if isinstance(n, ast.Return)]
        if not returns or not all(isinstance(r.value, ast.Name) for r in returns):
            return
        names = {r.value.id for r in returns if isinstance(r.value, ast.Name)}
        if len(names) != 1:
            return
        var = names.pop()
        stores = [n for n in self.body(node) if isinstance(n, ast.Name) and n.id == var
                  and not isinstance(n.ctx, ast.Load)]
        declared = any(isinstance(n, (ast.Global, ast.Nonlocal)) and var in n.names
                       for n in self.body(node))
        if var in params or declared or len(stores) != 1:
            return
        creation = next((
            (stmt, conditional) for stmt, conditional in _local_statements(node.body, False)
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == var
            and isinstance(stmt.value, ast.Call)
        ), None)
        if creation is None:
            return
        stmt, conditional = creation
        assert isinstance(stmt.value, ast.Call)
        target = factory_target(self.facts.module, node.name)
        with self._local_scope(node, var, target):
            call = self.call_info(stmt.value)
            if call is None:
                return
            self.facts.factories.append(
                Factory(node.name, var, call, conditional, self._name_span(node)))
            self._visited.add(id(stmt))
            self._local_writes(node.body, var, False)

    def instance_writes(self, klass: str, method: ast.FunctionDef | ast.AsyncFunctionDef
                        ) -> None:
        """``self.conf[...] = v``, ``self.conf.update(...)``, ``self.Task = X`` in a method:
        writes to every instance of the class, conditional unless Celery always runs the
        method (``__init__``, ``on_init``)."""
        positional = method.args.posonlyargs + method.args.args
        decorated = any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
                        for d in method.decorator_list)
        if not positional or decorated:
            return
        var = positional[0].arg
        text = self._text(method)
        if ("conf" not in text and "Task" not in text) or not re.search(
                rf"\b{re.escape(var)}\s*\.\s*(?:conf|Task|config_from_object)\b", text):
            return  # no write on the instance's configuration: skip the walk
        with self._local_scope(method, var, instance_target(self.facts.module, klass)):
            self._local_writes(method.body, var, method.name not in _ALWAYS_RUN)

    def _text(self, node: ast.stmt) -> str:
        """The source lines of a definition."""
        return "\n".join(self.source.lines[node.lineno - 1:node.end_lineno])

    def _local_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef, var: str,
                     target: str) -> AbstractContextManager[None]:
        """Inside a function: `var` resolves to `target`, and the function's other local
        names (parameters, assigned names) are unknown rather than module constants."""
        local = _param_names(node.args) | {
            n.id for n in self.body(node)
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
        }
        local.discard(var)
        return self._unknown_locals(local, {var: target})

    def _local_writes(self, body: list[ast.stmt], var: str, conditional: bool) -> None:
        """Config writes of a function body made on the local name `var`."""
        for stmt, branch in _local_statements(body, conditional):
            if isinstance(stmt, ast.Assign):
                targets = [t for t in stmt.targets if isinstance(t, (ast.Attribute, ast.Subscript))]
                if not targets or any(_root_name(t) != var for t in targets):
                    continue
                self._visited.add(id(stmt))
                for target in targets:
                    if isinstance(target, ast.Attribute):
                        self.attribute_write(target, stmt.value, branch)
                    else:
                        self.subscript_write(target, stmt.value, branch)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and (
                isinstance(stmt.value.func, ast.Attribute)
                and _root_name(stmt.value.func) == var
            ):
                self._visited.add(id(stmt))
                self.call_statement(stmt.value, branch)

    def decorator(self, expr: ast.expr) -> Decorator | None:
        span = self.source.span(expr)
        if isinstance(expr, ast.Call):
            callee = self.imports.resolve(expr.func)
            if callee is None:
                return None
            call = self.call_info(expr)
            assert call is not None
            return Decorator(callee, call.keywords, call.keyword_spans, call.has_splat,
                             len(call.args), span)
        callee = self.imports.resolve(expr)
        if callee is None:
            return None
        return Decorator(callee, {}, {}, False, 0, span)

    def task_call_form(self, call: ast.Call) -> None:
        """``app.task(name="x")(func)``: a decorator applied by hand to a function."""
        if not isinstance(call.func, ast.Call) or len(call.args) != 1:
            return
        inner = call.func
        target = call.args[0]
        if not isinstance(target, ast.Name):
            return
        decorator = self.decorator(inner)
        if decorator is not None:
            self.facts.task_calls.append(TaskCall(decorator, target.id))

    def call_info(self, call: ast.Call) -> CallInfo | None:
        callee = self.imports.resolve(call.func)
        if callee is None:
            return None
        keywords: dict[str, Value] = {}
        spans = {}
        splat = False
        for kw in call.keywords:
            if kw.arg is None:
                splat = True
            else:
                keywords[kw.arg] = self.evaluator.eval(kw.value)
                spans[kw.arg] = self.source.span(kw)
        args = tuple(self.evaluator.eval(a) for a in call.args if not isinstance(a, ast.Starred))
        splat = splat or any(isinstance(a, ast.Starred) for a in call.args)
        return CallInfo(callee, args, keywords, spans, splat, self.source.span(call))

    def call_in_scope(self, call: ast.Call, local: frozenset[str]) -> CallInfo | None:
        """`call_info` of a call inside functions that bind `local` (unknown there)."""
        if not local:
            return self.call_info(call)
        with self._unknown_locals(set(local)):
            return self.call_info(call)

    def _direct_calls(self, node: ast.AST) -> Iterator[tuple[str, Span]]:
        for sub in self.body(node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Name, ast.Attribute)):
                origin = self.imports.resolve(sub.func)
                if origin and "." in origin:
                    yield origin, self.source.span(sub)

    def _name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        """The span of the ``def``/``class`` keyword line's name."""
        line = self.source.lines[node.lineno - 1] if node.lineno <= len(self.source.lines) else ""
        start = line.find(node.name, node.col_offset)
        if start < 0:
            return self.source.span(node)
        col = self.source.char_column(node.lineno, len(line[:start].encode("utf-8")))
        return Span(node.lineno, col, node.lineno, col + len(node.name))


def _conf_owner(node: ast.expr, imports: ImportMap) -> str | None:
    """``X.conf`` -> the origin of X."""
    if isinstance(node, ast.Attribute) and node.attr == "conf":
        return imports.resolve(node.value)
    return None


def _conf_collection(func: ast.Attribute, imports: ImportMap) -> tuple[str, str] | None:
    """``app.conf.task_queues.append`` / ``app.conf["x"].update`` -> (origin of app, key)."""
    target = func.value
    if isinstance(target, ast.Attribute):
        owner = _conf_owner(target.value, imports)
        if owner:
            return owner, target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        owner = _conf_owner(target.value, imports)
        if owner and isinstance(target.slice.value, str):
            return owner, target.slice.value
    return None


def _application(value: ast.expr | None, names: set[str]) -> ast.Call | None:
    """The decorator call of ``deco(**o)(f)`` or ``deco(f, **o)`` / ``deco(*args, **o)``
    when `f` / `args` is one of `names`; None for anything else."""
    if not isinstance(value, ast.Call) or len(value.args) != 1:
        return None
    arg = value.args[0]
    target = arg.value if isinstance(arg, ast.Starred) else arg
    if not isinstance(target, ast.Name) or target.id not in names:
        return None
    if isinstance(value.func, ast.Call) and not value.keywords and not isinstance(arg, ast.Starred):
        return value.func
    if isinstance(value.func, (ast.Name, ast.Attribute)):
        return value
    return None


def _is_attribute_of(node: ast.expr, var: str, attr: str) -> bool:
    """``var.attr``, as in ``self.task``."""
    return (isinstance(node, ast.Attribute) and node.attr == attr
            and isinstance(node.value, ast.Name) and node.value.id == var)


def _plain_keywords(call: CallInfo) -> list[tuple[str, str]]:
    return sorted((name, repr(value.data)) for name, value in call.keywords.items())


def _param_names(args: ast.arguments) -> set[str]:
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return names


def _root_name(node: ast.AST) -> str | None:
    """The name an attribute/subscript/call chain starts from: ``app`` of
    ``app.conf["x"].update``."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


_MATCH: tuple[type, ...] = tuple(t for t in (getattr(ast, "Match", None),) if t is not None)


def _nodes_within(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes below `node`, not descending into nested functions or classes."""
    stack = children(node)
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                    ast.ClassDef)):
            stack.extend(children(current))


def _local_statements(body: list[ast.stmt], conditional: bool
                      ) -> Iterator[tuple[ast.stmt, bool]]:
    """Simple statements of a function body in order, each with whether it may not run
    when the function runs (in a branch, a loop, or after a possible early return)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(stmt, ast.Return):
            return
        if isinstance(stmt, ast.If):
            blocks = [(stmt.body, True), (stmt.orelse, True)]
        elif isinstance(stmt, ast.Try):
            blocks = [(stmt.body, True), *((h.body, True) for h in stmt.handlers),
                      (stmt.orelse, True), (stmt.finalbody, conditional)]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            blocks = [(stmt.body, conditional)]
        elif isinstance(stmt, (ast.For, ast.While, ast.AsyncFor)):
            blocks = [(stmt.body, True), (stmt.orelse, True)]
        elif isinstance(stmt, _MATCH):
            blocks = [(case.body, True) for case in getattr(stmt, "cases", [])]
        else:
            yield stmt, conditional
            continue
        for block, branch in blocks:
            yield from _local_statements(block, branch or conditional)
        if any(isinstance(n, ast.Return) for n in _nodes_within(stmt)):
            conditional = True  # what follows runs only if the block did not return


_RETURN_NAME = re.compile(r"^[ \t]*return[ \t]+(\w+)[ \t]*(?:#.*)?$", re.MULTILINE)


def _may_be_factory(text: str) -> bool:
    """Could a function be a factory: does it return a name it binds from a call?
    (Each regex is tried only on the lines holding its word: `line_matches`.)"""
    returned = {match.group(1) for match in line_matches(text, "return", _RETURN_NAME)}
    return any(next(line_matches(text, name, re.compile(
        rf"^[ \t]*{name}[ \t]*=[ \t]*[\w.]+[ \t]*\(", re.MULTILINE)), None) is not None
        for name in returned)
