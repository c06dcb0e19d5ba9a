"""CEL205 autoretry-without-backoff: ``autoretry_for`` whose retries all wait the same
fixed delay."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.task_options import (
    autoretry,
    candidate,
    landing,
    option,
    retry_option,
    single,
)
from celerylint.findings import Finding, Span
from celerylint.model.build import Model
from celerylint.model.tasks import Task

DEFAULT_RETRY_DELAY = 180  # Task.default_retry_delay (celery/app/task.py:269)


def _fixed_delay(task: Task) -> str | None:
    """The delay every retry waits, as text ("180 s", "default_retry_delay"); None when
    the task asks for backoff, decides against it (``retry_backoff=False``), gives its
    own ``countdown`` in ``retry_kwargs``, or any of that cannot be known."""
    backoff = retry_option(task, "retry_backoff", False)
    if backoff.unknown or backoff.source != "default":
        return None
    kwargs = candidate(retry_option(task, "retry_kwargs", {}))
    if kwargs is None or not kwargs.value.known or not isinstance(kwargs.value.data, dict):
        return None
    if kwargs.value.partial or "countdown" in kwargs.value.data or "eta" in kwargs.value.data:
        return None
    delay = single(option(task, "default_retry_delay", DEFAULT_RETRY_DELAY))
    if delay is not None and isinstance(delay[1], (int, float)) and not isinstance(
            delay[1], bool):
        return f"{delay[1]:g} s"
    return "default_retry_delay"


class AutoretryWithoutBackoff(Rule):
    """CEL205: every automatic retry waits the same delay, with no growth or jitter."""

    code = "CEL205"

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            found = autoretry(task)
            delay = _fixed_delay(task) if found is not None else None
            if found is None or delay is None:
                continue
            place = landing(task, "autoretry_for", found)
            if place is None or place in seen:
                continue
            seen.add(place)
            yield Finding(
                self.code,
                f"autoretry_for without retry_backoff: every retry waits a fixed {delay}",
                *place,
                hint="Add retry_backoff=True (growing delays with jitter), or "
                     "retry_backoff=False to keep them fixed.")
