"""Per-file facts: plain, picklable data extracted from one file in one pass.

Names in facts are *resolved dotted origins*: a local ``app`` of module ``proj.celery`` is
``proj.celery.app``; ``from celery import shared_task as st`` makes ``st`` read as
``celery.shared_task``. Linking across files happens in the project model, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celerylint.facts.values import Value
from celerylint.findings import Span


@dataclass(frozen=True)
class CallInfo:
    """A call expression's callee and literal-evaluated arguments."""

    callee: str
    args: tuple[Value, ...]
    keywords: dict[str, Value]
    keyword_spans: dict[str, Span]
    has_splat: bool
    span: Span


@dataclass(frozen=True)
class CallAssign:
    """A module-level ``name = callee(...)``: apps, decorator aliases, redis clients."""

    var: str
    call: CallInfo
    conditional: bool


@dataclass(frozen=True)
class NameAssign:
    """A module-level ``name = dotted`` (``my_task = shared_task``, ``my_task = app.task``):
    a plain alias of what `target` (a resolved dotted origin) names."""

    var: str
    target: str
    span: Span
    conditional: bool


@dataclass(frozen=True)
class TaskWrapper:
    """A top-level function that applies a task decorator to the function it is given,
    directly (``return shared_task(**opts)(func)``, ``return app.task(func, **opts)``) or
    through an inner ``functools.wraps`` function, on every path that returns.

    `call` is that decorator call (its literal keywords are options of every task the
    wrapper makes; names local to the wrapper are unknown values); `params` the
    wrapper's named parameters (use-site keywords naming one are the wrapper's own, not
    task options); `passes`: the wrapper's ``**kwargs`` reach the call unchanged; `open`:
    the call's options include some that cannot be listed (another ``**``, ``**kwargs``
    changed or dropped, decorator calls that differ).

    `klass`: set for a method of that top-level class whose every ``return`` gives
    ``self.task(...)`` (a decorator, or the task of the function it is given):
    ``def periodic_task(self, *args, **options): return self.task(*args, **options)``.
    `function` is then the method's name and `params` leave out ``self``; whether the
    class is a Celery subclass is decided in the model.
    """

    function: str
    call: CallInfo
    params: tuple[str, ...]
    passes: bool
    open: bool
    klass: str = ""


@dataclass(frozen=True)
class Factory:
    """A top-level function that builds an object, binds it to a local name and returns
    that name: ``def create_app(): app = Celery(...); app.conf.update(...); return app``.

    Config writes made on the local name inside the function are recorded as
    ``ConfigWrite``s whose target is ``<module>.<function>()`` (see `factory_target`).
    """

    function: str
    var: str
    call: CallInfo
    conditional: bool
    span: Span


def factory_target(module: str, function: str) -> str:
    """The config-write target standing for what a factory function returns."""
    return f"{module}.{function}()" if module else f"{function}()"


def instance_target(module: str, klass: str) -> str:
    """The config-write target standing for ``self`` in the methods of a class."""
    return f"{module}.{klass}.<self>" if module else f"{klass}.<self>"


@dataclass(frozen=True)
class ConfigWrite:
    """A write to an app's configuration, in statement order.

    kind: ``update`` (entries), ``set`` (one key: ``conf.X =``, ``conf["X"] =``,
    ``conf.setdefault``), ``from_object`` (value = the target, namespace), ``mutate``
    (``conf.X.append(...)``-style run-time change of one key), ``open`` (an update whose
    keys cannot be known), ``task_cls`` (``app.Task = X``).
    """

    target: str
    kind: str
    span: Span
    conditional: bool
    entries: tuple[tuple[str, Value, Span], ...] = ()
    value: Value | None = None
    namespace: Value | None = None


@dataclass(frozen=True)
class Decorator:
    """A decorator of a function: its callee and, when called, its options."""

    callee: str
    keywords: dict[str, Value]
    keyword_spans: dict[str, Span]
    has_splat: bool
    positional: int
    span: Span


@dataclass(frozen=True)
class BodyEvent:
    """A statement in a function body that matters to a rule (CEL501 increments).

    `receiver` is the resolved origin of the object an ``incr`` is called on
    (``call:redis.Redis`` when built by a call, else a dotted name), empty otherwise.
    """

    kind: str
    description: str
    span: Span
    receiver: str = ""


@dataclass(frozen=True)
class FunctionFacts:
    """A module-level function (possible task or helper)."""

    name: str
    span: Span
    decorators: tuple[Decorator, ...]
    params: tuple[str, ...]
    has_varargs: bool
    has_varkw: bool
    events: tuple[BodyEvent, ...]
    calls: tuple[tuple[str, Span], ...]  # direct calls by name in the body: (origin, span)


@dataclass(frozen=True)
class ClassFacts:
    """A module-level class: bases, literal class attributes and method names."""

    name: str
    span: Span
    bases: tuple[str, ...]
    attributes: dict[str, Value]
    methods: tuple[str, ...]


@dataclass(frozen=True)
class TaskCall:
    """The call form of task creation: ``app.task(name="x")(func)``."""

    decorator: Decorator
    function: str


@dataclass(frozen=True)
class Argument:
    """One argument of a task call, with the evidence that it is an ORM instance."""

    span: Span
    text: str
    evidence: str


@dataclass(frozen=True)
class CallSite:
    """``X.delay(...)``, ``X.apply_async(...)``, ``X.s(...)``, ``send_task(...)``."""

    receiver: str
    method: str
    span: Span
    arguments: tuple[Argument, ...]
    task_name: str | None = None


@dataclass(frozen=True)
class SettingsPointer:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`` and kin."""

    module: str
    span: Span


@dataclass
class ModuleFacts:
    """Everything one Python file contributes to the project model."""

    path: str
    module: str
    is_package: bool
    parse_error: tuple[str, int, int] | None = None
    star_imports: list[str] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)
    call_assigns: list[CallAssign] = field(default_factory=list)
    factories: list[Factory] = field(default_factory=list)
    config_writes: list[ConfigWrite] = field(default_factory=list)
    functions: list[FunctionFacts] = field(default_factory=list)
    classes: list[ClassFacts] = field(default_factory=list)
    task_calls: list[TaskCall] = field(default_factory=list)
    call_sites: list[CallSite] = field(default_factory=list)
    settings_pointers: list[SettingsPointer] = field(default_factory=list)
    # ``os.environ.setdefault("DJANGO_CONFIGURATION", "Dev")`` (django-configurations):
    # the pointer's `module` is the configuration class name
    configuration_pointers: list[SettingsPointer] = field(default_factory=list)
    call_options: list[tuple[str, str, Value, Span]] = field(default_factory=list)
    name_assigns: list[NameAssign] = field(default_factory=list)
    task_wrappers: list[TaskWrapper] = field(default_factory=list)
