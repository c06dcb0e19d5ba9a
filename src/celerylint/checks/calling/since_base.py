"""What CEL406 and CEL407 share: the production tasks of each version by name, when the
comparison can be trusted at all."""

from __future__ import annotations

from dataclasses import dataclass

from celerylint.model.build import Model
from celerylint.model.tasks import Task


@dataclass(frozen=True)
class Versions:
    """The two versions compared: the base ref as the user wrote it, and each version's
    production tasks by registered name (the base's `before`, the working tree's `now`)."""

    ref: str
    before: dict[str, list[Task]]
    now: dict[str, list[Task]]


def versions(model: Model) -> Versions | None:
    """The two versions when they can be compared task by task: both exist, and on both
    sides every task's name is known and every Python file that may hold a task could be
    read (a task in a file that no longer parses is not gone)."""
    if model.base is None or model.base.model is None:
        return None
    old = model.base.model
    if not (model.names.complete and old.names.complete):
        return None
    for side in (model, old):
        project = side.project
        if project.parse_errors or any(p.endswith(".py") for p in project.read_errors):
            return None
    return Versions(model.base.ref, _production_by_name(old), _production_by_name(model))


def _production_by_name(model: Model) -> dict[str, list[Task]]:
    found: dict[str, list[Task]] = {}
    for task in model.production_tasks():
        if task.name is not None:
            found.setdefault(task.name, []).append(task)
    return found
