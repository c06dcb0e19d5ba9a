"""Which expressions are very likely Django or SQLAlchemy model instances (CEL401).

The knowledge tables (managers, query terminals, queryset methods that yield keys or
numbers, ``get_object_or_404``, model signals) and the syntactic heuristics over them:
query chains, ``request.user``, ``form.save()``, SQLAlchemy sessions, model classes, and
the parameters known to hold an instance (a model method's ``self``, a model-signal
receiver's ``instance``). A false report costs more trust than a missed one, so each rule
accepts only what surely returns an instance.

This module knows nothing of scopes: where a query chain starts from a plain name
(``orders.first()``), the caller says whether that name holds only querysets, through a
`QuerysetNames` callback. Scopes and call sites both build on it, never the reverse.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Callable, Optional

from celerylint.facts.imports import ImportMap

Clauses = tuple[str, ...]
# Clauses when every binding of a name that can reach the expression is a queryset.
QuerysetNames = Callable[[str], Optional[Clauses]]

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


@dataclass(frozen=True)
class Why:
    """An instance-producing expression: its sentence as an argument, and support."""

    direct: str  # the sentence when the expression itself is the argument
    clauses: Clauses = ()


# -- instances and querysets --------------------------------------------------------------


def instance(expr: ast.expr, imports: ImportMap, querysets: QuerysetNames) -> Why | None:
    """Why a (non-name) expression is an ORM instance, or None."""
    if isinstance(expr, ast.Await):
        return instance(expr.value, imports, querysets)
    if isinstance(expr, ast.Attribute):
        if _is_request_user(expr):
            return Why(f"`{short(expr)}` is the request's user, a model instance")
        return None
    if isinstance(expr, ast.Subscript):
        return _pair_first(expr, querysets)
    if isinstance(expr, ast.Call):
        return _instance_call(expr, imports, querysets)
    return None


def _instance_call(call: ast.Call, imports: ImportMap, querysets: QuerysetNames) -> Why | None:
    text = short(call)
    direct = f"`{text}` returns a model instance"
    func = call.func
    callee = imports.resolve(func) or ""
    if callee.rsplit(".", 1)[-1] in _INSTANCE_SHORTCUTS:
        return Why(direct)
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in _DJANGO_TERMINALS:
        clauses = queryset(func.value, querysets, need_step=False)
        if clauses is not None:
            return Why(direct, clauses)
    if func.attr == "get_object" and _is_name(func.value, "self"):
        return Why(direct)
    if func.attr == "save" and _is_form_like(func.value):
        return Why(direct)
    if _is_sqlalchemy_instance(call):
        return Why(f"`{text}` returns an SQLAlchemy instance")
    return None


def _pair_first(expr: ast.Subscript, querysets: QuerysetNames) -> Why | None:
    """``Model.objects.get_or_create(...)[0]``."""
    index = expr.slice
    if not (isinstance(index, ast.Constant) and index.value == 0):
        return None
    pair = pair_call(expr.value, querysets)
    if pair is None:
        return None
    return Why(f"`{short(expr)}` is a model instance", pair)


def pair_call(expr: ast.expr, querysets: QuerysetNames) -> Clauses | None:
    """Clauses when `expr` is ``<queryset>.get_or_create(...)``-style (instance, flag)."""
    if isinstance(expr, ast.Await):
        expr = expr.value
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)):
        return None
    if expr.func.attr not in _DJANGO_PAIRS:
        return None
    return queryset(expr.func.value, querysets, need_step=False)


def queryset(expr: ast.expr, querysets: QuerysetNames, need_step: bool) -> Clauses | None:
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
        return querysets(node.id)
    return None


# -- models and their parameters ----------------------------------------------------------


def model_classes(tree: ast.Module, imports: ImportMap) -> set[str]:
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


def parameter_facts(node: ast.FunctionDef | ast.AsyncFunctionDef, model: str,
                    imports: ImportMap) -> dict[str, str]:
    """Parameter name -> why it holds an instance: a model method's ``self`` (`model` is
    the enclosing Django model class, or empty) and a model-signal receiver's ``instance``.
    """
    facts: dict[str, str] = {}
    positional = node.args.posonlyargs + node.args.args
    if model and positional and positional[0].arg == "self" and not _is_static(node):
        facts["self"] = f"`self` is an instance of the Django model `{model}`"
    signal = _model_signal(node, imports)
    if signal:
        facts["instance"] = (f"`instance` is the model instance sent by `{signal}` to the "
                             f"receiver `{node.name}`")
    return facts


def _model_signal(node: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap) -> str:
    """The signal names when every ``@receiver`` of `node` listens to model signals."""
    names: list[str] = []
    for decorator in node.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        if imports.resolve(decorator.func) not in _RECEIVER_DECORATORS:
            continue
        signal = positional_or_keyword(decorator, 0, "signal")
        signals = signal.elts if isinstance(signal, (ast.List, ast.Tuple)) else [signal]
        for item in signals:
            origin = imports.resolve(item) if item is not None else None
            if not origin or not origin.startswith(_MODEL_SIGNALS_MODULE):
                return ""
            if origin[len(_MODEL_SIGNALS_MODULE):] not in _MODEL_SIGNALS:
                return ""
            names.append(origin.rsplit(".", 1)[-1])
    return "/".join(names)


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")
               for d in node.decorator_list)


# -- name-based heuristics ------------------------------------------------------------------


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


# -- small syntax helpers (shared with call sites) ------------------------------------------


def positional_or_keyword(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    """The argument passed as `keyword`, or at positional `index` when no star precedes it."""
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if len(call.args) > index and not any(isinstance(a, ast.Starred)
                                          for a in call.args[: index + 1]):
        return call.args[index]
    return None


def short(node: ast.expr) -> str:
    """A compact rendering for messages: ``Order.objects.filter(...).get(...)``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{short(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        inner = "..." if node.args or node.keywords else ""
        return f"{short(node.func)}({inner})"
    if isinstance(node, ast.Subscript):
        index = node.slice
        shown = repr(index.value) if isinstance(index, ast.Constant) else "..."
        return f"{short(node.value)}[{shown}]"
    if isinstance(node, ast.Await):
        return f"await {short(node.value)}"
    return "..."


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _last_identifier(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
