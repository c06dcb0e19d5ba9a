"""Static values: what an expression is known to be, or why it is unknown.

celerylint never runs the code it checks, so every configuration value and task option
is evaluated here from the `ast` alone: literals, containers, constant arithmetic, env
lookups with a literal default (the default is one possible value), a few well-known
casts. Anything else is *unknown*, and rules stay silent on unknowns instead of guessing.
"""

from __future__ import annotations

import ast
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from celerylint.findings import Span

MAX_SEQUENCE = 10_000  # a folded string or tuple longer than this is not worth knowing


@dataclass(frozen=True)
class Symbol:
    """A dotted name whose value is not a literal, such as ``ssl.CERT_NONE``."""

    dotted: str


@dataclass(frozen=True)
class Duration:
    """A ``timedelta(...)`` folded to seconds; Celery accepts it wherever seconds go."""

    seconds: float


@dataclass(frozen=True)
class Construct:
    """A call of a constructor whose arguments rules read: a schedule
    (``crontab(minute=0, hour="*/3")``) or a queue (``Queue("images", routing_key="img")``).

    `kind` is the short name (see `CONSTRUCTORS`); `args` and `keywords` are Values, each
    known or not, so a rule can judge one field and point at it; `splat` marks ``*x`` or
    ``**x`` among the arguments (then any field may be set by it).
    """

    kind: str
    args: tuple[Value, ...]
    keywords: dict[str, Value]
    splat: bool = False


# Resolved dotted origins of the constructors kept as `Construct`, by kind.
CONSTRUCTORS = {
    "celery.schedules.crontab": "crontab", "celery.crontab": "crontab",
    "celery.task.schedules.crontab": "crontab",
    "celery.schedules.solar": "solar", "celery.solar": "solar",
    "celery.schedules.schedule": "schedule",
    "kombu.Queue": "Queue", "kombu.entity.Queue": "Queue",
    "kombu.Exchange": "Exchange", "kombu.entity.Exchange": "Exchange",
    "kombu.common.Broadcast": "Broadcast",
}


@dataclass(frozen=True)
class Value:
    """One possible value of an expression, with where it is written.

    Containers hold Values, so a rule can point at one entry of a dict. `from_env` marks
    the literal default of an environment lookup: a possible value, not a certain one.
    """

    known: bool
    data: Any = None
    span: Span | None = None
    reason: str = ""
    from_env: bool = False
    partial: bool = field(default=False)  # a dict with ``**splat`` entries

    def plain(self) -> Any:
        """The value as plain Python data; raises UnknownValue when any part is unknown."""
        if not self.known:
            raise UnknownValue(self.reason)
        data = self.data
        if isinstance(data, dict):
            if self.partial:
                raise UnknownValue("dict built with ** entries")
            return {k: v.plain() for k, v in data.items()}
        if isinstance(data, tuple):
            return tuple(v.plain() for v in data)
        return data

    def try_plain(self) -> tuple[bool, Any]:
        """``(True, data)`` when fully known, else ``(False, None)``."""
        try:
            return True, self.plain()
        except UnknownValue:
            return False, None

    def display(self) -> str:
        """A short human rendering for `celerylint config`."""
        ok, data = self.try_plain()
        if not ok:
            return f"unknown ({self.reason})" if self.reason else "unknown"
        return render(data)


class UnknownValue(Exception):
    """Raised by Value.plain() for values that cannot be known statically."""


def render(data: Any) -> str:
    """Python-like text for a plain value (stable across runs, for reports)."""
    if isinstance(data, Construct):
        parts = [v.display() for v in data.args]
        parts += [f"{k}={v.display()}" for k, v in data.keywords.items()]
        if data.splat:
            parts.append("...")
        return f"{data.kind}({', '.join(parts)})"
    if isinstance(data, Duration):
        return f"timedelta(seconds={data.seconds:g})"
    if isinstance(data, Symbol):
        return data.dotted
    if isinstance(data, tuple):
        inner = ", ".join(render(v) for v in data)
        return f"[{inner}]"
    if isinstance(data, dict):
        inner = ", ".join(f"{render(k)}: {render(v)}" for k, v in data.items())
        return "{" + inner + "}"
    return repr(data)


