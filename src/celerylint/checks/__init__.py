"""Rule implementations, grouped by catalog family.

A rule is a small class with a `code` and a `check(model)` method that reads the project
model and yields findings. Rules never parse, walk the filesystem or format output.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from celerylint.findings import Finding
from celerylint.model.apps import App
from celerylint.model.project import Project
from celerylint.model.tasks import Task


@dataclass
class Model:
    """What rules read: the project, its apps and its tasks."""

    project: Project
    apps: list[App]
    tasks: list[Task]

    def production_apps(self) -> list[App]:
        """Apps outside test code, each once."""
        return [app for app in self.apps if not app.test_code]

    def production_tasks(self) -> list[Task]:
        """Tasks outside test code."""
        return [t for t in self.tasks if not self.project.is_test_path(t.path)]


class Rule(Protocol):
    """The shape every rule class has."""

    code: str

    def check(self, model: Model) -> Iterator[Finding]:
        ...


def all_rules() -> dict[str, Rule]:
    """Every implemented rule by code (CEL002 is applied by the noqa stage)."""
    from celerylint.checks import bodies, calling, meta, reliability, results, serialization

    rules: list[Rule] = [
        meta.SyntaxErrorRule(),
        serialization.PickleSerializer(),
        serialization.PickleAccepted(),
        reliability.MissingTimeLimit(),
        reliability.TaskWithoutTimeLimit(),
        reliability.AcksLateWithoutRejectOnWorkerLost(),
        results.ResultExpiresUnset(),
        results.ResultExpiresDisabled(),
        calling.OrmObjectArgument(),
        bodies.NonIdempotentIncrement(),
    ]
    return {rule.code: rule for rule in rules}
