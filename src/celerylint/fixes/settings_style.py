"""The name a fix gives a setting it adds: the naming style of the place it writes to.

Celery reads a setting under several spellings, and the wrong one can break an app
(CELERY_FACTS.md section 2 and section 15 item 23):

- ``Celery(...)`` keywords are never part of Celery's style check: the new lowercase name.
- Under a namespace (Django's ``namespace="CELERY"``): ``CELERY_`` + UPPER(new name),
  what ``celery upgrade settings --django`` writes; a place that already uses a plain
  lowercase name there (a non-Django module, where Celery reads it too) keeps lowercase.
- Otherwise Celery's own rule decides the style of the keys around the new one: more old
  names than new names is the old style, and the new key takes its old name
  (``CELERY_TASK_RESULT_EXPIRES``), because one new-style key in an old-style module can
  make Celery refuse to start; a tie or no Celery key at all is the new style.
"""

from __future__ import annotations

from collections.abc import Iterable

from celerylint.model import settings_table

KEYWORD_ORIGIN = "Celery()"


def added_setting_name(
    setting: str,
    anchor_key: str,
    anchor_setting: str,
    namespace: str | None,
    origin: str,
    neighbours: Iterable[str],
) -> str:
    """How to spell `setting` beside the key `anchor_key` (which names `anchor_setting`).

    `origin` is the anchor binding's origin (``Celery()`` for creation keywords);
    `neighbours` are the keys written in the same module, class, call or dict.
    """
    if origin == KEYWORD_ORIGIN:
        return setting
    if namespace:
        if anchor_key == anchor_setting:
            return setting
        return f"{namespace}_{setting.upper()}"
    if old_style(neighbours):
        return settings_table.settings()[setting].old_name
    return setting


def old_style(keys: Iterable[str]) -> bool:
    """Celery's verdict on a set of keys: more old names than new names."""
    unique = set(keys)
    new = sum(1 for key in unique if key in settings_table.settings())
    old = sum(1 for key in unique if key in settings_table.by_old_name())
    return old > new
