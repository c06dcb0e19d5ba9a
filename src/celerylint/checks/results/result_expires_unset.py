"""CEL301 result-expires-unset: a result backend with no explicit result_expires."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.checks.results.backends import CLEANUP, OWN_TTL, RPC, TTL, backends_of
from celerylint.findings import Finding, Fix, Severity
from celerylint.fixes.builders import add_setting
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import Binding

RESULT_EXPIRES_DEFAULT = "86400"


def _message(kind: str) -> tuple[Severity, str]:
    head = "result_expires is not set"
    if kind == TTL:
        return "note", f"{head}, so this backend keeps results for Celery's default of 1 day"
    if kind == CLEANUP:
        return "warning", f"{head}, and this backend deletes results only while celery beat runs"
    if kind == OWN_TTL:
        return "warning", (f"{head}, and this backend ignores it: results stay until its own TTL "
                           "option is set")
    return "warning", f"{head}, and this backend never deletes results: they accumulate forever"


_HINTS = {
    TTL: "Set result_expires to the retention you want (86400 keeps today's behaviour).",
    CLEANUP: "Set result_expires, and run celery beat so that celery.backend_cleanup deletes "
             "expired results.",
    OWN_TTL: "Set the backend's own TTL: cassandra_entry_ttl, DynamoDB's ttl_seconds URL option "
             "or gcs_ttl.",
}
_NEVER_HINT = "Delete old results with a job outside Celery, or use a backend that expires them."


class ResultExpiresUnset(Rule):
    """CEL301: a result backend with no explicit result_expires."""

    code = "CEL301"
    blind_on = ("config", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        for app in model.production_apps():
            backends = backends_of(app)
            if not backends or app.config.is_set("result_expires"):
                continue
            if app.config.open and not app.config.get("result_expires"):
                continue
            stored = [(b, k) for b, k in backends if k != RPC]
            if not stored:
                continue
            binding, kind = stored[0]
            severity, message = _message(kind)
            yield Finding(self.code, message, binding.path, binding.span, severity=severity,
                          fix=result_expires(model.project.root, app, binding),
                          hint=_HINTS.get(kind, _NEVER_HINT))


def result_expires(root: Path, app: App, backend: Binding) -> Fix | None:
    """CEL301 (safe): ``result_expires`` = Celery's default, beside the result backend."""
    return add_setting(root, app, backend, "result_expires", RESULT_EXPIRES_DEFAULT, "safe")
