"""Blind spots of a run, reported as notices (../shared/DESIGN.md).

When an app's configuration cannot be known (an unreadable ``config_from_object``
target, ``conf.update(<expression>)``), when the settings module it reads is not in the
project, or when tasks cannot be linked to an app, the rules that depend on it stay
silent. A notice says so: which app (or which tasks), why, which of the selected rules
were skipped, and what fixes it. Rules declare what they are blind on (``blind_on``:
``"config"`` or ``"app"``); the caller passes that declaration in, since the model sits
below the rules. Notices never change the exit code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from celerylint.model.apps import App
from celerylint.model.build import Model

# What a rule can be blind on.
CONFIG = "config"  # an app's configuration is unknown (or its settings module missing)
APP = "app"  # tasks that cannot be linked to an app
ABSENCE = "absence"  # a setting not set (silent when an app's settings are assumed)

# Kinds of notice, and the cause whose rules each one skips.
UNKNOWN_CONFIG = "unknown-config"
MISSING_SETTINGS = "missing-settings"
NO_APP = "no-app"
UNLINKED_TASKS = "unlinked-tasks"
NO_BASE_PROJECT = "no-base-project"  # --base-ref: the project is new since the base
_CAUSE = {UNKNOWN_CONFIG: CONFIG, MISSING_SETTINGS: CONFIG, NO_APP: APP, UNLINKED_TASKS: APP}

_SETTINGS_FIX = ("Set django-settings-module in [tool.celerylint] to the settings module "
                 "the workers use (a module inside the checked project).")


@dataclass(frozen=True)
class Notice:
    """One blind spot: where, why, which selected rules stayed silent, what fixes it."""

    kind: str
    app: str | None
    path: str | None
    row: int | None
    reason: str
    skipped: tuple[str, ...]
    fix: str

    @property
    def level(self) -> str:
        """``note`` for what is normal (a library without an app, a project newer than
        the base ref), else ``warning``."""
        return "note" if self.kind in (NO_APP, NO_BASE_PROJECT) else "warning"

    def where(self) -> str:
        """``path:row``, or empty when the notice has no file."""
        if self.path is None:
            return ""
        return f"{self.path}:{self.row}" if self.row else self.path

    def skipped_text(self) -> str:
        return f"skipped {', '.join(self.skipped)}"

    def text(self) -> str:
        """The notice on one line, without its location: reason, skipped rules, fix."""
        return f"{self.reason}; {self.skipped_text()}. {self.fix}"


def notices(model: Model, blind: Mapping[str, Iterable[str]]) -> list[Notice]:
    """The notices of a built model; `blind` maps each selected rule code to what it is
    blind on. A blind spot no selected rule depends on is not reported."""
    skipped: dict[str, tuple[str, ...]] = {CONFIG: (), APP: (), ABSENCE: ()}
    for cause in skipped:
        skipped[cause] = tuple(sorted(code for code, causes in blind.items()
                                      if cause in set(causes)))
    found: list[Notice] = []
    for app in model.production_apps():
        if app.config.open:
            kind, reason, fix = _config_notice(model, app)
            silent = skipped[CONFIG]
            if app.config.assumed_from:
                reason, fix = _assumed(model, app, reason)
                silent = tuple(code for code in silent if code in skipped[ABSENCE])
            found.append(Notice(kind, app.label, app.path, app.span.row, reason, silent, fix))
    unlinked = _unlinked(model)
    if unlinked is not None:
        found.append(replace(unlinked, skipped=skipped[APP]))
    found = [notice for notice in found if notice.skipped]
    return sorted(found, key=lambda n: (n.path or "", n.row or 0, n.kind, n.app or ""))


def _config_notice(model: Model, app: App) -> tuple[str, str, str]:
    """(kind, reason, fix) for an app whose configuration is open."""
    label = f"app {app.label!r}"
    reason = app.config.open_reason
    kind, module = app.config.missing or ("", "")
    if kind == "settings" and not module:
        return (MISSING_SETTINGS,
                f"{label} reads Django settings, but no DJANGO_SETTINGS_MODULE is set in the "
                "project (manage.py, wsgi.py, asgi.py or the app's module)",
                _SETTINGS_FIX)
    if kind == "settings":
        configured = model.project.django_settings_module == module
        origin = "django-settings-module" if configured else "DJANGO_SETTINGS_MODULE"
        return (MISSING_SETTINGS,
                f"{label} reads Django settings from {module!r} ({origin}), which is not in "
                "the project", _SETTINGS_FIX)
    if kind == "source":
        return (MISSING_SETTINGS,
                f"{label} reads its configuration from {module!r}, which is not in the "
                "project",
                f"Check the project from its root, and keep {module!r} out of exclude / "
                "extend-exclude in [tool.celerylint].")
    if "config_from_object()" in reason:
        fix = ("Pass config_from_object() a literal module name or a class of the project "
               "(e.g. 'proj.celeryconfig').")
    else:
        fix = ("Write the settings as literal values (a settings module, a config class or "
               "app.conf.update(key=value)).")
    return UNKNOWN_CONFIG, f"the configuration of {label} cannot be known: {reason}", fix


def _assumed(model: Model, app: App, reason: str) -> tuple[str, str]:
    """(reason, fix) of a missing settings module read from a stand-in instead: the
    rules about a bad value ran on it, the rules about an absence stayed silent."""
    stand_in = app.config.assumed_from
    name = model.project.names.get(stand_in)
    module = name.name if name is not None else stand_in.removesuffix(".py").replace("/", ".")
    return (f"{reason}; settings assumed from {stand_in}, so rules about a setting that is "
            "not set stay silent",
            f"If the workers run {stand_in}, confirm it with django-settings-module = "
            f"{module!r} in [tool.celerylint]; otherwise set that key to the real settings "
            "module.")


def _unlinked(model: Model) -> Notice | None:
    """One notice for the production tasks that have no app: none in the project (a
    library of shared tasks, which is normal), or several the tasks do not choose from."""
    tasks = [task for task in model.production_tasks() if task.app is None]
    if not tasks:
        return None
    first = min(tasks, key=lambda t: (t.path, t.span.row, t.span.column))
    count = f"{len(tasks)} task{'s' if len(tasks) != 1 else ''} (first: {first.label})"
    verb = "is" if len(tasks) == 1 else "are"
    apps = len(model.production_apps())
    if apps == 0:
        return Notice(NO_APP, None, first.path, first.span.row,
                      f"no Celery app in the project, so {count} {verb} checked without"
                      " an app's settings (normal for a library of "
                      "shared tasks)",
                      (), "Nothing to do for a library; if the app lives elsewhere, check it "
                      "together with these tasks.")
    return Notice(UNLINKED_TASKS, None, first.path, first.span.row,
                  f"{count} cannot be linked to one of the project's "
                  f"{apps} apps",
                  (), "Define each with the decorator of its own app (@app.task) or a base "
                  "class of that app.")
