"""CEL406 task-removed-since-base: a task name the base ref registered that no production
task of the working tree registers any more (``--base-ref`` only)."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.calling.since_base import Versions, versions
from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.tasks import Task


def _replacement(compared: Versions, old: Task) -> Task | None:
    """The working tree's task that evidently replaced `old`: the only production task
    of the same function name, under a name the base did not have."""
    found = [task for name, tasks in compared.now.items() if name not in compared.before
             for task in tasks if task.function == old.function]
    return found[0] if len(found) == 1 else None


def _app_of(model: Model, old: Task) -> App | None:
    """The working tree's app the old task belonged to (same origin), else the only
    production app."""
    apps = model.production_apps()
    if old.app is not None:
        same = [app for app in apps if app.origin == old.app.origin]
        if same:
            return same[0]
    return apps[0] if len(apps) == 1 else None


class TaskRemovedSinceBase(Rule):
    """Messages queued under a name no worker registers any more are dropped."""

    code = "CEL406"

    def check(self, model: Model) -> Iterator[Finding]:
        compared = versions(model)
        if compared is None:
            return
        ref, before = compared.ref, compared.before
        gone = {name for name in before if name not in compared.now}
        for name in sorted(gone):
            old = before[name][0]
            hint = (f'Keep the old name with name="{name}" for one release, or drain the '
                    "queue before deploying.")
            new = _replacement(compared, old)
            if new is not None:
                yield Finding(self.code, f"task {name!r} of {ref} is now {new.name!r}: "
                              "messages queued under the old name are dropped as "
                              "unregistered", new.path, new.span, hint=hint)
                continue
            app = _app_of(model, old)
            if app is not None:
                yield Finding(self.code, f"task {name!r} of {ref} is gone: messages still "
                              "queued under that name are dropped as unregistered",
                              app.path, app.span, hint=hint)
