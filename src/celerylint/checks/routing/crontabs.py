"""What CEL602 and CEL609 share: the production ``crontab(...)`` calls of a project and
the fields each call writes, with the literal ones read as plain data."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.facts.schema import CallInfo
from celerylint.facts.values import Value
from celerylint.model.build import Model
from celerylint.model.crontab import FIELDS, FIELDS_BY_NAME, Field

_PLAIN = (str, int, float, bool, type(None))
# The fields of a cron expression, in the order ``crontab.from_string`` reads them.
_FROM_STRING_ORDER = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


@dataclass(frozen=True)
class Written:
    """One field a crontab call writes: `literal` says whether `data` is its value."""

    field: Field
    value: Value
    literal: bool
    data: object = None


def production_crontabs(model: Model) -> Iterator[tuple[str, CallInfo]]:
    """(path, call) of every ``crontab(...)`` outside test code, in file order."""
    for path, facts in model.production_modules():
        for call in facts.crontabs:
            yield path, call


def from_string(call: CallInfo) -> Value | None:
    """The expression of ``crontab.from_string(expression)``; None for ``crontab(...)``."""
    if not call.callee.endswith(".from_string"):
        return None
    return call.args[0] if call.args else call.keywords.get("crontab")


def from_string_parts(expression: Value) -> list[str] | None:
    """The literal expression split as Celery splits it (on single spaces), or None."""
    if not expression.known or expression.from_env or not isinstance(expression.data, str):
        return None
    return expression.data.split(" ")


def written_fields(call: CallInfo) -> dict[str, Written]:
    """The fields a call writes, by name. Positional arguments count only without a
    ``*``/``**`` splat (after a ``*args`` their position is unknown). Every field of
    ``from_string("m h dom mon dow")`` is written, literal when the expression is and
    has five parts; each points at the expression."""
    found: dict[str, Written] = {}
    expression = from_string(call)
    if expression is not None:
        parts = from_string_parts(expression)
        literal = parts is not None and len(parts) == len(_FROM_STRING_ORDER)
        for index, name in enumerate(_FROM_STRING_ORDER):
            found[name] = Written(FIELDS_BY_NAME[name], expression, literal,
                                  parts[index] if parts and literal else None)
        return found
    if not call.has_splat:
        for spec, value in zip(FIELDS, call.args):
            found[spec.name] = _written(spec, value)
    for name, value in call.keywords.items():
        if name in FIELDS_BY_NAME:
            found[name] = _written(FIELDS_BY_NAME[name], value)
    return found


def _written(field: Field, value: Value) -> Written:
    """A value is literal when it is fully known, is not the default of an environment
    lookup, and is plain data (a string, a number, or a sequence of them)."""
    ok, data = value.try_plain()
    if not ok or value.from_env or not _plain(data):
        return Written(field, value, False)
    return Written(field, value, True, data)


def _plain(data: object) -> bool:
    if isinstance(data, tuple):
        return all(isinstance(item, _PLAIN) for item in data)
    return isinstance(data, _PLAIN)
