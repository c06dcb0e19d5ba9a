"""Celery's settings table: every declared setting with its old name, type, default and age.

celerylint never imports Celery (the audited project may not even have it installed, and
importing it would tie the linter to one Celery version), so the facts come from
``data/celery_settings.json``, generated from ``celery.app.defaults`` by
``scripts/gen_settings_table.py`` and verified against Celery by the test suite.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

_NAMESPACE_PREFIX = "CELERY_"


@dataclass(frozen=True)
class SettingInfo:
    """One setting declared by Celery.

    ``type`` is Celery's declared type; Celery never validates config values against it, so
    it is advice, not a contract.  ``default`` is JSON data (values JSON cannot hold are the
    ``repr`` Celery's default would print, e.g. ``"datetime.timedelta(days=1)"``).  ``since``
    is the first Celery 5.x minor version that declares the setting; ``(5, 0)`` means
    "5.0 or earlier".
    """

    name: str
    old_name: str
    type: str
    default: object
    since: tuple[int, int]


def _parse_version(text: str) -> tuple[int, int]:
    """Turn the table's ``"5.6"`` into ``(5, 6)`` so versions compare numerically."""
    major, minor = text.split(".")
    return int(major), int(minor)


def _setting(record: Mapping[str, Any]) -> SettingInfo:
    """Build a SettingInfo from one record of the JSON table."""
    return SettingInfo(
        name=str(record["name"]),
        old_name=str(record["old_name"]),
        type=str(record["type"]),
        default=record["default"],
        since=_parse_version(str(record["since"])),
    )


@functools.cache
def _table() -> Mapping[str, Any]:
    """Read the packaged JSON once; it ships inside the wheel next to this module."""
    path = resources.files("celerylint.model") / "data" / "celery_settings.json"
    loaded: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def settings() -> Mapping[str, SettingInfo]:
    """Return every declared setting keyed by its new (lowercase) name; read-only, cached."""
    infos = (_setting(record) for record in _table()["settings"])
    return MappingProxyType({info.name: info for info in infos})


@functools.cache
def by_old_name() -> Mapping[str, SettingInfo]:
    """Return every declared setting keyed by Celery's old name; read-only, cached.

    Celery gives every setting exactly one old name, so the mapping is one-to-one.
    """
    return MappingProxyType({info.old_name: info for info in settings().values()})


def namespaced_name(info: SettingInfo, prefix: str = _NAMESPACE_PREFIX) -> str:
    """Return the key Celery reads for ``info`` under a namespace (Django style).

    With ``namespace='CELERY'`` Celery looks up ``CELERY_`` + the upper-cased new name first,
    e.g. ``CELERY_TASK_ACKS_LATE`` for ``task_acks_late``.
    """
    return prefix + info.name.upper()


def old_name_is_namespaced(info: SettingInfo) -> bool:
    """Tell whether the old name is also the ``CELERY_``-namespaced new name.

    For these settings (``CELERY_TIMEZONE``, ``CELERY_RESULT_BACKEND``, ...) one key is both
    old-style and correct under ``namespace='CELERY'``, so it must not be reported as an old
    name in a Django-style config.
    """
    return info.old_name == namespaced_name(info)
