"""CEL212 invalid-rate-limit: a literal rate limit that Celery's rate parser rejects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.facts.values import Value
from celerylint.findings import Finding, Fix, Span
from celerylint.fixes import edits
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model.build import Model
from celerylint.model.tasks import Task, annotation_maps

# celery.utils.time.RATE_MODIFIER_MAP: the only units `rate()` knows.
UNITS = ("s", "m", "h")
# Long spellings with one meaning, and the unit Celery knows for each.
LONG_UNITS = {"sec": "s", "secs": "s", "second": "s", "seconds": "s",
              "min": "m", "mins": "m", "minute": "m", "minutes": "m",
              "hr": "h", "hrs": "h", "hour": "h", "hours": "h"}


def rate_error(data: object) -> str | None:
    """The exception ``celery.utils.time.rate`` raises for `data`, None when it accepts
    it: a number, an empty value, or ``"N"``/``"N/s"``/``"N/m"``/``"N/h"`` where N is
    anything ``float()`` reads (``rate`` looks the unit up before it reads N)."""
    if not isinstance(data, str) or not data:
        return None
    number, _, unit = data.partition("/")
    if (unit or "s") not in UNITS:
        return f"KeyError: {unit!r}"
    try:
        float(number)
    except ValueError:
        return "ValueError"
    return None


class InvalidRateLimit(Rule):
    """CEL212: a rate limit the worker fails on when it starts."""

    code = "CEL212"

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for path, value in _rates(model):
            ok, data = value.try_plain()
            error = rate_error(data) if ok else None
            if error is None or value.span is None or (path, value.span) in seen:
                continue
            seen.add((path, value.span))
            yield Finding(
                self.code,
                f"rate limit {data!r} is not one Celery reads: the worker exits at start "
                f"({error})",
                path, value.span,
                fix=short_unit(model.project.root, path, value.span, data),
                hint='Write a number of tasks per second, or "N/s", "N/m" or "N/h".')


def _rates(model: Model) -> Iterator[tuple[str, Value]]:
    """Every literal rate limit of the project's tasks and apps, with its file."""
    for task in model.production_tasks():
        yield from _written(task)
    for app in model.production_apps():
        for binding in app.config.certain("task_default_rate_limit"):
            yield binding.path, binding.value
        for binding in app.config.certain("task_annotations"):
            for entry in annotation_maps(binding.value):
                for options in (entry.data.values() if entry is not None else ()):
                    if options.known and isinstance(options.data, dict) and (
                            "rate_limit" in options.data):
                        yield binding.path, options.data["rate_limit"]


def _written(task: Task) -> Iterator[tuple[str, Value]]:
    """The rate limits written for a task: its decorator's, its alias's, and the nearest
    class attribute. Each is reported even when another source overrides it (a wrong
    value is wrong wherever it stands)."""
    if task.decorator is not None and "rate_limit" in task.decorator.keywords:
        yield task.path, task.decorator.keywords["rate_limit"]
    if task.alias is not None and "rate_limit" in task.alias.assign.call.keywords:
        yield task.alias.path, task.alias.assign.call.keywords["rate_limit"]
    for path, klass in task.class_chain:
        if "rate_limit" in klass.attributes:
            yield path, klass.attributes["rate_limit"]
            break


@no_fix_on_mismatch
def short_unit(root: Path, path: str, span: Span, rate: str) -> Fix | None:
    """CEL212 (safe): ``"10/min"`` becomes ``"10/m"`` when the unit has one meaning and
    the number is one Celery reads."""
    number, _, unit = rate.partition("/")
    short = LONG_UNITS.get(unit)
    if short is None or rate_error(f"{number}/{short}") is not None:
        return None
    view = load_view(root, path)
    edit = edits.replace_string(view, span, rate, f"{number}/{short}") if view else None
    return fix("safe", f'Write "{number}/{short}"', edit)
