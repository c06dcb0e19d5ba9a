"""CEL403 task-call-signature-mismatch: task call arguments that cannot bind to the task."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.calling.receivers import (
    TaskIndex,
    converts_arguments,
    resolve_receivers,
)
from celerylint.checks.registry import Rule
from celerylint.facts.schema import CallInfo, CallShape, CallSite, Parameters
from celerylint.findings import Finding, Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.parameters import call_parameters
from celerylint.model.tasks import Option, Task, own_option

_COMPLETE = {"delay", "apply_async"}  # the call sends the message: every argument is there
_PARTIAL = {"s", "si", "signature"}  # a partial: more arguments may come later
# Options of Celery 5.7's ``Task.apply_async`` (its parameters and documented options,
# with kombu's ``Producer.publish`` keywords): ``delay(**kwargs)`` passes them on as
# task keywords instead.
CALL_OPTIONS = frozenset({
    "countdown", "eta", "expires", "queue", "exchange", "routing_key", "priority",
    "retry", "retry_policy", "serializer", "compression", "headers", "link", "link_error",
    "task_id", "producer", "shadow", "time_limit", "soft_time_limit", "ignore_result",
    "add_to_parent", "publisher", "connection", "expiration", "delivery_mode",
    "mandatory", "immediate", "declare", "reply_to", "correlation_id",
})


_UNKNOWN = object()


def _plain(option: Option) -> object:
    """The option's one known value, else `_UNKNOWN`."""
    values = option.values()
    if option.unknown or len(values) != 1 or len(option.candidates) != 1:
        return _UNKNOWN
    return values[0][1]


def signature_of(model: Model, task: Task) -> Parameters | None:
    """The parameters a call must bind to, or None when they cannot be trusted: the
    class may change arguments, ``typing=False`` turns the check off, another decorator
    or a wrapper may inject parameters, ``*args``/``**kwargs`` take anything."""
    if converts_arguments(task) or _typing(model, task) is not True:
        return None
    params = call_parameters(task)
    if params is None or params.varargs or params.varkw:
        return None
    return params


def _typing(model: Model, task: Task) -> object:
    """Does ``apply_async`` check the arguments? The task's ``typing`` option (decorator,
    class, annotations), else its app's ``Celery(strict_typing=...)`` (default True)."""
    own = own_option(task, "typing")
    if own is not None:
        return _plain(own)
    call = _creation(model, task.app) if task.app is not None else None
    if call is None:
        return _UNKNOWN
    if "strict_typing" in call.keywords:
        value = call.keywords["strict_typing"]
        return value.data if value.known else _UNKNOWN
    return _UNKNOWN if call.has_splat else True


def _creation(model: Model, app: App) -> CallInfo | None:
    """The ``Celery(...)`` call that made the app (at module level or in a factory)."""
    facts = model.project.modules.get(app.path)
    if facts is None:
        return None
    calls = [a.call for a in facts.call_assigns] + [f.call for f in facts.factories]
    return next((call for call in calls if call.span == app.span), None)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def mismatches(label: str, method: str, params: Parameters, shape: CallShape,
               call: Span) -> Iterator[tuple[str, Span, str]]:
    """(message, span, hint) for each way the call's arguments cannot bind."""
    given = len(shape.positional)
    taken = len(params.positional)
    if given > taken:
        yield (f"{label}() takes {_count(taken, 'positional argument')} but "
               f"{given} {'is' if given == 1 else 'are'} passed",
               shape.positional[taken], "Pass only the arguments the task defines.")
    named = set(params.positional[params.positional_only:]) | set(params.keyword_only)
    for name, span in shape.keywords:
        if name in params.positional[:params.positional_only]:
            yield (f"{label}() gets positional-only {name!r} by keyword", span,
                   "Pass it by position.")
        elif name in named:
            if name in params.positional[:given]:
                yield (f"{label}() gets argument {name!r} both by position and by keyword",
                       span, "Pass it once.")
        elif method == "delay" and name in CALL_OPTIONS:
            yield (f"call options passed to delay() ({name}=); use apply_async", span,
                   f"Use apply_async(args, kwargs, {name}=...): delay() passes every "
                   "keyword to the task.")
        else:
            yield (f"{label}() has no parameter {name!r}", span,
                   "Rename the keyword to a parameter of the task, or add the parameter.")
    if method in _COMPLETE:
        missing = _missing(params, given, {name for name, _ in shape.keywords})
        if missing:
            listed = ", ".join(repr(name) for name in missing)
            yield (f"{label}() is called without required "
                   f"{'argument' if len(missing) == 1 else 'arguments'} {listed}", call,
                   "Pass every parameter that has no default.")


def _missing(params: Parameters, given: int, keywords: set[str]) -> list[str]:
    """Required parameters neither passed by position nor by keyword."""
    required = params.positional[:len(params.positional) - params.defaults]
    missing = [name for index, name in enumerate(required) if index >= given and (
        index < params.positional_only or name not in keywords)]
    return missing + [name for name in params.required_keyword_only if name not in keywords]


class TaskCallSignatureMismatch(Rule):
    """Arguments that cannot bind to the task's function: with ``typing`` on (Celery's
    default) ``delay``/``apply_async`` raise TypeError in the caller, and a partial
    signature fails when it is finally sent."""

    code = "CEL403"
    needs = (resolve_receivers,)
    # ``typing`` comes from task_annotations or the app's creation: unknown without them
    blind_on = ("config", "app")

    def check(self, model: Model) -> Iterator[Finding]:
        index = TaskIndex(model)
        for path, facts in model.production_modules():
            for site in facts.call_sites:
                for message, span, hint in self._site(model, index, site):
                    yield Finding(self.code, message, path, span, hint=hint)

    def _site(self, model: Model, index: TaskIndex, site: CallSite
              ) -> Iterator[tuple[str, Span, str]]:
        if site.shape is None or site.method not in _COMPLETE | _PARTIAL:
            return
        task = index.sole_task(site)
        params = signature_of(model, task) if task is not None else None
        if task is None or params is None:
            return
        yield from mismatches(task.function, site.method, params, site.shape, site.span)
