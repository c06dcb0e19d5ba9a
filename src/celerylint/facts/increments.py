"""Non-idempotent increments in a function body (CEL501 body events).

A task may run more than once for one message (a retry, a redelivery after a lost ack),
so an increment of stored state counts twice. Three shapes are collected:

- ``attr-increment``: ``obj.n += 1`` (or ``obj.n = obj.n + 1``, ``obj.n = F("n") + 1``)
  later persisted by ``obj.save()``, or by ``Model.objects.bulk_update(objs, ["n"])`` of a
  list holding the object (a list literal naming it, the list a ``for obj in objs`` loop
  walks, or a list the object is appended to) whose field list literally names ``n``;
- ``update-increment``: ``<queryset>.update(n=F("n") + 1)``;
- ``incr``: ``incr``/``decr``-style counter calls; the receiver's origin is recorded so
  the project model can tell Django's cache or a redis client from a statsd counter.

Local counters (``i += 1``, ``seen[k] += 1``) never count, nor does an increment whose
key also gets an expiry in the same body: ``rc.incr(key); rc.expire(key, 300)`` is a
deliberate rate window (pretix ``base/services/mail.py``), and so is a key created with
a timeout (``p.set(key, 0, nx=True, ex=60); p.incr(key)``, ``cache.add(key, 0, 60)``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Callable, Union

from celerylint.facts.imports import ImportMap
from celerylint.facts.schema import BodyEvent
from celerylint.facts.segments import source_segment
from celerylint.facts.walk import Bodies, body_nodes
from celerylint.parsing.source import Position, SourceFile, node_end, node_start

_FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]

_COUNTER_METHODS = {
    "incr", "decr", "incrby", "decrby", "hincrby", "hincrbyfloat", "incrbyfloat", "zincrby",
}
_EXPIRY_METHODS = {"expire", "expireat", "pexpire", "pexpireat"}
_TIMED_SETS = {"setex", "psetex"}  # redis: the time is a required argument
_SETTERS = {"set", "add"}  # Django cache ``(key, value, timeout)``; redis ``(name, value, ex)``
_TTL_KEYWORDS = {"timeout", "ex", "px", "exat", "pxat"}
_KEY_KEYWORDS = ("key", "name")  # Django cache and redis-py spell the key differently
_SAVES = {"save", "asave"}
_BULK_UPDATES = {"bulk_update", "abulk_update"}
_ADDERS = {"append", "add", "insert"}  # ``changed.append(obj)``: the list holds the object
_F_ORIGINS = {"django.db.models.F", "django.db.models.expressions.F", "F"}
# Adding these is concatenation (``obj.log += [...]``), not counting.
_CONTAINERS = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.ListComp, ast.SetComp,
               ast.DictComp, ast.GeneratorExp)
# Calls that make text: ``obj.note += _("...")``, ``obj.code = obj.code + str(n).zfill(4)``.
_TEXT_FUNCTIONS = {"str", "repr", "format", "chr", "_", "gettext", "gettext_lazy",
                   "pgettext", "pgettext_lazy", "ngettext", "ugettext", "ugettext_lazy"}
_TEXT_METHODS = {"join", "format", "zfill", "strip", "lstrip", "rstrip", "lower", "upper",
                 "replace", "title", "capitalize", "ljust", "rjust", "center", "decode"}
_MAX_TEXT = 80

_Pos = Position


# What every CEL501 increment needs in its text: an attribute increment counts only when
# the object is saved (`.save(`, `bulk_update(`), an update needs an F() expression, a
# counter its method.
# Each sign tried on its own, a regex only where its literal is (an alternation opening
# with ``\b`` is tried at every byte); the counter methods' regex opens with a literal.
_F_CALL = re.compile(rb"\bF\(")
_BULK_UPDATE = re.compile(rb"\ba?bulk_update\(")
_COUNTER = re.compile(rb"\.(?:incr|decr|incrby|decrby|hincrby|hincrbyfloat|incrbyfloat|zincrby)\(")


def may_increment(text: bytes) -> bool:
    """Can this code hold an increment event? A cheap test on text, before parsing:
    extraction walks a body, and CEL501 reads a helper's module, only when it may."""
    return ((b"F(" in text and _F_CALL.search(text) is not None)
            or b".save(" in text or b".asave(" in text
            or (b"bulk_update(" in text and _BULK_UPDATE.search(text) is not None)
            or _COUNTER.search(text) is not None)


