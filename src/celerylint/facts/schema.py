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
class Parameters:
    """A function's signature as far as binding call arguments to it goes (CEL403)."""

    positional: tuple[str, ...]  # positional-only and positional-or-keyword, in order
    positional_only: int
    defaults: int  # how many of the last positional parameters have a default
    keyword_only: tuple[str, ...]
    required_keyword_only: tuple[str, ...]
    varargs: bool
    varkw: bool


DEFERS = "<on_commit>"  # in ClassFacts.method_calls: the method calls transaction.on_commit


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
    signature: Parameters | None = None  # CEL403; None: not recorded


@dataclass(frozen=True)
class ClassFacts:
    """A module-level class: bases, literal class attributes and method names."""

    name: str
    span: Span
    bases: tuple[str, ...]
    attributes: dict[str, Value]
    methods: tuple[str, ...]
    # method -> what its body calls that may defer a message: ``self.<method>`` names and
    # DEFERS (``transaction.on_commit``); recorded only in classes that mention on_commit
    method_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)


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
class CallShape:
    """The task arguments a call passes, as far as they can be counted (CEL403).

    `positional`: the span of each positional task argument; `keywords`: (name, span) of
    each keyword task argument. For ``apply_async``/``signature`` they are the elements of
    literal ``args``/``kwargs``. A call with no shape (None on the site) unpacks ``*x`` /
    ``**x`` or passes ``args``/``kwargs`` that are not literals.
    """

    positional: tuple[Span, ...]
    keywords: tuple[tuple[str, Span], ...]


@dataclass(frozen=True)
class CallSite:
    """``X.delay(...)``, ``X.apply_async(...)``, ``X.s(...)``, ``send_task(...)``.

    `local_receiver`: the receiver's first name is bound in the enclosing function (a
    parameter, ``t, build = prepare()``), so its module-level origin says nothing;
    `atomic`: the call runs inside a Django ``transaction.atomic`` block of the default
    database and not deferred by ``on_commit`` (CEL402); `statement`: its result is
    unused; `method_span`: the method name; `name_span`: the literal task name's.
    """

    receiver: str
    method: str
    span: Span
    arguments: tuple[Argument, ...]
    task_name: str | None = None
    shape: CallShape | None = None
    local_receiver: bool = False
    atomic: bool = False
    statement: bool = False
    method_span: Span | None = None
    name_span: Span | None = None


@dataclass(frozen=True)
class SettingsPointer:
    """``os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")`` and kin."""

    module: str
    span: Span


@dataclass(frozen=True)
class Autodiscovery:
    """An ``autodiscover_tasks(...)`` call (CEL405). `django`: without packages (or
    empty ones), or with ``lambda: settings.INSTALLED_APPS``: Django's installed apps are
    asked; `packages`: the literal packages otherwise; `known`: packages and
    `related_name` are literal."""

    line: int
    known: bool
    packages: tuple[str, ...]
    django: bool
    related_name: str


