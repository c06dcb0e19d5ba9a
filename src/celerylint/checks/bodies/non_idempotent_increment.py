"""CEL501 non-idempotent-increment: a counter increment in a task body, or in a helper
the body reaches through up to three calls, that a retry or redelivery repeats."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.bodies.helpers import CALLED_HELPERS, reached_helpers
from celerylint.checks.registry import Rule
from celerylint.facts.schema import BodyEvent
from celerylint.findings import MESSAGE_LIMIT, Finding, Span
from celerylint.model.build import Model
from celerylint.model.project import Project
from celerylint.model.tasks import Task

REDIS_FACTORIES = {
    "redis.Redis", "redis.StrictRedis", "redis.Redis.from_url", "redis.StrictRedis.from_url",
    "redis.from_url", "redis.client.Redis", "redis.client.StrictRedis", "redis.RedisCluster",
    "redis.cluster.RedisCluster", "django_redis.get_redis_connection",
}
DJANGO_CACHES = {"django.core.cache.cache", "django.core.cache.caches[]"}
_HINT = ("Make it idempotent: record the task id that counted, or write an absolute value "
         "computed from the source of truth.")


def _receiver_is_store(project: Project, receiver: str, depth: int = 0) -> bool:
    """Is an ``incr`` receiver Django's cache or a redis client?"""
    if receiver.startswith("call:"):
        return project.canonical(receiver[len("call:"):]) in REDIS_FACTORIES
    canonical = project.canonical(receiver)
    if canonical in DJANGO_CACHES or depth > 3:
        return canonical in DJANGO_CACHES
    found = project.call_assign_of(canonical)
    if found is None:
        return False
    return _receiver_is_store(project, "call:" + found[1].call.callee, depth + 1)


def _events(project: Project, task: Task) -> Iterator[tuple[str, BodyEvent, tuple[str, ...]]]:
    """(path, event, chain of helper names) of the task body's increments and of those of
    the helpers it reaches (the chain is empty for the body itself)."""
    assert task.facts is not None
    for event in task.facts.events:
        yield task.path, event, ()
    for reached in reached_helpers(project, task):
        for event in reached.facts.events:
            yield reached.path, event, reached.chain


def _message(task: Task, chain: tuple[str, ...], event: BodyEvent) -> str:
    """``task T → a() → b(): <increment> repeats on retry/redelivery``, shortened to fit:
    first the increment's text (without the save that follows it, then entirely), then
    the middle of the chain, then the end."""
    calls = [f"{name}()" for name in chain]
    heads = [" → ".join([f"task {task.label}", *calls])]
    if len(calls) > 1:
        heads.append(" → ".join([f"task {task.label}", "…", calls[-1]]))
    statement = event.description.split(" followed by ", 1)[0]
    shown = dict.fromkeys((event.description, statement, "this increment"))
    for head in heads:
        for what in shown:
            message = f"{head}: {what} repeats on retry/redelivery"
            if len(message) <= MESSAGE_LIMIT:
                return message
    return message[:MESSAGE_LIMIT - 1] + "…"


def _counts(project: Project, event: BodyEvent) -> bool:
    """Is the event a real counter (a store's ``incr``, a saved or F() increment)?"""
    if event.kind == "incr":
        return _receiver_is_store(project, event.receiver)
    return event.kind in ("attr-increment", "update-increment")


def _resolve_receivers(model: Model) -> set[str]:
    """The need after the helpers' (`CALLED_HELPERS`): resolve every counter's receiver
    (in task bodies and the helpers they reach) while the model is still being built."""
    for task in model.production_tasks():
        if task.facts is not None:
            for _path, event, _chain in _events(model.project, task):
                _counts(model.project, event)
    return set()


class NonIdempotentIncrement(Rule):
    """CEL501: a counter increment in a task body (or a helper it reaches through up to
    three calls) that a retry or redelivery repeats."""

    code = "CEL501"
    needs = (*CALLED_HELPERS, _resolve_receivers)

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            if task.facts is None:
                continue
            for path, event, chain in _events(project, task):
                if (path, event.span) in seen or not _counts(project, event):
                    continue
                seen.add((path, event.span))
                yield Finding(self.code, _message(task, chain, event), path, event.span,
                              hint=_HINT)
