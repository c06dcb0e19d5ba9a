"""Celery apps of a project and the effective configuration of each.

An app is a ``Celery(...)`` creation (any alias, or a project subclass of Celery). Its
configuration is assembled from the creation's keywords, every ``app.conf`` write that
resolves to it in any module, and its ``config_from_object`` source: a module, a class,
or Django settings found through ``DJANGO_SETTINGS_MODULE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from celerylint.facts.schema import (
    CallInfo,
    ConfigWrite,
    Factory,
    SettingsPointer,
    factory_target,
    instance_target,
)
from celerylint.facts.values import Symbol, Value, unknown
from celerylint.findings import Span
from celerylint.model.config import Binding, EffectiveConfig, bind_keys, merge_layers
from celerylint.model.config_module import ModuleState, class_names, configuration_classes
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
    """Every app creation in the project, with its configuration resolved.

    An app is a module-level name bound to a ``Celery(...)`` call (or a project subclass
    of Celery), to a call of a factory function that returns such a creation (the name is
    the app; the factory's writes configure it), or to any object the project calls
    ``config_from_object`` on. A factory no module calls at its top level is an app of
    its own, named ``module.factory()``.
    """
    _load_app_homes(project)
    creations: list[_Creation] = []
    configured = _configured_objects(project)
    called: set[str] = set()
    for path in sorted(project.modules):
        facts = project.modules[path]
        for assign in facts.call_assigns:
            origin = f"{facts.module}.{assign.var}"
            factory = None if _is_app_class(project, assign.call.callee) else (
                _factory_of(project, assign.call.callee))
            if factory is not None:
                factory_path, target, made = factory
                called.add(target)
                creations.append(_creation(project, origin, factory_path, made.call, path,
                                           [(target, factory_path)]))
            elif _is_app_class(project, assign.call.callee) or origin in configured:
                creations.append(_creation(project, origin, path, assign.call, path, []))
    for path in sorted(project.modules):
        facts = project.modules[path]
        for made in facts.factories:
            target = factory_target(facts.module, made.function)
            if target not in called and _is_app_class(project, made.call.callee):
                creations.append(_creation(project, target, path, made.call, path,
                                           [(target, path)]))
    writes = _writes_by_target(project, {
        target for creation in creations for target in creation.targets})
    for creation in creations:
        _configure(project, creation, writes)
    return [creation.app for creation in creations]


def _load_app_homes(project: Project) -> None:
    """Modules binding a name that loaded modules use as an app (``@celery.task``,
    ``celery.conf.X = ...``) may show no sign of Celery themselves (``celery =
    create_application()``), so the prefilter passed them over: load them."""
    used: set[str] = set()
    for facts in list(project.modules.values()):
        for function in facts.functions:
            used.update(d.callee.rpartition(".")[0] for d in function.decorators
                        if d.callee.endswith(".task"))
        used.update(t.decorator.callee.rpartition(".")[0] for t in facts.task_calls
                    if t.decorator.callee.endswith(".task"))
        used.update(w.target for w in facts.config_writes
                    if not w.target.endswith(("()", ">")))
    for owner in sorted(used):
        split = project.index.split(owner)
        if split is not None and split[0] not in project.modules:
            project.ensure(split[0])


@dataclass
class _Creation:
    """An app with what configures it: the creating call, the config-write targets that
    stand for it with the path where their writes are unconditional (the module-level
    name in its module, a factory's result in the factory's module), and the instance
    writes of its class's methods (base classes first)."""

    app: App
    call: CallInfo
    targets: dict[str, str]
    inherited: list[tuple[str, ConfigWrite]]


def _is_app_class(project: Project, callee: str) -> bool:
    """A callee that makes an app. A name without "Celery" in it is looked up only when
    its module is already loaded (a subclass of Celery is defined where "Celery" is
    written, which the prefilter loads): a look-up never loads a module for this."""
    if "Celery" not in callee:
        split = project.index.split(callee)
        if split is None or split[0] not in project.modules:
            return False
    return is_celery_class(project, callee)


def _factory_of(project: Project, callee: str) -> tuple[str, str, Factory] | None:
    """(path, write target, factory) of a project factory function that returns an app;
    only functions in modules already loaded are considered."""
    split = project.index.split(callee)
    if split is None or split[0] not in project.modules:
        return None
    found = project.member(callee)
    if found is None:
        return None
    path, facts, name = found
    made = next((f for f in facts.factories if f.function == name), None)
    if made is None or not _is_app_class(project, made.call.callee):
        return None
    return path, factory_target(facts.module, made.function), made


def _configured_objects(project: Project) -> set[str]:
    """Objects some module calls ``config_from_object`` on: apps built by a class chosen
    at run time (mayan's ``import_string(setting)(main="mayan")``) are apps all the same."""
    found: set[str] = set()
    for facts in project.modules.values():
        for write in facts.config_writes:
            if write.kind == "from_object":
                found.add(project.canonical(write.target))
    return found


def _creation(project: Project, origin: str, path: str, call: CallInfo, home: str,
              targets: list[tuple[str, str]]) -> _Creation:
    """An app named `origin`, created by `call` written in `path`; `home` is the module
    binding the app's name (test code is decided by it)."""
    main_value = call.args[0] if call.args else call.keywords.get("main")
    main = main_value.data if main_value is not None and isinstance(main_value.data, str) else None
    app = App(origin=origin, path=path, span=call.span, main=main,
              cls=project.canonical(call.callee), test_code=project.is_test_path(home))
    chain, _ = project.ancestry(app.cls)
    inherited: list[tuple[str, ConfigWrite]] = []
    for class_path, klass in reversed(chain):  # base classes first
        target = instance_target(project.module_of(class_path), klass.name)
        inherited.extend((class_path, write) for write in project.modules[class_path].config_writes
                         if write.target == target)
    for _, klass in chain:
        if "gen_task_name" in klass.methods:
            app.derived_names_known = False
        if "task_cls" in klass.attributes and app.task_cls is None:
            _set_task_cls(app, klass.attributes["task_cls"])
    for _, write in inherited:
        if write.kind == "task_cls" and write.value is not None:
            if not write.conditional:
                _set_task_cls(app, write.value)
            elif not (isinstance(write.value.data, Symbol)
                      and write.value.data.dotted == app.task_cls):
                app.task_cls_known = False  # set only when some method is called
    if "task_cls" in call.keywords:
        _set_task_cls(app, call.keywords["task_cls"])
    own = dict(targets)
    own.setdefault(origin, home)
    return _Creation(app, call, own, inherited)


def _set_task_cls(app: App, value: Value) -> None:
    """``task_cls="pkg.mod:Class"`` or a class object."""
    if isinstance(value.data, Symbol):
        app.task_cls = value.data.dotted
    elif isinstance(value.data, str):
        app.task_cls = value.data.replace(":", ".")
    else:
        app.task_cls_known = False


def _writes_by_target(project: Project, targets: set[str]
                      ) -> dict[str, list[tuple[str, ConfigWrite]]]:
    """Config writes grouped by the target they resolve to, in path order."""
    found: dict[str, list[tuple[str, ConfigWrite]]] = {}
    for path in sorted(project.modules):
        for write in project.modules[path].config_writes:
            target = write.target
            if not target.endswith(("()", ">")):
                target = project.canonical(target)
            if target in targets:
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


def _configure(project: Project, creation: _Creation,
               writes: dict[str, list[tuple[str, ConfigWrite]]]) -> None:
    """Assemble the app's effective configuration from all its sources.

    The changes layer takes, lowest first: the instance writes of its class's methods,
    the ``Celery()`` keywords, then the writes made on the app (a factory's first). A
    write is unconditional only where it is sure to run: in a method Celery always runs,
    in the factory body, or in the module that binds the app's name."""
    app, call = creation.app, creation.call
    config = app.config
    changes = _Layer()
    sources: list[tuple[Value, Value | None, bool, str, Span]] = []
    mutated: list[str] = []
    for path, write in creation.inherited:
        _apply(app, changes, sources, mutated, path, write, write.conditional, "Celery class")
    namespace_value = call.keywords.get("namespace")
    if "config_source" in call.keywords:
        sources.append((call.keywords["config_source"], None, False, app.path, app.span))
    for key, value in call.keywords.items():
        if key in _NOT_SETTINGS or (value.known and value.data is None):
            continue  # Celery() ignores keyword settings whose value is None
        setting_key = _KEYWORD_SETTINGS.get(key, key)
        span = value.span or call.keyword_spans[key]
        changes.put(setting_key, Binding("", setting_key, value, app.path, span, "Celery()"))
    if call.has_splat:
        config.open_because("Celery(**options) can set any setting")
    for target, home in creation.targets.items():
        for path, write in writes.get(target, []):
            _apply(app, changes, sources, mutated, path, write,
                   write.conditional or path != home, "app.conf")
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


def _apply(app: App, changes: _Layer, sources: list[tuple[Value, Value | None, bool, str, Span]],
           mutated: list[str], path: str, write: ConfigWrite, conditional: bool,
           origin: str) -> None:
    """One config write into the changes layer, the config sources, or the unknowns."""
    config = app.config
    if write.kind in ("update", "set"):
        for key, value, span in write.entries:
            changes.put(key, Binding("", key, value, path, value.span or span, origin,
                                     conditional))
    elif write.kind == "from_object" and write.value is not None:
        sources.append((write.value, write.namespace, conditional, path, write.span))
    elif write.kind == "open":
        config.open_because(f"{path}:{write.span.row} writes settings that cannot be known")
    elif write.kind == "mutate":
        mutated.extend(key for key, _, _ in write.entries)
    elif write.kind == "task_cls" and write.value is not None and origin == "app.conf":
        _set_task_cls(app, write.value)


def _namespace(value: Value | None, config: EffectiveConfig) -> str | None:
    if value is None:
        return None
    if value.known and (value.data is None or isinstance(value.data, str)):
        return value.data or None
    config.open_because("the config namespace cannot be known")
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
        config.open_because(f"config_from_object() target in {path} cannot be known")
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
    config.open_because(f"config source {target!r} is not in the project", ("source", target))
    return {}, False


def _state_entries(state: ModuleState, config: EffectiveConfig, module: str
                   ) -> dict[str, list[Binding]]:
    """A module's names as key bindings; names it mutates at run time become unknown
    bindings (the key is resolved to a setting, or dropped, like any other key)."""
    if state.open_reason:
        config.open_because(f"{module}: {state.open_reason}")
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
    return _pointer(project, app, "settings_pointers")


def _pointer(project: Project, app: App, kind: str) -> str | None:
    """An environment default set in the app's module, else in manage.py / wsgi.py /
    asgi.py: `kind` names the pointers (settings module or configuration class)."""
    own = project.modules.get(app.path)
    pointers: list[SettingsPointer] = getattr(own, kind) if own is not None else []
    if pointers:
        return pointers[0].module
    for path in sorted(project.modules):
        if path.rsplit("/", 1)[-1] in _SETTINGS_FILES:
            pointers = getattr(project.modules[path], kind)
            if pointers:
                return pointers[0].module
    return None


def _django_entries(project: Project, app: App) -> dict[str, list[Binding]]:
    """The Django settings layer; a settings module not in the tree leaves the config
    open, read from an evident stand-in (assumed) when there is one."""
    module = settings_module_for(project, app)
    if module is None:
        app.config.open_because("DJANGO_SETTINGS_MODULE cannot be found", ("settings", ""))
        return _assumed_entries(project, app, _package_settings(project, app))
    state = project.module_state(module)
    if state is None:
        app.config.open_because(f"settings module {module!r} is not in the project",
                                ("settings", module))
        configured = bool(project.django_settings_module)
        return {} if configured else _assumed_entries(project, app, _stand_ins(project, module))
    return _settings_entries(project, app, module, state)


def _settings_entries(project: Project, app: App, module: str, state: ModuleState
                      ) -> dict[str, list[Binding]]:
    if configuration_classes(project.module_state, module, state):
        state = _configured_state(project, app, module, state)
    return _state_entries(state, app.config, module)


# Names of a settings module's evident stand-in beside it: `settings` -> settings_example.py.
_STAND_IN_SUFFIXES = ("example", "dist", "sample")


def _stand_ins(project: Project, module: str) -> list[str]:
    """Modules that stand in for `module`, missing from the tree: a sibling in its package
    named like ``settings_example.py``, ``settings.example.py`` or ``settings_dist.py``."""
    parent, _, leaf = module.rpartition(".")
    if parent:
        home = project.index.path_of(parent)
        if home is None or not home.endswith("/__init__.py"):
            return []
        folder = home.rsplit("/", 1)[0] + "/"
    else:
        folder = ""
    found = []
    for suffix in _STAND_IN_SUFFIXES:
        for stem in (f"{leaf}_{suffix}", f"{leaf}.{suffix}"):
            path = folder + stem + ".py"
            name = project.names.get(path)
            if name is not None and project.index.path_of(name.name) == path:
                found.append(name.name)
    return found


def _package_settings(project: Project, app: App) -> list[str]:
    """With no DJANGO_SETTINGS_MODULE at all: the ``settings`` module of the package that
    holds the app, else its stand-in."""
    name = project.names.get(app.path)
    if name is None:
        return []
    package = name.name if name.is_package else name.name.rpartition(".")[0]
    if not package:
        return []
    module = f"{package}.settings"
    return [module] if project.index.path_of(module) is not None else _stand_ins(project, module)


def _assumed_entries(project: Project, app: App, candidates: list[str]
                     ) -> dict[str, list[Binding]]:
    """The first readable candidate's settings, marked assumed; the config stays open
    (with the reason already given), so what it does not set stays unknown."""
    config = app.config
    for module in candidates:
        state = project.module_state(module)
        path = project.index.path_of(module)
        if state is None or path is None:
            continue
        reason, missing = config.open_reason, config.missing
        entries = _settings_entries(project, app, module, state)
        config.open_because(reason, missing)
        config.assumed_from = path
        return {key: [replace(b, assumed=True) for b in bindings]
                for key, bindings in entries.items()}
    return {}


def _configured_state(project: Project, app: App, module: str, state: ModuleState
                      ) -> ModuleState:
    """django-configurations: the class named by DJANGO_CONFIGURATION copies its
    upper-case attributes (its project bases' beneath) onto the settings module."""
    name = _pointer(project, app, "configuration_pointers")
    found = class_names(project.module_state, f"{module}.{name}", module, state) if name else None
    if found is None:
        reason = ("DJANGO_CONFIGURATION cannot be found" if name is None
                  else f"configuration class {name!r} is not in {module}")
        return replace(state, open_reason=state.open_reason or reason)
    attributes, reason = found
    names = dict(state.names)
    names.update({key: value for key, value in attributes.items() if key.isupper()})
    return replace(state, names=names, open_reason=state.open_reason or reason)
