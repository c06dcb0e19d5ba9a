"""CEL2: reliability — time limits and acknowledgement."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks import Model
from celerylint.findings import Finding, Span
from celerylint.fixes.builders import reject_on_worker_lost
from celerylint.model.apps import App
from celerylint.model.tasks import (
    Candidate,
    Option,
    Task,
    annotation_maps,
    own_option,
    setting_option,
    task_option,
)
from celerylint.model.workers import WorkerCommand

_LIMITS = ("time_limit", "soft_time_limit")
_SHOWN = 3
VERSION_5_7 = (5, 7)


def worker_serves(command: WorkerCommand, app: App) -> bool:
    """Does a worker command run this app? ``-A`` names the app's module or package;
    a command without ``-A`` counts for every app."""
    if command.app is None:
        return True
    target = command.app.split(":", 1)[0].strip()
    module = app.origin.rsplit(".", 1)[0]
    return module == target or module.startswith(target + ".") or app.origin == target


def _global_limit(model: Model, app: App) -> bool | None:
    """True: the app has a global limit; False: it has none; None: cannot be known."""
    config = app.config
    for setting in ("task_time_limit", "task_soft_time_limit"):
        if config.is_unknown(setting):
            return None
        if any(_positive(b.value.data) or not b.value.known for b in config.get(setting)):
            return True
    if config.open:
        return None
    star = _star_annotation_limit(app)
    if star is not False:
        return star
    for command in model.project.workers:
        if command.dev_only or not worker_serves(command, app):
            continue
        if any(key in command.options for key in _LIMITS):
            return True
    return False


def _star_annotation_limit(app: App) -> bool | None:
    """A ``task_annotations`` entry for ``*`` with a limit; None when it cannot be known."""
    config = app.config
    if config.is_unknown("task_annotations"):
        return None
    for binding in config.get("task_annotations"):
        for entry in annotation_maps(binding.value):
            if entry is None:
                return None
            star = entry.data.get("*")
            if star is None:
                continue
            if not star.known or not isinstance(star.data, dict):
                return None
            if any(key in star.data for key in _LIMITS):
                return True
    return False


def _positive(data: object) -> bool:
    """A limit Celery enforces: a number above zero (0 and None mean no limit)."""
    return isinstance(data, (int, float)) and not isinstance(data, bool) and data > 0


def task_limit(task: Task) -> bool | None:
    """Does the task carry its own limit? None when unknown or decided (``None`` on its
    class, a deliberate "no limit")."""
    found = False
    for option_name in _LIMITS:
        option = own_option(task, option_name)
        if option is None:
            continue
        if option.unknown:
            return None
        for candidate, data in option.values():
            if candidate.source == "class" and data is None:
                return None
            if _positive(data):
                found = True
    return found


def unbounded_tasks(model: Model) -> dict[str, tuple[App, list[Task]]]:
    """Per app whose global limit is known to be absent: its tasks without a limit."""
    result: dict[str, tuple[App, list[Task]]] = {}
    for app in model.production_apps():
        if _global_limit(model, app) is not False:
            continue
        tasks = [t for t in model.production_tasks() if t.app is app and task_limit(t) is False]
        result[app.origin] = (app, tasks)
    return result


class MissingTimeLimit:
    """CEL201: an app with no global time limit whose tasks have none either."""

    code = "CEL201"

    def check(self, model: Model) -> Iterator[Finding]:
        for app, tasks in unbounded_tasks(model).values():
            if not tasks:
                continue
            total = sum(1 for t in model.production_tasks() if t.app is app)
            names = ", ".join(t.label for t in tasks[:_SHOWN])
            more = f" and {len(tasks) - _SHOWN} more" if len(tasks) > _SHOWN else ""
            message = (
                f"app {app.label!r} sets no global time limit (task_time_limit, "
                f"task_soft_time_limit, a '*' annotation or --time-limit on its worker) and "
                f"{len(tasks)} of its {total} tasks have none of their own ({names}{more}): a "
                "task that hangs on a network call or a lock holds its worker process forever; "
                "set task_time_limit (and a lower task_soft_time_limit) or per-task limits. "
                "Limits are enforced by the prefork pool; gevent enforces only the hard limit, "
                "solo, threads and eventlet none"
            )
            yield Finding(self.code, message, app.path, app.span)


class TaskWithoutTimeLimit:
    """CEL211 (opt-in): every task with no hard or soft limit from any source."""

    code = "CEL211"

    def check(self, model: Model) -> Iterator[Finding]:
        for app, tasks in unbounded_tasks(model).values():
            for task in tasks:
                message = (
                    f"task {task.label} has no time limit and app {app.label!r} sets none "
                    "globally: if it hangs it holds a worker process forever; give it "
                    "time_limit= (and a lower soft_time_limit=)"
                )
                yield Finding(self.code, message, task.path, task.span)


def _true(option: Option) -> list[Candidate]:
    return [c for c, data in option.values() if data is True]


def _reject_or_retry(task: Task | None, app: App | None, version: tuple[int, int] | None
                     ) -> bool | None:
    """Is the task requeued or retried when its process dies? None when unknown."""
    names = ["reject_on_worker_lost"]
    if version is None or version >= VERSION_5_7:
        names.append("retry_on_worker_lost")
    for name in names:
        if task is not None:
            option = task_option(task, name)
        elif app is not None:
            option = setting_option(app, f"task_{name}")
        else:
            return None
        if option.unknown:
            return None
        if _true(option):
            return True
    return False


def _acks_message(subject: str) -> str:
    return (
        f"{subject} without reject_on_worker_lost: when the pool process running the task dies "
        "(OOM kill, segfault, SIGKILL), the worker acknowledges the message and records a "
        "WorkerLostError failure, so the task is not run again. reject_on_worker_lost=True "
        "requeues it instead (a task that kills its own process then loops: Celery's warning); "
        "on Celery 5.7+ retry_on_worker_lost=True retries it within max_retries"
    )


class AcksLateWithoutRejectOnWorkerLost:
    """CEL203: late acknowledgement that still loses the task when its process dies."""

    code = "CEL203"

    def check(self, model: Model) -> Iterator[Finding]:
        version = model.project.version.version
        root = model.project.root
        seen: set[tuple[str, Span]] = set()
        for app in model.production_apps():
            option = setting_option(app, "task_acks_late", False)
            if option.unknown or _reject_or_retry(None, app, version) is not False:
                continue
            for candidate in _true(option):
                if candidate.span is not None and (candidate.path, candidate.span) not in seen:
                    seen.add((candidate.path, candidate.span))
                    yield Finding(self.code, _acks_message("task_acks_late is on"),
                                  candidate.path, candidate.span,
                                  fix=reject_on_worker_lost(root, app, None, candidate))
        for task in model.production_tasks():
            option = task_option(task, "acks_late", False)
            if option.unknown or option.source == "config":
                continue
            trues = _true(option)
            if not trues or _reject_or_retry(task, task.app, version) is not False:
                continue
            for candidate in trues:
                if candidate.span is None or (candidate.path, candidate.span) in seen:
                    continue
                seen.add((candidate.path, candidate.span))
                subject = "acks_late=True" if candidate.source != "annotation" else (
                    "a task_annotations entry sets acks_late=True")
                yield Finding(self.code, _acks_message(subject), candidate.path, candidate.span,
                              fix=reject_on_worker_lost(root, task.app, task, candidate))
