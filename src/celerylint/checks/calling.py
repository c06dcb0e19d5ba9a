"""CEL4: calling tasks."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks import Model
from celerylint.facts.schema import CallSite
from celerylint.findings import Finding
from celerylint.model.tasks import Task

# A task class overriding these may convert arguments before sending (pretix's EventTask
# swaps model instances for primary keys), so argument evidence says nothing there.
_SENDING_METHODS = {"apply_async", "delay", "__call__", "s", "si", "signature"}
_BY_RECEIVER = {"delay", "apply_async", "s", "si", "signature"}


def _converts_arguments(task: Task) -> bool:
    if not task.class_known:
        return True
    return any(_SENDING_METHODS & set(klass.methods) for _, klass in task.class_chain)


class OrmObjectArgument:
    """CEL401: a model instance passed as a task argument."""

    code = "CEL401"

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        by_origin: dict[str, Task] = {f"{t.module}.{t.function}": t for t in model.tasks}
        by_name: dict[str, Task] = {t.name: t for t in model.tasks if t.name}
        for path in sorted(project.modules):
            if project.is_test_path(path):
                continue
            for site in project.modules[path].call_sites:
                if not site.arguments:
                    continue
                task = self._target(model, site, by_origin, by_name)
                if task is False:
                    continue
                label = task.label if isinstance(task, Task) else (site.task_name or "a task")
                for argument in site.arguments:
                    message = (
                        f"`{argument.text}` passed to {label} is a model instance "
                        f"({argument.evidence}): with the JSON serializer the call fails at once "
                        "with EncodeError, with pickle the worker gets a stale copy; pass the "
                        "primary key and re-fetch the object inside the task"
                    )
                    yield Finding(self.code, message, path, argument.span)

    def _target(self, model: Model, site: CallSite, by_origin: dict[str, Task],
                by_name: dict[str, Task]) -> Task | None | bool:
        """The task a call reaches; False when the call must stay silent."""
        if site.method in _BY_RECEIVER:
            task = by_origin.get(model.project.canonical(site.receiver))
            if task is None or _converts_arguments(task):
                return False
            return task
        task = by_name.get(site.task_name or "")
        if task is not None and _converts_arguments(task):
            return False
        return task
