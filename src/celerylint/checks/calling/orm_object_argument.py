"""CEL401 orm-object-argument: a model instance passed as a task argument."""

from __future__ import annotations

import re
from collections.abc import Iterator

from celerylint.checks.calling.receivers import (
    BY_RECEIVER,
    TaskIndex,
    converts_arguments,
    resolve_receivers,
)
from celerylint.checks.registry import Rule
from celerylint.facts.schema import CallSite
from celerylint.findings import MESSAGE_LIMIT, Finding
from celerylint.model.build import Model
from celerylint.model.tasks import Option, Task, app_option, setting_option, task_option

_SIGNATURES = {"s", "si", "signature"}  # nothing is sent until the signature is
_HINT = "Pass the primary key, and fetch the object inside the task."
_DELETED_HINT = "Pass the fields the task needs: the deleted row cannot be fetched again."
# The evidence of a delete signal's instance (`post_delete`, `pre_delete/post_save`...).
_DELETE_SIGNAL = re.compile(r"sent by `[^`]*\b(?:post|pre)_delete\b")
# What kombu does with an object it has no encoding for, by serializer: json, yaml and
# msgpack raise EncodeError when the message is sent; pickle sends a copy of the object.
_ENCODERS = {"json", "yaml", "msgpack"}
_PICKLE = {"pickle"}


def _message(label: str, consequence: str, evidence: str) -> str:
    """The evidence names the argument; a long chain of it keeps the clauses that fit,
    and a first clause too long for the message is cut."""
    head = f"model instance passed to {label.rsplit('.', 1)[-1]} ({consequence}): "
    clauses = evidence.split("; ")
    shown = clauses[:1]
    for clause in clauses[1:]:
        if len(head) + len("; ".join([*shown, clause])) + 3 > MESSAGE_LIMIT:
            return head + "; ".join(shown) + "; …"
        shown.append(clause)
    message = head + "; ".join(shown)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT - 1] + "…"


def is_deleted_instance(evidence: str) -> bool:
    """Is the argument (or one of its bindings) the instance a delete signal sends?"""
    return _DELETE_SIGNAL.search(evidence) is not None


def consequence(serializers: set[str] | None, method: str) -> str:
    """What the serializer does with a model instance, in a few words: None (or a mix)
    when the serializer is not known."""
    when = "when sent" if method in _SIGNATURES else f"at .{method}()"
    if serializers and serializers <= _ENCODERS:
        named = "" if serializers == {"json"} else f"{'/'.join(sorted(serializers))}: "
        return f"{named}EncodeError {when}"
    if serializers and serializers <= _PICKLE:
        return "pickle: the worker gets a stale copy"
    return "EncodeError, or a stale copy if pickled"


def _names(option: Option) -> set[str] | None:
    """The serializer names an option may take; None when any is unknown."""
    values = option.values()
    if option.unknown or len(values) != len(option.candidates):
        return None
    if not all(isinstance(data, str) for _, data in values):
        return None
    return {str(data) for _, data in values}


def _serializers(model: Model, path: str, site: CallSite,
                 task: Task | None) -> set[str] | None:
    """The serializers the call may encode its arguments with: a ``serializer=`` of the
    call itself, else the task's option (a call through the task) or its app's
    ``task_serializer`` (``send_task`` by name); None when unknown."""
    start, end = (site.span.row, site.span.column), (site.span.end_row, site.span.end_column)
    for _method, key, value, span in model.project.modules[path].call_options:
        if key == "serializer" and start <= (span.row, span.column) and (
                (span.end_row, span.end_column) <= end):
            ok, data = value.try_plain()
            return {data} if ok and isinstance(data, str) else None
    if task is None:  # send_task of a name outside the project: the app sending it
        apps = model.production_apps()
        if len(apps) != 1:
            return None
        return _names(setting_option(apps[0], "task_serializer", "json"))
    if site.method in BY_RECEIVER:
        return _names(task_option(task, "serializer", "json"))
    return _names(app_option(task, "serializer", "json"))


class OrmObjectArgument(Rule):
    """CEL401: a model instance passed as a task argument."""

    code = "CEL401"
    needs = (resolve_receivers,)

    def check(self, model: Model) -> Iterator[Finding]:
        index = TaskIndex(model)
        for path, facts in model.production_modules():
            for site in facts.call_sites:
                if not site.arguments:
                    continue
                task = self._target(site, index)
                if task is False:
                    continue
                target = task if isinstance(task, Task) else None
                label = target.label if target else (site.task_name or "a task")
                effect = consequence(_serializers(model, path, site, target), site.method)
                for argument in site.arguments:
                    message = _message(label, effect, argument.evidence)
                    # The instance a delete signal sends has no row left to fetch again.
                    deleted = is_deleted_instance(argument.evidence)
                    yield Finding(self.code, message, path, argument.span,
                                  hint=_DELETED_HINT if deleted else _HINT)

    def _target(self, site: CallSite, index: TaskIndex) -> Task | bool | None:
        """The task a call reaches; False when the call must stay silent."""
        if site.method in BY_RECEIVER:
            found = index.tasks_of(site)
            task = found[-1] if found else None  # a redefinition is the one bound last
            if task is None or converts_arguments(task):
                return False
            return task
        task = index.by_name.get(site.task_name or "")
        if task is not None and converts_arguments(task):
            return False
        return task
