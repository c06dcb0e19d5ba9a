"""Which files can hold Celery facts, decided from their bytes before any parsing.

Parsing is most of a run's cost and most files of a project never mention Celery, so a
byte search picks the files worth parsing. It is deliberately generous: a file is read
when it may create or configure an app, define or decorate a task, call one, or point at
Django settings. What the search cannot see is loaded on demand by the project model
(config modules an app names, base classes, helpers a task calls), and decorator aliases
defined in one file and used in another are found by a second search for their names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SIGNS = (
    rb"Celery",                      # app creation, Celery subclasses
    rb"config_from_object",          # configuration of an app of any class
    rb"\.conf[.\[]",                 # app.conf.X = / app.conf[...] / app.conf.update
    rb"\.Task\s*=",                  # app.Task = X
    rb"shared_task",                 # @shared_task, celery.shared_task
    rb"\.task\b",                    # @app.task, app.task(...)(f)
    rb"Task\s*[,)]",                 # class X(Task), class X(app.Task, Mixin)
    rb"\.(?:delay|apply_async|si?|signature|send_task)\(",  # calls of tasks
    rb"\b[Ss]ignature\(",            # celery.signature("name", ...), Signature("name")
    rb"DJANGO_SETTINGS_MODULE",      # where Django settings are found
    rb"\bcrontab\b",                 # schedules (any alias): Celery validates them when built
    rb"AsyncResult\(",               # results read by task id (CEL304)
)


def pattern(extra_names: Iterable[str] = ()) -> re.Pattern[bytes]:
    """One regex for every sign, plus project task-decorator names (``@name``)."""
    signs = list(_SIGNS)
    signs.extend(rb"@\s*" + re.escape(name.encode()) + rb"\b" for name in sorted(set(extra_names)))
    return re.compile(b"|".join(signs))


# Every sign contains one of these; a plain substring test rules most files out far
# faster than the regex would.
_LITERALS = (b"Celery", b"config_from_object", b".conf", b"Task", b"task", b"delay(",
             b"apply_async(", b".s(", b".si(", b"signature(", b"Signature(", b"send_task(",
             b"DJANGO_SETTINGS_MODULE", b"crontab", b"AsyncResult(")


def may_hold_facts(data: bytes, signs: re.Pattern[bytes], names: Iterable[bytes] = ()) -> bool:
    """Can this file's text hold a Celery fact? `names` are the project's own task
    decorator names, which the regex also looks for."""
    if not any(literal in data for literal in _LITERALS) and not any(n in data for n in names):
        return False
    return signs.search(data) is not None


_CEL_NOQA = re.compile(rb"(?i:noqa)[ \t]*:[\w, \t]*?\bCEL[0-9]")


def may_hold_noqa_codes(data: bytes) -> bool:
    """A ``# noqa`` naming CEL codes (CEL002 reads those even in files without facts)."""
    return b"noqa" in data and _CEL_NOQA.search(data) is not None
