"""The parameters a task's message binds to: what a worker calls the task function with.

A message carries ``args`` and ``kwargs``; the worker calls the function with them (after
the task itself for ``bind=True``). So the parameters that matter are the function's,
without the bound ``self``. They are unknown when something between the message and the
function may change the arguments: a wrapper, another decorator of the project, a
``bind=`` that cannot be read. CEL403 binds call sites to them; CEL407 compares them
across two versions of the code.
"""

from __future__ import annotations

from celerylint.facts.schema import Parameters
from celerylint.model.tasks import Task

_UNKNOWN = object()


def call_parameters(task: Task) -> Parameters | None:
    """The function task's parameters as a message binds to them, or None when unknown
    (class tasks included: their ``run`` is read elsewhere)."""
    facts = task.facts
    if facts is None or task.wrapper is not None or facts.signature is None:
        return None
    if any(decorator != task.decorator for decorator in facts.decorators):
        return None  # a project decorator may add or consume parameters
    bound = _bind(task)
    if bound is False:
        return facts.signature
    params = facts.signature
    if bound is not True or not params.positional:
        return None
    return Parameters(params.positional[1:], max(0, params.positional_only - 1),
                      min(params.defaults, len(params.positional) - 1), params.keyword_only,
                      params.required_keyword_only, params.varargs, params.varkw)


def _bind(task: Task) -> object:
    """``bind=`` of the decorator, else of its alias; Celery reads it only when it makes
    the task (``run`` is the function, or a method taking the task), so neither a class
    attribute nor ``task_annotations`` can change it."""
    for call in (task.decorator, task.alias.assign.call if task.alias else None):
        if call is None:
            continue
        if "bind" in call.keywords:
            value = call.keywords["bind"]
            return value.data if value.known else _UNKNOWN
        if call.has_splat:
            return _UNKNOWN
    return False


def signature_text(function: str, params: Parameters) -> str:
    """The parameters as Python writes them (``add(x, y=…, *, z)``); defaults elided."""
    parts: list[str] = []
    first_default = len(params.positional) - params.defaults
    for index, name in enumerate(params.positional):
        parts.append(f"{name}=…" if index >= first_default else name)
        if index + 1 == params.positional_only:
            parts.append("/")
    if params.varargs:
        parts.append("*args")
    elif params.keyword_only:
        parts.append("*")
    required = set(params.required_keyword_only)
    parts.extend(name if name in required else f"{name}=…" for name in params.keyword_only)
    if params.varkw:
        parts.append("**kwargs")
    return f"{function}({', '.join(parts)})"
