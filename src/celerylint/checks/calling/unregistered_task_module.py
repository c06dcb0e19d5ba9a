"""CEL405 unregistered-task-module: a task in a module no worker of its app imports."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.registration import Reach, worker_reach
from celerylint.model.tasks import Task

_HINT = ("Name the module in the app's include=/imports, or import it from a module "
         "the worker loads.")


def _app_tasks(model: Model, app: App) -> list[Task]:
    """The app's production function tasks (a Task class registers only through
    ``register_task``, wherever it is defined)."""
    return [task for task in model.production_tasks()
            if task.kind == "function" and task.app is app and task.app_known]


def _reaches(model: Model) -> Iterator[tuple[App, list[Task], Reach]]:
    """Each production app with tasks, its tasks and what its workers import."""
    for app in model.production_apps():
        tasks = _app_tasks(model, app)
        if tasks:
            yield app, tasks, worker_reach(model.project, app, {t.module for t in tasks})


def _unread_imports(model: Model) -> set[str]:
    """The need: files to read to follow the workers' imports further, while some task
    module of an app is not reached yet (``link`` asks again until none is left)."""
    return {path for _, _, reach in _reaches(model) if not reach.unknown
            for path in reach.pending}


class UnregisteredTaskModule(Rule):
    """A task whose module no worker of its app imports is never registered: calls of
    it reach the worker as "Received unregistered task" and fail NotRegistered."""

    code = "CEL405"
    needs = (_unread_imports,)
    blind_on = ("config", "app")  # include/imports unknown; shared tasks with no app

    def check(self, model: Model) -> Iterator[Finding]:
        for app, tasks, reach in _reaches(model):
            if reach.unknown or reach.pending:
                continue  # an import could not be followed: any module may be reached
            for task in tasks:
                if task.module not in reach.modules:
                    yield Finding(
                        self.code,
                        f"task {task.function!r} is never registered: no worker of app "
                        f"{app.label!r} imports {task.module}",
                        task.path, task.span, hint=_HINT,
                    )
