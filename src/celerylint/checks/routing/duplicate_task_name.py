"""CEL608 duplicate-task-name: two task definitions registered under one name in one app."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.facts.registration import alternatives, definition_key
from celerylint.findings import Finding
from celerylint.model.build import Model
from celerylint.model.registration import registered_classes
from celerylint.model.tasks import Task

_HINT = "Give one of them a distinct name=, or remove the one that should not exist."
Branch = tuple[tuple[int, str], ...]


def _branch(model: Model, task: Task) -> Branch | None:
    """The ``if``/``try`` arms the task's ``def``/``class`` sits in; None when it never
    runs (under ``if TYPE_CHECKING``)."""
    facts = model.project.modules[task.path]
    defined = task.facts or task.klass
    assert defined is not None
    return facts.registration.branches.get(definition_key(task.function, defined.span.row))


def _same_app(first: Task, second: Task) -> bool:
    """Registered in one app: the same app, or a ``shared_task`` (every app has it)."""
    return first.app is second.app or first.app is None or second.app is None


def _collides(first: tuple[Task, Branch], second: tuple[Task, Branch]) -> bool:
    (a, branch_a), (b, branch_b) = first, second
    if (a.path, a.function) == (b.path, b.function):
        return False  # one definition, registered twice the same way
    if a.path == b.path and alternatives(branch_a, branch_b):
        return False
    return _same_app(a, b)


class DuplicateTaskName(Rule):
    """Two production tasks Celery registers under one name in one app: every call
    reaches only one of them (for functions, the first registered)."""

    code = "CEL608"

    def check(self, model: Model) -> Iterator[Finding]:
        for name, tasks in model.names.by_name.items():
            if len(tasks) > 1:
                yield from self._duplicates(model, name, tasks)

    def _duplicates(self, model: Model, name: str, tasks: tuple[Task, ...]) -> Iterator[Finding]:
        """Each definition after the first that collides with an earlier one."""
        defined: list[tuple[Task, Branch]] = []
        registered = registered_classes(model.project)
        for task in sorted(tasks, key=lambda t: (t.path, t.span.row, t.span.column)):
            if model.project.is_test_path(task.path) or (
                    task.kind == "class" and f"{task.module}.{task.function}" not in registered):
                continue  # a Task class is registered only through register_task()
            branch = _branch(model, task)
            if branch is None:
                continue
            first = next((d for d, b in defined if _collides((d, b), (task, branch))),
                         None)
            if first is not None:
                yield Finding(
                    self.code,
                    f"duplicate task name {name!r}: first defined at {first.path}:"
                    f"{first.span.row}; calls reach only one of them",
                    task.path, task.span, hint=_HINT,
                )
            defined.append((task, branch))
