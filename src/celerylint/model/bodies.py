"""Which functions are task bodies (CEL209, CEL502).

A task body is the function Celery runs for a message: a function task's own function,
a class task's ``run`` method. Facts that are gathered per function name it as
``facts.canvas.named_functions`` does: a top-level function by its name, a method of a
top-level class as ``Class.method``; nested functions are never task bodies.
"""

from __future__ import annotations

from celerylint.model.build import Model
from celerylint.model.tasks import Task


def tasks_by_body(model: Model) -> dict[tuple[str, str], Task]:
    """Production tasks by (path, name of their body function)."""
    return {(task.path, task.function if task.kind == "function" else f"{task.function}.run"):
            task for task in model.production_tasks()}
