"""CEL609 crontab-every-minute: a ``crontab(...)`` that restricts the hour or the day
but leaves ``minute`` at its default ``"*"``, so it runs every minute of them."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.checks.routing.crontabs import Written, production_crontabs, written_fields
from celerylint.facts.schema import CallInfo
from celerylint.findings import Edit, Finding, Fix, Span
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model.build import Model
from celerylint.model.crontab import expand, problem

_RESTRICTING = ("hour", "day_of_week", "day_of_month", "month_of_year")
_HOUR_HINT = "Pass `minute=0` (or the minute meant) to run once per chosen hour."
_DAY_HINT = "Pass `minute` and `hour` for the time of day it should run."


class CrontabEveryMinute(Rule):
    """CEL609: ``minute`` defaults to ``"*"``; ``crontab(hour=3)`` runs 60 times
    between 03:00 and 03:59, where once at 03:00 was almost always meant."""

    code = "CEL609"

    def check(self, model: Model) -> Iterator[Finding]:
        for path, call in production_crontabs(model):
            fields = written_fields(call)
            if "minute" in fields or call.has_splat or _invalid(fields.values()):
                continue
            restricted = [name for name in _RESTRICTING if _restricts(fields.get(name))]
            if not restricted:
                continue
            shown = ", ".join(restricted)
            hourly = "hour" in restricted
            message = (f"crontab() restricts {shown} but not minute: it runs every minute "
                       f"of {'those hours' if hourly else 'every chosen day'}")
            yield Finding(self.code, message, path, call.span,
                          hint=_HOUR_HINT if hourly else _DAY_HINT,
                          fix=_add_minute(model.project.root, path, call))


def _invalid(fields: Iterable[Written]) -> bool:
    """Some literal field Celery rejects: the call raises, which CEL602 reports."""
    return any(w.literal and problem(w.field, w.data) is not None for w in fields)


def _restricts(written: Written | None) -> bool:
    """A literal field that leaves out some of its values (``hour="*"`` does not)."""
    if written is None or not written.literal:
        return False
    return len(expand(written.field, written.data)) < written.field.size


@no_fix_on_mismatch
def _add_minute(root: Path, path: str, call: CallInfo) -> Fix | None:
    """Unsafe: ``minute=0`` before the first keyword of the call. The schedule then runs
    once an hour, which is what was meant unless several runs an hour were wanted."""
    view = load_view(root, path)
    calls = [n for n in view.nodes_at(call.span) if isinstance(n, ast.Call)] if view else []
    if view is None or len(calls) != 1 or calls[0].args or not calls[0].keywords:
        return None
    first = view.span_of(calls[0].keywords[0])
    at = Span(first.row, first.column, first.row, first.column)
    return fix("unsafe", "Add minute=0", Edit("minute=0, ", at))
