"""Task names: which names the project's tasks register, and which names are Celery's.

Rules that read a task name written as a string (``send_task("proj.tasks.add")``, a beat
entry's ``task``, a ``task_routes`` key) ask this index whether the name is defined. A
name is judged only when the project can be said to own it (its first dotted part is one
of the project's top-level packages) and every task's name is known: a single task whose
name cannot be derived (a non-literal ``name=``, an app overriding ``gen_task_name``)
could be the one a string names, so the index then answers "unknown".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from celerylint.model.tasks import Task

# What ``Celery(...).finalize()`` registers by itself (checked against Celery 5.7.0's
# ``app.tasks``); never reported as unknown.
BUILTIN_TASK_NAMES = frozenset({
    "celery.accumulate", "celery.backend_cleanup", "celery.chain", "celery.chord",
    "celery.chord_unlock", "celery.chunks", "celery.group", "celery.map", "celery.starmap",
})


@dataclass(frozen=True)
class TaskNames:
    """Every task of a project by the name Celery registers it under."""

    by_name: dict[str, tuple[Task, ...]]
    packages: frozenset[str]
    unnamed: tuple[Task, ...] = field(default=())  # tasks whose name is unknown

    @classmethod
    def of(cls, tasks: Iterable[Task], packages: Iterable[str]) -> TaskNames:
        named: dict[str, list[Task]] = {}
        unnamed: list[Task] = []
        for task in tasks:
            if task.name is None:
                unnamed.append(task)
            else:
                named.setdefault(task.name, []).append(task)
        return cls({name: tuple(found) for name, found in sorted(named.items())},
                   frozenset(packages), tuple(unnamed))

    @property
    def complete(self) -> bool:
        """Is every task's name known? Otherwise a missing name may be an unknown one."""
        return not self.unnamed

    def tasks(self, name: str) -> tuple[Task, ...]:
        """The tasks registered under `name` (several when names collide)."""
        return self.by_name.get(name, ())

    def defines(self, name: str) -> bool:
        """A project task or one of Celery's built-in tasks has this name."""
        return name in self.by_name or name in BUILTIN_TASK_NAMES

    def owned(self, name: str) -> bool:
        """Is `name` in the project's namespace (first dotted part a top-level package)?"""
        head, dot, _ = name.partition(".")
        return bool(dot) and head in self.packages

    def missing(self, name: str) -> bool:
        """A name the project owns that certainly names no task: the one verdict rules
        report on (an incomplete index or a name outside the project stays silent)."""
        return self.complete and self.owned(name) and not self.defines(name)

    def closest(self, name: str) -> str | None:
        """The defined name a typo most likely meant, if one is close enough."""
        close = difflib.get_close_matches(name, list(self.by_name), n=1, cutoff=0.6)
        return close[0] if close else None
