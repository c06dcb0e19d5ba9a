"""Fix builders shared by rule families: a finding's ``Fix`` from one kind of change
(add a setting beside a related one, add a task option beside another). The fixes only
one rule needs live in that rule's family folder and build on these.

Each builder returns the finding's ``Fix`` with exact edits, or None when there is no
fix to offer: the file cannot be parsed, the code is not in a shape the builder knows
(the value is computed, the key is not a literal), or the fix could not resolve the
finding (the setting it would add is already written somewhere, so adding it again
would be overridden or duplicated).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, Literal, Optional, TypeVar, cast

from celerylint.findings import Edit, Fix, Span
from celerylint.fixes import edits
from celerylint.fixes.settings_style import KEYWORD_ORIGIN, added_setting_name
from celerylint.fixes.view import load_view
from celerylint.model.apps import App
from celerylint.model.config import Binding
from celerylint.model.tasks import Candidate, Task, own_option

Applicability = Literal["safe", "unsafe"]


def fix(applicability: Applicability, message: str, edit: Edit | None) -> Fix | None:
    """A one-edit fix, or None when the edit could not be made."""
    return Fix(applicability, message, (edit,)) if edit is not None else None


Builder = TypeVar("Builder", bound=Callable[..., Optional[Fix]])


def no_fix_on_mismatch(builder: Builder) -> Builder:
    """A position outside the file means the file is not what the check read (it changed
    meanwhile): no fix, rather than a failed rule."""

    @functools.wraps(builder)
    def guarded(*args: Any, **kwargs: Any) -> Fix | None:
        try:
            return builder(*args, **kwargs)
        except ValueError:
            return None

    return cast(Builder, guarded)


@no_fix_on_mismatch
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
    return fix(applicability, f"Add {shown}", edits.add_beside(view, place, name, value))


def binding_at(app: App, setting: str, path: str, span: Span | None) -> Binding | None:
    """The app's binding of `setting` written at `path`/`span` (a candidate's place)."""
    for binding in app.config.get(setting):
        if binding.path == path and binding.span == span:
            return binding
    return None


@no_fix_on_mismatch
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
    return fix(applicability, f"Add {shown}", edits.add_beside(view, place, option, value))
