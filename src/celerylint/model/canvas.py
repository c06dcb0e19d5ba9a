"""Linking canvas, result and delay facts to the project's tasks and apps (CEL303,
CEL304, CEL706).

Facts name a task by the dotted origin of the object a method is called on
(``proj.tasks.add`` for ``add.s()``) or by its registered name (``signature("name")``);
an origin imported through a package that re-exports it is followed while the model is
built (`resolve_receivers`, a rule need), so that a frozen model answers from its cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from celerylint.facts.schema import ModuleFacts, SignatureRef
from celerylint.facts.values import Value
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import EffectiveConfig
from celerylint.model.tasks import Task, task_option


def _receivers(facts: ModuleFacts) -> set[str]:
    found = {read.receiver for read in facts.result_reads}
    found |= {read.app for read in facts.result_reads}
    found |= {call.receiver for call in facts.timed_calls}
    for chord in facts.chords:
        found |= {ref.receiver for ref in (*chord.header, *chord.body)}
    found.discard("")
    return found


def resolve_receivers(model: Model) -> set[str]:
    """The need: follow every receiver through re-exports before the model freezes."""
    project = model.project
    for path in sorted(project.modules):
        for receiver in sorted(_receivers(project.modules[path])):
            project.canonical(receiver)
    return set()


@dataclass
class Links:
    """Tasks by dotted origin and by registered name; apps by origin."""

    model: Model
    by_origin: dict[str, Task]
    by_name: dict[str, tuple[Task, ...]]
    apps: dict[str, App]

    @classmethod
    def of(cls, model: Model) -> Links:
        tasks = [t for t in model.tasks if t.kind == "function"]
        by_name: dict[str, list[Task]] = {}
        for task in model.tasks:
            if task.name:
                by_name.setdefault(task.name, []).append(task)
        return cls(model, {f"{t.module}.{t.function}": t for t in tasks},
                   {name: tuple(found) for name, found in by_name.items()},
                   {app.origin: app for app in model.apps})

    def task(self, receiver: str) -> Task | None:
        """The project task a dotted origin names, following re-exports."""
        if not receiver:
            return None
        return self.by_origin.get(self.model.project.canonical(receiver))

    def app(self, receiver: str) -> App | None:
        """The project app a dotted origin names."""
        if not receiver:
            return None
        return self.apps.get(self.model.project.canonical(receiver))

    def signature_task(self, ref: SignatureRef) -> Task | None:
        """The task of a signature: by origin, else by a name exactly one task has."""
        if ref.receiver:
            return self.task(ref.receiver)
        found = self.by_name.get(ref.name, ())
        return found[0] if len(found) == 1 else None

    def sole_app(self) -> App | None:
        """The project's only production app: Celery's current app wherever a call does
        not name one (``AsyncResult(task_id)``, a canvas of shared tasks)."""
        apps = self.model.production_apps()
        return apps[0] if len(apps) == 1 else None


def may_hold_unseen(config: EffectiveConfig, setting: str) -> bool:
    """May the setting hold a value celerylint cannot see? As `is_unknown`, except that
    settings assumed from a stand-in (a settings template read for a settings module
    missing from the tree) are read as the settings: what the stand-in leaves unset is
    taken at Celery's default, as the values it sets are taken (findings say "assumed")."""
    bindings = config.get(setting)
    if setting in config.unknown or any(not b.value.known for b in bindings):
        return True
    unconditional = any(not b.conditional for b in bindings)
    return config.open and not config.assumed_from and not unconditional


def may_run_eagerly(app: App) -> bool:
    """``task_always_eager`` possibly on: calls then run in the caller and return local
    EagerResults, with no broker and no result backend involved."""
    config = app.config
    if may_hold_unseen(config, "task_always_eager"):
        return True
    return any(not ok or data for ok, data in (b.value.try_plain()
                                               for b in config.get("task_always_eager")))


def result_ignored(task: Task, per_call: Value | None) -> list[bool] | None:
    """Every value ``ignore_result`` may take for one call of `task`: the call's own
    ``ignore_result=`` wins over the task's option (annotation, decorator, class, the
    app's ``task_ignore_result``); None when some value cannot be known."""
    if per_call is not None:
        ok, data = per_call.try_plain()
        return [bool(data)] if ok else None
    option = task_option(task, "ignore_result", False)
    values = option.values()
    if option.unknown or not values or len(values) != len(option.candidates):
        return None
    return [data is True for _, data in values]
