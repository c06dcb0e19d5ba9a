"""CEL204 acks-late-with-prefetch: late acknowledgement while workers prefetch more than
one message per process."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.worker_options import may_hide_options
from celerylint.findings import Finding, Fix, Span
from celerylint.fixes.builders import add_setting, binding_at
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import Binding, mark_assumed
from celerylint.model.serving import production_workers
from celerylint.model.tasks import Candidate, Task, setting_option, task_option

SETTING = "worker_prefetch_multiplier"
DEFAULT = 4  # celery/app/defaults.py


@dataclass(frozen=True)
class Prefetch:
    """A multiplier the app's workers may run with, and where it comes from (a config
    binding; None for the default or a worker command flag)."""

    value: int
    source: str  # "default", "config" or "command"
    binding: Binding | None = None

    @property
    def shown(self) -> str:
        if self.source == "default":
            return f"{SETTING} unset (default {DEFAULT})"
        if self.binding is not None:
            return f"{self.binding.key} = {self.value}"
        return f"--prefetch-multiplier {self.value}"


def _multiplier(data: object) -> int | None:
    if isinstance(data, bool) or not isinstance(data, (int, str)):
        return None
    try:
        return int(data)
    except ValueError:
        return None


def _config_prefetch(app: App) -> list[Prefetch] | None:
    """The configured multipliers (Celery's default 4 when unset); None when unknown."""
    config = app.config
    if config.is_unknown(SETTING):
        return None
    bindings = config.certain(SETTING)
    if len(bindings) != len(config.get(SETTING)):
        return None  # read only by some Celery versions
    if not bindings:
        return [Prefetch(DEFAULT, "default")]
    found = []
    for binding in bindings:
        value = _multiplier(binding.value.data) if binding.value.known else None
        if value is None:
            return None
        found.append(Prefetch(value, "config", binding))
    return found


def prefetch_too_high(model: Model, app: App) -> Prefetch | None:
    """The first multiplier other than 1 the app's workers may run with; None when all
    are 1 or any is unknown. A worker command's ``--prefetch-multiplier`` wins over the
    setting for that command (``${X}`` there is unknown)."""
    config = _config_prefetch(app)
    commands = production_workers(model.project, app)
    found: list[Prefetch] = []
    if not commands or any("prefetch_multiplier" not in c.options for c in commands):
        if config is None:
            return None
        found.extend(config)
    for command in commands:
        if may_hide_options(command):
            return None  # `$CELERYD_OPTS` may set the multiplier
        raw = command.options.get("prefetch_multiplier")
        if raw is not None:
            value = _multiplier(raw)
            if value is None:
                return None
            found.append(Prefetch(value, "command"))
    return next((p for p in found if p.value != 1), None)


def _late_ack_tasks(model: Model, app: App) -> list[tuple[Task, Candidate]]:
    """The app's tasks whose effective acks_late is true, with the place that sets it."""
    found = []
    for task in model.production_tasks():
        if task.app is not app:
            continue
        option = task_option(task, "acks_late", False)
        trues = [c for c, data in option.values() if data is True and c.span is not None]
        if not option.unknown and trues:
            found.append((task, trues[0]))
    return found


def _disabled(app: App) -> bool:
    """``worker_disable_prefetch`` (Celery 5.6+, Redis) also stops the over-reservation."""
    return any(data is True for _, data in app.config.known_values("worker_disable_prefetch"))


class AcksLateWithPrefetch(Rule):
    """Late acks let prefetched messages wait unacknowledged behind long tasks; only a
    multiplier of 1 limits each process to the message it runs."""

    code = "CEL204"
    blind_on = ("config", "app", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()  # apps reading the same settings: once
        for app in model.production_apps():
            tasks = _late_ack_tasks(model, app)
            glob = setting_option(app, "task_acks_late", False)
            global_on = [] if glob.unknown else [
                c for c, data in glob.values() if data is True and c.span is not None]
            if (not tasks and not global_on) or _disabled(app):
                continue
            prefetch = prefetch_too_high(model, app)
            if prefetch is None:
                continue
            finding = self._finding(model.project.root, app, tasks, global_on, prefetch)
            if (finding.path, finding.span) not in seen:
                seen.add((finding.path, finding.span))
                yield finding

    def _finding(self, root: Path, app: App, tasks: list[tuple[Task, Candidate]],
                 global_on: list[Candidate], prefetch: Prefetch) -> Finding:
        count = f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}" if tasks else (
            "task_acks_late")
        message = (f"late acks ({count}) with {prefetch.shown}: reserved messages wait behind "
                   "long tasks")
        hint = f"Set {SETTING} = 1 so each process reserves only the message it runs."
        bindings = [prefetch.binding] if prefetch.binding is not None else []
        if global_on:
            bindings += app.config.get("task_acks_late")
        message, hint = mark_assumed(message, hint, app.config, bindings)
        if prefetch.binding is not None:
            return Finding(self.code, message, prefetch.binding.path, prefetch.binding.span,
                           hint=hint)
        fixable = prefetch.source == "default"
        if global_on:
            first = min(global_on, key=lambda c: (c.path, c.span or app.span))
            anchor = binding_at(app, "task_acks_late", first.path, first.span)
            return Finding(self.code, message, first.path, first.span or app.span,
                           fix=_add_prefetch(root, app, anchor) if fixable else None, hint=hint)
        return Finding(self.code, message, app.path, app.span,
                       fix=_add_prefetch(root, app, _creation_anchor(app)) if fixable else None,
                       hint=hint)


def _creation_anchor(app: App) -> Binding | None:
    """The first setting written unconditionally in the file that creates the app (a
    ``Celery(...)`` keyword, ``app.conf``): where a fix can add one beside it."""
    return min((b for bindings in app.config.bindings.values() for b in bindings
                if b.path == app.path and b.certain and not b.conditional),
               key=lambda b: b.span, default=None)


def _add_prefetch(root: Path, app: App, anchor: Binding | None) -> Fix | None:
    """CEL204 (unsafe): ``worker_prefetch_multiplier = 1`` beside `anchor` (the global
    ``task_acks_late``, or a setting written in the file that creates the app)."""
    if anchor is None:
        return None
    return add_setting(root, app, anchor, SETTING, "1", "unsafe")
