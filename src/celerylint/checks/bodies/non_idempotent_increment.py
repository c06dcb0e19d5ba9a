"""CEL501 non-idempotent-increment: a counter increment in a task body, or in a helper it
calls, that a retry or redelivery repeats."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.bodies.helpers import called_helpers, helper_may_increment
from celerylint.checks.registry import Rule
from celerylint.facts.schema import BodyEvent
from celerylint.findings import Finding, Span
from celerylint.model.build import Model
from celerylint.model.project import Project
from celerylint.model.tasks import Task

REDIS_FACTORIES = {
    "redis.Redis", "redis.StrictRedis", "redis.Redis.from_url", "redis.StrictRedis.from_url",
    "redis.from_url", "redis.client.Redis", "redis.client.StrictRedis", "redis.RedisCluster",
    "redis.cluster.RedisCluster", "django_redis.get_redis_connection",
}
DJANGO_CACHES = {"django.core.cache.cache", "django.core.cache.caches[]"}
_LIMIT = 160  # characters of a message
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


def _events(project: Project, task: Task) -> Iterator[tuple[str, BodyEvent, str]]:
    """(path, event, call shown) of the task body's events and of the helpers it calls."""
    assert task.facts is not None
    for event in task.facts.events:
        yield task.path, event, ""
    done: dict[str, bool] = {}
    for origin, _ in task.facts.calls:
        if origin in done:
            continue
        done[origin] = True
        if not helper_may_increment(project, origin):
            continue
        found = project.function_of(origin)
        if found is None or project.is_test_path(found[0]):
            continue
        path, helper = found
        if helper is task.facts:
            continue
        for event in helper.events:
            yield path, event, f"{origin.rsplit('.', 1)[-1]}()"


def _counts(project: Project, event: BodyEvent) -> bool:
    """Is the event a real counter (a store's ``incr``, a saved or F() increment)?"""
    if event.kind == "incr":
        return _receiver_is_store(project, event.receiver)
    return event.kind in ("attr-increment", "update-increment")


def _resolve_receivers(model: Model) -> set[str]:
    """The need after `called_helpers`: resolve every counter's receiver (in task bodies
    and the helpers they call) while the model is still being built."""
    for task in model.production_tasks():
        if task.facts is not None:
            for _path, event, _via in _events(model.project, task):
                _counts(model.project, event)
    return set()


class NonIdempotentIncrement(Rule):
    """CEL501: a counter increment in a task body (or a helper it calls) that a retry
    or redelivery repeats."""

    code = "CEL501"
    needs = (called_helpers, _resolve_receivers)

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            if task.facts is None:
                continue
            for path, event, via in _events(project, task):
                if (path, event.span) in seen or not _counts(project, event):
                    continue
                seen.add((path, event.span))
                chain = f"task {task.label} → {via}" if via else f"task {task.label}"
                message = f"{chain}: {event.description} repeats on retry/redelivery"
                if len(message) > _LIMIT:  # a long statement: the excerpt shows it
                    message = f"{chain}: this increment repeats on retry/redelivery"
                yield Finding(self.code, message, path, event.span, hint=_HINT)
