"""CEL606 routing-option-on-task: ``queue``, ``exchange``, ``exchange_type``,
``routing_key``, ``delivery_mode`` or ``priority`` set on a task rather than routed with
``task_routes`` (deprecated in Celery 5.7, without effect from 6.0)."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.routing.sending import ROUTING_OPTIONS, OptionPlace, option_places
from celerylint.facts.values import render
from celerylint.findings import MESSAGE_LIMIT, Finding, Severity
from celerylint.model.build import Model
from celerylint.model.tasks import Task

_HINT = "Remove the option from the task and add the task_routes entry to the app's config."
_WARNED_FROM = (5, 7)


def _shown(place: OptionPlace) -> str:
    ok, data = place.value.try_plain()
    return render(data) if ok else "..."


def _entry(place: OptionPlace, tasks: list[Task]) -> str:
    """The ``task_routes`` entry to write (the first task's, when several share it)."""
    more = ", ..." if len(tasks) > 1 else ""
    return f"{{{tasks[0].label!r}: {{{place.option!r}: {_shown(place)}}}{more}}}"


def _message(place: OptionPlace, tasks: list[Task]) -> str:
    """The longest of the message forms that fits, every one naming the entry."""
    setting = f"{place.option}={_shown(place)}"
    entry = f"use task_routes {_entry(place, tasks)}"
    if not place.own:
        where = f"inherited from {place.owner}"
        why = "ignored in Celery 6.0, unwarned by 5.7"
    else:
        where = f"set by decorator {place.owner}" if place.source == "alias" else "on the task"
        why = "deprecated in Celery 5.7, ignored in 6.0"
    for message in (f"{setting} {where}: {why}; {entry}", f"{setting} {where}: {entry}",
                    f"{setting}: {entry}"):
        if len(message) <= MESSAGE_LIMIT:
            return message
    return f"{setting} {where}: {why}; use task_routes"


def _nothing_to_route(place: OptionPlace) -> bool:
    """``queue=None`` asks for the default; an alias or wrapper passing on a value of
    its own (``shared_task(queue=queue)``) may well pass None."""
    if place.value.known:
        return place.value.data is None
    return place.source == "alias"


class RoutingOptionOnTask(Rule):
    """Routing options set on a task stop working in Celery 6.0, and the tasks then go
    to the default queue without any error."""

    code = "CEL606"

    def check(self, model: Model) -> Iterator[Finding]:
        places: dict[tuple[str, int, int, str], tuple[OptionPlace, list[Task]]] = {}
        for task in model.production_tasks():
            for option in ROUTING_OPTIONS:
                for place in option_places(task, option):
                    if _nothing_to_route(place):
                        continue
                    key = (place.path, place.span.row, place.span.column, option)
                    places.setdefault(key, (place, []))[1].append(task)
        severity = self._severity(model)
        for key in sorted(places):
            place, tasks = places[key]
            if model.project.is_test_path(place.path):
                continue
            yield Finding(self.code, _message(place, tasks), place.path, place.span,
                          severity=severity, hint=_HINT)

    def _severity(self, model: Model) -> Severity:
        """A warning once Celery warns (5.7) or when the target version is unknown; a
        note for older targets, where the options still work."""
        version = model.project.version.version
        return "warning" if version is None or version >= _WARNED_FROM else "note"
