"""Crontab fields judged the way ``celery.schedules.crontab`` judges them, without Celery.

``crontab(...)`` expands every field when it is constructed, so a bad field raises when
the module that builds the schedule is imported. This module reproduces that expansion
(Celery 5.7, ``celery/schedules.py`` ``crontab_parser`` and ``crontab._expand_cronspec``,
``celery/utils/time.py`` ``weekday``/``yearmonth``), quirks included: names are matched on
their first three letters in any field (``"monkey"`` is Monday, ``"jan"`` is 1 even as a
weekday), ``"*/25"`` is accepted for hours, ``"0/15"`` is not accepted, ranges wrap
(``"fri-mon"``), and ``"1-2-3"`` reads as ``"1-2"``. `problem` answers with the error
Celery would raise, or None when Celery accepts the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
               "dec")
_WEEKDAYS = {name: number for number, name in enumerate(DAY_NAMES)}
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}
# Days in each month, February in a leap year (Celery's CRON_DAYS_IN_MONTH).
_DAYS_IN_MONTH: dict[float, int] = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31,
                                    9: 30, 10: 31, 11: 30, 12: 31}


@dataclass(frozen=True)
class Field:
    """One crontab field: its name, its size and its smallest value."""

    name: str
    size: int
    low: int = 0

    @property
    def high(self) -> int:
        return self.low + self.size - 1


# In the order of ``crontab(minute, hour, day_of_week, day_of_month, month_of_year)``.
FIELDS = (Field("minute", 60), Field("hour", 24), Field("day_of_week", 7),
          Field("day_of_month", 31, 1), Field("month_of_year", 12, 1))
FIELDS_BY_NAME = {f.name: f for f in FIELDS}

# crontab_parser's patterns, tried in this order with ``re.match`` (anchored at the start).
_RANGE_STEPS = re.compile(r"(\w+?)-(\w+)/(\w+)?")
_RANGE = re.compile(r"(\w+?)-(\w+)")
_STAR_STEPS = re.compile(r"\*/(\w+)?")
_STAR = re.compile(r"^\*$")


_SHOWN = 40  # characters of a written value a message repeats


class CronError(Exception):
    """What ``crontab(...)`` raises for a field (the message is Celery's, or close)."""


def expand(field: Field, spec: object) -> set[float]:
    """The values a field runs on, as ``crontab._expand_cronspec`` computes them; raises
    CronError where Celery raises."""
    result: set[float]
    if isinstance(spec, int):  # bool too: True is 1
        result = {int(spec)}
    elif isinstance(spec, str):
        result = set(_parse(field, spec))
    elif isinstance(spec, (tuple, list, set, frozenset)):
        # Celery keeps the items as they are and compares them with the range: numbers
        # pass (even floats), anything else raises TypeError
        if not all(isinstance(item, (int, float)) for item in spec):
            raise CronError(f"{field.name} holds an item that is not a number")
        result = set(spec)
    else:
        raise CronError(f"{field.name} must be an int, a str or an iterable, "
                        f"not {type(spec).__name__}")
    for number in sorted(result):
        if not field.low <= number <= field.high:
            raise CronError(_out_of_range(field, number))
    return result


def _shown(written: object) -> str:
    """A written value for a message, cut short when long (messages stay one line)."""
    text = repr(written)
    return text if len(text) <= _SHOWN else text[:_SHOWN - 3] + "..."


def _out_of_range(field: Field, written: object) -> str:
    return f"{field.name} {_shown(written)} is outside {field.low}-{field.high}"


def problem(field: Field, spec: object) -> str | None:
    """Why Celery rejects `spec` for `field`, or None when it accepts it."""
    try:
        expand(field, spec)
    except CronError as exc:
        return str(exc)
    return None


def impossible_date(days: set[float], months: set[float]) -> bool:
    """No day of `days` occurs in any month of `months` (``day_of_month=31,
    month_of_year=2``): Celery raises for this combination."""
    return not any(day <= _DAYS_IN_MONTH.get(month, 0)
                   for month in months for day in days)


def _parse(field: Field, spec: str) -> set[int]:
    found: set[int] = set()
    for part in spec.split(","):
        if not part:
            raise CronError(f"{field.name} {_shown(spec)} has an empty part")
        found.update(_part(field, part))
    return found


def _part(field: Field, part: str) -> list[int]:
    match = _RANGE_STEPS.match(part)
    if match:
        start, end, step = match.groups()
        return _stepped(field, _range(field, start, end), step, part)
    match = _RANGE.match(part)
    if match:
        return _range(field, *match.groups())
    match = _STAR_STEPS.match(part)
    if match:
        every = list(range(field.low, field.high + 1))
        return _stepped(field, every, match.group(1), part)
    if _STAR.match(part):
        return list(range(field.low, field.high + 1))
    return [_number(field, part)]


def _stepped(field: Field, values: list[int], step: str | None, part: str) -> list[int]:
    """``values[::step]``: an empty step is Celery's "empty filter", a step that is not a
    positive number raises too (``"*/0"``: slice step cannot be zero)."""
    if not step:
        raise CronError(f"{field.name} {_shown(part)} has an empty step")
    try:
        number = int(step)
    except ValueError:
        raise CronError(f"{field.name} step {_shown(step)} is not a number") from None
    if number == 0:
        raise CronError(f"{field.name} {_shown(part)} has a step of zero")
    return values[::number]


def _range(field: Field, start: str, end: str) -> list[int]:
    first = _number(field, start)
    last = _number(field, end)
    if last < first:  # wraps around, as ``fri-mon``
        return list(range(first, field.high + 1)) + list(range(field.low, last + 1))
    return list(range(first, last + 1))


def _number(field: Field, text: str) -> int:
    """A number or a day/month name, within the field's range."""
    if text.startswith("-"):
        raise CronError(f"{field.name} {_shown(text)}: negative numbers are not supported")
    number = _integer(text)
    if number is None:
        number = _MONTHS.get(text[:3].lower(), _WEEKDAYS.get(text[:3].lower()))
    if number is None and "/" in text:
        raise CronError(f"{field.name} {_shown(text)}: a step needs '*/n' or a range 'a-b/n'")
    if number is None:
        raise CronError(f"{field.name} {_shown(text)} is neither a number nor a day or month name")
    if not field.low <= number <= field.high:
        raise CronError(_out_of_range(field, text))
    return number


def _integer(text: str) -> int | None:
    """``int(text)`` as Python reads it (``" 5"``, ``"0_5"``, ``"+5"``), or None."""
    try:
        return int(text)
    except ValueError:
        return None
