"""What CEL406 and CEL407 share: the production tasks of each version by name, and when
the comparison can be trusted at all."""

from __future__ import annotations

from celerylint.model.build import Model
from celerylint.model.tasks import Task


def compared(model: Model) -> Model | None:
    """The base model when the two versions can be compared task by task: both exist, and
    on both sides every task's name is known and every Python file that may hold a task
    could be read (a task in a file that no longer parses is not gone)."""
    if model.base is None or model.base.model is None:
        return None
    old = model.base.model
    if not (model.names.complete and old.names.complete):
        return None
    for side in (model, old):
        project = side.project
        if project.parse_errors or any(p.endswith(".py") for p in project.read_errors):
            return None
    return old


def production_by_name(model: Model) -> dict[str, list[Task]]:
    """The production tasks of `model` under each registered name."""
    found: dict[str, list[Task]] = {}
    for task in model.production_tasks():
        if task.name is not None:
            found.setdefault(task.name, []).append(task)
    return found
