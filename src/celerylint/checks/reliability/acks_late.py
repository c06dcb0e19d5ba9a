"""CEL203 acks-late-without-reject-on-worker-lost: late acknowledgement that still loses
the task when its process dies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Fix, Span
from celerylint.fixes.builders import add_setting, add_task_option, binding_at
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import mark_assumed
from celerylint.model.tasks import Candidate, Option, Task, setting_option, task_option

VERSION_5_7 = (5, 7)


def _true(option: Option) -> list[Candidate]:
    return [c for c, data in option.values() if data is True]


def _reject_or_retry(task: Task | None, app: App | None, version: tuple[int, int] | None
                     ) -> bool | None:
    """Is the task requeued or retried when its process dies? None when unknown."""
    names = ["reject_on_worker_lost"]
    if version is None or version >= VERSION_5_7:
        names.append("retry_on_worker_lost")
    for name in names:
        if task is not None:
            option = task_option(task, name)
        elif app is not None:
            option = setting_option(app, f"task_{name}")
        else:
            return None
        if option.unknown:
            return None
        if _true(option):
            return True
    return False


def _acks_message(subject: str, prefix: str = "") -> str:
    return (f"{subject} without {prefix}reject_on_worker_lost: a task is not run again when "
            "its pool process dies")


def _acks_hint(version: tuple[int, int] | None, prefix: str = "") -> str:
    """What to add: `prefix` is ``"task_"`` for the settings, empty for task options."""
    equals = " = " if prefix else "="
    reject = f"{prefix}reject_on_worker_lost{equals}True"
    if version is not None and version < VERSION_5_7:
        return f"If a rerun is safe, add {reject}; if failing once is right, silence the finding."
    return (f"If a rerun is safe, add {prefix}retry_on_worker_lost{equals}True (Celery 5.7+, "
            f"bounded by max_retries) or {reject}.")


class AcksLateWithoutRejectOnWorkerLost(Rule):
    """CEL203: late acknowledgement that still loses the task when its process dies."""

    code = "CEL203"
    blind_on = ("config", "app", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        version = model.project.version.version
        root = model.project.root
        seen: set[tuple[str, Span]] = set()
        for app in model.production_apps():
            option = setting_option(app, "task_acks_late", False)
            if option.unknown or _reject_or_retry(None, app, version) is not False:
                continue
            for candidate in _true(option):
                if candidate.span is not None and (candidate.path, candidate.span) not in seen:
                    seen.add((candidate.path, candidate.span))
                    message, hint = mark_assumed(
                        _acks_message("task_acks_late is on", "task_"),
                        _acks_hint(version, "task_"), app.config,
                        app.config.get("task_acks_late"))
                    yield Finding(self.code, message, candidate.path, candidate.span,
                                  fix=reject_on_worker_lost(root, app, None, candidate),
                                  hint=hint)
        for task in model.production_tasks():
            option = task_option(task, "acks_late", False)
            if option.unknown or option.source == "config":
                continue
            trues = _true(option)
            if not trues or _reject_or_retry(task, task.app, version) is not False:
                continue
            for candidate in trues:
                if candidate.span is None or (candidate.path, candidate.span) in seen:
                    continue
                seen.add((candidate.path, candidate.span))
                subject = "acks_late=True" if candidate.source != "annotation" else (
                    "a task_annotations entry sets acks_late=True")
                yield Finding(self.code, _acks_message(subject), candidate.path, candidate.span,
                              fix=reject_on_worker_lost(root, task.app, task, candidate),
                              hint=_acks_hint(version))


def reject_on_worker_lost(root: Path, app: App | None, task: Task | None,
                          acks_late: Candidate) -> Fix | None:
    """CEL203 (unsafe): ``reject_on_worker_lost=True`` beside the ``acks_late`` that
    `acks_late` points at: the task option for a task, the setting for an app."""
    if task is not None:
        return add_task_option(root, task, acks_late, "reject_on_worker_lost", "True",
                               "unsafe")
    if app is None:
        return None
    anchor = binding_at(app, "task_acks_late", acks_late.path, acks_late.span)
    if anchor is None:
        return None
    return add_setting(root, app, anchor, "task_reject_on_worker_lost", "True", "unsafe")
