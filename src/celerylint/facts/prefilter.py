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
from dataclasses import dataclass


@dataclass(frozen=True)
class _Sign:
    """One sign of a fact: its regex, and a literal every match of it contains.

    `exact`: the literal is the sign itself (a file holding it matches), so no regex
    runs; otherwise the regex runs only on a file holding the literal."""

    regex: bytes
    literal: bytes
    exact: bool = False


_SIGNS = (
    _Sign(rb"Celery", b"Celery", exact=True),     # app creation, Celery subclasses
    # configuration of an app of any class
    _Sign(rb"config_from_object", b"config_from_object", exact=True),
    _Sign(rb"\.conf[.\[]", b".conf"),             # app.conf.X = / app.conf[...] / app.conf.update
    _Sign(rb"\.Task\s*=", b".Task"),               # app.Task = X
    _Sign(rb"shared_task", b"shared_task", exact=True),  # @shared_task, celery.shared_task
    _Sign(rb"\.task\b", b".task"),                  # @app.task, app.task(...)(f)
    _Sign(rb"Task\s*[,)]", b"Task"),                # class X(Task), class X(app.Task, Mixin)
    _Sign(rb"\.(?:delay|apply_async|si?|signature|send_task)\(", b"("),  # calls of tasks
    # celery.signature("name", ...), Signature("name")
    _Sign(rb"\b[Ss]ignature\(", b"ignature("),
    # where Django settings are found
    _Sign(rb"DJANGO_SETTINGS_MODULE", b"DJANGO_SETTINGS_MODULE", exact=True),
    # schedules (any alias): Celery validates them when built
    _Sign(rb"\bcrontab\b", b"crontab"),
    _Sign(rb"AsyncResult\(", b"AsyncResult(", exact=True),  # results read by task id (CEL304)
)
_SEARCHES = tuple((sign.literal, None if sign.exact else re.compile(sign.regex))
                  for sign in _SIGNS)


def pattern(extra_names: Iterable[str] = ()) -> re.Pattern[bytes]:
    """One regex for every sign, plus project task-decorator names (``@name``)."""
    signs = [sign.regex for sign in _SIGNS]
    signs.extend(rb"@\s*" + re.escape(name.encode()) + rb"\b" for name in sorted(set(extra_names)))
    return re.compile(b"|".join(signs))


def may_hold_facts(data: bytes, signs: re.Pattern[bytes], names: Iterable[bytes] = ()) -> bool:
    """Can this file's text hold a Celery fact: does `signs` (from `pattern`) match?
    `names` are the project's own task decorator names, which `signs` also looks for.

    The same verdict as ``signs.search(data)``, found faster: one alternation of a dozen
    branches tried at every byte costs milliseconds on a large file, while each sign
    alone is a substring test, and a short regex only where its literal is present. The
    whole regex runs only for a file that holds a decorator name and no other sign."""
    for literal, regex in _SEARCHES:
        if literal in data and (regex is None or regex.search(data) is not None):
            return True
    return any(name in data for name in names) and signs.search(data) is not None


_CEL_NOQA = re.compile(rb"(?i:noqa)[ \t]*:[\w, \t]*?\bCEL[0-9]")


def may_hold_noqa_codes(data: bytes) -> bool:
    """A ``# noqa`` naming CEL codes (CEL002 reads those even in files without facts)."""
    return b"noqa" in data and _CEL_NOQA.search(data) is not None
