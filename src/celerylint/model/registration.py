"""What a worker of an app imports, and so which task modules it registers (CEL405).

A task is registered when the module defining it is imported. A worker imports:

- the app's own module (Celery imports the ``-A`` target to find the app, and the app is
  defined there or in a module it imports; a command's ``-A`` module counts as well);
- the module a ``config_from_object("proj.celeryconfig")`` names (read at worker start);
- the modules named by ``include=`` / ``imports`` (absolute dotted names);
- the ``<package>.<related_name>`` modules of ``autodiscover_tasks(packages)``; without
  packages the Django fix-up supplies every installed app's package;
- under Django (a settings module is found), what ``django.setup()`` imports: the
  settings module, each ``INSTALLED_APPS`` package with its ``apps`` and ``models``
  modules, the ``admin`` modules when ``django.contrib.admin`` is installed, whatever the
  ``ready()`` of its AppConfig imports; and ``ROOT_URLCONF``, because the fix-up runs
  Django's system checks at worker start (unless ``CELERY_SKIP_CHECKS``) and the URL
  check imports it;
- transitively, every module imported at module level by those (``import a.b.c`` runs
  ``a`` and ``a.b`` first; ``from pkg import name`` may import the submodule
  ``pkg.name``), and what a project function called at module level imports inside
  itself (``app = create_app()``; followed through the project functions it calls, a
  few levels deep; for a project class instantiated, what any of its methods imports).

Anything that could import more than the facts show makes the answer unknown: a dynamic
import in a reached module, a non-literal ``autodiscover_tasks``, ``INSTALLED_APPS``,
``include`` or ``imports`` that cannot be read, a reached module that cannot be parsed.
Management commands are imported by ``manage.py``, never by a worker: they count only when
something above imports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from celerylint.facts.schema import ModuleFacts
from celerylint.model.apps import App, settings_module_for
from celerylint.model.config_module import ModuleState, configuration_classes
from celerylint.model.project import Project

_CELERY_IMPORT_SETTINGS = ("include", "imports")
_CALL_DEPTH = 3  # project functions followed from an import-time call: f → g → h → i
_DJANGO_ADMIN = {"django.contrib.admin", "django.contrib.admin.apps.AdminConfig"}


class Unknown(Exception):
    """What a worker imports cannot be known; the message says why."""


@dataclass
class Reach:
    """The project modules a worker of an app imports, as far as they were followed.

    `pending`: project files that would have to be read to follow further (the
    prefilter passed over them and they were not loaded); `unknown`: why the answer
    cannot be known ("" when it can)."""

    modules: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    unknown: str = ""


class WorkerImports:
    """Follows a worker's imports from its entry points through the loaded facts,
    stopping early once every module in `wanted` is reached."""

    def __init__(self, project: Project, app: App, wanted: set[str]) -> None:
        self.project = project
        self.app = app
        self.wanted = wanted
        self.reach = Reach()
        self._queue: list[str] = []
        self._called: set[str] = set()  # functions followed from import-time calls
        # The packages Django's fix-up gives a bare ``autodiscover_tasks()``; None
        # without Django settings.
        self.django_packages: list[str] | None = None

    def run(self) -> Reach:
        """The reach, or why it is unknown."""
        try:
            settings = self._django_settings()
            if settings is not None:
                self._push(self._django_modules(*settings))
            self._push(self._entry_points())
            self._follow()
        except Unknown as exc:
            self.reach.unknown = str(exc)
        return self.reach

    # -- entry points ---------------------------------------------------------------

    def _entry_points(self) -> Iterator[str]:
        project, app = self.project, self.app
        yield project.module_of(app.path)
        for source, _, _ in app.config.sources:  # config_from_object imports its module
            yield source.split(":", 1)[0]
        for command in project.workers:
            if command.app is not None:
                yield command.app.split(":", 1)[0].strip()
        for setting in _CELERY_IMPORT_SETTINGS:
            yield from self._setting_modules(setting)

    def _setting_modules(self, setting: str) -> Iterator[str]:
        """The modules of ``include`` / ``imports``."""
        config = self.app.config
        if config.is_unknown(setting):
            raise Unknown(f"{setting} cannot be known")
        for binding in config.get(setting):
            yield from _strings(binding.value.try_plain(), setting)

    def _django_settings(self) -> tuple[str, ModuleState] | None:
        """The Django settings module and its state, when the Django fix-up runs."""
        module = settings_module_for(self.project, self.app)
        if module is None:
            return None
        state = self.project.module_state(module)
        if state is None:
            raise Unknown(f"settings module {module!r} is not in the project")
        if state.open_reason or configuration_classes(self.project.module_state, module, state):
            raise Unknown(f"settings module {module!r} cannot be read fully")
        return module, state

    def _django_modules(self, module: str, state: ModuleState) -> Iterator[str]:
        """What ``django.setup()`` and the URL check import."""
        installed = list(_setting(state, "INSTALLED_APPS"))
        self.django_packages = [self._package(entry) for entry in installed]
        yield module
        yield from _setting(state, "ROOT_URLCONF")
        admin = any(entry in _DJANGO_ADMIN for entry in installed)
        for entry in installed:
            yield from self._installed_app(entry, admin)

    def _installed_app(self, entry: str, admin: bool) -> Iterator[str]:
        """One ``INSTALLED_APPS`` entry: a package, or the dotted path of an AppConfig
        class whose ``name`` is the package."""
        package = self._package(entry)
        yield package
        for leaf in ("apps", "models", *(("admin",) if admin else ())):
            yield f"{package}.{leaf}"
        config_module, _, klass = entry.rpartition(".")
        configs = [(config_module, klass)] if package != entry else [(f"{package}.apps", "")]
        for home, name in configs:
            yield home
            facts = self._facts(home)
            if facts is None:
                continue
            for scope, imported in facts.registration.local_imports.items():
                owner, _, method = scope.partition(".")
                if method == "ready" and (not name or owner == name):
                    yield from imported

    def _package(self, entry: str) -> str:
        """The package an ``INSTALLED_APPS`` entry installs."""
        if self.project.index.path_of(entry) is not None:
            return entry
        home, _, klass = entry.rpartition(".")
        if not home or self.project.index.path_of(home) is None:
            return entry  # outside the project
        facts = self._facts(home)
        if facts is None:
            return entry
        found = next((c for c in facts.classes if c.name == klass), None)
        name = found.attributes.get("name") if found is not None else None
        if name is None or not isinstance(name.data, str):
            raise Unknown(f"the package of AppConfig {entry!r} cannot be known")
        return str(name.data)

    # -- following ----------------------------------------------------------------------

    def _push(self, modules: Iterable[str]) -> None:
        for module in modules:
            parts = module.split(".")
            for end in range(1, len(parts) + 1):
                name = ".".join(parts[:end])
                if name and name not in self.reach.modules:
                    self.reach.modules.add(name)
                    self._queue.append(name)

    def _follow(self) -> None:
        while self._queue and not self.wanted <= self.reach.modules:
            module = self._queue.pop()
            path = self.project.index.path_of(module)
            if path is None:
                continue  # outside the project
            facts = self._facts(module)
            if facts is None:
                continue
            registration = facts.registration
            if registration.dynamic:
                raise Unknown(f"{registration.dynamic} in {path}")
            self._push(registration.imports)
            self._push(self._discovered_modules(facts))
            for origin in registration.calls:
                self._push(self._called_imports(origin, 0))

    def _called_imports(self, origin: str, depth: int) -> Iterator[str]:
        """What a project function called at import time imports inside itself (and
        the project functions it calls, a few levels deep); for a project class, what
        any of its methods imports (the object built may be used at once). Method calls
        on objects are not followed further."""
        if depth > _CALL_DEPTH or origin in self._called:
            return
        self._called.add(origin)
        split = self.project.index.split(origin)
        if split is None or not split[1] or "." in split[1]:
            return
        path, name = split
        facts = self._facts(self.project.module_of(path))
        if facts is None:
            return
        target = facts.imports.get(name)
        own = f"{facts.module}.{name}"
        if target is not None and target != own:
            yield from self._called_imports(target, depth + 1)  # a re-export
            return
        for scope, imported in facts.registration.local_imports.items():
            if scope == name or scope.startswith(f"{name}."):
                yield from imported  # a class built at import time: any method may run
        function = next((f for f in facts.functions if f.name == name), None)
        for callee, _ in function.calls if function is not None else ():
            yield from self._called_imports(callee, depth + 1)

    def _facts(self, module: str) -> ModuleFacts | None:
        """A module's facts; None (remembered as pending) when not loaded yet."""
        project = self.project
        path = project.index.path_of(module)
        if path is None:
            return None
        if path in project.parse_errors or path in project.read_errors:
            raise Unknown(f"{path} cannot be read")
        facts = project.modules.get(path)
        if facts is None:
            self.reach.pending.add(path)
        return facts

    def _discovered_modules(self, facts: ModuleFacts) -> Iterator[str]:
        """The task modules ``autodiscover_tasks`` calls of a reached module import."""
        for call in facts.registration.autodiscovery:
            if not call.known:
                raise Unknown(f"autodiscover_tasks() at {facts.path}:{call.line} cannot be read")
            packages = self.django_packages if call.django else list(call.packages)
            if packages is None:
                raise Unknown(f"autodiscover_tasks() at {facts.path}:{call.line} asks Django's "
                              "installed apps, and no Django settings were found")
            for package in packages:
                yield f"{package}.{call.related_name}"
                head = package.rpartition(".")[0]  # an AppConfig path: Celery walks up
                if head:
                    yield f"{head}.{call.related_name}"


def _setting(state: ModuleState, name: str) -> Iterator[str]:
    """Every possible value of a settings name that holds module names."""
    if name in state.mutated:
        raise Unknown(f"{name} is changed at run time")
    for binding in state.names.get(name, ()):
        yield from _strings(binding.value.try_plain(), name)


def _strings(plain: tuple[bool, object], what: str) -> Iterator[str]:
    """Module names from a setting's plain value (a string or a sequence of them)."""
    ok, data = plain
    if ok and isinstance(data, str):
        yield data
        return
    if ok and data is None:
        return
    if not ok or not isinstance(data, (tuple, list)) or not all(isinstance(d, str) for d in data):
        raise Unknown(f"{what} cannot be known")
    yield from data


def worker_reach(project: Project, app: App, wanted: set[str]) -> Reach:
    """What a worker of `app` imports, followed until every module in `wanted` is
    reached (then nothing more could change the answer for those modules)."""
    return WorkerImports(project, app, wanted).run()


def registered_classes(project: Project) -> frozenset[str]:
    """The Task classes (dotted origins) that some module passes to
    ``app.register_task()``: only those are registered (Celery 4+ registers no class by
    itself)."""
    return frozenset(origin for facts in project.modules.values()
                     for origin in facts.registration.registered)
