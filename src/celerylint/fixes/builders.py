"""The fixes of the catalog, one builder per kind of change; rules call these.

Each builder returns the finding's ``Fix`` with exact edits, or None when there is no
fix to offer: the file cannot be parsed, the code is not in a shape the builder knows
(the value is computed, the key is not a literal), or the fix could not resolve the
finding (the setting it would add is already written somewhere, so adding it again
would be overridden or duplicated).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable, Literal, Optional, TypeVar, cast

from celerylint.engine.noqa import NoqaCode, NoqaComment
from celerylint.findings import Edit, Fix, Span
from celerylint.fixes import edits
from celerylint.fixes.settings_style import KEYWORD_ORIGIN, added_setting_name
from celerylint.fixes.view import load_view
from celerylint.model.apps import App
from celerylint.model.config import Binding
from celerylint.model.tasks import Candidate, Task, own_option

Applicability = Literal["safe", "unsafe"]
PICKLE = ("pickle", "application/x-python-serialize")
RESULT_EXPIRES_DEFAULT = "86400"


def _fix(applicability: Applicability, message: str, edit: Edit | None) -> Fix | None:
    return Fix(applicability, message, (edit,)) if edit is not None else None


Builder = TypeVar("Builder", bound=Callable[..., Optional[Fix]])


def _no_fix_on_mismatch(builder: Builder) -> Builder:
    """A position outside the file means the file is not what the check read (it changed
    meanwhile): no fix, rather than a failed rule."""

    @functools.wraps(builder)
    def guarded(*args: Any, **kwargs: Any) -> Fix | None:
        try:
            return builder(*args, **kwargs)
        except ValueError:
            return None

    return cast(Builder, guarded)


@_no_fix_on_mismatch
def pickle_to_json(root: Path, path: str, span: Span) -> Fix | None:
    """CEL101 (unsafe): the literal ``"pickle"`` at (or inside) `span` becomes ``"json"``."""
    view = load_view(root, path)
    if view is None:
        return None
    return _fix("unsafe", "Replace 'pickle' with 'json'",
                edits.replace_string(view, span, "pickle", "json"))


@_no_fix_on_mismatch
def drop_pickle(root: Path, path: str, entry: Span) -> Fix | None:
    """CEL102 (unsafe): every pickle entry of the list holding `entry` removed; a list
    left empty becomes ``["json"]``."""
    view = load_view(root, path)
    if view is None:
        return None
    return _fix("unsafe", "Remove pickle from the accepted content types",
                edits.drop_strings(view, entry, PICKLE, "json"))


@_no_fix_on_mismatch
def unused_noqa(root: Path, path: str, comment: NoqaComment, dead: Sequence[NoqaCode]
                ) -> Fix | None:
    """CEL002 (safe): the dead codes removed from their noqa comment."""
    view = load_view(root, path)
    if view is None:
        return None
    listed = ", ".join(code.code for code in dead)
    message = f"Remove unused noqa code{'s' if len(dead) > 1 else ''} {listed}"
    return _fix("safe", message, edits.remove_noqa_codes(view, comment, dead))


@_no_fix_on_mismatch
def add_setting(root: Path, app: App, anchor: Binding, setting: str, value: str,
                applicability: Applicability) -> Fix | None:
    """`setting` = `value` written beside the `anchor` setting, in the anchor's syntax
    and the naming style of its place. None when the app already writes the setting
    anywhere (a second value would be overridden, or override the first)."""
    if app.config.get(setting) or setting in app.config.unknown:
        return None
    view = load_view(root, anchor.path)
    place = edits.find_place(view, anchor.span) if view is not None else None
    if view is None or place is None:
        return None
    if anchor.origin != KEYWORD_ORIGIN and place.key != anchor.key:
        return None
    name = added_setting_name(setting, anchor.key, anchor.setting, app.config.namespace,
                              anchor.origin, place.keys)
    shown = f"{name}={value}" if place.kind == "keyword" else f"{name} = {value}"
    return _fix(applicability, f"Add {shown}", edits.add_beside(view, place, name, value))


def binding_at(app: App, setting: str, path: str, span: Span | None) -> Binding | None:
    """The app's binding of `setting` written at `path`/`span` (a candidate's place)."""
    for binding in app.config.get(setting):
        if binding.path == path and binding.span == span:
            return binding
    return None


@_no_fix_on_mismatch
def add_task_option(root: Path, task: Task, beside: Candidate, option: str, value: str,
                    applicability: Applicability) -> Fix | None:
    """The task option `option` = `value` written beside the option that `beside` comes
    from (decorator, decorator alias, task class attribute, task_annotations entry).
    None when the task already sets the option itself."""
    if beside.span is None or beside.source == "config" or own_option(task, option) is not None:
        return None
    view = load_view(root, beside.path)
    place = edits.find_place(view, beside.span) if view is not None else None
    if view is None or place is None:
        return None
    shown = f"{option}={value}" if place.kind == "keyword" else f"{option} = {value}"
    return _fix(applicability, f"Add {shown}", edits.add_beside(view, place, option, value))


def reject_on_worker_lost(root: Path, app: App | None, task: Task | None,
                          acks_late: Candidate) -> Fix | None:
    """CEL203 (unsafe): ``reject_on_worker_lost=True`` beside the ``acks_late`` that
    `acks_late` points at: the task option for a task, the setting for an app."""
    if task is not None:
        return add_task_option(root, task, acks_late, "reject_on_worker_lost", "True",
                               "unsafe")
    if app is None:
        return None
    anchor = binding_at(app, "task_acks_late", acks_late.path, acks_late.span)
    if anchor is None:
        return None
    return add_setting(root, app, anchor, "task_reject_on_worker_lost", "True", "unsafe")


def result_expires(root: Path, app: App, backend: Binding) -> Fix | None:
    """CEL301 (safe): ``result_expires`` = Celery's default, beside the result backend."""
    return add_setting(root, app, backend, "result_expires", RESULT_EXPIRES_DEFAULT, "safe")
