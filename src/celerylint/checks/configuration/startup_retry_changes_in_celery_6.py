"""CEL705 startup-retry-changes-in-celery-6: ``broker_connection_retry`` off while
``broker_connection_retry_on_startup`` is unset."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.configuration.places import ReportedPlaces
from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.fixes.builders import add_setting
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import Binding, mark_assumed

_RETRY = "broker_connection_retry"
_ON_STARTUP = "broker_connection_retry_on_startup"
_SINCE = (5, 3)  # the version that added broker_connection_retry_on_startup


class StartupRetryChangesInCelery6(Rule):
    """While the startup setting is unset, Celery up to 5.x lets ``broker_connection_retry``
    decide whether the worker retries its first connection; Celery 6 will consult only
    the startup setting (default on), so a worker that gives up at startup today will
    retry then. Celery 5.5+ warns about exactly this at worker start."""

    code = "CEL705"
    blind_on = ("config", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        version = model.project.version.version
        if version is not None and version < _SINCE:
            return
        places = ReportedPlaces(model)
        for app in model.production_apps():
            binding = _retry_off(app)
            if binding is None or not places.first(binding):
                continue
            message, hint = mark_assumed(
                f"{binding.key} is off and {_ON_STARTUP} is unset: Celery 6 will retry the "
                "first broker connection",
                f"Set {_ON_STARTUP} to False to keep today's behaviour explicitly.",
                app.config, [binding])
            yield Finding(self.code, message, binding.path, binding.span, hint=hint,
                          fix=add_setting(model.project.root, app, binding, _ON_STARTUP,
                                          "False", "safe"))


def _retry_off(app: App) -> Binding | None:
    """The binding turning connection retries off, when the startup setting is surely
    unset and no value of either setting is unknown."""
    config = app.config
    if config.is_set(_ON_STARTUP) or config.is_unknown(_ON_STARTUP):
        return None
    if config.is_unknown(_RETRY):
        return None
    off = [binding for binding, data in config.known_values(_RETRY) if not data]
    return off[0] if off else None
