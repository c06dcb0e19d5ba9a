"""CEL604 undeclared-queue: a queue named by a route, a task option or a call option that
is not in ``task_queues`` while ``task_create_missing_queues`` is off."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.routing.sending import QueueUse, queue_uses, settings_bindings
from celerylint.findings import Finding
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed
from celerylint.model.routing import declared_queues, queues_declared

_HINT = "Add a Queue for it to task_queues, or send to a declared queue."
_SETTINGS = ("task_create_missing_queues", "task_queues", "task_routes")


def _never_creates(app: App) -> bool:
    """Is ``task_create_missing_queues`` certainly False, in every value it may have?"""
    config = app.config
    setting = "task_create_missing_queues"
    if config.is_unknown(setting):
        return False
    bindings, values = config.get(setting), config.known_values(setting)
    return bool(bindings) and len(values) == len(bindings) and all(
        data is False for _, data in values)


def _message(use: QueueUse, declared: frozenset[str]) -> str:
    message = (f"queue {use.queue!r} ({use.what}) is not in task_queues: sending raises "
               "QueueNotFound")
    close = difflib.get_close_matches(use.queue, sorted(declared), n=1, cutoff=0.6)
    return f"{message}; did you mean {close[0]!r}?" if close else message


class UndeclaredQueue(Rule):
    """With ``task_create_missing_queues = False`` Celery looks every queue name up in
    ``task_queues`` when a task is sent, and raises QueueNotFound for one it lacks."""

    code = "CEL604"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        seen = set()
        for app in model.production_apps():
            declared = declared_queues(app)
            if declared is None or not queues_declared(app) or not _never_creates(app):
                continue
            for use in queue_uses(model, app):
                place = (use.path, use.span)
                if use.kind == "default" or not use.by_name or use.queue in declared:
                    continue
                if place not in seen:
                    seen.add(place)
                    message, hint = mark_assumed(_message(use, declared), _HINT, app.config,
                                                 settings_bindings(app, _SETTINGS))
                    yield Finding(self.code, message, use.path, use.span, hint=hint)
