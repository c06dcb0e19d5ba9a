"""Celery apps of a project and the effective configuration of each.

An app is a ``Celery(...)`` creation (any alias, or a project subclass of Celery). Its
configuration is assembled from the creation's keywords, every ``app.conf`` write that
resolves to it in any module, and its ``config_from_object`` source: a module, a class,
or Django settings found through ``DJANGO_SETTINGS_MODULE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from celerylint.facts.schema import CallAssign, ConfigWrite
from celerylint.facts.values import Symbol, Value, unknown
from celerylint.findings import Span
from celerylint.model.config import Binding, EffectiveConfig, bind_keys, merge_layers
from celerylint.model.config_module import ModuleState
from celerylint.model.project import Project

CELERY_CLASSES = {"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"}
CELERY_TASK_CLASSES = {"celery.Task", "celery.app.task.Task", "celery.task.Task",
                       "celery.app.Task", "celery.contrib.django.task.DjangoTask"}
_NOT_SETTINGS = {"main", "loader", "amqp", "events", "log", "control", "set_as_current",
                 "tasks", "changes", "config_source", "fixups", "task_cls", "autofinalize",
                 "namespace", "strict_typing"}
_KEYWORD_SETTINGS = {"broker": "broker_url", "backend": "result_backend"}
_SETTINGS_FILES = ("manage.py", "wsgi.py", "asgi.py")
DJANGO_SOURCES = {"django.conf:settings", "django.conf.settings"}


@dataclass
class App:
    """One Celery app: where it is created and its effective configuration."""

    origin: str
    path: str
    span: Span
    main: str | None
    cls: str
    config: EffectiveConfig = field(default_factory=EffectiveConfig)
    task_cls: str | None = None
    task_cls_known: bool = True
    derived_names_known: bool = True
    test_code: bool = False

    @property
    def label(self) -> str:
        """How messages name the app."""
        return self.main or self.origin


def is_celery_class(project: Project, dotted: str) -> bool:
    """A Celery app class: Celery itself or a project subclass of it."""
    canonical = project.canonical(dotted)
    if canonical in CELERY_CLASSES:
        return True
    chain, external = project.ancestry(canonical)
    return bool(chain) and any(base in CELERY_CLASSES for base in external)


def find_apps(project: Project) -> list[App]:
    """Every app creation in the project, with its configuration resolved."""
    apps: list[App] = []
    configured = _configured_objects(project)
    for path in sorted(project.modules):
        facts = project.modules[path]
        for assign in facts.call_assigns:
            origin = f"{facts.module}.{assign.var}"
            if (("Celery" in assign.call.callee and is_celery_class(project, assign.call.callee))
                    or origin in configured):
                apps.append(_new_app(project, path, facts.module, assign))
    writes = _writes_by_app(project, {app.origin for app in apps})
    for app in apps:
        _configure(project, app, writes.get(app.origin, []))
    return apps


def _configured_objects(project: Project) -> set[str]:
    """Objects some module calls ``config_from_object`` on: apps built by a class chosen
    at run time (mayan's ``import_string(setting)(main="mayan")``) are apps all the same."""
    found: set[str] = set()
    for facts in project.modules.values():
        for write in facts.config_writes:
            if write.kind == "from_object":
                found.add(project.canonical(write.target))
    return found


def _new_app(project: Project, path: str, module: str, assign: CallAssign) -> App:
    call = assign.call
    main_value = call.args[0] if call.args else call.keywords.get("main")
    main = main_value.data if main_value is not None and isinstance(main_value.data, str) else None
    app = App(origin=f"{module}.{assign.var}", path=path, span=call.span, main=main,
              cls=project.canonical(call.callee), test_code=project.is_test_path(path))
    chain, _ = project.ancestry(app.cls)
    for _, klass in chain:
        if "gen_task_name" in klass.methods:
            app.derived_names_known = False
        if "task_cls" in klass.attributes and app.task_cls is None:
            _set_task_cls(app, klass.attributes["task_cls"])
    if "task_cls" in call.keywords:
        _set_task_cls(app, call.keywords["task_cls"])
    return app


def _set_task_cls(app: App, value: Value) -> None:
    """``task_cls="pkg.mod:Class"`` or a class object."""
    if isinstance(value.data, Symbol):
        app.task_cls = value.data.dotted
    elif isinstance(value.data, str):
        app.task_cls = value.data.replace(":", ".")
    else:
        app.task_cls_known = False


def _writes_by_app(project: Project, origins: set[str]) -> dict[str, list[tuple[str, ConfigWrite]]]:
    """Config writes grouped by the app they resolve to; the app's own module first."""
    found: dict[str, list[tuple[str, ConfigWrite]]] = {}
    for path in sorted(project.modules):
        for write in project.modules[path].config_writes:
            target = project.canonical(write.target)
            if target in origins:
                found.setdefault(target, []).append((path, write))
    return found


class _Layer:
    """Ordered key bindings of one precedence layer (changes, or the config source)."""

    def __init__(self) -> None:
        self.entries: dict[str, list[Binding]] = {}

    def put(self, key: str, binding: Binding) -> None:
        if binding.conditional:
            self.entries.setdefault(key, []).append(binding)
        else:
            self.entries[key] = [binding]


def _configure(project: Project, app: App, writes: list[tuple[str, ConfigWrite]]) -> None:
    """Assemble the app's effective configuration from all its sources."""
    config = app.config
    changes = _Layer()
    creation = project.modules[app.path].call_assigns
    call = next(a.call for a in creation if a.call.span == app.span)
    namespace_value = call.keywords.get("namespace")
    sources: list[tuple[Value, Value | None, bool, str, Span]] = []
    if "config_source" in call.keywords:
        sources.append((call.keywords["config_source"], None, False, app.path, app.span))
    for key, value in call.keywords.items():
        if key in _NOT_SETTINGS or (value.known and value.data is None):
            continue  # Celery() ignores keyword settings whose value is None
        setting_key = _KEYWORD_SETTINGS.get(key, key)
        span = value.span or call.keyword_spans[key]
        changes.put(setting_key, Binding("", setting_key, value, app.path, span, "Celery()"))
    if call.has_splat:
        config.open_reason = "Celery(**options) can set any setting"
    mutated: list[str] = []
    for path, write in writes:
        conditional = write.conditional or path != app.path
        if write.kind in ("update", "set"):
            for key, value, span in write.entries:
                changes.put(key, Binding("", key, value, path, value.span or span, "app.conf",
                                         conditional))
        elif write.kind == "from_object" and write.value is not None:
            sources.append((write.value, write.namespace, conditional, path, write.span))
        elif write.kind == "open":
            config.open_reason = f"{path}:{write.span.row} writes settings that cannot be known"
        elif write.kind == "mutate":
            mutated.extend(key for key, _, _ in write.entries)
        elif write.kind == "task_cls" and write.value is not None:
            _set_task_cls(app, write.value)
    source_entries, django, namespace_value = _read_sources(project, app, sources,
                                                            namespace_value)
    namespace = _namespace(namespace_value, config)
    config.namespace = namespace
    version = project.version.version
    change_bindings, ignored_changes = bind_keys(changes.entries, namespace, version, False)
    source_bindings, ignored_source = bind_keys(source_entries, namespace, version, django)
    config.ignored = ignored_changes + ignored_source
    for setting in sorted(set(change_bindings) | set(source_bindings)):
        config.bindings[setting] = merge_layers(change_bindings.get(setting, []),
                                                source_bindings.get(setting, []))
    for key in mutated:
        bound, _ = bind_keys({key: [Binding("", key, Value(False), app.path, app.span, "")]},
                             namespace, version, False)
        config.unknown.update(bound)


def _namespace(value: Value | None, config: EffectiveConfig) -> str | None:
    if value is None:
        return None
    if value.known and (value.data is None or isinstance(value.data, str)):
        return value.data or None
    config.open_reason = "the config namespace cannot be known"
    return None


def _read_sources(
    project: Project,
    app: App,
    sources: list[tuple[Value, Value | None, bool, str, Span]],
    namespace: Value | None,
) -> tuple[dict[str, list[Binding]], bool, Value | None]:
    """The config source layer: the last unconditional source and any conditional ones."""
    if not sources:
        return {}, False, namespace
    start = max((i for i, s in enumerate(sources) if not s[2]), default=0)
    chosen = sources[start:]
    layer = _Layer()
    django = False
    for value, source_namespace, conditional, path, span in chosen:
        if source_namespace is not None:
            namespace = source_namespace
        app.config.sources.append((_describe(value), path, span))
        entries, is_django = _source_entries(project, app, value, path)
        django = django or is_django
        for key, bindings in entries.items():
            for binding in bindings:
                if conditional or len(chosen) > 1:
                    binding = replace(binding, conditional=True)
                layer.put(key, binding)
    return layer.entries, django, namespace


def _describe(value: Value) -> str:
    if isinstance(value.data, Symbol):
        return value.data.dotted
    if isinstance(value.data, str):
        return value.data
    return "an expression"


def _source_entries(
    project: Project, app: App, value: Value, path: str
) -> tuple[dict[str, list[Binding]], bool]:
    """Key bindings of one config_from_object target; unreadable targets open the config."""
    config = app.config
    target = value.data.dotted if isinstance(value.data, Symbol) else value.data
    if not isinstance(target, str):
        config.open_reason = f"config_from_object() target in {path} cannot be known"
        return {}, False
    target = project.canonical(target.replace(":", "."))
    if target in DJANGO_SOURCES or target.replace(":", ".") == "django.conf.settings":
        return _django_entries(project, app), True
    state = project.module_state(target)
    if state is not None:
        return _state_entries(state, config, target), False
    klass = project.class_of(target)
    if klass is not None:
        return _class_entries(project, target), False
    config.open_reason = f"config source {target!r} is not in the project"
    return {}, False


def _state_entries(state: ModuleState, config: EffectiveConfig, module: str
                   ) -> dict[str, list[Binding]]:
    """A module's names as key bindings; names it mutates at run time become unknown
    bindings (the key is resolved to a setting, or dropped, like any other key)."""
    if state.open_reason:
        config.open_reason = f"{module}: {state.open_reason}"
    entries = {key: list(bindings) for key, bindings in state.names.items()}
    for key in state.mutated:
        if entries.get(key):
            entries[key].append(_mutated(entries[key][0]))
    return entries


def _mutated(binding: Binding) -> Binding:
    """A possible value no one can see: the collection was changed at run time."""
    return replace(binding, value=unknown("changed at run time"), conditional=True)


def _class_entries(project: Project, dotted: str) -> dict[str, list[Binding]]:
    """Attributes of a config class, its project base classes first."""
    chain, _ = project.ancestry(dotted)
    entries: dict[str, list[Binding]] = {}
    for path, klass in reversed(chain):
        for key, value in klass.attributes.items():
            span = value.span or klass.span
            entries[key] = [Binding("", key, value, path, span, "config class")]
    return entries


def settings_module_for(project: Project, app: App) -> str | None:
    """DJANGO_SETTINGS_MODULE: configured, else set in the app's module, else in
    manage.py / wsgi.py / asgi.py."""
    if project.django_settings_module:
        return project.django_settings_module
    own = project.modules.get(app.path)
    if own is not None and own.settings_pointers:
        return own.settings_pointers[0].module
    for path in sorted(project.modules):
        if path.rsplit("/", 1)[-1] in _SETTINGS_FILES:
            pointers = project.modules[path].settings_pointers
            if pointers:
                return pointers[0].module
    return None


def _django_entries(project: Project, app: App) -> dict[str, list[Binding]]:
    module = settings_module_for(project, app)
    if module is None:
        app.config.open_reason = "DJANGO_SETTINGS_MODULE cannot be found"
        return {}
    state = project.module_state(module)
    if state is None:
        app.config.open_reason = f"settings module {module!r} is not in the project"
        return {}
    return _state_entries(state, app.config, module)
