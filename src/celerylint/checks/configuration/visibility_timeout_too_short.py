"""CEL706 visibility-timeout-too-short: a message held unacked at least as long as the
Redis/SQS/pgmq visibility timeout is delivered again, and its task runs twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.checks.registry import Rule
from celerylint.facts.schema import TimedCall
from celerylint.facts.values import Duration
from celerylint.findings import Finding, Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.canvas import Links, may_hold_unseen, may_run_eagerly, resolve_receivers
from celerylint.model.config import Binding, mark_assumed
from celerylint.model.tasks import Option, Task, own_option, task_option

# kombu transports with a visibility timeout, by URL scheme, and their defaults in
# seconds (kombu/transport/redis.py:1070, SQS/__init__.py:368, pgmq.py:250).
_TRANSPORTS = {"redis": "Redis", "rediss": "Redis", "redis+socket": "Redis",
               "sentinel": "Redis", "sqs": "SQS", "pgmq": "pgmq"}
_DEFAULTS = {"Redis": 3600, "SQS": 1800, "pgmq": 1800}
_RETRY_DELAY = 180  # Task.default_retry_delay
_BACKOFF_MAX = 600  # Task.retry_backoff_max
_HINT = ("Raise broker_transport_options['visibility_timeout'] above the longest delay or "
         "run time, or shorten the delay.")


@dataclass(frozen=True)
class Timeout:
    """An app's visibility timeout: the transport, the seconds, the setting (None when
    it is the transport's default)."""

    transport: str
    seconds: float
    binding: Binding | None

    def describe(self) -> str:
        source = "" if self.binding else ", default"
        return f"the {self.transport} visibility timeout ({_show(self.seconds)} s{source})"


def seconds(data: object) -> float | None:
    """A number of seconds, or a timedelta folded to seconds; None for anything else."""
    if isinstance(data, Duration):
        return data.seconds
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return float(data)
    return None


