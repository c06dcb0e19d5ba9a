"""What the task-option rules share (CEL205 to CEL208, CEL212, CEL213): the single value an
option resolves to, where a task-level finding lands, and a task's body facts."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.facts.schema import TaskBody
from celerylint.facts.values import Value
from celerylint.findings import Span
from celerylint.model.build import Model
from celerylint.model.tasks import Candidate, Option, Task, own_option


def candidate(option: Option | None) -> Candidate | None:
    """The one place an option comes from; None when unknown or when branches give
    different candidates. Its value may hold unknown parts (``(Exception, Custom)``)."""
    if option is None or option.unknown or len(option.candidates) != 1:
        return None
    return option.candidates[0]


def single(option: Option | None) -> tuple[Candidate, object] | None:
    """The one fully known value an option resolves to, with its place."""
    found = candidate(option)
    if found is None:
        return None
    ok, data = found.value.try_plain()
    return (found, data) if ok else None


def option(task: Task, name: str, default: object = None) -> Option:
    """An option that no app setting provides (``autoretry_for``, ``retry_backoff``,
    ``max_retries``...): the task's own, else Celery's default, whatever the app."""
    found = own_option(task, name)
    if found is not None:
        return found
    return Option((Candidate(Value(True, default), "default", task.path, None),))


def own(task: Task, name: str) -> tuple[Candidate, object] | None:
    """`single` of the option the task itself sets (annotation, decorator, alias, class)."""
    return single(own_option(task, name))


def landing(task: Task, name: str, candidate: Candidate) -> tuple[str, Span] | None:
    """Where a task-level finding about option `name` lands: the task's decorator (or
    the class name of a Task subclass that sets it itself); the alias assignment's call or
    the base-class attribute when the option comes from there, shared by every task using
    it; a ``task_annotations`` entry's value."""
    if candidate.source == "decorator":
        return task.path, task.span
    if candidate.source == "alias" and task.alias is not None:
        return task.alias.path, task.alias.assign.call.span
    if candidate.source == "class" and task.klass is not None and name in task.klass.attributes:
        return task.path, task.span
    if candidate.span is None:
        return None
    return candidate.path, candidate.span


def bodies(model: Model, task: Task) -> Iterator[TaskBody]:
    """The body facts of a task: its function, or the methods of its class."""
    facts = model.project.modules.get(task.path)
    if facts is None:
        return
    for body in facts.task_bodies:
        mine = (body.klass == task.function if task.kind == "class"
                else not body.klass and body.function == task.function)
        if mine:
            yield body


# Options `add_autoretry_behaviour` reads from the decorator's keywords before the task
# class's attributes (where `task_annotations` land): celery/app/autoretry.py.
AUTORETRY_OPTIONS = frozenset({"autoretry_for", "dont_autoretry_for", "retry_kwargs",
                               "retry_backoff", "retry_backoff_max", "retry_jitter"})


def retry_option(task: Task, name: str, default: object = None) -> Option:
    """An autoretry option as `add_autoretry_behaviour` reads it: a decorator or alias
    keyword wins over ``task_annotations``; otherwise as `option`."""
    assert name in AUTORETRY_OPTIONS
    sources = []
    if task.decorator is not None:
        decorator = task.decorator
        sources.append((decorator.keywords, decorator.keyword_spans, decorator.has_splat,
                        "decorator", task.path))
    if task.alias is not None:
        call = task.alias.assign.call
        sources.append((call.keywords, call.keyword_spans, call.has_splat, "alias",
                        task.alias.path))
    for keywords, spans, splat, source, path in sources:
        if name in keywords:
            value = keywords[name]
            return Option((Candidate(value, source, path, value.span or spans.get(name)),),
                          unknown=not value.known, reason=value.reason)
        if splat:
            return Option(unknown=True, reason="options passed with **")
    return option(task, name, default)


def autoretry(task: Task) -> Candidate | None:
    """The ``autoretry_for`` of a task when it is a literal sequence with at least one
    item (``(IOError, requests.RequestException)``; the items may be names of any kind)."""
    found = candidate(retry_option(task, "autoretry_for", ()))
    if found is None or not isinstance(found.value.data, tuple) or not found.value.data:
        return None
    return found
