"""CEL703 deprecated-setting-name: an old setting name (``BROKER_URL``,
``CELERY_ACKS_LATE``, ``CELERYD_CONCURRENCY``) where Celery wants the new one."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from celerylint.checks.configuration.keys import rename_key
from celerylint.checks.configuration.mixed_setting_names import SOURCE_ORIGINS
from celerylint.checks.configuration.places import ReportedPlaces
from celerylint.checks.configuration.reads import files_mentioning, names_read
from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Fix, Severity
from celerylint.fixes.builders import Applicability, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model import settings_table
from celerylint.model.apps import DJANGO_SOURCES, App
from celerylint.model.build import Model
from celerylint.model.celery_version import Version
from celerylint.model.config import NAMESPACE_5_7, Binding, mark_assumed


@dataclass(frozen=True)
class OldName:
    """A binding written under an old name, and the name to write instead."""

    binding: Binding
    new: str
    django: bool = False  # Django settings read without a namespace: they need one


def _readers(model: Model) -> set[str]:
    """Files that may read an old name as code: a rename must not break them."""
    return files_mentioning(model, {found.binding.key for app in model.production_apps()
                                    for found in old_names(app)})


class DeprecatedSettingName(Rule):
    """Old names are deprecated (the worker warns that they go away in Celery 6). Under
    ``namespace="CELERY"`` an old name that is not also ``CELERY_`` + UPPER(new name) is
    worse: Celery before 5.7 ignores it, so the setting has no effect there."""

    code = "CEL703"
    needs = (_readers,)

    def check(self, model: Model) -> Iterator[Finding]:
        places = ReportedPlaces(model)
        version = model.project.version.version
        read = names_read(model)
        for app in model.production_apps():
            config = app.config
            if "namespace" in config.open_reason:
                continue  # CELERY_RESULT_BACKEND is old, or namespaced new: cannot tell
            names = old_names(app)
            for found in names:
                binding = found.binding
                if not places.first(binding):
                    continue
                severity, text = _message(found, config.namespace, version)
                hint = (f"Read the settings with namespace=\"CELERY\" and rename it to "
                        f"{found.new}." if found.django else f"Rename it to {found.new}.")
                message, hint = mark_assumed(text, hint, config, [binding])
                yield Finding(self.code, message, binding.path, binding.span,
                              severity=severity, hint=hint,
                              fix=_rename(model.project.root, app, found, names, read))


def old_names(app: App) -> list[OldName]:
    """Every binding of the app written under an old name, with its replacement: the
    lowercase new name, or ``CELERY_`` + UPPER(new) under a namespace and in Django
    settings (which show Celery only upper-case names, so they need the namespace). The
    57 old names equal to the namespaced new name are correct under a namespace."""
    config = app.config
    by_old = settings_table.by_old_name()
    django_source = any(d in DJANGO_SOURCES for d, _, _ in config.sources)
    found = []
    for group in config.bindings.values():
        for binding in group:
            info = by_old.get(binding.key)
            if info is None:
                continue
            if config.namespace:
                if settings_table.old_name_is_namespaced(info):
                    continue
                new = settings_table.namespaced_name(info, f"{config.namespace}_")
                found.append(OldName(binding, new))
            elif django_source and binding.origin in SOURCE_ORIGINS:
                found.append(OldName(binding, settings_table.namespaced_name(info), True))
            else:
                found.append(OldName(binding, info.name))
    return sorted(found, key=lambda o: (o.binding.path, o.binding.span.row,
                                        o.binding.span.column))


def _message(found: OldName, namespace: str | None, version: Version | None
             ) -> tuple[Severity, str]:
    key, new = found.binding.key, found.new
    if found.django:
        return "note", (f"old setting name {key}: Celery 6 drops old names; read the settings "
                        f"with a namespace and write {new}")
    if not namespace:
        return "note", f"old setting name {key}: Celery 6 drops old names, write {new}"
    if version is not None and version < NAMESPACE_5_7:
        shown = ".".join(map(str, version))
        return "warning", (f"old setting name {key} has no effect: Celery {shown} ignores it "
                           f"under namespace {namespace!r}")
    if version is None:
        return "note", (f"old setting name {key}: Celery before 5.7 ignores it under "
                        f"namespace {namespace!r}")
    return "note", f"old setting name {key}: under namespace {namespace!r} write {new}"


@no_fix_on_mismatch
def _rename(root: Path, app: App, found: OldName, names: list[OldName], read: set[str]
            ) -> Fix | None:
    """Safe rename. Without a namespace every old name of the same file and origin is
    renamed at once, so the module never mixes styles; under a namespace only this key.
    A rename that would activate a setting Celery ignores today (an old name under a
    namespace before 5.7) changes behaviour: unsafe. No fix for Django settings read
    without a namespace (Django shows Celery only upper-case names), when the new name is
    already written, or when the project reads the old name as code (``settings.X``)."""
    config = app.config
    binding = found.binding
    if found.django:
        return None
    group = [found] if config.namespace else [
        n for n in names if n.binding.path == binding.path and n.binding.origin == binding.origin]
    written = {b.key for bindings in config.bindings.values() for b in bindings}
    if any(n.new in written or n.binding.key in read for n in group):
        return None
    view = load_view(root, binding.path)
    if view is None:
        return None
    if not config.namespace and len(_old_keys_written(view.tree)) != len(group):
        return None  # an old name celerylint does not see as a binding would stay behind
    planned = [rename_key(view, n.binding.span, n.binding.key, n.new) for n in group]
    edits = sorted({e for e in planned if e is not None}, key=lambda e: (e.span.row, e.span.column))
    if len(edits) != len(group):
        return None
    applicability: Applicability = "unsafe" if binding.effective is not True else "safe"
    shown = f"Rename {binding.key} to {found.new}" if len(group) == 1 else (
        f"Rename {len(group)} old setting names to the new names")
    return Fix(applicability, shown, tuple(edits))


def _old_keys_written(tree: ast.Module) -> list[str]:
    """Every old setting name written in a key position in the file: an assigned name or
    attribute, a keyword, a dict or subscript key."""
    old = settings_table.by_old_name()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.append(node.attr)
        elif isinstance(node, ast.keyword) and node.arg is not None:
            found.append(node.arg)
        elif isinstance(node, ast.Dict):
            found.extend(k.value for k in node.keys
                         if isinstance(k, ast.Constant) and isinstance(k.value, str))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and (
                isinstance(node.ctx, ast.Store) and isinstance(node.slice.value, str)):
            found.append(node.slice.value)
    return [key for key in found if key in old]
