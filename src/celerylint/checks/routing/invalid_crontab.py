"""CEL602 invalid-crontab: a ``crontab(...)`` field Celery rejects when the schedule is
built, so the module defining it fails to import."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.routing.crontabs import (
    Written,
    from_string,
    from_string_parts,
    production_crontabs,
    written_fields,
)
from celerylint.facts.schema import CallInfo
from celerylint.findings import Finding, Span
from celerylint.model.build import Model
from celerylint.model.crontab import FIELDS_BY_NAME, expand, impossible_date, problem

_HINT = ("Write a value Celery accepts: minute 0-59, hour 0-23, day_of_week 0-6 "
         "(Sunday is 0), day_of_month 1-31, month_of_year 1-12.")
_DATE_HINT = "Choose days that occur in the chosen months."


class InvalidCrontab(Rule):
    """CEL602: ``crontab(...)`` validates every field when it is called and raises
    ValueError (or TypeError) for one it cannot expand; the app or settings module that
    builds the schedule then fails to import."""

    code = "CEL602"

    def check(self, model: Model) -> Iterator[Finding]:
        for path, call in production_crontabs(model):
            yield from self._expression(path, call)
            fields = written_fields(call)
            for written in fields.values():
                reason = problem(written.field, written.data) if written.literal else None
                if reason is not None:
                    yield self._finding(path, written.value.span or call.span, reason, _HINT)
            yield from self._impossible_date(path, call, fields)

    def _expression(self, path: str, call: CallInfo) -> Iterator[Finding]:
        """``crontab.from_string`` unpacks exactly five space-separated fields."""
        expression = from_string(call)
        parts = from_string_parts(expression) if expression is not None else None
        if expression is not None and parts is not None and len(parts) != 5:
            reason = (f"crontab.from_string() needs 5 fields separated by single spaces, "
                      f"{len(parts)} found")
            yield Finding(self.code, reason, path, expression.span or call.span,
                          hint="Write 'minute hour day_of_month month_of_year day_of_week'.")

    def _impossible_date(self, path: str, call: CallInfo, fields: dict[str, Written]
                         ) -> Iterator[Finding]:
        """``day_of_month=31, month_of_year=2``: valid fields, a date that never comes.
        A field not written is ``"*"``, unless a ``**`` splat may write it."""
        days = fields.get("day_of_month")
        months = fields.get("month_of_year")
        if days is None or (months is None and call.has_splat):
            return  # every month has a 1st; a splat may pass month_of_year
        day_set, month_set = _expanded(days), _expanded(months, "month_of_year")
        if day_set is None or month_set is None or not impossible_date(day_set, month_set):
            return
        shown = ", ".join(f"{w.field.name}={w.data!r}" for w in (days, months) if w)
        yield self._finding(path, days.value.span or call.span, f"{shown} never occurs",
                            _DATE_HINT)

    def _finding(self, path: str, span: Span, reason: str, hint: str) -> Finding:
        return Finding(self.code, f"crontab() raises here: {reason}", path, span, hint=hint)


def _expanded(written: Written | None, name: str = "") -> set[float] | None:
    """The values of a valid literal field, or of field `name` not written (``"*"``);
    None when they cannot be known or Celery rejects the field (reported already)."""
    if written is None:
        return expand(FIELDS_BY_NAME[name], "*")
    if not written.literal or problem(written.field, written.data) is not None:
        return None
    return expand(written.field, written.data)