def function_events(node: _FunctionNode, source: SourceFile, imports: ImportMap,
                    bodies: Bodies = body_nodes) -> list[BodyEvent]:
    """The increment events of `node`'s own body (nested functions and classes excluded)."""
    nodes = bodies(node)
    calls = [n for n in nodes if isinstance(n, ast.Call)]
    events = _attribute_increments(nodes, calls, source, imports)
    events += _update_increments(calls, source, imports)
    events += _counter_calls(node, nodes, calls, source, imports)
    return sorted(events, key=lambda event: event.span)


# -- obj.attr += n ... obj.save() ---------------------------------------------------------


def _attribute_increments(nodes: list[ast.AST], calls: list[ast.Call], source: SourceFile,
                          imports: ImportMap) -> list[BodyEvent]:
    """Increments of ``name.attr`` that a later ``name.save()`` in the body persists, or a
    later ``bulk_update`` of a list holding the object that names the field."""
    events: list[BodyEvent] = []
    for stmt in nodes:
        target = _incremented_attribute(stmt, imports)
        if target is None:
            continue
        owner, attr = target
        save = _later_save(calls, owner, attr, node_end(stmt))
        if save is None:
            save = _later_bulk_update(nodes, calls, owner, attr, node_end(stmt))
        if save is not None:
            description = (f"`{_text(stmt, source)}` followed by `{_call_text(save, source)}` "
                           f"on line {save.lineno}")
            events.append(BodyEvent("attr-increment", description, source.span(stmt)))
    return events


def _incremented_attribute(stmt: ast.AST, imports: ImportMap) -> tuple[str, str] | None:
    """``(name, attr)`` for ``name.attr += n``, ``name.attr = name.attr + n`` or
    ``name.attr = F("attr") + n`` (also with ``-``)."""
    target: ast.expr
    if isinstance(stmt, ast.AugAssign):
        target, value = stmt.target, stmt.value
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    else:
        return None
    if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
        return None
    owner, attr = target.value.id, target.attr
    if isinstance(stmt, ast.AugAssign):
        counted = isinstance(stmt.op, (ast.Add, ast.Sub)) and _is_amount(value)
    else:
        counted = _step(value, lambda side: _reads_field(side, owner, attr, imports)) is not None
    return (owner, attr) if counted else None


def _reads_field(side: ast.expr, owner: str, attr: str, imports: ImportMap) -> bool:
    """`side` is the field's current value: ``owner.attr`` itself or ``F("attr")``."""
    if isinstance(side, ast.Attribute):
        return side.attr == attr and isinstance(side.value, ast.Name) and side.value.id == owner
    return _is_f(side, attr, imports)


def _later_save(calls: list[ast.Call], owner: str, attr: str, after: _Pos) -> ast.Call | None:
    """The first ``owner.save(...)`` after `after` that writes `attr`."""
    saves = [c for c in calls if node_start(c) >= after and _is_save_of(c, owner)
             and _writes(c, attr)]
    return min(saves, key=node_start, default=None)


def _is_save_of(call: ast.Call, owner: str) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr in _SAVES
            and isinstance(func.value, ast.Name) and func.value.id == owner)


def _writes(save: ast.Call, attr: str) -> bool:
    """False only for a literal ``update_fields`` that leaves `attr` out."""
    for kw in save.keywords:
        if kw.arg == "update_fields" and isinstance(kw.value, (ast.List, ast.Tuple, ast.Set)):
            names = [e.value for e in kw.value.elts if isinstance(e, ast.Constant)]
            if len(names) == len(kw.value.elts):
                return attr in names
    return True


def _later_bulk_update(nodes: list[ast.AST], calls: list[ast.Call], owner: str, attr: str,
                       after: _Pos) -> ast.Call | None:
    """The first ``X.bulk_update(objs, ["attr", ...])`` after `after` whose objects hold
    `owner`: a literal list naming it, the list a ``for owner in objs`` loop walks, or a
    list `owner` is added to (``changed.append(owner)``). The field list must be a
    literal that names `attr` (anything else: not known to save it, so silent)."""
    found = []
    for call in calls:
        fields = _bulk_fields(call)
        if (fields is not None and attr in fields and node_start(call) >= after
                and _holds(call.args[0] if call.args else None, owner, nodes)):
            found.append(call)
    return min(found, key=node_start, default=None)


