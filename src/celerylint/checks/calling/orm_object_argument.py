"""CEL401 orm-object-argument: a model instance passed as a task argument."""

from __future__ import annotations

import re
from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.facts.schema import CallSite
from celerylint.findings import Finding
from celerylint.model.build import Model
from celerylint.model.tasks import Option, Task, app_option, setting_option, task_option

# A task class overriding these may convert arguments before sending (pretix's EventTask
# swaps model instances for primary keys), so argument evidence says nothing there.
_SENDING_METHODS = {"apply_async", "delay", "__call__", "s", "si", "signature"}
_BY_RECEIVER = {"delay", "apply_async", "s", "si", "signature"}
_SIGNATURES = {"s", "si", "signature"}  # nothing is sent until the signature is
_LIMIT = 160  # characters of a message
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
        if len(head) + len("; ".join([*shown, clause])) + 3 > _LIMIT:
            return head + "; ".join(shown) + "; …"
        shown.append(clause)
    message = head + "; ".join(shown)
    return message if len(message) <= _LIMIT else message[:_LIMIT - 1] + "…"


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
    if site.method in _BY_RECEIVER:
        return _names(task_option(task, "serializer", "json"))
    return _names(app_option(task, "serializer", "json"))


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
                target = task if isinstance(task, Task) else None
                label = target.label if target else (site.task_name or "a task")
                effect = consequence(_serializers(model, path, site, target), site.method)
                for argument in site.arguments:
                    message = _message(label, effect, argument.evidence)
                    # The instance a delete signal sends has no row left to fetch again.
                    deleted = is_deleted_instance(argument.evidence)
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
