"""What the time-limit rules share: which apps have no global limit, and which tasks
have none of their own."""

from __future__ import annotations

from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.serving import production_workers
from celerylint.model.tasks import Task, annotation_maps, own_option

_LIMITS = ("time_limit", "soft_time_limit")


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
    return any(key in command.options for command in production_workers(model.project, app)
               for key in _LIMITS)


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
