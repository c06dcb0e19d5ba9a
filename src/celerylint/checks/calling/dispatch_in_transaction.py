"""CEL402 dispatch-in-transaction: a task sent from inside ``transaction.atomic``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from celerylint.checks.calling.receivers import TaskIndex, resolve_receivers
from celerylint.checks.registry import Rule
from celerylint.facts.schema import DEFERS, CallSite, ClassFacts
from celerylint.findings import Edit, Finding, Fix, Span
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model.apps import App, settings_module_for
from celerylint.model.build import Model
from celerylint.model.tasks import Task

_SENDS = {"delay", "apply_async"}
DJANGO_TASK = "celery.contrib.django.task.DjangoTask"
# ``delay_on_commit`` arrived in Celery 5.4, with the Django fix-up making DjangoTask the
# default task class of an app that names none.
_ON_COMMIT_SINCE = (5, 4)
_HINT = "Send it from transaction.on_commit(...), or with delay_on_commit()."


def _defining(chain: list[tuple[str, ClassFacts]], method: str) -> ClassFacts | None:
    """The nearest class of the chain that defines `method`."""
    return next((klass for _, klass in chain if method in klass.methods), None)


def _reaches_on_commit(chain: list[tuple[str, ClassFacts]], method: str) -> bool:
    """Does the class's `method` call ``transaction.on_commit``, directly or through
    ``self.<method>`` calls of the class's own methods?"""
    pending, seen = [method], set()
    while pending:
        name = pending.pop()
        seen.add(name)
        klass = _defining(chain, name)
        calls = klass.method_calls.get(name, ()) if klass is not None else ()
        if DEFERS in calls:
            return True
        pending.extend(call for call in calls if call not in seen)
    return False


def defers(task: Task, method: str) -> bool | None:
    """Does the task's class hold `method`'s message until the commit? None: unknown.
    Celery's ``delay`` sends through ``self.apply_async``, so an ``apply_async`` override
    counts for ``delay`` too (unless ``delay`` itself is overridden)."""
    if not task.class_known:
        return None
    chain = task.class_chain
    if _defining(chain, method) is None and method == "delay":
        method = "apply_async"
    return _defining(chain, method) is not None and _reaches_on_commit(chain, method)


def is_django_task(model: Model, task: Task) -> bool:
    """Is the task's class Celery's DjangoTask or a subclass? The Django fix-up (active
    where DJANGO_SETTINGS_MODULE is set) makes it the task class of an app that names
    none, so the app's default class and ``<app>.Task`` count for such an app."""
    project = model.project
    if task.kind == "class":
        bases = project.ancestry(f"{task.module}.{task.function}")[1]
    elif task.base is None:
        return task.app is not None and _fixed_up(model, task.app)
    else:
        bases = [task.base, *project.ancestry(task.base)[1]]
    apps = {app.origin: app for app in model.apps}
    for base in bases:
        owner, _, attr = base.rpartition(".")
        if base == DJANGO_TASK or (attr == "Task" and owner in apps
                                   and _fixed_up(model, apps[owner])):
            return True
    return False


def _fixed_up(model: Model, app: App) -> bool:
    """Does the Django fix-up give the app DjangoTask as its task class?"""
    return (app.task_cls is None and app.task_cls_known
            and settings_module_for(model.project, app) is not None)


class DispatchInTransaction(Rule):
    """A task sent inside a database transaction may run before the commit (and read
    rows that are not there yet), or run for a transaction that rolls back."""

    code = "CEL402"
    needs = (resolve_receivers,)
    blind_on = ("app",)  # a task with no app has no known class: its overrides are unknown

    def check(self, model: Model) -> Iterator[Finding]:
        index = TaskIndex(model)
        for path, facts in model.production_modules():
            for site in facts.call_sites:
                if not site.atomic or site.method not in _SENDS:
                    continue
                task = index.sole_task(site)
                if task is None or defers(task, site.method) is not False:
                    continue
                yield Finding(
                    self.code,
                    f"{task.function}.{site.method}() inside transaction.atomic: the task "
                    "may run before the commit",
                    path, site.span, hint=_HINT, fix=self._fix(model, path, task, site))

    def _fix(self, model: Model, path: str, task: Task, site: CallSite) -> Fix | None:
        """``.delay(`` to ``.delay_on_commit(``, where that method exists and the call's
        result (``delay_on_commit`` returns None) is not used."""
        version = model.project.version.version
        if (site.method != "delay" or not site.statement or site.method_span is None
                or version is None or version < _ON_COMMIT_SINCE
                or not is_django_task(model, task)):
            return None
        return delay_on_commit(model.project.root, path, site.method_span)


@no_fix_on_mismatch
def delay_on_commit(root: Path, path: str, method: Span) -> Fix | None:
    """CEL402 (unsafe): the method name ``delay`` at `method` becomes ``delay_on_commit``."""
    view = load_view(root, path)
    if view is None or view.slice(method) != "delay":
        return None
    return fix("unsafe", "Use delay_on_commit()", Edit("delay_on_commit", method))
