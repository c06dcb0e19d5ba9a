"""Celery's task options: every name a task decorator keyword can usefully set, with the
first Celery 5.x minor that has it (CEL213).

A keyword of ``@app.task(...)`` that is not a decorator parameter becomes a class
attribute of the generated task class, so the names that do something are the attributes
and methods of ``celery.Task``, the message options it hands to ``apply_async``, the
decorator's own parameters and the autoretry options. celerylint never imports Celery: the
names come from ``data/celery_task_options.json``, generated from Celery's source by
``scripts/gen_task_options.py`` and held against the installed Celery by the test suite.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType


@functools.cache
def task_options() -> Mapping[str, tuple[int, int]]:
    """Every task option by name, with the first 5.x minor that has it (``(5, 0)``: 5.0
    or earlier); read-only, cached."""
    path = resources.files("celerylint.model") / "data" / "celery_task_options.json"
    table = json.loads(path.read_text(encoding="utf-8"))
    return MappingProxyType({name: _version(since) for name, since in table["options"].items()})


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)