def jsonable(data: Any) -> Any:
    """Plain data as JSON-compatible data (tuples become lists, symbols strings)."""
    if isinstance(data, (Duration, Symbol, Construct)):
        return render(data)
    if isinstance(data, tuple):
        return [jsonable(v) for v in data]
    if isinstance(data, dict):
        return {str(k): jsonable(v) for k, v in data.items()}
    if isinstance(data, float) and not math.isfinite(data):
        return render(data)
    return data


def unknown(reason: str, span: Span | None = None) -> Value:
    """An unknown value and the reason shown to users."""
    return Value(known=False, span=span, reason=reason)


# Environment lookups: callee suffixes whose literal ``default`` is a possible value.
_ENV_GETTERS = {"os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault"}
_ENV_LIBRARY_CALLEES = {"env", "config", "decouple.config", "environ.Env"}
_ENV_METHODS = {"str", "bool", "int", "float", "list", "tuple", "dict", "json", "url", "get_value"}
_CASTS: dict[str, Callable[[Any], Any]] = {"int": int, "float": float, "str": str}
_TIMEDELTA = {"timedelta", "datetime.timedelta"}


class Evaluator:
    """Folds expressions of one module into Values.

    `names` resolves a bare name to its possible values in the module (None when the
    name is not known there); `dotted` turns an expression into the dotted name its
    imports give it (``td`` imported as ``datetime.timedelta``), or None.
    """

    def __init__(
        self,
        spans: Callable[[ast.AST], Span],
        names: Callable[[str], Value | None],
        dotted: Callable[[ast.AST], str | None],
    ) -> None:
        self._span = spans
        self._names = names
        self._dotted = dotted

    def eval(self, node: ast.AST) -> Value:
        """The value of `node`; never raises."""
        try:
            value = self._eval(node)
        except (ArithmeticError, LookupError, ValueError, TypeError, RecursionError) as exc:
            value = unknown(f"cannot fold: {type(exc).__name__}")
        if value.span is None or value.span != self._span(node):
            value = _respan(value, self._span(node))
        return value

    def _eval(self, node: ast.AST) -> Value:
        method = getattr(self, f"_eval_{type(node).__name__}", None)
        if method is None:
            return unknown(f"{type(node).__name__.lower()} expression")
        result: Value = method(node)
        return result

    def _eval_Constant(self, node: ast.Constant) -> Value:
        if isinstance(node.value, (bytes, complex)) or node.value is Ellipsis:
            return unknown("unsupported literal")
        return Value(True, node.value)

    def _eval_JoinedStr(self, node: ast.JoinedStr) -> Value:
        parts = []
        for part in node.values:
            if not isinstance(part, ast.Constant):
                return unknown("f-string with placeholders")
            parts.append(str(part.value))
        return Value(True, "".join(parts))

    def _seq(self, elts: list[ast.expr]) -> Value:
        items = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                return unknown("sequence with * unpacking")
            items.append(self.eval(elt))
        return Value(True, tuple(items))

    def _eval_List(self, node: ast.List) -> Value:
        return self._seq(node.elts)

    def _eval_Tuple(self, node: ast.Tuple) -> Value:
        return self._seq(node.elts)

    def _eval_Set(self, node: ast.Set) -> Value:
        return self._seq(node.elts)

    def _eval_Dict(self, node: ast.Dict) -> Value:
        entries: dict[Any, Value] = {}
        partial = False
        for key, val in zip(node.keys, node.values):
            if key is None:
                partial = True
                continue
            ok, plain_key = self.eval(key).try_plain()
            if not ok or not _hashable(plain_key):
                partial = True
                continue
            entries[plain_key] = self.eval(val)
        return Value(True, entries, partial=partial)

    def _eval_Name(self, node: ast.Name) -> Value:
        found = self._names(node.id)
        if found is not None:
            return found
        dotted = self._dotted(node)
        if dotted and dotted != node.id:
            return Value(True, Symbol(dotted))
        return unknown(f"name {node.id!r} is not a constant")

    def _eval_Attribute(self, node: ast.Attribute) -> Value:
        dotted = self._dotted(node)
        if dotted and "." in dotted:
            return Value(True, Symbol(dotted))
        return unknown("attribute of a run-time object")

    def _eval_Subscript(self, node: ast.Subscript) -> Value:
        base = self.eval(node.value)
        index = node.slice
        if isinstance(index, ast.Index):  # pragma: no cover - Python 3.8 trees only
            index = index.value  # type: ignore[attr-defined]
        ok, key = self.eval(index).try_plain()
        if not base.known or not ok:
            return unknown("subscript of an unknown value")
        if isinstance(base.data, dict) and _hashable(key) and key in base.data:
            element: Value = base.data[key]
            return element
        if isinstance(base.data, tuple) and isinstance(key, int) and -len(base.data) <= key < len(
            base.data
        ):
            item: Value = base.data[key]
            return item
        return unknown("subscript not found")

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Value:
        ok, operand = self.eval(node.operand).try_plain()
        if not ok:
            return unknown("operation on an unknown value")
        if isinstance(node.op, ast.USub) and _number(operand):
            return Value(True, -operand)
        if isinstance(node.op, ast.UAdd) and _number(operand):
            return Value(True, +operand)
        if isinstance(node.op, ast.Not):
            return Value(True, not operand)
        return unknown("unsupported unary operation")

    def _eval_BinOp(self, node: ast.BinOp) -> Value:
        left_ok, left = self.eval(node.left).try_plain()
        right_ok, right = self.eval(node.right).try_plain()
        if not (left_ok and right_ok):
            return unknown("arithmetic on an unknown value")
        return _fold(node.op, left, right)

    def _eval_Call(self, node: ast.Call) -> Value:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return self._str_format(node, node.func)
        callee = self._dotted(node.func) or _raw_name(node.func)
        if callee in _ENV_GETTERS or callee.endswith(".getenv"):
            return self._env_default(node, positional=1)
        if _is_env_library_call(callee):
            return self._env_default(node, positional=None)
        if callee in _CASTS and len(node.args) == 1 and not node.keywords:
            ok, raw = self.eval(node.args[0]).try_plain()
            if ok and isinstance(raw, (str, int, float, bool)):
                return Value(True, _CASTS[callee](raw))
            return unknown(f"{callee}() of an unknown value")
        if callee == "bool" and len(node.args) == 1:
            ok, raw = self.eval(node.args[0]).try_plain()
            return Value(True, bool(raw)) if ok else unknown("bool() of an unknown value")
        if callee in _TIMEDELTA:
            return self._timedelta(node)
        if callee in CONSTRUCTORS:
            return self._construct(CONSTRUCTORS[callee], node)
        if callee == "dict" and not node.args:
            return self._keywords_dict(node)
        return unknown(f"call to {callee or 'an expression'}()")

    def _str_format(self, node: ast.Call, func: ast.Attribute) -> Value:
        """``"redis://{}:{}@host".format("u", "pw")`` with literal parts only; fields with
        a format spec, conversion or attribute access (``{:>99999999}``) stay unknown."""
        ok, template = self.eval(func.value).try_plain()
        if not ok or not isinstance(template, str):
            return unknown("call to .format()")
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
                kw.arg is None for kw in node.keywords):
            return unknown(".format() with * or ** arguments")
        args = [self.eval(a).try_plain() for a in node.args]
        kwargs = {kw.arg: self.eval(kw.value).try_plain() for kw in node.keywords}
        parts = [*args, *kwargs.values()]
        if not all(ok and isinstance(v, (str, int, float)) for ok, v in parts):
            return unknown(".format() of unknown values")
        try:
            fields = list(string.Formatter().parse(template))
            if not all(_plain_field(name, spec, conv) for _, name, spec, conv in fields):
                return unknown(".format() with a format spec or attribute access")
            text = template.format(*(v for _, v in args),
                                   **{k: v for k, (_, v) in kwargs.items() if k})
        except (IndexError, KeyError, ValueError, AttributeError):
            return unknown("cannot fold .format()")
        return _bounded(text)

    def _env_default(self, node: ast.Call, positional: int | None) -> Value:
        default: ast.expr | None = None
        cast: ast.expr | None = None
        for kw in node.keywords:
            if kw.arg == "default":
                default = kw.value
            elif kw.arg == "cast":
                cast = kw.value
        if default is None and positional is not None and len(node.args) > positional:
            default = node.args[positional]
        if default is None:
            return unknown("environment lookup without a literal default")
        value = self.eval(default)
        if cast is not None:
            value = self._cast(cast, value)
        return Value(value.known, value.data, value.span, value.reason, from_env=True)

    def _cast(self, cast: ast.expr, value: Value) -> Value:
        name = self._dotted(cast) or _raw_name(cast)
        ok, raw = value.try_plain()
        if not ok:
            return value
        if name in _CASTS and isinstance(raw, (str, int, float)):
            try:
                return Value(True, _CASTS[name](raw))
            except ValueError:
                return unknown(f"default does not cast to {name}")
        if name == "bool" and isinstance(raw, bool):
            return value
        return unknown(f"default cast by {name or 'a function'}")

    def _timedelta(self, node: ast.Call) -> Value:
        units = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1,
                 "milliseconds": 0.001, "microseconds": 0.000001}
        order = ["days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"]
        total = 0.0
        pairs = list(zip(order, node.args)) + [(kw.arg or "", kw.value) for kw in node.keywords]
        for unit, expr in pairs:
            ok, raw = self.eval(expr).try_plain()
            if not ok or unit not in units or not _number(raw):
                return unknown("timedelta() of unknown values")
            total += raw * units[unit]
        return Value(True, Duration(total))

    def _construct(self, kind: str, node: ast.Call) -> Value:
        starred = [i for i, arg in enumerate(node.args) if isinstance(arg, ast.Starred)]
        splat = bool(starred) or any(kw.arg is None for kw in node.keywords)
        # positions after a ``*x`` are unknown: keep only the arguments before it
        args = tuple(self.eval(arg) for arg in node.args[:starred[0] if starred else None])
        keywords = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg is not None}
        return Value(True, Construct(kind, args, keywords, splat))

    def _keywords_dict(self, node: ast.Call) -> Value:
        entries: dict[Any, Value] = {}
        partial = False
        for kw in node.keywords:
            if kw.arg is None:
                partial = True
            else:
                entries[kw.arg] = self.eval(kw.value)
        return Value(True, entries, partial=partial)


