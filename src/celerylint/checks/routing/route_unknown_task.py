"""CEL603 route-unknown-task: a ``task_routes`` key that selects no task of the project."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.routing.sending import route_is_stale
from celerylint.findings import Finding
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed
from celerylint.model.routing import Route, app_routes

_HINT = "Correct the task name, or remove the route if the task is gone."


def _message(model: Model, route: Route) -> str:
    """What is wrong; with ``--base-ref``, that the name was a task's at the base."""
    if route.glob:
        return f"task_routes pattern {route.key!r} matches no task of the project"
    ref = model.base_had(route.key)
    message = (f"task_routes key {route.key!r} was a task at {ref} but names none now" if ref
               else f"task_routes key {route.key!r} names no task of the project")
    close = model.names.closest(route.key)
    return f"{message}; did you mean {close!r}?" if close else message


class RouteUnknownTask(Rule):
    """A route for a task name nothing registers does nothing: the task it was meant for
    (renamed, moved, misspelled) goes to the default queue instead."""

    code = "CEL603"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        seen = set()
        for app in model.production_apps():
            routes = app_routes(app)
            for route in routes.entries if routes is not None else ():
                place = (route.path, route.span, route.key)
                if place in seen or model.project.is_test_config(route.path):
                    continue
                seen.add(place)
                if route_is_stale(model.names, route):
                    bindings = [b for b in app.config.certain("task_routes")
                                if b.path == route.path]
                    message, hint = mark_assumed(_message(model, route), _HINT,
                                                 app.config, bindings)
                    yield Finding(self.code, message, route.path, route.span, hint=hint)
