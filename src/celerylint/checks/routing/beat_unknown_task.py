"""CEL601 beat-unknown-task: a beat schedule entry whose ``task`` names no task of the
project."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Span
from celerylint.model.beat import BeatEntry, beat_entries
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed

_MESSAGE_LIMIT = 140  # room left for an "(settings assumed ...)" mark


class BeatUnknownTask(Rule):
    """CEL601: beat sends the entry's name on schedule whether or not a task has it; the
    worker then discards every message as unregistered, so the job silently never runs."""

    code = "CEL601"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, int, int]] = set()
        for app in model.production_apps():
            for entry in beat_entries(model.project, app):
                name = entry.task_name
                if (entry.task is None or name is None or not entry.certain
                        or not model.names.missing(name)
                        or model.project.is_test_config(entry.path)):
                    continue
                span = entry.task.span or entry.span
                where = (entry.path, span.row, span.column)
                if where in seen:
                    continue
                seen.add(where)
                yield self._finding(model, entry, name, span)

    def _finding(self, model: Model, entry: BeatEntry, name: str, span: Span) -> Finding:
        closest = model.names.closest(name)
        hint = (f"Use the registered name {closest!r}." if closest else
                "Use the name the task is registered under, or remove the entry.")
        message = _message(entry.key, name, closest, model.base_had(name))
        if entry.binding is not None:
            message, hint = mark_assumed(message, hint, entry.app.config, [entry.binding])
        return Finding(self.code, message, entry.path, span, hint=hint)


def _message(key: str | None, name: str, closest: str | None, base: str | None = None
             ) -> str:
    """What is wrong, with the entry's key and the closest name while the message stays
    within the length limit (the hint names the closest name in any case); with
    ``--base-ref``, that the task existed at the `base` ref."""
    suggestion = f"; did you mean {closest!r}?" if closest else ""
    wrong = (f"runs task {name!r}, which existed at {base} but is not defined now" if base
             else f"runs task {name!r}, which is not defined")
    for message in (f"beat entry {key!r} {wrong}{suggestion}" if key else "",
                    f"beat entry {wrong}{suggestion}", f"beat entry {wrong}"):
        if message and len(message) <= _MESSAGE_LIMIT:
            return message
    return f"beat entry {wrong}"
