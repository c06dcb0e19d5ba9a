"""CEL202 soft-limit-not-below-hard: a soft time limit above or equal to the hard one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Severity, Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed
from celerylint.model.tasks import Candidate, Option, Task, setting_option, task_option

# Since this version `Task.apply_async` raises ValueError when soft > hard (app/task.py).
CALL_CHECK = (5, 5)
_OWN = ("annotation", "decorator", "alias", "class")


@dataclass(frozen=True)
class Side:
    """One limit as Celery sees it: the value a task attribute holds (None: unset) and
    the place that sets it (None for Celery's default)."""

    data: float | None
    candidate: Candidate | None

    @property
    def own(self) -> bool:
        """Set by the task itself rather than inherited from the app's settings."""
        return self.candidate is not None and self.candidate.source in _OWN


def _side(option: Option) -> Side | None:
    """The single value an option resolves to; None when unknown, not a number, or
    different in different branches (which pairing happens cannot be known)."""
    if option.unknown:
        return None
    values = option.values()
    distinct = {data for _, data in values}
    if len(values) != len(option.candidates) or len(distinct) != 1:
        return None
    data = distinct.pop()
    if data is None:
        return Side(None, values[0][0])
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        return None
    return Side(data, values[0][0])


def _inherit(side: Side | None, inherited: Side | None) -> Side | None:
    """A task attribute left ``None`` (``time_limit = None`` on its class) is filled from
    the app's setting when the task is bound (app/task.py), so it is the global's."""
    if side is not None and side.own and side.data is None:
        return inherited
    return side


def _run_time(side: Side, inherited: Side | None) -> float | None:
    """The limit the worker enforces: a task's 0 (or None) falls back to the global."""
    if side.data:
        return side.data
    if side.own and inherited is not None:
        return inherited.data or None
    return None


def _verdict(soft: Side, hard: Side, soft_global: Side | None, hard_global: Side | None,
             version: tuple[int, int] | None) -> tuple[Severity, float, float] | None:
    """error: apply_async refuses every call; warning: the soft limit never fires. With
    the two limits the verdict is about (at run time, a task's 0 is the global limit)."""
    if (soft.data and hard.data and soft.data > hard.data
            and (version is None or version >= CALL_CHECK)):
        return "error", soft.data, hard.data
    soft_limit, hard_limit = _run_time(soft, soft_global), _run_time(hard, hard_global)
    if soft_limit and hard_limit and soft_limit >= hard_limit:
        return "warning", soft_limit, hard_limit
    return None


def _message(names: tuple[str, str], verdict: tuple[Severity, float, float],
             subject: str) -> str:
    severity, soft, hard = verdict
    pair = f"{names[0]} {soft:g} is not below {names[1]} {hard:g}"
    if severity == "error":
        return f"{pair}: every call of {subject} raises ValueError (Celery 5.5+)"
    return f"{pair}: the soft limit of {subject} never fires"


_HINT = {
    "error": "Make the soft limit lower than the hard one, leaving the task time to clean up.",
    "warning": "Make the soft limit lower than the hard one, or drop it if no cleanup is needed.",
}


class SoftLimitNotBelowHard(Rule):
    """A soft time limit that is not below the hard one: since Celery 5.5 a soft limit
    above the hard one makes `apply_async` refuse every call; an equal one never fires,
    because the pool checks the hard limit first."""

    code = "CEL202"
    blind_on = ("config", "app")

    def check(self, model: Model) -> Iterator[Finding]:
        version = model.project.version.version
        globals_: dict[str, tuple[Side | None, Side | None]] = {}
        found: list[Finding | None] = []
        for app in model.production_apps():
            soft = _side(setting_option(app, "task_soft_time_limit"))
            hard = _side(setting_option(app, "task_time_limit"))
            globals_[app.origin] = (soft, hard)
            found.append(self._app_finding(app, soft, hard, version))
        for task in model.production_tasks():
            soft_global, hard_global = (globals_.get(task.app.origin, (None, None))
                                        if task.app is not None else (None, None))
            found.append(self._task_finding(task, soft_global, hard_global, version))
        seen: set[tuple[str, Span]] = set()
        for finding in found:  # apps sharing settings, tasks sharing a base: report once
            if finding is not None and (finding.path, finding.span) not in seen:
                seen.add((finding.path, finding.span))
                yield finding

    def _app_finding(self, app: App, soft: Side | None, hard: Side | None,
                     version: tuple[int, int] | None) -> Finding | None:
        if soft is None or hard is None or soft.candidate is None:
            return None
        span = soft.candidate.span
        verdict = _verdict(soft, hard, None, None, version)
        if verdict is None or span is None:
            return None
        message, hint = mark_assumed(
            _message(("task_soft_time_limit", "task_time_limit"), verdict,
                     f"every task of app {app.label!r}"),
            _HINT[verdict[0]], app.config,
            app.config.get("task_soft_time_limit") + app.config.get("task_time_limit"))
        return Finding(self.code, message, soft.candidate.path, span, verdict[0], hint=hint)

    def _task_finding(self, task: Task, soft_global: Side | None, hard_global: Side | None,
                      version: tuple[int, int] | None) -> Finding | None:
        soft = _inherit(_side(task_option(task, "soft_time_limit")), soft_global)
        hard = _inherit(_side(task_option(task, "time_limit")), hard_global)
        if soft is None or hard is None or not (soft.own or hard.own):
            return None
        verdict = _verdict(soft, hard, soft_global, hard_global, version)
        if verdict is None:
            return None
        at = soft if soft.own else hard
        if at.candidate is None or at.candidate.span is None:
            return None
        subject = f"task {task.label}" if at.candidate.source != "alias" and (
            at.candidate.source != "class") else "its tasks"
        message = _message(("soft_time_limit", "time_limit"), verdict, subject)
        return Finding(self.code, message, at.candidate.path, at.candidate.span, verdict[0],
                       hint=_HINT[verdict[0]])
