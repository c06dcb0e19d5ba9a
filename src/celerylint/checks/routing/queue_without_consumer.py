"""CEL607 queue-without-consumer: a queue the project sends tasks to that no production
worker command of the app consumes."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.routing.sending import QueueUse, queue_uses, settings_bindings
from celerylint.findings import MESSAGE_LIMIT, Finding
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed
from celerylint.model.routing import consumed_queues, declared_queues, may_serve_unknown_app
from celerylint.model.serving import production_workers
from celerylint.model.workers import WorkerCommand

_HINT = "Add the queue to a worker's -Q list, or send the tasks to a queue a worker consumes."
_SHOWN = 3  # worker commands named in a message
_SETTINGS = ("task_queues", "task_default_queue", "task_routes")


def _consumed(model: Model, app: App) -> tuple[frozenset[str], list[WorkerCommand]] | None:
    """Every queue the app's production workers consume, and those workers; None when
    there is none in the repository or one consumes queues that cannot be known."""
    workers = production_workers(model.project, app)
    if not workers or declared_queues(app) is None or any(
            may_serve_unknown_app(c) for c in model.project.workers if not c.dev_only):
        return None
    consumed: set[str] = set()
    for command in workers:
        queues = consumed_queues(command, app)
        if queues is None:
            return None
        consumed |= queues
    return frozenset(consumed), workers


def _read(workers: list[WorkerCommand]) -> str:
    places = sorted({f"{w.path}:{w.row}" for w in workers})
    more = f" and {len(places) - _SHOWN} more" if len(places) > _SHOWN else ""
    return ", ".join(places[:_SHOWN]) + more


def _message(use: QueueUse, workers: list[WorkerCommand]) -> str:
    """The longest form within the limit: the place's role, then the commands read."""
    read = f"worker commands read: {_read(workers)}"
    for message in (f"no worker consumes queue {use.queue!r} ({use.what}); {read}",
                    f"no worker consumes queue {use.queue!r}; {read}"):
        if len(message) <= MESSAGE_LIMIT:
            return message
    return f"no worker consumes queue {use.queue!r} ({len(workers)} worker commands read)"


class QueueWithoutConsumer(Rule):
    """Messages sent to a queue no worker consumes wait in the broker for ever: the
    tasks stay PENDING and nothing reports an error."""

    code = "CEL607"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        reported: set[str] = set()
        for app in model.production_apps():
            found = _consumed(model, app)
            if found is None:
                continue
            consumed, workers = found
            for use in queue_uses(model, app):  # path, then line: the first place wins
                if use.queue in consumed or use.queue in reported:
                    continue
                reported.add(use.queue)
                message, hint = mark_assumed(_message(use, workers), _HINT, app.config,
                                             settings_bindings(app, _SETTINGS))
                yield Finding(self.code, message, use.path, use.span, hint=hint)