def _raw_name(node: ast.AST) -> str:
    """The dotted text of a name chain as written (builtins such as ``int``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _raw_name(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


def _is_env_library_call(callee: str) -> bool:
    """django-environ ``env(...)``/``env.int(...)``, python-decouple ``config(...)``."""
    if callee in _ENV_LIBRARY_CALLEES:
        return True
    head, _, method = callee.rpartition(".")
    return head in ("env", "environ.Env") and method in _ENV_METHODS


def _respan(value: Value, span: Span) -> Value:
    return Value(value.known, value.data, span, value.reason, value.from_env, value.partial)


def _number(data: Any) -> bool:
    return isinstance(data, (int, float))


def _hashable(data: Any) -> bool:
    try:
        hash(data)
    except TypeError:
        return False
    return True


def _fold(op: ast.operator, left: Any, right: Any) -> Value:
    """Constant arithmetic, bounded so that ``"x" * 10**9`` cannot exhaust memory."""
    if isinstance(left, Duration) or isinstance(right, Duration):
        return _fold_duration(op, left, right)
    if _number(left) and _number(right) and type(op) in _NUMERIC_OPS:
        if isinstance(op, ast.Pow) and (abs(right) > 64 or abs(left) > 10**6):
            return unknown("exponent too large to fold")
        return Value(True, _NUMERIC_OPS[type(op)](left, right))
    if isinstance(left, str) and isinstance(right, str) and isinstance(op, ast.Add):
        return _bounded(left + right)
    if isinstance(op, ast.Mult) and isinstance(left, str) and isinstance(right, int):
        return _bounded(left * min(right, MAX_SEQUENCE + 1))
    if isinstance(op, ast.Mod) and isinstance(left, str):
        return unknown("%-formatting")
    return unknown("unsupported operation")


def _fold_duration(op: ast.operator, left: Any, right: Any) -> Value:
    lsec = left.seconds if isinstance(left, Duration) else left
    rsec = right.seconds if isinstance(right, Duration) else right
    if not (_number(lsec) and _number(rsec)) or type(op) not in _NUMERIC_OPS:
        return unknown("unsupported timedelta operation")
    return Value(True, Duration(_NUMERIC_OPS[type(op)](lsec, rsec)))


def _plain_field(name: str | None, spec: str | None, conversion: str | None) -> bool:
    """A ``.format()`` field that only inserts an argument: ``{}``, ``{0}``, ``{pw}``."""
    return name is None or (not spec and not conversion and (
        name == "" or name.isdigit() or name.isidentifier()))


def _bounded(text: str) -> Value:
    if len(text) > MAX_SEQUENCE:
        return unknown("string too long to fold")
    return Value(True, text)


_NUMERIC_OPS: Mapping[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
