"""CEL401 orm-object-argument: a model instance passed as a task argument."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.facts.schema import CallSite
from celerylint.findings import Finding
from celerylint.model.build import Model
from celerylint.model.tasks import Task

# A task class overriding these may convert arguments before sending (pretix's EventTask
# swaps model instances for primary keys), so argument evidence says nothing there.
_SENDING_METHODS = {"apply_async", "delay", "__call__", "s", "si", "signature"}
_BY_RECEIVER = {"delay", "apply_async", "s", "si", "signature"}
_LIMIT = 160  # characters of a message
_HINT = "Pass the primary key, and fetch the object inside the task."
_DELETED_HINT = "Pass the fields the task needs: the deleted row cannot be fetched again."


def _message(label: str, evidence: str) -> str:
    """The evidence names the argument; a long chain of it keeps the clauses that fit."""
    head = f"model instance passed to {label}: "
    clauses = evidence.split("; ")
    shown = clauses[:1]
    for clause in clauses[1:]:
        if len(head) + len("; ".join([*shown, clause])) + 3 > _LIMIT:
            return head + "; ".join(shown) + "; …"
        shown.append(clause)
    return head + "; ".join(shown)


def _converts_arguments(task: Task) -> bool:
    if not task.class_known:
        return True
    return any(_SENDING_METHODS & set(klass.methods) for _, klass in task.class_chain)


def _resolve_receivers(model: Model) -> set[str]:
    """The need: follow every receiver of a call with argument evidence through the
    project's re-exports while the model is still being built."""
    project = model.project
    for path in sorted(project.modules):
        for site in project.modules[path].call_sites:
            if site.arguments and site.method in _BY_RECEIVER:
                project.canonical(site.receiver)
    return set()


class OrmObjectArgument(Rule):
    """CEL401: a model instance passed as a task argument."""

    code = "CEL401"
    needs = (_resolve_receivers,)

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
                    message = _message(label, argument.evidence)
                    # The instance a delete signal sends has no row left to fetch again.
                    deleted = "_delete`" in argument.evidence
                    yield Finding(self.code, message, path, argument.span,
                                  hint=_DELETED_HINT if deleted else _HINT)

    def _target(self, model: Model, site: CallSite, by_origin: dict[str, Task],
                by_name: dict[str, Task]) -> Task | bool | None:
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
