"""CEL104 tls-verification-disabled: TLS to the broker or result backend without
certificate or host-name verification."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from celerylint.checks.registry import Rule
from celerylint.facts.values import Symbol, Value
from celerylint.findings import Finding, Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import Binding

_CERT_NONE = (Symbol("ssl.CERT_NONE"), Symbol("ssl.VerifyMode.CERT_NONE"))
# Values of `ssl_cert_reqs` that turn certificate checks off, by side. The broker's dict goes
# to redis-py unchanged, which reads None as CERT_NONE and refuses the string "CERT_NONE";
# Celery's Redis backend maps both names and refuses None (backends/redis.py).
_DICT_NONE = {
    "broker_use_ssl": (*_CERT_NONE, None, "none"),
    "redis_backend_use_ssl": (*_CERT_NONE, "CERT_NONE", "none"),
}
# Query values kombu (utils/url.py) and Celery's Redis backend read as CERT_NONE.
_QUERY_NONE = ("CERT_NONE", "none")
_CERT_HINT = ("Verify the server: use ssl.CERT_REQUIRED (or 'required'), with ssl_ca_certs "
              "naming its CA.")
_HOST_HINT = "Keep host-name checks on: remove the ssl_check_hostname that turns them off."
_REDISS_HINT = ("Add ?ssl_cert_reqs=required (with ssl_ca_certs if needed) to the URL, or set "
                "broker_use_ssl.")


@dataclass(frozen=True)
class Problem:
    """One place where verification is off: what the message says and where it lands."""

    message: str
    hint: str
    span: Span


def _dict_problems(setting: str, value: Value) -> Iterator[Problem]:
    """`broker_use_ssl` / `redis_backend_use_ssl` entries that turn verification off."""
    if not value.known or not isinstance(value.data, dict):
        return
    side = "broker" if setting == "broker_use_ssl" else "result backend"
    for key, entry in value.data.items():
        ok, data = entry.try_plain()
        if not ok or entry.span is None:
            continue
        if (key == "ssl_cert_reqs" and data in _DICT_NONE[setting]) or (
                key == "cert_reqs" and setting == "broker_use_ssl" and data in _CERT_NONE):
            yield Problem(f"{setting} sets {key} to {_shown(data)}: the {side}'s certificate "
                          "is not verified", _CERT_HINT, entry.span)
        elif key == "ssl_check_hostname" and data is False:
            yield Problem(f"{setting} sets ssl_check_hostname to False: the {side}'s host name "
                          "is not verified", _HOST_HINT, entry.span)


def _shown(data: object) -> str:
    return data.dotted if isinstance(data, Symbol) else repr(data)


def _urls(value: Value) -> Iterator[tuple[str, Span | None]]:
    """Every URL a broker or backend setting holds: lists and `;`-separated failovers."""
    if not value.known:
        return
    items = value.data if isinstance(value.data, tuple) else (value,)
    for item in items:
        if item.known and isinstance(item.data, str):
            for url in item.data.split(";"):
                yield url.strip(), item.span or value.span


def _url_problem(url: str, setting: str, broker_ssl_absent: bool) -> tuple[str, str] | None:
    """(message, hint) for a URL whose query turns verification off, or a `rediss://`
    broker URL that kombu connects to with CERT_NONE."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    query = dict(parse_qsl(parts.query))
    broker = setting == "broker_url"
    if not broker and parts.scheme != "rediss":
        return None  # the backend reads TLS options from rediss:// URLs only
    side = "broker" if broker else "result backend"
    if query.get("ssl_cert_reqs") in _QUERY_NONE:
        return (f"{side} URL has ssl_cert_reqs={query['ssl_cert_reqs']}: the {side}'s "
                "certificate is not verified", _CERT_HINT)
    if query.get("ssl_check_hostname", "").lower() == "false":
        return f"{side} URL has ssl_check_hostname=false: its host name is not verified", (
            _HOST_HINT)
    if (broker and parts.scheme == "rediss" and broker_ssl_absent
            and not any(key.startswith("ssl_") for key in query)):
        return ("rediss:// broker URL without ssl_cert_reqs or broker_use_ssl: kombu then "
                "skips certificate checks", _REDISS_HINT)
    return None


def _no_broker_ssl(app: App) -> bool:
    """`broker_use_ssl` known to be unset or falsy: kombu then treats a ``rediss://`` URL
    without ssl options as "no ssl options" (connection.py ``if ... not ssl``)."""
    config = app.config
    if config.is_unknown("broker_use_ssl"):
        return False
    values = config.known_values("broker_use_ssl")
    return len(values) == len(config.get("broker_use_ssl")) and not any(d for _, d in values)


def _problems(app: App, binding: Binding) -> Iterator[Problem]:
    if binding.setting in _DICT_NONE:
        yield from _dict_problems(binding.setting, binding.value)
        return
    for url, span in _urls(binding.value):
        found = _url_problem(url, binding.setting, _no_broker_ssl(app))
        if found is not None:
            yield Problem(found[0], found[1], span or binding.span)


class TlsVerificationDisabled(Rule):
    """TLS whose certificate or host-name checks are off lets anyone on the network path
    impersonate the broker or result backend, read the messages and inject tasks."""

    code = "CEL104"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        seen: set[tuple[str, Span]] = set()
        for app in model.production_apps():
            for setting in ("broker_use_ssl", "redis_backend_use_ssl", "broker_url",
                            "result_backend"):
                for binding in app.config.get(setting):
                    if model.project.is_test_config(binding.path):
                        continue
                    for problem in _problems(app, binding):
                        if (binding.path, problem.span) not in seen:
                            seen.add((binding.path, problem.span))
                            yield Finding(self.code, problem.message, binding.path,
                                          problem.span, hint=problem.hint)
