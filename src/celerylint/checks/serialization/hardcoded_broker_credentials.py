"""CEL103 hardcoded-broker-credentials: a broker or result-backend URL written in the code
with its password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import SplitResult, urlsplit

from celerylint.checks.registry import Rule
from celerylint.facts.values import Value
from celerylint.findings import Finding, Span
from celerylint.model.build import Model
from celerylint.model.config import Binding

SETTINGS = ("broker_url", "result_backend")
# A password that is a placeholder, not a secret: `${REDIS_PASSWORD}`, `$PW`, `{password}`,
# `<password>`, `%(password)s`, or a mask such as `****`.
_PLACEHOLDER = re.compile(r"\$\{?\w+\}?|\{\w*\}|<[^<>]*>|%\(\w+\)s|\*+")
MASK = "****"
# RabbitMQ's built-in account, whose password everyone knows (and which RabbitMQ accepts
# from localhost only): no secret is exposed.
PUBLIC_DEFAULT = ("guest", "guest")


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def credential_url(text: str) -> str | None:
    """The first URL of `text` (kombu allows `;`-separated failover URLs) that carries a
    literal password, shown masked; None when none does."""
    for url in text.split(";"):
        parts = _split(url.strip()) if "://" in url else None
        try:
            password = parts.password if parts is not None else None
        except ValueError:
            continue
        if parts is None or not password or _PLACEHOLDER.fullmatch(password) or (
                (parts.username, password) == PUBLIC_DEFAULT):
            continue
        host = parts.netloc.rpartition("@")[2]
        return f"{parts.scheme}://{parts.username or ''}:{MASK}@{host}"
    return None


def _url_values(value: Value) -> Iterator[Value]:
    """The string values a setting holds: the value itself, or each URL of a list."""
    if not value.known:
        return
    if isinstance(value.data, str):
        yield value
    elif isinstance(value.data, tuple):
        yield from (item for item in value.data if item.known and isinstance(item.data, str))


def _message(binding: Binding, value: Value, masked: str) -> str:
    where = f"the default of an env lookup for {binding.key}" if value.from_env else (
        binding.key)
    return f"{where} holds a literal password ({masked})"


class HardcodedBrokerCredentials(Rule):
    """A password written into the source as part of a broker or result-backend URL:
    everyone with read access to the repository (and its history) has it."""

    code = "CEL103"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for app in model.production_apps():
            for setting in SETTINGS:
                for binding in app.config.get(setting):
                    if model.project.is_test_config(binding.path):
                        continue
                    for value in _url_values(binding.value):
                        masked = credential_url(value.data)
                        span = value.span or binding.span
                        if masked is None or (binding.path, span) in seen:
                            continue
                        seen.add((binding.path, span))
                        yield Finding(
                            self.code, _message(binding, value, masked), binding.path, span,
                            hint="Read the URL, or at least its password, from the environment "
                                 "or a secret store.")
