"""CEL5: what task bodies do."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks import Model
from celerylint.facts.schema import BodyEvent
from celerylint.findings import Finding, Span
from celerylint.model.project import Project
from celerylint.model.tasks import Task

REDIS_FACTORIES = {
    "redis.Redis", "redis.StrictRedis", "redis.Redis.from_url", "redis.StrictRedis.from_url",
    "redis.from_url", "redis.client.Redis", "redis.client.StrictRedis", "redis.RedisCluster",
    "redis.cluster.RedisCluster", "django_redis.get_redis_connection",
}
DJANGO_CACHES = {"django.core.cache.cache", "django.core.cache.caches[]"}


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


class NonIdempotentIncrement:
    """CEL501: a counter increment in a task body (or a helper it calls) that a retry
    or redelivery repeats."""

    code = "CEL501"

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            if task.facts is None:
                continue
            for path, event, via in self._events(project, task):
                if (path, event.span) in seen or not self._counts(project, event):
                    continue
                seen.add((path, event.span))
                where = f" (called from task {task.label} through `{via}`)" if via else ""
                message = (
                    f"{event.description}{where or ' in task ' + task.label}: a retry or a "
                    "redelivery (late ack, visibility timeout, worker loss) runs the task again "
                    "and repeats the increment; make it idempotent, e.g. record the task id that "
                    "counted, or write an absolute value"
                )
                yield Finding(self.code, message, path, event.span)

    def _events(self, project: Project, task: Task) -> Iterator[tuple[str, BodyEvent, str]]:
        assert task.facts is not None
        for event in task.facts.events:
            yield task.path, event, ""
        done: dict[str, bool] = {}
        for origin, _ in task.facts.calls:
            if origin in done:
                continue
            done[origin] = True
            if not project.may_increment(origin):
                continue
            found = project.function_of(origin)
            if found is None or project.is_test_path(found[0]):
                continue
            path, helper = found
            if helper is task.facts:
                continue
            for event in helper.events:
                yield path, event, f"{origin.rsplit('.', 1)[-1]}()"

    def _counts(self, project: Project, event: BodyEvent) -> bool:
        if event.kind == "incr":
            return _receiver_is_store(project, event.receiver)
        return event.kind in ("attr-increment", "update-increment")