def _bulk_fields(call: ast.Call) -> list[str] | None:
    """The literal field names of a ``bulk_update`` call; None if not one or not literal."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _BULK_UPDATES):
        return None
    fields = call.args[1] if len(call.args) > 1 else next(
        (kw.value for kw in call.keywords if kw.arg == "fields"), None)
    if not isinstance(fields, (ast.List, ast.Tuple, ast.Set)):
        return None
    names = [e.value for e in fields.elts
             if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return names if len(names) == len(fields.elts) else None


def _holds(objs: ast.expr | None, owner: str, nodes: list[ast.AST]) -> bool:
    """Do the objects given to ``bulk_update`` include the object named `owner`?"""
    if isinstance(objs, (ast.List, ast.Tuple, ast.Set)):
        return any(isinstance(e, ast.Name) and e.id == owner for e in objs.elts)
    if objs is None:
        return False
    shown = ast.dump(objs)
    for node in nodes:
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            if (isinstance(node.target, ast.Name) and node.target.id == owner
                    and ast.dump(node.iter) == shown):
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if (func.attr in _ADDERS and ast.dump(func.value) == shown
                    and any(isinstance(a, ast.Name) and a.id == owner for a in node.args)):
                return True
    return False


# -- qs.update(n=F("n") + 1) ---------------------------------------------------------------


def _update_increments(calls: list[ast.Call], source: SourceFile,
                       imports: ImportMap) -> list[BodyEvent]:
    events: list[BodyEvent] = []
    for call in calls:
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("update", "aupdate")):
            continue
        fields = [kw for kw in call.keywords if _f_increment(kw, imports)]
        if fields:
            shown = ", ".join(_text(kw, source) for kw in fields)
            description = f"`{_text(func.value, source)}.{func.attr}({shown})`"
            events.append(BodyEvent("update-increment", description, source.span(call)))
    return events


def _f_increment(kw: ast.keyword, imports: ImportMap) -> bool:
    """``field=F("field") + n`` (or ``- n``)."""
    field = kw.arg
    if field is None:
        return False
    return _step(kw.value, lambda side: _is_f(side, field, imports)) is not None


def _is_f(node: ast.expr, field: str, imports: ImportMap) -> bool:
    """``F("field")`` with Django's ``F``."""
    return (isinstance(node, ast.Call) and imports.resolve(node.func) in _F_ORIGINS
            and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], ast.Constant) and node.args[0].value == field)


def _step(value: ast.expr, is_current: Callable[[ast.expr], bool]) -> ast.expr | None:
    """The amount of ``current + n``, ``n + current`` or ``current - n``; else None."""
    if not isinstance(value, ast.BinOp):
        return None
    if isinstance(value.op, ast.Add):
        if is_current(value.left):
            amount = value.right
        elif is_current(value.right):
            amount = value.left
        else:
            return None
    elif isinstance(value.op, ast.Sub) and is_current(value.left):
        amount = value.right
    else:
        return None
    return amount if _is_amount(amount) else None


def _is_amount(node: ast.expr) -> bool:
    """What a counter is stepped by: not a container and not visibly text."""
    return not isinstance(node, _CONTAINERS) and not _is_text(node)


def _is_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _is_text(node.left) or _is_text(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in _TEXT_FUNCTIONS
        if isinstance(func, ast.Attribute):
            return func.attr in _TEXT_METHODS or _is_text(func.value)
    return False


# -- cache.incr / redis incrby ------------------------------------------------------------


def _counter_calls(node: _FunctionNode, nodes: list[ast.AST], calls: list[ast.Call],
                   source: SourceFile, imports: ImportMap) -> list[BodyEvent]:
    origins = _Origins(_local_values(node, nodes), imports)
    windows = {ast.dump(key) for key in _window_keys(calls)}
    events: list[BodyEvent] = []
    for call in calls:
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in _COUNTER_METHODS):
            continue
        key = _key(call)
        if key is not None and ast.dump(key) in windows:
            continue
        events.append(BodyEvent("incr", f"`{_text(call, source)}`", source.span(call),
                                origins.of(func.value)))
    return events


