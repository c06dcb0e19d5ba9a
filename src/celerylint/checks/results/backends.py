"""How each result backend expires results (CELERY_FACTS §3), and an app's backends."""

from __future__ import annotations

from celerylint.model.apps import App
from celerylint.model.config import Binding

# What a backend does with results once result_expires has passed (CELERY_FACTS §3).
TTL = "ttl"
CLEANUP = "cleanup"
OWN_TTL = "own-ttl"
NEVER = "never"
RPC = "rpc"
_SCHEMES = {
    "redis": TTL, "rediss": TTL, "sentinel": TTL, "cache": TTL, "memcache": TTL,
    "memcached": TTL, "couchbase": TTL, "consul": TTL, "django-cache": TTL,
    "db": CLEANUP, "database": CLEANUP, "django-db": CLEANUP, "mongodb": CLEANUP,
    "mongodb+srv": CLEANUP, "file": CLEANUP, "arangodb": CLEANUP,
    "cassandra": OWN_TTL, "dynamodb": OWN_TTL, "gs": OWN_TTL, "gcs": OWN_TTL,
    "elasticsearch": NEVER, "elasticsearch+https": NEVER, "couchdb": NEVER, "s3": NEVER,
    "azureblockblob": NEVER, "cosmosdbsql": NEVER, "rpc": RPC,
}

def backend_kind(url: str) -> str | None:
    """How a result backend URL's backend expires results; None when not recognised."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else url.lower()
    if scheme.startswith("db+"):
        return CLEANUP
    if scheme.startswith("cache+"):
        return TTL
    return _SCHEMES.get(scheme)


def backends_of(app: App) -> list[tuple[Binding, str]] | None:
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
