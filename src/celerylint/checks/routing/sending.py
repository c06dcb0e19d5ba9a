"""What the routing rules share: the places that set routing options on tasks
(CEL606), and the queues an app's messages are sent to (CEL604, CEL607)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from celerylint.facts.values import Value
from celerylint.findings import Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import Binding
from celerylint.model.names import TaskNames
from celerylint.model.routing import Route, app_routes, queue_name
from celerylint.model.tasks import Task

# Task attributes Celery 5.7 deprecates (celery/app/task.py, Task.bind).
ROUTING_OPTIONS = ("queue", "exchange", "exchange_type", "routing_key", "delivery_mode",
                   "priority")
_WILDCARD = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class OptionPlace:
    """Where a task gets a task option: its decorator, a decorator alias (or wrapper),
    or a class attribute. `own` is true when the attribute lands on the task's own
    class (decorator keywords do), the only case Celery 5.7 warns about; `owner` names
    the alias or the class."""

    option: str
    value: Value
    path: str
    span: Span
    source: str  # decorator, alias, class
    owner: str
    own: bool


def option_places(task: Task, option: str) -> list[OptionPlace]:
    """Every place that sets `option` for the task, in Celery's precedence order:
    decorator, alias, then the task's class and its project bases."""
    places: list[OptionPlace] = []
    decorator, alias = task.decorator, task.alias
    if decorator is not None and option in decorator.keywords:
        places.append(_place(option, decorator.keywords[option], task.path,
                             decorator.keyword_spans.get(option), decorator.span,
                             "decorator", task.label, True))
    if alias is not None and option in alias.assign.call.keywords:
        call = alias.assign.call
        places.append(_place(option, call.keywords[option], alias.path,
                             call.keyword_spans.get(option), call.span, "alias",
                             alias.assign.var, True))
    for index, (path, klass) in enumerate(task.class_chain):
        if option in klass.attributes:
            own = task.kind == "class" and index == 0
            places.append(_place(option, klass.attributes[option], path, None, klass.span,
                                 "class", klass.name, own))
    return places


def used_place(task: Task, option: str) -> OptionPlace | None:
    """The place whose value Celery uses for `option`; None when it sets nothing or
    an earlier ``**options`` splat may set it instead."""
    places = option_places(task, option)
    first = places[0] if places else None
    decorator, alias = task.decorator, task.alias
    if decorator is not None and decorator.has_splat and (
            first is None or first.source != "decorator"):
        return None
    if alias is not None and alias.assign.call.has_splat and (
            first is None or first.source == "class"):
        return None
    return first


def _place(option: str, value: Value, path: str, span: Span | None, fallback: Span,
           source: str, owner: str, own: bool) -> OptionPlace:
    return OptionPlace(option, value, path, value.span or span or fallback, source, owner, own)


@dataclass(frozen=True)
class QueueUse:
    """A place that names a queue the app sends messages to. `by_name` is true when the
    queue is named by a string, which Celery looks up in ``task_queues`` (a
    ``Queue(...)`` object is used as it is)."""

    queue: str
    what: str
    path: str
    span: Span
    by_name: bool
    kind: str  # route, task, call, default


def queue_uses(model: Model, app: App) -> list[QueueUse]:
    """Every literal queue the app's production code sends to, in path and line order:
    ``task_routes`` entries that are sure to be asked, the ``queue`` option each task
    uses, ``queue=`` call options (counted only when the project has a single
    production app, the one they can reach) and ``task_default_queue``."""
    uses = [*_route_uses(model.names, app), *_task_uses(model, app), *_default_uses(app)]
    apps = model.production_apps()
    if len(apps) == 1 and apps[0] is app:
        uses.extend(_call_uses(model))
    project = model.project
    kept = {(u.queue, u.path, u.span): u for u in uses if not project.is_test_config(u.path)}
    return sorted(kept.values(), key=lambda u: (u.path, u.span))


def _use(value: Value, what: str, path: str, span: Span, kind: str) -> QueueUse | None:
    name = queue_name(value)
    if name is None:
        return None
    return QueueUse(name, what, path, span, isinstance(value.data, str), kind)


def route_is_stale(names: TaskNames, route: Route) -> bool:
    """Does the key certainly select no task? An exact key is judged like any task name
    (owned by the project, complete name index); a glob only when its literal prefix
    reaches into one of the project's packages (``proj.*``, not ``*`` or ``proj*``)."""
    if not route.glob:
        return names.missing(route.key)
    wildcard = _WILDCARD.search(route.key)
    prefix = route.key[:wildcard.start()] if wildcard else route.key
    if not (names.complete and names.owned(prefix)):
        return False
    return not any(route.matches(name) for name in names.by_name)


def _route_uses(names: TaskNames, app: App) -> list[QueueUse]:
    """Queues of the routes sure to be asked, for a task the project has (a stale key,
    CEL603, sends nothing)."""
    routes = app_routes(app)
    if routes is None:
        return []
    found = []
    for route in routes.entries:
        if route.after_router or route_is_stale(names, route):
            continue
        value = route.queue_value()
        use = None if value is None else _use(value, f"task_routes entry {route.key!r}",
                                                  route.path, route.span, "route")
        if use is not None:
            found.append(use)
    return found


def _task_uses(model: Model, app: App) -> list[QueueUse]:
    found = []
    for task in model.production_tasks():
        if task.app is not app:
            continue
        place = used_place(task, "queue")
        if place is None:
            continue
        use = _use(place.value, f"queue= of task {task.label}", place.path, place.span, "task")
        if use is not None:
            found.append(use)
    return found


def _call_uses(model: Model) -> list[QueueUse]:
    project = model.project
    found = []
    for path in sorted(project.modules):
        for method, key, value, span in project.modules[path].call_options:
            if key == "queue":
                use = _use(value, f"{method}(queue=...)", path, span, "call")
                if use is not None:
                    found.append(use)
    return found


def _default_uses(app: App) -> list[QueueUse]:
    found = []
    for binding in app.config.certain("task_default_queue"):
        use = _use(binding.value, "task_default_queue", binding.path, binding.span, "default")
        if use is not None:
            found.append(use)
    return found


def settings_bindings(app: App, settings: tuple[str, ...]) -> list[Binding]:
    """The bindings a routing finding rests on (to say when they were only assumed)."""
    return [binding for setting in settings for binding in app.config.get(setting)]
