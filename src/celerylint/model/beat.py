"""The beat schedule of each app: every periodic entry, what it runs and when.

Celery beat reads one setting, ``beat_schedule``, however it is written: ``beat_schedule``
in a config module or ``app.conf``, ``CELERY_BEAT_SCHEDULE`` in Django settings read with
``namespace="CELERY"``, the old ``CELERYBEAT_SCHEDULE`` (the effective config maps these
names already). ``app.add_periodic_task(schedule, sig, name=...)``, called by a handler
of the app's ``on_after_configure``/``on_after_finalize`` signal, adds entries to that
same setting. Only dicts that reach the setting are entries: ``{"task": "x"}`` anywhere
else is not beat.

An entry's values stay as the evaluator left them: the task name a literal string, the
schedule a number, a ``timedelta`` or a ``crontab(...)``/``solar(...)`` construction, or
unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.facts.schema import PeriodicTask
from celerylint.facts.values import Value
from celerylint.findings import Span
from celerylint.model.apps import App
from celerylint.model.config import Binding
from celerylint.model.project import Project

SETTING = "beat_schedule"


@dataclass(frozen=True)
class BeatEntry:
    """One periodic entry of an app's beat schedule.

    `task` is the task name as written (a Value; None when the entry gives a task object
    or nothing readable), `task_origin` the canonical dotted origin of a task object
    (``add.s()`` in ``add_periodic_task``), `schedule` the schedule's Value (None when
    absent). `binding` is the config binding the entry belongs to (None for
    ``add_periodic_task``); `span` where the entry is written.
    """

    app: App
    key: str | None
    task: Value | None
    task_origin: str
    schedule: Value | None
    path: str
    span: Span
    binding: Binding | None = None

    @property
    def task_name(self) -> str | None:
        """The literal task name, when the entry writes one."""
        if self.task is not None and self.task.known and isinstance(self.task.data, str):
            return self.task.data
        return None

    @property
    def certain(self) -> bool:
        """Celery reads the entry for the target version (not merely possibly)."""
        return self.binding is None or self.binding.certain


def beat_entries(project: Project, app: App) -> list[BeatEntry]:
    """Every entry of `app`'s beat schedule celerylint can read, in a stable order."""
    entries = list(_config_entries(app))
    entries.extend(_periodic_entries(project, app))
    return entries


def _config_entries(app: App) -> Iterator[BeatEntry]:
    """Entries of the dict literals bound to ``beat_schedule``."""
    for binding in app.config.get(SETTING):
        schedule = binding.value
        if not schedule.known or not isinstance(schedule.data, dict):
            continue
        for key, entry in schedule.data.items():
            if not entry.known or not isinstance(entry.data, dict):
                continue
            fields: dict[object, Value] = entry.data
            yield BeatEntry(
                app=app, key=key if isinstance(key, str) else None,
                task=fields.get("task"), task_origin="",
                schedule=fields.get("schedule"), path=binding.path,
                span=entry.span or binding.span, binding=binding,
            )


def _periodic_entries(project: Project, app: App) -> Iterator[BeatEntry]:
    """Entries added by ``add_periodic_task`` in the app's configure handlers."""
    for path in sorted(project.modules):
        for added in project.modules[path].periodic_tasks:
            if project.canonical(added.app) == app.origin:
                yield _periodic_entry(project, app, path, added)


def _periodic_entry(project: Project, app: App, path: str, added: PeriodicTask) -> BeatEntry:
    call = added.call
    schedule = call.args[0] if call.args else call.keywords.get("schedule")
    name = call.keywords.get("name")
    key = name.data if name is not None and isinstance(name.data, str) else None
    origin = project.canonical(added.task) if added.task else ""
    return BeatEntry(app=app, key=key, task=added.task_name, task_origin=origin,
                     schedule=schedule, path=path, span=call.span)
