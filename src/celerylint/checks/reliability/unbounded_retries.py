"""CEL206 unbounded-retries: the task option or class attribute ``max_retries=None``."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.task_options import (
    autoretry,
    bodies,
    candidate,
    landing,
    own,
    retry_option,
)
from celerylint.facts.values import Value
from celerylint.findings import Finding, Span
from celerylint.model.build import Model
from celerylint.model.tasks import Task


def _bound(value: Value | None) -> bool | None:
    """Does a retry's ``max_retries`` bound it? None (absent) and ``None`` mean "the
    task's limit" (celery/app/task.py:880-882); unknown when it cannot be known."""
    if value is None:
        return False
    ok, data = value.try_plain()
    if not ok:
        return None
    return isinstance(data, int) and not isinstance(data, bool)


def _retries_bounded(model: Model, task: Task) -> bool | None:
    """Does every way the task retries pass its own bound? False when it has none that
    can be seen (the option is then its whole retry policy); None when unknown."""
    verdicts = [_bound(call.max_retries) for body in bodies(model, task) for call in body.retries]
    if retry_option(task, "autoretry_for", ()).unknown:
        return None
    if autoretry(task) is not None:
        kwargs = candidate(retry_option(task, "retry_kwargs", {}))
        if kwargs is None or not kwargs.value.known or kwargs.value.partial or not isinstance(
                kwargs.value.data, dict):
            return None
        verdicts.append(_bound(kwargs.value.data.get("max_retries")))
    if not verdicts or False in verdicts:
        return False
    return None if None in verdicts else True


class UnboundedRetries(Rule):
    """CEL206: ``max_retries=None`` lets a task retry forever."""

    code = "CEL206"

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            found = own(task, "max_retries")
            if found is None or found[1] is not None:
                continue
            place = landing(task, "max_retries", found[0])
            if place is None or place in seen or _retries_bounded(model, task) is not False:
                continue
            seen.add(place)
            yield Finding(
                self.code,
                "max_retries=None: the task retries forever",
                *place,
                hint="Set a bound (max_retries=5); in retry() calls None means the task's own "
                     "limit, not unlimited.")
