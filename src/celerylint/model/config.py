"""Effective configuration of a Celery app, with the provenance of every value.

Celery merges settings from `Celery(...)` keywords and `app.conf` changes (which win)
over the `config_from_object` source (a module, a class or Django settings read with a
namespace) over its defaults. Each setting here keeps every value it may have: values set
in `if`/`try` branches are all possible and marked conditional; values Celery may or may
not read (an old name under a namespace when the target version is unknown) are marked
uncertain. Settings that cannot be known (run-time mutation, `conf.update(<expr>)`) are
unknown, never absent.

A Django settings module that is not in the tree may have an evident stand-in
(``settings_example.py`` beside the missing ``settings``): its values are then read as
*assumed*. The config stays open, so rules about an absence stay silent, while rules
about a bad value present in the stand-in may report, saying the settings were assumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from celerylint.facts.values import Value
from celerylint.findings import Span
from celerylint.model import settings_table
from celerylint.model.celery_version import Version

NAMESPACE_5_7 = (5, 7)


@dataclass(frozen=True)
class Binding:
    """One possible value of one setting, where it is written and how sure it is.

    `effective` is None when Celery reads the key only in some target versions.
    """

    setting: str
    key: str
    value: Value
    path: str
    span: Span
    origin: str
    conditional: bool = False
    effective: bool | None = True
    rank: int = 0
    assumed: bool = False  # read from a stand-in for a settings module not in the tree

    @property
    def certain(self) -> bool:
        """Read by Celery for the target version (not merely possibly)."""
        return self.effective is True


@dataclass(frozen=True)
class KeyMeaning:
    """What Celery makes of one key in one config context."""

    setting: str
    rank: int  # lower wins when several keys name the same setting
    effective: bool | None


def key_meaning(
    key: str, namespace: str | None, version: Version | None, django: bool
) -> KeyMeaning | None:
    """The setting a key names, following Celery's lookup rules; None if Celery ignores it.

    Without a namespace Celery reads new lowercase names and old names. With a namespace
    (Django's ``CELERY``) it reads ``CELERY_`` + UPPER(new) first, then the plain key
    (never for Django settings, which expose only upper-case names), then old names, which
    Celery before 5.7 ignores unless they already equal the namespaced name.
    """
    table = settings_table.settings()
    old = settings_table.by_old_name()
    if not namespace:
        if key in table and not django:
            return KeyMeaning(key, 0, True)
        if key in old:
            return KeyMeaning(old[key].name, 0, True)
        return None
    prefix = namespace + "_"
    if key.startswith(prefix) and key[len(prefix):].lower() in table:
        name = key[len(prefix):].lower()
        if key[len(prefix):] == name.upper():
            return KeyMeaning(name, 0, True)
    if key in table and not django:
        return KeyMeaning(key, 1, True)
    if key in old:
        info = old[key]
        if settings_table.old_name_is_namespaced(info):
            return KeyMeaning(info.name, 0, True)
        if version is None:
            return KeyMeaning(info.name, 2, None)
        return KeyMeaning(info.name, 2, version >= NAMESPACE_5_7)
    return None


@dataclass
class EffectiveConfig:
    """The settings of one app as Celery would see them."""

    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    ignored: list[Binding] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    open_reason: str = ""
    sources: list[tuple[str, str, Span]] = field(default_factory=list)
    namespace: str | None = None
    assumed_from: str = ""  # the stand-in file whose values are assumed (config still open)
    # Why it is open when a source is not in the tree: ("settings", module or "" when
    # DJANGO_SETTINGS_MODULE is set nowhere) or ("source", module); None otherwise.
    missing: tuple[str, str] | None = None

    def open_because(self, reason: str, missing: tuple[str, str] | None = None) -> None:
        """Open the config for `reason`; `missing` names a source not in the tree."""
        self.open_reason = reason
        self.missing = missing

    @property
    def open(self) -> bool:
        """Some write could have set any setting (``conf.update(<expr>)``, unread source)."""
        return bool(self.open_reason)

    def get(self, setting: str) -> list[Binding]:
        """Every binding Celery may read for `setting` (certain or version-dependent)."""
        return [b for b in self.bindings.get(setting, []) if b.effective is not False]

    def certain(self, setting: str) -> list[Binding]:
        """Bindings Celery reads for sure: the ones a bad-value rule may report."""
        return [b for b in self.get(setting) if b.certain]

    def is_unknown(self, setting: str) -> bool:
        """Whether the setting may have a value we cannot see."""
        if setting in self.unknown:
            return True
        if self.open and not any(not b.conditional for b in self.get(setting)):
            return True
        return any(not b.value.known for b in self.get(setting))

    def is_set(self, setting: str) -> bool:
        """Present in some branch or version (what absence rules need)."""
        return bool(self.get(setting)) or setting in self.unknown

    def known_values(self, setting: str) -> list[tuple[Binding, object]]:
        """(binding, plain value) for every certain, fully known binding."""
        result = []
        for binding in self.certain(setting):
            ok, data = binding.value.try_plain()
            if ok:
                result.append((binding, data))
        return result

    def default(self, setting: str) -> object:
        """Celery's default for a setting (from the generated table)."""
        info = settings_table.settings().get(setting)
        return info.default if info else None


ASSUMED_KEY = "django-settings-module"
_MESSAGE_LIMIT = 160


def assumed_message(message: str, assumed_from: str) -> str:
    """`message` saying which stand-in the settings were assumed from, within the limit."""
    for shown in (assumed_from, assumed_from.rsplit("/", 1)[-1]):
        marked = f"{message} (settings assumed from {shown})"
        if len(marked) <= _MESSAGE_LIMIT:
            return marked
    return f"{message} (settings assumed)"


def assumed_hint(hint: str) -> str:
    """`hint` (one sentence) naming the key that confirms assumed settings."""
    return f"{hint.rstrip('.')} (assumed settings: confirm with {ASSUMED_KEY})."


def mark_assumed(message: str, hint: str, config: EffectiveConfig,
                 bindings: Iterable[Binding]) -> tuple[str, str]:
    """(message, hint) of a finding, marked when any of `bindings` is assumed."""
    if config.assumed_from and any(b.assumed for b in bindings):
        return assumed_message(message, config.assumed_from), assumed_hint(hint)
    return message, hint


def merge_layers(changes: list[Binding], source: list[Binding]) -> list[Binding]:
    """`app.conf` changes and `Celery()` keywords win over the config source.

    When every change is conditional the source value stays possible.
    """
    if any(not b.conditional for b in changes):
        return changes
    return changes + source


def best_rank(bindings: Iterable[Binding]) -> list[Binding]:
    """Among keys naming one setting, the lowest rank wins unless all its values are
    conditional (then the next rank stays possible)."""
    ordered = sorted(bindings, key=lambda b: b.rank)
    result: list[Binding] = []
    for rank in sorted({b.rank for b in ordered}):
        group = [b for b in ordered if b.rank == rank]
        result.extend(group)
        if any(not b.conditional and b.certain for b in group):
            break
    return result


def bind_keys(
    entries: dict[str, list[Binding]],
    namespace: str | None,
    version: Version | None,
    django: bool,
) -> tuple[dict[str, list[Binding]], list[Binding]]:
    """Map written keys to settings: (bindings by setting, bindings Celery ignores)."""
    by_setting: dict[str, list[Binding]] = {}
    ignored: list[Binding] = []
    for key, bindings in entries.items():
        meaning = key_meaning(key, namespace, version, django)
        for binding in bindings:
            if meaning is None:
                ignored.append(binding)
                continue
            by_setting.setdefault(meaning.setting, []).append(
                replace(binding, setting=meaning.setting, effective=meaning.effective,
                        rank=meaning.rank)
            )
    return {name: best_rank(group) for name, group in by_setting.items()}, ignored