def _show(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _transports(app: App) -> set[str] | None:
    """The visibility-timeout transports the app's broker may use; None when unknown."""
    config = app.config
    if config.is_unknown("broker_url"):
        return None
    found: set[str] = set()
    for binding in config.get("broker_url"):
        ok, data = binding.value.try_plain()
        if not ok or not isinstance(data, str):
            return None
        for url in data.split(";"):
            scheme = url.strip().split("://", 1)[0].lower()
            if scheme in _TRANSPORTS:
                found.add(_TRANSPORTS[scheme])
    return found


def visibility_timeout(app: App) -> Timeout | None:
    """The longest visibility timeout the app may run with; None when unknown or when
    its broker has none (AMQP, SQLAlchemy, ...)."""
    transports = _transports(app)
    config = app.config
    if not transports or may_hold_unseen(config, "broker_transport_options"):
        return None
    transport = max(transports, key=lambda t: _DEFAULTS[t])
    bindings = config.get("broker_transport_options")
    if not bindings:
        return Timeout(transport, _DEFAULTS[transport], None)
    candidates: list[Timeout] = []
    for binding in bindings:
        value = binding.value
        if not value.known or not isinstance(value.data, dict):
            return None
        entry = value.data.get("visibility_timeout")
        if entry is None:
            if value.partial:
                return None
            candidates.append(Timeout(transport, _DEFAULTS[transport], None))
            continue
        ok, data = entry.try_plain()
        found = seconds(data) if ok else None
        if found is None:
            return None
        candidates.append(Timeout(transport, found, binding))
    return max(candidates, key=lambda t: t.seconds)


@dataclass(frozen=True)
class _Delay:
    """A time a message stays unacked, where it is set, and what it is."""

    seconds: float
    path: str | None
    span: Span | None
    what: str


def _option_delay(option: Option, what: str, default: float) -> _Delay | None:
    """An option's only known value as a delay; its default has no place of its own."""
    values = option.values()
    if option.unknown or len(values) != 1 or len(option.candidates) != 1:
        return None
    candidate, data = values[0]
    found = seconds(data)
    if found is None:
        return None
    if candidate.source == "default":
        return _Delay(default, None, None, what)
    return _Delay(found, candidate.path, candidate.span, what)


def _truthy(option: Option | None) -> bool | None:
    if option is None:
        return False
    values = option.values()
    if option.unknown or len(values) != len(option.candidates):
        return None
    return any(bool(data) for _, data in values)


def _retry_delay(task: Task) -> _Delay | None:
    """How long a retry without a countdown waits: ``default_retry_delay``."""
    return _option_delay(task_option(task, "default_retry_delay", _RETRY_DELAY),
                         f"the retry delay of {task.label}", _RETRY_DELAY)


def _only(option: Option | None) -> tuple[bool, object]:
    """(known, value) of an option with exactly one fully known value."""
    if option is None:
        return True, None
    values = option.values()
    if option.unknown or len(values) != 1 or len(option.candidates) != 1:
        return False, None
    return True, values[0][1]


def _autoretry_delay(task: Task) -> _Delay | None:
    """The longest wait of an autoretry: without backoff, the retry delay; with it, the
    last backoff Celery sends, ``min(retry_backoff_max, factor * 2 ** (max_retries - 1))``
    (app/autoretry.py, utils/time.py), which is ``retry_backoff_max`` only when enough
    retries are allowed. ``retry_kwargs`` may change any of this: silent."""
    if own_option(task, "autoretry_for") is None or own_option(task, "retry_kwargs"):
        return None
    known, backoff = _only(own_option(task, "retry_backoff"))
    if not known:
        return None
    if not backoff:
        return _retry_delay(task)
    known, retries = _only(task_option(task, "max_retries", 3))
    if not known:
        return None
    factor = max(1, int(backoff)) if isinstance(backoff, (bool, int, float)) else None
    limit = _option_delay(task_option(task, "retry_backoff_max", _BACKOFF_MAX),
                          f"the retry backoff of {task.label}", _BACKOFF_MAX)
    if factor is None or limit is None:
        return None
    if isinstance(retries, int) and not isinstance(retries, bool):
        if retries < 1 or factor * 2 ** (retries - 1) < limit.seconds:
            return None  # the backoff never grows to retry_backoff_max
    elif retries is not None:
        return None
    return limit


def _late_ack_run_time(task: Task) -> _Delay | None:
    """A late-ack task's hard time limit, else its soft one (the expected run time);
    None when neither is set or either cannot be known."""
    if _truthy(task_option(task, "acks_late", False)) is not True:
        return None
    for name in ("time_limit", "soft_time_limit"):
        option = task_option(task, name, None)
        values = option.values()
        if option.unknown or len(values) != len(option.candidates):
            return None
        if all(not data for _, data in values):
            continue  # unset (None), or 0 (the global limit, which is unset too)
        return _option_delay(option, f"the {name} of late-ack task {task.label}", 0)
    return None


class VisibilityTimeoutTooShort(Rule):
    """CEL706: a countdown, ETA, retry delay or late-ack run time at least as long as
    the broker's visibility timeout."""

    code = "CEL706"
    needs = (resolve_receivers,)
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        links = Links.of(model)
        timeouts = {id(app): visibility_timeout(app) for app in model.production_apps()
                    if not may_run_eagerly(app)}
        # One finding per place: a global time limit shared by several late-ack tasks
        # (or a timeout below several default retry delays) is one decision.
        places: dict[tuple[str, Span], list[tuple[App, Timeout, _Delay]]] = {}
        for app, delay in self._delays(model, links):
            timeout = timeouts.get(id(app))
            if timeout is None or delay.seconds < timeout.seconds:
                continue
            path, span = delay.path, delay.span
            if path is None or span is None:
                if timeout.binding is None:
                    continue
                path, span = timeout.binding.path, timeout.binding.span
            if not model.project.is_test_path(path):
                places.setdefault((path, span), []).append((app, timeout, delay))
        for (path, span), found in places.items():
            app, timeout, delay = found[0]
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            message, hint = mark_assumed(
                f"{delay.what}{more} ({_show(delay.seconds)} s) reaches {timeout.describe()}: "
                "the task runs twice", _HINT, app.config, app.config.get("broker_url"))
            yield Finding(self.code, message, path, span, hint=hint)

    def _delays(self, model: Model, links: Links) -> Iterator[tuple[App, _Delay]]:
        for task in model.production_tasks():
            if task.app is None:
                continue
            for found in (_autoretry_delay(task), _late_ack_run_time(task)):
                if found is not None:
                    yield task.app, found
        for path, facts in model.production_modules():
            module = facts.module
            for call in facts.timed_calls:
                timed = self._call_delay(links, module, path, call)
                if timed is not None:
                    yield timed

    def _call_delay(self, links: Links, module: str, path: str, call: TimedCall
                    ) -> tuple[App, _Delay] | None:
        """A call's countdown/eta, or a bare ``retry()``'s retry delay, with its app."""
        if call.method == "retry":
            task = links.by_origin.get(f"{module}.{call.function}")
            if task is None or task.app is None:
                return None
            if call.seconds is None:
                found = _retry_delay(task)
                return (task.app, found) if found is not None else None
            app: App | None = task.app
        else:
            task = links.task(call.receiver)
            app = task.app if task is not None else (
                links.app(call.receiver) or links.sole_app())
        if app is None or call.seconds is None:
            return None
        ok, data = call.seconds.try_plain()
        found_seconds = seconds(data) if ok else None
        if found_seconds is None:
            return None
        what = f"{'countdown' if call.option == 'countdown' else 'eta offset'} of {call.method}()"
        return app, _Delay(found_seconds, path, call.span, what)