@dataclass(frozen=True)
class Registration:
    """What importing a module makes a worker import, and where its definitions sit
    (CEL405, CEL608); see ``facts.registration``.

    `imports`: absolute module names its top-level statements may import (outside
    ``if TYPE_CHECKING``; ``from a import b`` gives ``a`` and ``a.b``; literal
    ``import_module("x")`` calls anywhere); `dynamic`: why a non-literal import makes
    the answer unknown ("" if none); `branches`: per top-level def or class (``"name:line"`` of its
    ``def``/``class``), the ``(line, arm)`` path of the ``if``/``try`` arms it is defined
    in (empty: unconditional; absent: under ``if TYPE_CHECKING``, never run); `calls`:
    the origins its top-level statements call; `local_imports`: per top-level function
    or method (``Class.method``), the modules imported inside it; `registered`: the
    Task classes passed to ``register_task()`` (origins); `main_guard`: the module has
    an ``if __name__ == "__main__":`` block (it may run as a script).
    """

    imports: tuple[str, ...] = ()
    dynamic: str = ""
    autodiscovery: tuple[Autodiscovery, ...] = ()
    branches: dict[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    calls: tuple[str, ...] = ()
    local_imports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    registered: tuple[str, ...] = ()
    main_guard: bool = False


@dataclass(frozen=True)
class SignatureRef:
    """A task signature in a canvas (CEL303): ``t.s()``, ``t.si()``, ``t.signature()``
    (`receiver`: the task's dotted origin) or ``signature("name")`` (`name`).

    `ignore_result` is a per-signature override (``.set(ignore_result=...)``,
    ``options={"ignore_result": ...}``), None when the signature gives none; an unknown
    Value when options are splatted."""

    receiver: str
    name: str
    span: Span
    ignore_result: Value | None = None


@dataclass(frozen=True)
class Chord:
    """A chord (CEL303): ``chord(header)(body)``, ``chord(header, body)``, or a group
    upgraded to one (``group(...) | sig``, ``chain(group(...), sig)``).

    `header_open`: some header element is not a signature this pass understands (a
    variable, a nested canvas), so the header's tasks are not all listed."""

    kind: str  # "chord", "group|" (a group piped into a signature), "chain"
    span: Span
    header: tuple[SignatureRef, ...]
    header_open: bool
    body: tuple[SignatureRef, ...] = ()


@dataclass(frozen=True)
class ResultRead:
    """A read of a task result (CEL304): ``.get()``, ``.state``... on what ``T.delay()``,
    ``T.apply_async()``, ``AsyncResult(...)`` or ``X.AsyncResult(...)`` returned, directly
    or through a local name bound once to it in the same scope.

    `producer` is ``delay``, ``apply_async`` or ``AsyncResult``; `receiver` the dotted
    origin of ``T``/``X`` (empty for a bare ``AsyncResult(...)``, whose ``app=`` keyword
    is `app`); `ignore_result` the call's own ``ignore_result=`` (None when not given);
    `open`: the call passes ``**options``, which may hold any of them."""

    read: str
    span: Span
    producer: str
    receiver: str
    app: str = ""
    ignore_result: Value | None = None
    open: bool = False


@dataclass(frozen=True)
class ResultWait:
    """A wait on a task result in a function (CEL209): ``.get()``, ``.wait()``,
    ``.join()``, ``.join_native()`` or ``.collect()`` on what ``T.delay()``,
    ``T.apply_async()`` (also of a signature), ``AsyncResult(...)``, ``X.AsyncResult(...)``
    or a called ``group``/``chain``/``chord`` returned, directly or through a local name
    bound once to it in the same function.

    `function` is the enclosing top-level function or ``Class.method`` (waits in nested
    functions are not recorded); `producer` is ``delay``, ``apply_async``,
    ``AsyncResult``, ``group``, ``chain`` or ``chord``; `receiver` the dotted origin of
    ``T``/``X`` (empty for a bare ``AsyncResult(...)`` and a canvas), `name` the task
    name of a ``signature("name")``; `ignore_result` the producing call's own
    ``ignore_result=`` (None when not given); `allowed`: the wait may be allowed, by a
    ``disable_sync_subtasks`` that is not literally True (or ``**``/many positional
    arguments that may hold it), or inside ``with allow_join_result():``."""

    read: str
    span: Span
    function: str
    producer: str
    receiver: str = ""
    name: str = ""
    ignore_result: Value | None = None
    open: bool = False
    allowed: bool = False


@dataclass(frozen=True)
class EventLoopCall:
    """``asyncio.run(...)`` or ``<loop>.run_until_complete(...)`` in a top-level function
    or ``Class.method`` (CEL502), nested functions excluded; `call` is ``asyncio.run`` or
    ``run_until_complete``."""

    function: str
    call: str
    span: Span


@dataclass(frozen=True)
class TimedCall:
    """A call that delays a message (CEL706): a ``countdown=``/``eta=`` given to
    ``apply_async``, ``retry``, ``signature``, ``set`` or ``send_task``; and every
    ``retry(...)`` call, with or without one (it then waits ``default_retry_delay``).

    `seconds` is the delay (``eta=now() + timedelta(...)`` counts as the timedelta),
    None when the call gives none, unknown when it cannot be folded; `function` is the
    enclosing top-level function or ``Class.method`` ("" elsewhere); `receiver` the
    dotted origin of the object the method is called on ("" when not a plain name)."""

    method: str
    receiver: str
    function: str
    option: str
    seconds: Value | None
    span: Span


@dataclass(frozen=True)
class PeriodicTask:
    """``sender.add_periodic_task(schedule, sig, name=...)`` in a top-level function
    connected to an app's ``on_after_configure``/``on_after_finalize`` signal: a beat
    entry. `app` is the resolved origin of the app whose signal runs the function; `call`
    the add_periodic_task call (its first argument the schedule); `task` the origin of
    the task object of ``task.s(...)``, empty otherwise; `task_name` the literal of
    ``signature("name")``, None otherwise."""

    app: str
    call: CallInfo
    task: str = ""
    task_name: Value | None = None


@dataclass(frozen=True)
class RetryCall:
    """``X.retry(...)`` in a body (CEL206); `max_retries` is None when the call does not
    pass it (an unknown Value when it may, through ``*``/``**`` or a computed value)."""

    span: Span
    max_retries: Value | None


@dataclass(frozen=True)
class TaskBody:
    """What one body does with its task (CEL206, CEL208), see ``facts.task_options``;
    `klass` is empty for a module-level function."""

    function: str
    klass: str
    retries: tuple[RetryCall, ...]
    unbound_self: tuple[tuple[str, Span], ...] = ()


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
    registration: Registration = field(default_factory=Registration)
    # canvas and results (CEL303, CEL304, CEL706), see ``facts.canvas``
    chords: list[Chord] = field(default_factory=list)
    result_reads: list[ResultRead] = field(default_factory=list)
    timed_calls: list[TimedCall] = field(default_factory=list)
    # ``celery.schedules.crontab(...)`` and ``crontab.from_string(...)`` calls anywhere
    # in the module (CEL602, CEL609)
    crontabs: list[CallInfo] = field(default_factory=list)
    periodic_tasks: list[PeriodicTask] = field(default_factory=list)
    # task bodies and what task classes read on themselves (CEL206, CEL208, CEL213),
    # see ``facts.task_options``
    task_bodies: list[TaskBody] = field(default_factory=list)
    class_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # setting-like names the module reads as code (CEL702, CEL703), see ``facts.configuration``
    names_read: tuple[str, ...] = ()
    # waits on task results in functions (CEL209), see ``facts.canvas``
    result_waits: list[ResultWait] = field(default_factory=list)
    # event loops run in functions (CEL502), see ``facts.event_loops``
    event_loop_calls: list[EventLoopCall] = field(default_factory=list)
