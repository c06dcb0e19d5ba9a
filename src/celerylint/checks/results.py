"""CEL3: result storage and expiry."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks import Model
from celerylint.facts.values import Duration
from celerylint.findings import Finding, Severity
from celerylint.fixes.builders import result_expires
from celerylint.model.apps import App
from celerylint.model.config import Binding

# What a backend does with results once result_expires has passed (CELERY_FACTS §3).
_TTL = "ttl"
_CLEANUP = "cleanup"
_OWN_TTL = "own-ttl"
_NEVER = "never"
_RPC = "rpc"
_SCHEMES = {
    "redis": _TTL, "rediss": _TTL, "sentinel": _TTL, "cache": _TTL, "memcache": _TTL,
    "memcached": _TTL, "couchbase": _TTL, "consul": _TTL, "django-cache": _TTL,
    "db": _CLEANUP, "database": _CLEANUP, "django-db": _CLEANUP, "mongodb": _CLEANUP,
    "mongodb+srv": _CLEANUP, "file": _CLEANUP, "arangodb": _CLEANUP,
    "cassandra": _OWN_TTL, "dynamodb": _OWN_TTL, "gs": _OWN_TTL, "gcs": _OWN_TTL,
    "elasticsearch": _NEVER, "elasticsearch+https": _NEVER, "couchdb": _NEVER, "s3": _NEVER,
    "azureblockblob": _NEVER, "cosmosdbsql": _NEVER, "rpc": _RPC,
}
def backend_kind(url: str) -> str | None:
    """How a result backend URL's backend expires results; None when not recognised."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else url.lower()
    if scheme.startswith("db+"):
        return _CLEANUP
    if scheme.startswith("cache+"):
        return _TTL
    return _SCHEMES.get(scheme)


def _backends(app: App) -> list[tuple[Binding, str]] | None:
    """(binding, kind) of every possible backend; None when any cannot be known."""
    config = app.config
    if config.is_unknown("result_backend"):
        return None
    found = []
    for binding in config.get("result_backend"):
        ok, data = binding.value.try_plain()
        if not ok or not (data is None or isinstance(data, str)):
            return None
        if not data:
            continue
        kind = backend_kind(data)
        if kind is None:
            return None
        found.append((binding, kind))
    return found


def _message(kind: str) -> tuple[Severity, str]:
    head = "result_expires is not set"
    if kind == _TTL:
        return "note", (f"{head}: this backend expires results by itself after Celery's default "
                        "of 1 day; make the retention a decision by setting result_expires "
                        "(86400 keeps today's behaviour)")
    if kind == _CLEANUP:
        return "warning", (f"{head}: this backend only deletes results older than the default "
                           "1 day when `celery beat` runs the celery.backend_cleanup task (daily "
                           "at 4:00); without beat running they are never deleted. Set "
                           "result_expires and make sure beat runs")
    if kind == _OWN_TTL:
        return "warning", (f"{head}, and this backend ignores it anyway: it expires results only "
                           "through its own TTL option (cassandra_entry_ttl, the DynamoDB "
                           "ttl_seconds URL option, gcs_ttl), off by default, so results are "
                           "kept forever; set that option")
    return "warning", (f"{head}, and this backend never deletes results (Elasticsearch, CouchDB, "
                       "S3, Azure Block Blob, CosmosDB): they accumulate forever unless "
                       "something outside Celery removes them")


class ResultExpiresUnset:
    """CEL301: a result backend with no explicit result_expires."""

    code = "CEL301"

    def check(self, model: Model) -> Iterator[Finding]:
        for app in model.production_apps():
            backends = _backends(app)
            if not backends or app.config.is_set("result_expires"):
                continue
            if app.config.open and not app.config.get("result_expires"):
                continue
            stored = [(b, k) for b, k in backends if k != _RPC]
            if not stored:
                continue
            binding, kind = stored[0]
            severity, message = _message(kind)
            yield Finding(self.code, message, binding.path, binding.span, severity=severity,
                          fix=result_expires(model.project.root, app, binding))


def _disables(data: object) -> bool:
    if isinstance(data, Duration):
        return data.seconds == 0
    return data is None or (isinstance(data, (int, float)) and not isinstance(data, bool)
                            and data == 0)


class ResultExpiresDisabled:
    """CEL302: result_expires set to None or 0 (results never expire)."""

    code = "CEL302"

    def check(self, model: Model) -> Iterator[Finding]:
        seen = set()
        for app in model.production_apps():
            for binding, data in app.config.known_values("result_expires"):
                if not _disables(data) or (binding.path, binding.span) in seen:
                    continue
                seen.add((binding.path, binding.span))
                message = (
                    f"result_expires is {data!r}, which disables expiry: Redis stores results "
                    "without a TTL and beat no longer schedules celery.backend_cleanup, so "
                    "results are never deleted; set a retention in seconds (if something else "
                    "cleans up, say so with `# noqa: CEL302`)"
                )
                yield Finding(self.code, message, binding.path, binding.span)