def _window_keys(calls: list[ast.Call]) -> Iterator[ast.expr]:
    """Keys given an expiry in the body: ``expire(key, ...)``, ``setex(key, ...)``, a
    ``set``/``add`` with a timeout other than None."""
    for call in calls:
        func = call.func
        if not isinstance(func, ast.Attribute):
            continue
        timed = func.attr in _EXPIRY_METHODS or func.attr in _TIMED_SETS
        if timed or (func.attr in _SETTERS and _has_timeout(call)):
            key = _key(call)
            if key is not None:
                yield key


def _has_timeout(call: ast.Call) -> bool:
    values = [kw.value for kw in call.keywords if kw.arg in _TTL_KEYWORDS]
    if len(call.args) >= 3:
        values.append(call.args[2])
    return any(not (isinstance(v, ast.Constant) and v.value is None) for v in values)


def _key(call: ast.Call) -> ast.expr | None:
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    return next((kw.value for kw in call.keywords if kw.arg in _KEY_KEYWORDS), None)


def _local_values(node: _FunctionNode, nodes: list[ast.AST]) -> dict[str, list[ast.expr | None]]:
    """Each name bound in the function, with what each binding assigns (None: unknown).

    Names declared ``global`` are left out: they are the module's variables.
    """
    assigned: dict[int, ast.expr] = {}
    declared_global: set[str] = set()
    for sub in nodes:
        if isinstance(sub, ast.Assign):
            assigned.update((id(t), sub.value) for t in sub.targets if isinstance(t, ast.Name))
        elif isinstance(sub, (ast.AnnAssign, ast.NamedExpr)) and sub.value is not None:
            assigned[id(sub.target)] = sub.value
        elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
            assigned[id(sub.optional_vars)] = sub.context_expr
        elif isinstance(sub, ast.Global):
            declared_global.update(sub.names)
    args = node.args
    params = args.posonlyargs + args.args + args.kwonlyargs + [
        a for a in (args.vararg, args.kwarg) if a is not None]
    bound: dict[str, list[ast.expr | None]] = {a.arg: [None] for a in params}
    for sub in nodes:
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            bound.setdefault(sub.id, []).append(assigned.get(id(sub)))
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.setdefault(sub.name, []).append(None)
    return {name: values for name, values in bound.items() if name not in declared_global}


class _Origins:
    """The origin of a counter's receiver, as the project model links it.

    ``call:<callee>`` for an object built by a call in the function (``rc =
    get_redis_connection()``; a ``.pipeline()`` keeps its client's origin), the resolved
    dotted name for module-level objects and imports (``caches["x"]`` gives
    ``django.core.cache.caches[]``), and "" when it cannot be known (parameters,
    ``self`` attributes, names bound several different ways).
    """

    def __init__(self, local: dict[str, list[ast.expr | None]], imports: ImportMap) -> None:
        self.local = local
        self.imports = imports

    def of(self, expr: ast.expr, seen: frozenset[str] = frozenset()) -> str:
        if isinstance(expr, ast.Name) and expr.id in self.local:
            return self._local(expr.id, seen)
        if isinstance(expr, (ast.Name, ast.Attribute)):
            head = _head(expr)
            if head is None or head in self.local:
                return ""
            return self.imports.resolve(expr) or ""
        if isinstance(expr, ast.Subscript):
            base = self.of(expr.value, seen)
            return f"{base}[]" if base else ""
        if isinstance(expr, ast.Call):
            return self._call(expr, seen)
        return ""

    def _local(self, name: str, seen: frozenset[str]) -> str:
        if name in seen:
            return ""
        values = self.local[name]
        origins = {self._call(v, seen | {name}) if isinstance(v, ast.Call) else ""
                   for v in values}
        return origins.pop() if len(origins) == 1 else ""

    def _call(self, call: ast.Call, seen: frozenset[str]) -> str:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "pipeline":
            return self.of(func.value, seen)
        callee = self.of(func, seen)
        return f"call:{callee}" if callee and not callee.startswith("call:") else ""


def _head(expr: ast.expr) -> str | None:
    """The leftmost name of an attribute chain."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


# -- text and positions -------------------------------------------------------------------


def _text(node: ast.AST, source: SourceFile) -> str:
    """The source of `node` on one line, shortened for messages."""
    segment = source_segment(source, node) or ""
    text = " ".join(segment.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _call_text(call: ast.Call, source: SourceFile) -> str:
    inner = "..." if call.args or call.keywords else ""
    return f"{_text(call.func, source)}({inner})"


