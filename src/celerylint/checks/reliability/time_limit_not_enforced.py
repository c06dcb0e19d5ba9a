"""CEL210 time-limit-not-enforced: time limits set for a worker pool that ignores them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.worker_options import command_span, may_hide_options
from celerylint.facts.values import Value
from celerylint.findings import Finding, Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed
from celerylint.model.serving import production_workers
from celerylint.model.tasks import Task, annotation_maps, own_option

# Pools that run tasks with no time limit at all (concurrency/solo.py, thread.py,
# eventlet.py), and gevent, which enforces the hard limit only (concurrency/gevent.py).
NO_LIMITS = frozenset({"solo", "threads", "eventlet"})
HARD_ONLY = "gevent"
# A kind of limit: the global setting, the task option and the worker flag that set it.
_KINDS = {"hard": ("task_time_limit", "time_limit", "--time-limit"),
          "soft": ("task_soft_time_limit", "soft_time_limit", "--soft-time-limit")}


@dataclass(frozen=True)
class Found:
    """What is known about one kind of limit: the first place that sets it (empty: none
    known) and whether a source with an unknown value exists."""

    where: str = ""
    unknown: bool = False

    def __or__(self, other: Found) -> Found:
        return Found(self.where or other.where, self.unknown or other.unknown)

    @property
    def absent(self) -> bool:
        """Known not to be set anywhere."""
        return not self.where and not self.unknown


def _positive(data: object) -> bool:
    """A limit the pool would enforce: a number above 0 (0 and None mean no limit)."""
    return isinstance(data, (int, float)) and not isinstance(data, bool) and data > 0


def _global(app: App, kind: str) -> Found:
    """The app-wide limit of one kind: its setting, or a ``"*"`` annotation entry."""
    setting, option, _ = _KINDS[kind]
    config = app.config
    found = Found(unknown=config.is_unknown(setting) or config.is_unknown("task_annotations"))
    if any(_positive(data) for _, data in config.known_values(setting)):
        found = found | Found(setting)
    for binding in config.get("task_annotations"):
        for entry in annotation_maps(binding.value):
            found = found | _star_entry(entry.data.get("*") if entry else None, entry, option)
    return found


def _star_entry(star: Value | None, entry: Value | None, option: str) -> Found:
    """The limit a ``task_annotations`` entry for ``"*"`` sets (unknown entries: unknown)."""
    if entry is None or (star is not None and not isinstance(star.data, dict)):
        return Found(unknown=True)
    if star is None or option not in star.data:
        return Found()
    ok, data = star.data[option].try_plain()
    return Found("task_annotations['*']") if ok and _positive(data) else Found(unknown=not ok)


def _own(task: Task, kind: str) -> Found:
    """The task's own limit of one kind (annotation by name, decorator, alias, class)."""
    option = own_option(task, _KINDS[kind][1])
    if option is None:
        return Found()
    if option.unknown:
        return Found(unknown=True)
    if any(_positive(data) for _, data in option.values()):
        return Found(f"task {task.label}")
    return Found()


def _flag(options: Mapping[str, str], kind: str) -> Found:
    """A worker command's ``--time-limit``/``--soft-time-limit`` (``${X}``: unknown)."""
    raw = options.get(_KINDS[kind][1])
    if raw is None:
        return Found()
    try:
        return Found(_KINDS[kind][2]) if float(raw) > 0 else Found()
    except ValueError:
        return Found(unknown=True)


@dataclass(frozen=True)
class PoolSource:
    """A place that selects the pool: a `worker_pool` binding or a worker command, with
    the limits that apply to the workers it selects the pool for."""

    pool: str
    path: str
    span: Span
    flags: tuple[Mapping[str, str], ...]  # options of the worker commands it applies to
    from_config: bool

    @property
    def runs_any_task(self) -> bool:
        """Whether any task may run there: not when every worker it applies to consumes
        only its ``-Q`` queues (which tasks are routed there is not known)."""
        return not self.flags or any("queues" not in flags for flags in self.flags)


def _pool_sources(model: Model, app: App) -> list[PoolSource]:
    """Where the app's workers get their pool: each worker command's ``-P``, and the
    `worker_pool` setting for the commands without one (or when there is no command).
    A command with free expansions (``$CELERYD_OPTS``) may choose any pool: none counts."""
    commands = production_workers(model.project, app)
    known = [c for c in commands if not may_hide_options(c)]
    sources = [PoolSource(c.options["pool"], c.path, command_span(c), (c.options,), False)
               for c in known if "pool" in c.options]
    unset = tuple(c.options for c in known if "pool" not in c.options)
    if commands and not unset:
        return sources  # every worker command chooses its own pool, or may
    for binding, data in app.config.known_values("worker_pool"):
        if isinstance(data, str) and not model.project.is_test_config(binding.path):
            sources.append(PoolSource(data, binding.path, binding.span, unset, True))
    return sources


def _violation(source: PoolSource, app: App, tasks: list[Task]) -> str:
    """What the pool fails to enforce, for the message; empty when nothing."""
    tasks = tasks if source.runs_any_task else []
    limits = {kind: _global(app, kind) for kind in _KINDS}
    for kind in _KINDS:
        for flags in source.flags:
            limits[kind] = limits[kind] | _flag(flags, kind)
    if source.pool in NO_LIMITS:
        where = limits["hard"].where or limits["soft"].where or next(
            (found.where for task in tasks for kind in _KINDS
             if (found := _own(task, kind)).where), "")
        return f"enforces no time limits, but {where} sets one" if where else ""
    if source.pool == HARD_ONLY and limits["hard"].absent:
        where = _soft_without_hard(limits["soft"], tasks)
        return f"enforces no soft time limit, and {where} sets no hard one" if where else ""
    return ""


def _soft_without_hard(soft: Found, tasks: list[Task]) -> str:
    """Where a soft limit is set for a task that gets no hard one (no global hard limit
    exists): the global soft limit unless every task has its own hard limit, else the
    first task with a soft limit of its own only."""
    if soft.where and (not tasks or any(_own(task, "hard").absent for task in tasks)):
        return soft.where
    return next((own.where for task in tasks
                 if (own := _own(task, "soft")).where and _own(task, "hard").absent), "")


class TimeLimitNotEnforced(Rule):
    """Time limits that the chosen worker pool silently ignores: solo, threads and
    eventlet enforce none; gevent enforces only the hard limit."""

    code = "CEL210"
    blind_on = ("config", "app")

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for app in model.production_apps():
            tasks = [t for t in model.production_tasks() if t.app is app]
            for source in _pool_sources(model, app):
                if (source.path, source.span) in seen:
                    continue
                problem = _violation(source, app, tasks)
                if not problem:
                    continue
                seen.add((source.path, source.span))
                message = f"the {source.pool} pool {problem}"
                hint = ("Use the prefork pool where tasks need limits, or enforce timeouts "
                        "inside the tasks.")
                if source.from_config:
                    message, hint = mark_assumed(message, hint, app.config,
                                                 app.config.get("worker_pool"))
                yield Finding(self.code, message, source.path, source.span, hint=hint)
