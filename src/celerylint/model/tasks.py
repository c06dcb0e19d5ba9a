"""Tasks of a project: which functions and classes are Celery tasks, their names,
apps, effective task classes and options.

Only a module a worker can import holds tasks: a file whose module name has a part that
is not an identifier (outside any package below ``my-scripts/`` or ``.semgrep/``) has none.

A decorator makes a task only when it resolves by import origin to ``shared_task``, to
``<app>.task`` of a known app, to a configured task decorator, or to an alias of one of
those (``retrying = shared_task(acks_late=True)``, or by plain name: ``my_task =
shared_task``), or to a project wrapper function that applies one of those to the
function it decorates (`TaskWrapper`); a decorator whose name merely ends in ``task``
does not. A wrapper's own literal options count as an alias's; use-site keywords are
options only when the wrapper passes its ``**kwargs`` through unchanged (keywords naming
a parameter of the wrapper are the wrapper's); otherwise options are unknown. A method of
an app's Celery subclass (or of a project base of it) whose returns give ``self.task(...)``
is such a wrapper for ``@app.<method>``: ``def periodic_task(self, *args, **options):
return self.task(*args, **options)`` makes ``@app.periodic_task(run_every=60)`` a task.

Options follow Celery's precedence: ``task_annotations`` (``*`` applied after the
per-name entry) > decorator > decorator alias (or wrapper) > task-class attributes > the
app's ``task_*`` settings > Celery's defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from celerylint.facts.schema import (
    CallAssign,
    ClassFacts,
    Decorator,
    FunctionFacts,
    TaskWrapper,
)
from celerylint.facts.values import Symbol, Value
from celerylint.findings import Span
from celerylint.model.apps import CELERY_CLASSES, CELERY_TASK_CLASSES, App, is_celery_class
from celerylint.model.config import Binding
from celerylint.model.modules import importable
from celerylint.model.project import Project

SHARED_TASK = {"celery.shared_task", "celery.app.shared_task", "celery.app.base.shared_task",
               "celery.current_app.task"}

# Task options that an app-wide `task_*` setting provides when the task does not.
OPTION_SETTINGS = {
    "acks_late": "task_acks_late",
    "reject_on_worker_lost": "task_reject_on_worker_lost",
    "retry_on_worker_lost": "task_retry_on_worker_lost",
    "time_limit": "task_time_limit",
    "soft_time_limit": "task_soft_time_limit",
    "serializer": "task_serializer",
    "ignore_result": "task_ignore_result",
    "track_started": "task_track_started",
}


@dataclass(frozen=True)
class Alias:
    """A decorator alias assignment (``retrying = shared_task(acks_late=True)``); for a
    wrapper function, its decorator call (``has_splat`` when its options are open)."""

    path: str
    assign: CallAssign


@dataclass(frozen=True)
class Candidate:
    """One possible value of a task option and the place that sets it."""

    value: Value
    source: str  # annotation, decorator, alias, class, config, default
    path: str
    span: Span | None
    conditional: bool = False


@dataclass(frozen=True)
class Option:
    """A task option as the worker would see it: possible values, or unknown."""

    candidates: tuple[Candidate, ...] = ()
    unknown: bool = False
    reason: str = ""

    @property
    def source(self) -> str:
        return self.candidates[0].source if self.candidates else "default"

    def values(self) -> list[tuple[Candidate, object]]:
        """(candidate, plain value) for every fully known candidate."""
        found = []
        for candidate in self.candidates:
            ok, data = candidate.value.try_plain()
            if ok:
                found.append((candidate, data))
        return found


@dataclass
class Task:
    """A Celery task definition."""

    path: str
    module: str
    function: str
    span: Span
    kind: str  # "function" or "class"
    name: str | None
    app: App | None
    app_known: bool
    decorator: Decorator | None = None
    alias: Alias | None = None
    facts: FunctionFacts | None = None
    klass: ClassFacts | None = None
    base: str | None = None
    class_chain: list[tuple[str, ClassFacts]] = field(default_factory=list)
    class_known: bool = True
    wrapper: TaskWrapper | None = None

    @property
    def label(self) -> str:
        return self.name or f"{self.module}.{self.function}"


@dataclass(frozen=True)
class _Match:
    app: App | None
    shared: bool
    alias: Alias | None
    wrapper: TaskWrapper | None = None


class TaskFinder:
    """Resolves decorators and classes to tasks across the project."""

    def __init__(self, project: Project, apps: list[App]) -> None:
        self.project = project
        self.apps = {app.origin: app for app in apps}
        production = [app for app in apps if not app.test_code]
        self.sole_app = production[0] if len(production) == 1 else None
        self.decorators = {project.canonical(d) for d in project.task_decorators}

    def find(self) -> list[Task]:
        tasks: list[Task] = []
        for path in sorted(self.project.modules):
            if not importable(self.project.module_of(path)):
                continue  # below `my-scripts/` or `.semgrep/`: no worker can import it
            facts = self.project.modules[path]
            functions = {f.name: f for f in facts.functions}
            for function in facts.functions:
                for decorator in function.decorators:
                    task = self._function_task(path, function, decorator)
                    if task is not None:
                        tasks.append(task)
                        break
            for call in facts.task_calls:
                if call.function in functions:
                    task = self._function_task(path, functions[call.function], call.decorator)
                    if task is not None:
                        tasks.append(task)
            for klass in facts.classes:
                task = self._class_task(path, facts.module, klass)
                if task is not None:
                    tasks.append(task)
        return tasks

    def match(self, callee: str, depth: int = 0) -> _Match | None:
        """Does a decorator callee make tasks? Follows aliases a few levels deep."""
        canonical = self.project.canonical(callee)
        if canonical in SHARED_TASK or canonical in self.decorators:
            return _Match(None, True, None)
        if canonical.endswith(".task") and canonical[: -len(".task")] in self.apps:
            return _Match(self.apps[canonical[: -len(".task")]], False, None)
        owner, _, attr = canonical.rpartition(".")
        if owner in self.apps:
            method = self._method(self.apps[owner], attr)
            if method is not None:
                return method
        if depth > 3:
            return None
        alias = self._alias(canonical)
        if alias is None:
            return self._indirect(canonical, depth)
        inner = self.match(alias.assign.call.callee, depth + 1)
        if inner is None or inner.alias is not None:
            return None
        return _Match(inner.app, inner.shared, alias)

    def _indirect(self, canonical: str, depth: int) -> _Match | None:
        """A plain-name alias (``my_task = shared_task``) or a wrapper function."""
        found = self.project.member(canonical)
        if found is None:
            return None
        path, facts, name = found
        plain = [a for a in facts.name_assigns if a.var == name]
        if plain:
            if len(plain) != 1 or plain[0].conditional:
                return None  # which one is bound cannot be known
            return self.match(plain[0].target, depth + 1)
        wrapper = next((w for w in facts.task_wrappers if w.function == name and not w.klass),
                       None)
        if wrapper is None:
            return None
        inner = self.match(wrapper.call.callee, depth + 1)
        if inner is None or inner.alias is not None:
            return None
        call = replace(wrapper.call, has_splat=wrapper.open)
        return _Match(inner.app, inner.shared, Alias(path, CallAssign(name, call, False)),
                      wrapper)

    def _method(self, app: App, attr: str) -> _Match | None:
        """``@app.periodic_task(...)``: a method of the app's Celery subclass (or of a
        project base of it) whose returns give ``self.task(...)`` (a `TaskWrapper` with a
        class). The nearest definition counts; one found in a base counts only when
        nothing else could come first in the method resolution order (no other project
        class defines the name, every base outside the project is Celery's own)."""
        if not is_celery_class(self.project, app.cls):
            return None
        chain, external = self.project.ancestry(app.cls)
        definers = [(path, klass) for path, klass in chain
                    if attr in klass.methods or attr in klass.attributes]
        if not definers:
            return None
        path, klass = definers[0]
        if klass is not chain[0][1] and (
                len(definers) > 1 or any(base not in CELERY_CLASSES for base in external)):
            return None
        wrapper = next((w for w in self.project.modules[path].task_wrappers
                        if w.klass == klass.name and w.function == attr), None)
        if wrapper is None:
            return None
        call = replace(wrapper.call, has_splat=wrapper.open)
        return _Match(app, False, Alias(path, CallAssign(attr, call, False)), wrapper)

    def _alias(self, dotted: str) -> Alias | None:
        found = self.project.call_assign_of(dotted)
        return Alias(*found) if found is not None else None

    def _function_task(
        self, path: str, function: FunctionFacts, decorator: Decorator
    ) -> Task | None:
        matched = self.match(decorator.callee)
        if matched is None:
            return None
        app, app_known = self._app_for(matched)
        if matched.wrapper is not None:
            decorator = _through(decorator, matched.wrapper)
        module = self.project.module_of(path)
        opened = matched.wrapper is not None and matched.wrapper.open
        name = self._name(decorator, matched.alias, path, function.name, app, opened)
        task = Task(path, module, function.name, decorator.span, "function", name, app,
                    app_known, decorator=decorator, alias=matched.alias, facts=function,
                    wrapper=matched.wrapper)
        self._resolve_class(task)
        return task

    def _app_for(self, matched: _Match) -> tuple[App | None, bool]:
        if matched.app is not None:
            return matched.app, True
        return self.sole_app, self.sole_app is not None

    def _name(self, decorator: Decorator, alias: Alias | None, path: str, function: str,
              app: App | None, opened: bool = False) -> str | None:
        """Explicit ``name=``, else Celery's derived ``module.function``."""
        for keywords in (decorator.keywords, alias.assign.call.keywords if alias else {}):
            if "name" in keywords:
                value = keywords["name"]
                return value.data if value.known and isinstance(value.data, str) else None
        if decorator.has_splat:
            return None
        if opened:  # a wrapper whose options cannot be listed may set ``name=``
            return None
        return self._derived(path, function, app)

    def _derived(self, path: str, name: str, app: App | None) -> str | None:
        """Celery's ``gen_task_name``: ``<module>.<name>``. Unknown when the app overrides
        it, or when the module may run as a script (an ``if __name__ == "__main__":``
        block): as ``__main__`` its tasks are named ``<app.main>.<name>`` (or
        ``__main__.<name>`` without a main name), which only an app named after the
        module makes the same."""
        module = self.project.module_of(path)
        if app is not None and not app.derived_names_known:
            return None
        facts = self.project.modules.get(path)
        if facts is not None and facts.registration.main_guard and (
                app is None or app.main != module):
            return None
        return f"{module}.{name}"

    def _class_task(self, path: str, module: str, klass: ClassFacts) -> Task | None:
        """A ``celery.Task`` subclass that defines ``run``."""
        if "run" not in klass.methods:
            return None
        chain, external = self.project.ancestry(f"{module}.{klass.name}")
        if not any(self._task_root(base) for base in external):
            return None
        name_value = klass.attributes.get("name")
        name = self._derived(path, klass.name, self.sole_app)
        if name_value is not None:
            name = name_value.data if isinstance(name_value.data, str) else None
        task = Task(path, module, klass.name, klass.span, "class", name, self.sole_app,
                    self.sole_app is not None, klass=klass)
        task.class_chain = chain
        task.class_known = all(self._task_root(base) for base in external)
        return task

    def _resolve_class(self, task: Task) -> None:
        """The effective task class: ``base=`` > the app's task class > celery.Task."""
        base = _keyword(task, "base")
        dotted: str | None = None
        if base is None and task.wrapper is not None and task.wrapper.open:
            task.class_known = False  # ``base=`` may be among the options
            return
        if base is not None:
            if not isinstance(base.data, Symbol):
                task.class_known = False
                return
            dotted = base.data.dotted
        elif task.app is not None:
            if not task.app.task_cls_known:
                task.class_known = False
                return
            dotted = task.app.task_cls
        elif not task.app_known:
            task.class_known = False
            return
        if dotted is None:
            return
        dotted = self.project.canonical(dotted)
        task.base = dotted
        if self._task_root(dotted):
            return
        chain, external = self.project.ancestry(dotted)
        task.class_chain = chain
        task.class_known = bool(chain) and all(self._task_root(b) for b in external)

    def _task_root(self, dotted: str) -> bool:
        """Celery's own task class: ``celery.Task`` and kin, or ``<app>.Task`` of an app
        with no custom task class (pretix's ``class EventTask(app.Task)``)."""
        if dotted in CELERY_TASK_CLASSES:
            return True
        owner, _, attr = dotted.rpartition(".")
        app = self.apps.get(owner)
        return attr == "Task" and app is not None and app.task_cls is None


def _through(decorator: Decorator, wrapper: TaskWrapper) -> Decorator:
    """The use-site decorator as the wrapped task decorator sees it: its keywords pass
    only through a wrapper's unchanged ``**kwargs``, never those naming a parameter."""
    if not wrapper.passes:
        return Decorator(decorator.callee, {}, {}, False, decorator.positional, decorator.span)
    keep = [k for k in decorator.keywords if k not in wrapper.params]
    return Decorator(decorator.callee, {k: decorator.keywords[k] for k in keep},
                     {k: decorator.keyword_spans[k] for k in keep if k in decorator.keyword_spans},
                     decorator.has_splat, decorator.positional, decorator.span)


def _keyword(task: Task, name: str) -> Value | None:
    """A decorator keyword, else the alias's."""
    if task.decorator is not None and name in task.decorator.keywords:
        return task.decorator.keywords[name]
    if task.alias is not None and name in task.alias.assign.call.keywords:
        return task.alias.assign.call.keywords[name]
    return None


def find_tasks(project: Project, apps: list[App]) -> list[Task]:
    """Every task of the project, in file and line order."""
    return TaskFinder(project, apps).find()


def task_option(task: Task, option: str, default: object = None) -> Option:
    """The option as Celery resolves it for this task."""
    annotated = _annotation(task, option)
    if annotated is not None:
        return annotated
    own = _own_option(task, option)
    if own is not None:
        return own
    return app_option(task, option, default)


def own_option(task: Task, option: str) -> Option | None:
    """The option from the task itself (annotation by name, decorator, alias, class)."""
    annotated = _annotation(task, option)
    if annotated is not None:
        return annotated
    return _own_option(task, option)


def _own_option(task: Task, option: str) -> Option | None:
    decorator = task.decorator
    if decorator is not None:
        if option in decorator.keywords:
            return _single(decorator.keywords[option], "decorator", task.path,
                           decorator.keyword_spans.get(option))
        if decorator.has_splat:
            return Option(unknown=True, reason="options passed with **")
    alias = task.alias
    if alias is not None:
        keywords = alias.assign.call.keywords
        if option in keywords:
            return _single(keywords[option], "alias", alias.path,
                           alias.assign.call.keyword_spans.get(option))
        if alias.assign.call.has_splat:
            return Option(unknown=True, reason="alias options passed with **")
    for path, klass in task.class_chain:
        if option in klass.attributes:
            value = klass.attributes[option]
            return _single(value, "class", path, value.span or klass.span)
    if not task.class_known:
        return Option(unknown=True, reason="the task class is not in the project")
    return None


def _single(value: Value, source: str, path: str, span: Span | None) -> Option:
    return Option((Candidate(value, source, path, value.span or span),),
                  unknown=not value.known, reason=value.reason)


def app_option(task: Task, option: str, default: object = None) -> Option:
    """The option from the app's ``task_*`` setting, else Celery's default."""
    setting = OPTION_SETTINGS.get(option)
    if task.app is None:
        if not task.app_known:
            return Option(unknown=True, reason="the task's app is not known")
        return Option((Candidate(Value(True, default), "default", task.path, None),))
    if setting is None:
        return Option((Candidate(Value(True, default), "default", task.path, None),))
    return setting_option(task.app, setting, default)


def setting_option(app: App, setting: str, default: object = None) -> Option:
    """A setting of the app as an Option (every possible binding)."""
    config = app.config
    bindings = config.get(setting)
    if config.is_unknown(setting):
        return Option(tuple(_from_binding(b) for b in bindings), unknown=True,
                      reason=f"{setting} cannot be known")
    if not bindings:
        return Option((Candidate(Value(True, default), "default", app.path, None),))
    candidates = tuple(_from_binding(b) for b in bindings)
    if any(not b.certain for b in bindings):
        return Option(candidates, unknown=True, reason="depends on the Celery version")
    return Option(candidates)


def _from_binding(binding: Binding) -> Candidate:
    return Candidate(binding.value, "config", binding.path, binding.span, binding.conditional)


def _annotation(task: Task, option: str) -> Option | None:
    """``task_annotations`` entries for this task: ``*`` is applied after the name."""
    app = task.app
    if app is None:
        return None
    config = app.config
    if config.is_unknown("task_annotations"):
        return Option(unknown=True, reason="task_annotations cannot be known")
    found: Option | None = None
    for binding in config.get("task_annotations"):
        for entry in annotation_maps(binding.value):
            if entry is None:
                return Option(unknown=True, reason="task_annotations cannot be known")
            for key in (task.name, "*"):
                if key is None or key not in entry.data:
                    continue
                options = entry.data[key]
                if not isinstance(options.data, dict):
                    return Option(unknown=True, reason="task_annotations entry is not a dict")
                if option in options.data:
                    found = _single(options.data[option], "annotation", binding.path,
                                    options.data[option].span)
    if found is None and task.name is None and config.get("task_annotations"):
        return Option(unknown=True, reason="the task name is not known")
    return found


def annotation_maps(value: Value) -> list[Value | None]:
    """The dicts of a task_annotations value (a dict or a list of dicts); None marks one
    that cannot be known (not a literal dict, or built with ``**`` entries)."""
    entries = value.data if value.known and isinstance(value.data, tuple) else (value,)
    return [v if v.known and isinstance(v.data, dict) and not v.partial else None
            for v in entries]
