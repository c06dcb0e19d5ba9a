"""CEL211 task-without-time-limit (off by default): each task with no limit at all."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.time_limits import unbounded_tasks
from celerylint.findings import Finding
from celerylint.model.build import Model

_HINT = ("Give it time_limit= (and a lower soft_time_limit=), or set task_time_limit for "
         "the app.")


class TaskWithoutTimeLimit(Rule):
    """CEL211 (opt-in): every task with no hard or soft limit from any source."""

    code = "CEL211"
    blind_on = ("config", "app", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        for app, tasks in unbounded_tasks(model).values():
            for task in tasks:
                message = (f"task {task.label} has no time limit, and app {app.label!r} sets "
                           "none globally")
                yield Finding(self.code, message, task.path, task.span, hint=_HINT)
