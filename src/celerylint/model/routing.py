"""Routing: where an app's tasks are sent, which queues it declares, and which queues
each of its worker commands consumes.

Everything follows Celery 5.7 (``celery/app/routes.py``, ``celery/app/amqp.py``):

- ``task_routes`` is one route or a list of routes tried in order; a dict (or, inside
  that list, a list of pairs) is a map whose keys are exact task names, globs when the
  key contains ``*`` (``fnmatch.translate``, so ``*`` also matches dots) or compiled
  regexes; a value is a queue name, a ``kombu.Queue``, or an options dict whose ``queue``
  names the queue. Any other route (a function, a ``"pkg.mod:router"`` string, a router
  class) is a router whose answers cannot be known; a map after one may never be asked.
- ``task_queues`` unset means one queue, ``task_default_queue`` (``"celery"``);
  ``task_create_missing_queues`` (default True) declares unknown queue names on first use.
- A worker consumes its ``-Q``/``--queues`` list; without it, every queue of
  ``task_queues``, or ``task_default_queue`` when ``task_queues`` is unset. ``-X`` (all
  but some) and queue lists that are not literal (``-Q "$QUEUES"``, Helm templates) make
  what it consumes unknown, and so do free arguments the shell expands (``"$@"``,
  ``$CELERYD_OPTS``). ``celery multi`` gives nodes their own ``-Q:<node>`` lists.

Unknown stays unknown: every function answers None when a value cannot be read.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from celerylint.facts.values import Construct, Value
from celerylint.findings import Span
from celerylint.model.apps import App
from celerylint.model.workers import WorkerCommand
from celerylint.model.workers.kinds import kind_by_name

DEFAULT_QUEUE = "celery"  # Celery's task_default_queue
_QUEUE_KINDS = ("Queue", "Broadcast")
# Shell and template references in a worker option: the value is set, but unknown.
_NOT_LITERAL = ("$", "{{", "%(", "`")


@dataclass(frozen=True)
class Route:
    """One literal entry of a ``task_routes`` map.

    `span` is the entry's value (where the finding about the entry lands); `after_router`
    marks an entry listed after a router, which may answer first for any task.
    """

    key: str
    value: Value
    path: str
    span: Span
    after_router: bool

    @property
    def glob(self) -> bool:
        """Celery treats a key as a pattern only when it contains ``*``."""
        return "*" in self.key

    def matches(self, name: str) -> bool:
        """Does the key select the task `name`, as Celery's ``MapRoute`` decides
        (``re.compile(fnmatch.translate(key)).match``)? `fnmatchcase` is that very test,
        with the translated pattern compiled once per key rather than once per task."""
        if not self.glob:
            return name == self.key
        return fnmatch.fnmatchcase(name, self.key)

    def queue_value(self) -> Value | None:
        """The value naming the queue the entry sends to: the entry itself, or the
        ``queue`` of an options dict (None when the dict names no queue for sure)."""
        data = self.value.data if self.value.known else None
        if isinstance(data, dict):
            return None if self.value.partial else data.get("queue")
        return self.value


@dataclass(frozen=True)
class Routes:
    """The literal entries of an app's ``task_routes``; `routers` tells whether some
    route is a router whose answers cannot be known."""

    entries: tuple[Route, ...]
    routers: bool


def queue_name(value: Value) -> str | None:
    """The queue a value names: a string, or the name of a literal ``Queue(...)``."""
    if not value.known:
        return None
    data = value.data
    if isinstance(data, str):
        return data or None
    if isinstance(data, Construct) and data.kind in _QUEUE_KINDS:
        name = data.args[0] if data.args else data.keywords.get("name")
        if name is not None and name.known and isinstance(name.data, str):
            return name.data or None
    return None


def app_routes(app: App) -> Routes | None:
    """The routes of every certain ``task_routes`` binding of the app (a setting set in
    several branches gives the entries of each); None when the setting is unknown."""
    config = app.config
    if config.is_unknown("task_routes"):
        return None
    entries: list[Route] = []
    routers = False
    for binding in config.certain("task_routes"):
        found, has_router = _routes_of(binding.value, binding.path, binding.span)
        entries.extend(found)
        routers = routers or has_router
    return Routes(tuple(entries), routers)


def _routes_of(value: Value, path: str, span: Span) -> tuple[list[Route], bool]:
    """Entries of one ``task_routes`` value: a map, or a list of routes tried in order."""
    if value.known and value.data is None:
        return [], False
    items = value.data if value.known and isinstance(value.data, tuple) else (value,)
    entries: list[Route] = []
    after_router = False
    for item in items:
        found = _map_entries(item)
        if found is None:
            after_router = True  # a router function, a router path: unknown answers
            continue
        pairs, partial = found
        # a regex key or a ``**`` splat may answer first, or replace an entry
        after_router = after_router or partial
        entries.extend(Route(key, entry, path, entry.span or item.span or span, after_router)
                       for key, entry in pairs)
    return entries, after_router


def _map_entries(item: Value) -> tuple[list[tuple[str, Value]], bool] | None:
    """The (key, value) entries of a route that is a map: a dict, or a list of pairs
    (Celery's ``MapRoute`` takes both); whether some entry cannot be read. None when
    the route is not a map."""
    if not item.known:
        return None
    if isinstance(item.data, dict):
        return [(k, v) for k, v in item.data.items() if isinstance(k, str)], item.partial
    if not isinstance(item.data, tuple) or not item.data:
        return None
    pairs: list[tuple[str, Value]] = []
    partial = False
    for pair in item.data:
        if not (pair.known and isinstance(pair.data, tuple) and len(pair.data) == 2):
            return None
        key, entry = pair.data
        if key.known and isinstance(key.data, str):
            pairs.append((key.data, entry))
        else:
            partial = True  # a compiled regex
    return pairs, partial


def declared_queues(app: App) -> frozenset[str] | None:
    """The names of ``task_queues`` when it is set to literal queues; an empty set when
    it is unset (or None); None when it cannot be known."""
    config = app.config
    if config.is_unknown("task_queues"):
        return None
    names: set[str] = set()
    for binding in config.get("task_queues"):
        found = _queue_list(binding.value)
        if found is None:
            return None
        names |= found
    return frozenset(names)


def queues_declared(app: App) -> bool:
    """Is ``task_queues`` set to something other than None in some binding?"""
    return any(not (b.value.known and b.value.data is None)
               for b in app.config.get("task_queues"))


def _queue_list(value: Value) -> set[str] | None:
    """Queue names of a ``task_queues`` value: a list of ``Queue(...)``, or a mapping
    whose keys are the names (Celery's ``Queues`` accepts both)."""
    if not value.known:
        return None
    data = value.data
    if data is None:
        return set()
    if isinstance(data, dict):
        if value.partial:
            return None
        return {key for key in data if isinstance(key, str)}
    if not isinstance(data, tuple):
        return None
    names: set[str] = set()
    for item in data:
        name = queue_name(item)
        if name is None or isinstance(item.data, str):
            return None  # a queue we cannot name (or a bare string Celery would reject)
        names.add(name)
    return names


def default_queues(app: App) -> frozenset[str] | None:
    """Every queue ``task_default_queue`` may name (``celery`` when unset)."""
    config = app.config
    if config.is_unknown("task_default_queue"):
        return None
    names: set[str] = set()
    for binding in config.get("task_default_queue"):
        ok, data = binding.value.try_plain()
        if not ok or not isinstance(data, str):
            return None
        names.add(data)
    return frozenset(names or {DEFAULT_QUEUE})


def default_consumed(app: App) -> frozenset[str] | None:
    """What a worker without ``-Q`` consumes: every queue of ``task_queues``, else the
    default queue; None when that cannot be known."""
    if queues_declared(app):
        return declared_queues(app)
    return default_queues(app)


def may_serve_unknown_app(command: WorkerCommand) -> bool:
    """A worker whose ``-A`` is not literal (``-A $CELERY_APP``) may serve any app."""
    return command.app is not None and any(m in command.app for m in _NOT_LITERAL)


def consumed_queues(command: WorkerCommand, app: App) -> frozenset[str] | None:
    """The queues a worker command of `app` consumes; None when they cannot be known.

    A Dockerfile's command is unknown: an exec-form ENTRYPOINT takes the arguments
    given at run time (``docker run IMAGE -Q images``, compose ``command:``, Kubernetes
    ``args:``), which may be defined outside the repository. A ``celery multi`` command
    with per-node lists (``-Q:w1 a``) is counted as consuming
    every list it gives, plus what a node without its own list consumes (its nodes are
    not enumerated, so some node may have no list of its own).
    """
    options = command.options
    if kind_by_name(command.path) == "dockerfile" or "expansions" in options:
        return None  # run-time arguments, `$CELERYD_OPTS`: any of them may be -Q or -X
    if any(_option(key) == "exclude_queues" for key in options):
        return None
    lists = [value for key, value in options.items() if _option(key) == "queues"]
    if any(marker in value for value in lists for marker in _NOT_LITERAL):
        return None
    names = {name.strip() for value in lists for name in value.split(",") if name.strip()}
    if "queues" not in options:
        fallback = default_consumed(app)
        if fallback is None:
            return None
        names |= fallback
    return frozenset(names)


def _option(key: str) -> str:
    """``queues:w1`` (one node of ``celery multi``) is a ``queues`` option."""
    return key.partition(":")[0]
