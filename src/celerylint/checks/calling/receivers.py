"""Which task a call such as ``send_mail.delay(...)`` reaches: shared by the CEL4 rules.

A call site's receiver is the dotted origin of what ``.delay`` is called on; re-exports
are followed (``from .mail import send`` by the project's `canonical`, ``from .mail import
*`` in a package ``__init__`` here), which may load files: hence the need, run while the
model is built.
A receiver whose first name is bound in the enclosing function (a parameter, ``t, build
= prepare()``) is not the module-level name it shares, and reaches no known task.
"""

from __future__ import annotations

from celerylint.facts.schema import CallSite
from celerylint.model.build import Model
from celerylint.model.store import ModelFrozenError
from celerylint.model.tasks import Task

# Methods called on a task object; ``send_task`` and ``signature("name")`` name it instead.
BY_RECEIVER = {"delay", "apply_async", "s", "si", "signature"}
# A task class overriding these may change the arguments before sending (pretix's
# EventTask swaps model instances for primary keys), so what a call passes says little.
SENDING_METHODS = {"apply_async", "delay", "__call__", "s", "si", "signature"}
_STAR_DEPTH = 3  # star re-exports followed from a package to the module defining a task


def resolve_receivers(model: Model) -> set[str]:
    """The need: follow every receiver of a task call through the project's re-exports
    (loading the modules they pass) while the model is still being built."""
    index = TaskIndex(model)
    project = model.project
    done: set[str] = set()
    while pending := sorted(set(project.modules) - done):  # loaded files have calls too
        for path in pending:
            done.add(path)
            for site in project.modules[path].call_sites:
                index.tasks_of(site)
    return set()


class TaskIndex:
    """The project's tasks by dotted origin (``module.function``) and by name."""

    def __init__(self, model: Model) -> None:
        self.project = model.project
        self.by_origin: dict[str, list[Task]] = {}
        for task in model.tasks:
            self.by_origin.setdefault(f"{task.module}.{task.function}", []).append(task)
        self.by_name: dict[str, Task] = {t.name: t for t in model.tasks if t.name}

    def tasks_of(self, site: CallSite) -> list[Task]:
        """Every definition the receiver of `site` may be (several when a module
        defines the function more than once); none for a locally bound receiver."""
        if site.method not in BY_RECEIVER or site.local_receiver:
            return []
        origins = self._origins(site.receiver, _STAR_DEPTH)
        return self.by_origin[origins.pop()] if len(origins) == 1 else []

    def sole_task(self, site: CallSite) -> Task | None:
        """The task `site` reaches when it resolves to exactly one definition."""
        tasks = self.tasks_of(site)
        return tasks[0] if len(tasks) == 1 else None

    def _origins(self, dotted: str, depth: int) -> set[str]:
        """The task origins `dotted` may stand for: its canonical name, else what the
        star imports (``from .mail import *``) of its module bring under that name."""
        try:
            return self._follow(dotted, depth)
        except ModelFrozenError:
            # In a file another rule's need loaded after this one's ran: the modules
            # its receiver passes were never loaded, so what it reaches is unknown.
            return set()

    def _follow(self, dotted: str, depth: int) -> set[str]:
        canonical = self.project.canonical(dotted)
        if canonical in self.by_origin:
            return {canonical}
        module, _, name = canonical.rpartition(".")
        split = self.project.index.split(module) if module and depth else None
        if split is None or split[1]:
            return set()
        self.project.ensure(split[0])
        facts = self.project.modules.get(split[0])
        stars = facts.star_imports if facts is not None else []
        return {origin for base in stars for origin in self._follow(f"{base}.{name}",
                                                                    depth - 1)}


def converts_arguments(task: Task) -> bool:
    """May the task's class change the arguments on their way (or is it unknown)?"""
    if not task.class_known:
        return True
    return any(SENDING_METHODS & set(klass.methods) for _, klass in task.class_chain)
