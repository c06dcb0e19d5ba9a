"""CEL702 unknown-setting: a key in a Celery config context that Celery never reads."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from celerylint.checks.configuration.keys import rename_key
from celerylint.checks.configuration.mixed_setting_names import SOURCE_ORIGINS
from celerylint.checks.configuration.places import ReportedPlaces
from celerylint.checks.configuration.reads import files_mentioning, names_read
from celerylint.checks.registry import Rule
from celerylint.findings import Finding, Fix
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model import settings_table
from celerylint.model.apps import DJANGO_SOURCES, App
from celerylint.model.build import Model
from celerylint.model.celery_version import Version
from celerylint.model.config import Binding, mark_assumed

_DJANGO_PREFIX = "CELERY_"
# Keys Celery reads without declaring them (CELERY_FACTS.md section 1), as bare new-style
# names, and Django settings the Django fix-up reads directly.
_UNDECLARED = {"result_backend_thread_safe", "gcs_threadpool_maxsize", "firestore_project",
               "cassandra_secure_bundle_path", "override_backends", "broker_host"}
_READ_FROM_DJANGO = {"CELERY_DB_REUSE_MAX", "TIME_ZONE"}
_VISIBILITY = "visibility_timeout"
_CUTOFF = 0.85  # how alike a typo and the real name must be (difflib ratio)
_OLDEST_KNOWN = (5, 0)  # "since" of settings that may be older: their age is unknown


@dataclass(frozen=True)
class Unread:
    """A key Celery does not read, why, and the one name to rename it to (if any)."""

    binding: Binding
    message: str
    hint: str
    rename: str | None = None


@dataclass(frozen=True)
class _Context:
    """How Celery reads the keys of one binding's place: `prefix` is the namespace's
    (``CELERY_``) or None; `strict`: only keys with the prefix are meant for Celery (Django
    settings, a namespaced source); `django`: Django settings (upper-case names only)."""

    prefix: str | None
    strict: bool
    django: bool


def _context(app: App, binding: Binding) -> _Context:
    config = app.config
    source = binding.origin in SOURCE_ORIGINS
    django = source and any(d in DJANGO_SOURCES for d, _, _ in config.sources)
    prefix = f"{config.namespace}_" if config.namespace else None
    return _Context(prefix, django or (source and prefix is not None), django)


def unread_keys(app: App, version: Version | None) -> list[Unread]:
    """Every key of the app's config that Celery does not read, with its explanation;
    names read by project code are not filtered out here."""
    config = app.config
    if "namespace" in config.open_reason:
        return []  # whether a key is read depends on the namespace
    found = [u for b in config.ignored for u in [_ignored(b, _context(app, b))] if u]
    if version is not None:
        found.extend(u for group in config.bindings.values() for b in group
                     for u in [_too_new(b, version)] if u)
    return found


def _ignored(binding: Binding, context: _Context) -> Unread | None:
    key = binding.key
    if key.startswith("_") or key in _READ_FROM_DJANGO:
        return None
    prefix = context.prefix or (_DJANGO_PREFIX if context.django else None)
    if context.strict and not (prefix and key.startswith(prefix)):
        return None  # a Django setting, or a name not meant for Celery
    bare = key[len(prefix):] if prefix and key.startswith(prefix) else key
    if bare.lower() in _UNDECLARED:
        return None
    if bare.lower() == _VISIBILITY:
        return Unread(binding, f"{key} is read by nothing: the visibility timeout belongs in "
                      "broker_transport_options",
                      "Move it into broker_transport_options as \"visibility_timeout\".")
    if context.prefix is None and key.startswith(_DJANGO_PREFIX):
        prefixed = _prefixed_new_name(binding, context)
        if prefixed is not None:
            return prefixed
    return _misspelt(binding, bare, context)


def _prefixed_new_name(binding: Binding, context: _Context) -> Unread | None:
    """``CELERY_BROKER_URL`` in a config read without a namespace: ignored."""
    key = binding.key
    name = key[len(_DJANGO_PREFIX):].lower()
    if name not in settings_table.settings():
        return None
    message = f"{key} is ignored: this config is read without namespace=\"CELERY\""
    if context.django:
        return Unread(binding, message, "Read the settings with namespace=\"CELERY\" in "
                      "config_from_object.")
    return Unread(binding, message, f"Rename it to {name}.", name)


def _misspelt(binding: Binding, bare: str, context: _Context) -> Unread | None:
    """A key close to a real name, written in the key's style: ``CELERY_`` + UPPER(new)
    for a prefixed key under a namespace, an old name among upper-case Django settings
    read without one, the new name otherwise (an upper-case key also matches old names)."""
    key = binding.key
    table, old = settings_table.settings(), settings_table.by_old_name()
    if context.prefix is not None and key.startswith(context.prefix):
        exact = table.get(bare.lower()) or old.get(bare)  # wrong case, or a doubled prefix
        if exact is not None:
            return _suggest(binding, [context.prefix + exact.name.upper()])
        return _suggest(binding, _close(bare, {n: context.prefix + n.upper() for n in table}))
    if context.django:
        return _suggest(binding, _close(key, {_bare(o): o for o in old}))
    if key.lower() in table:  # TASK_ACKS_LATE: upper-case new names are ignored
        return _suggest(binding, [key.lower()])
    pool = {name: name for name in table}
    if key.isupper():
        pool.update({_bare(o): o for o in old})
    return _suggest(binding, _close(key, pool))


def _bare(name: str) -> str:
    """A name compared without case or its ``CELERY_`` prefix: the shared prefix would
    make unrelated names look alike (``CELERY_EMAIL_BACKEND``, ``CELERY_CACHE_BACKEND``)."""
    lowered = name.lower()
    return lowered[len(_DJANGO_PREFIX):] if lowered.startswith(_DJANGO_PREFIX.lower()) else lowered


def _close(key: str, pool: dict[str, str]) -> list[str]:
    """The names of `pool` (bare form to name as written) closest to `key`, best first."""
    return [pool[m] for m in difflib.get_close_matches(_bare(key), pool, 3, _CUTOFF)]


def _suggest(binding: Binding, matches: list[str]) -> Unread | None:
    """The finding offering the closest of `matches`; none without a match (a name not
    like any setting is another library's or the project's, not a typo)."""
    if not matches:
        return None
    return Unread(binding, f"{binding.key} is not a Celery setting and is silently ignored; "
                  f"did you mean {matches[0]}?",
                  f"Rename it to {matches[0]}." if len(matches) == 1 else
                  f"Rename it to the setting you meant, such as {matches[0]}.",
                  matches[0] if len(matches) == 1 else None)


def _too_new(binding: Binding, version: Version) -> Unread | None:
    """A real setting that the target Celery version does not have yet."""
    info = settings_table.settings().get(binding.setting)
    if info is None or info.since <= max(version, _OLDEST_KNOWN) or binding.effective is False:
        return None
    since, target = (".".join(map(str, v)) for v in (info.since, version))
    return Unread(binding, f"{binding.key} arrived in Celery {since}: the target Celery "
                  f"{target} ignores it",
                  f"Require Celery {since} or later, or remove the setting.")


def _candidate_keys(model: Model) -> set[str]:
    version = model.project.version.version
    return {u.binding.key for app in model.production_apps() for u in unread_keys(app, version)}


def _readers(model: Model) -> set[str]:
    """Files that may read a candidate key as code (``settings.CELERY_X``)."""
    return files_mentioning(model, _candidate_keys(model))


class UnknownSetting(Rule):
    """Celery accepts any key without a warning, so a misspelt setting silently does
    nothing. Keys the project itself reads (its own ``CELERY_*`` settings) are no
    mistake and stay silent."""

    code = "CEL702"
    needs = (_readers,)

    def check(self, model: Model) -> Iterator[Finding]:
        read = names_read(model)
        version = model.project.version.version
        places = ReportedPlaces(model)
        for app in model.production_apps():
            for unread in unread_keys(app, version):
                binding = unread.binding
                if binding.key in read or not places.first(binding):
                    continue
                message, hint = mark_assumed(unread.message, unread.hint, app.config,
                                             [binding])
                yield Finding(self.code, message, binding.path, binding.span, hint=hint,
                              fix=_rename(model.project.root, app, unread))


@no_fix_on_mismatch
def _rename(root: Path, app: App, unread: Unread) -> Fix | None:
    """Unsafe: the setting starts to take effect. None when the name is already written
    (a second value of the setting would change which one wins)."""
    written = {b.key for group in app.config.bindings.values() for b in group}
    if unread.rename is None or unread.rename in written:
        return None
    binding = unread.binding
    view = load_view(root, binding.path)
    if view is None:
        return None
    return fix("unsafe", f"Rename {binding.key} to {unread.rename}",
               rename_key(view, binding.span, binding.key, unread.rename))
