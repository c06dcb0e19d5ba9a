"""CEL704 mixed-setting-names: one non-namespaced config source using old names for some
settings and new names for others, which makes Celery refuse to start."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.checks.configuration.places import ReportedPlaces
from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.model import settings_table
from celerylint.model.apps import DJANGO_SOURCES
from celerylint.model.build import Model
from celerylint.model.config import Binding, EffectiveConfig, mark_assumed

# Origins of the bindings of a config_from_object source, and of app.conf changes
# (``Celery(...)`` keywords, origin "Celery()", are never part of Celery's style check).
SOURCE_ORIGINS = ("settings", "config class")
CHANGE_ORIGINS = ("app.conf", "Celery class")


@dataclass(frozen=True)
class Minority:
    """A key written in the losing style, and the name Celery's error tells to use."""

    binding: Binding
    rename: str
    old_style: bool  # the config is old-style: the new-style key must become old


class MixedSettingNames(Rule):
    """Celery's ``detect_settings`` counts the old and the new names among the keys of the
    config source (or, with no source, of the ``app.conf`` changes): the majority decides
    the style (a tie is new), and any key of the other style whose setting is not also
    given in the majority's spelling raises ImproperlyConfigured at the first config
    access. A namespace (Django's ``CELERY``) turns the check off."""

    code = "CEL704"

    def check(self, model: Model) -> Iterator[Finding]:
        places = ReportedPlaces(model)
        for app in model.production_apps():
            for minority in mixed_keys(app.config):
                binding = minority.binding
                if not places.first(binding):
                    continue
                style = "old" if minority.old_style else "new"
                message, hint = mark_assumed(
                    f"{binding.key} mixes styles in a config of {style} setting names: "
                    "Celery raises ImproperlyConfigured",
                    f"Rename it to {minority.rename}, or write every setting in one style.",
                    app.config, [binding])
                yield Finding(self.code, message, binding.path, binding.span, hint=hint)


def checked_keys(config: EffectiveConfig) -> tuple[list[Binding], bool] | None:
    """The bindings Celery's style check examines (their keys may repeat across branches),
    and whether some of the source's keys may be hidden (overridden by an ``app.conf``
    change, so celerylint cannot see how the source spelled them). None when no check
    runs or what it sees cannot be known: a namespace, Django settings, an open config."""
    if config.namespace or config.open:
        return None
    if any(description in DJANGO_SOURCES for description, _, _ in config.sources):
        return None  # Django exposes only upper-case names: new names never show there
    bindings = [b for group in config.bindings.values() for b in group]
    origins = SOURCE_ORIGINS if config.sources else CHANGE_ORIGINS
    checked = [b for b in bindings if b.origin in origins]
    hidden = bool(config.sources) and any(
        all(b.origin in CHANGE_ORIGINS for b in group) and any(not b.conditional for b in group)
        for group in config.bindings.values())
    return checked, hidden


def mixed_keys(config: EffectiveConfig) -> list[Minority]:
    """The keys Celery would name in its error, when it surely raises one."""
    found = checked_keys(config)
    if found is None:
        return []
    bindings, hidden = found
    new_names, old_names = settings_table.settings(), settings_table.by_old_name()
    sure = {b.key for b in bindings if not b.conditional}
    maybe = {b.key for b in bindings} - sure
    sure_new, sure_old = len(sure & new_names.keys()), len(sure & old_names.keys())
    maybe_new = len(maybe & new_names.keys()) + hidden
    maybe_old = len(maybe & old_names.keys()) + hidden
    if sure_old > sure_new + maybe_new:
        old_style = True
    elif sure_old + maybe_old <= sure_new:
        old_style = False
    else:
        return []  # the style depends on a branch or on a key celerylint cannot see
    written = {b.key for b in bindings}
    result: list[Minority] = []
    for binding in bindings:
        key = binding.key
        if binding.conditional or key not in (new_names if old_style else old_names):
            continue
        rename = new_names[key].old_name if old_style else old_names[key].name
        if rename not in written and all(r.binding.key != key for r in result):
            result.append(Minority(binding, rename, old_style))
    return result
