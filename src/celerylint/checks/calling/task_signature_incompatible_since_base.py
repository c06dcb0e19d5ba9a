"""CEL407 task-signature-incompatible-since-base: a task registered under the same name at
the base ref and now, whose new parameters cannot bind every message the old ones
accepted (``--base-ref`` only)."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.calling.receivers import converts_arguments
from celerylint.checks.calling.since_base import versions
from celerylint.checks.registry import Rule
from celerylint.facts.schema import Parameters
from celerylint.findings import MESSAGE_LIMIT, Finding
from celerylint.model.build import Model
from celerylint.model.parameters import call_parameters, signature_text
from celerylint.model.tasks import Task

_TYPE_ERROR = "queued messages fail with TypeError"
_SWAPPED = "queued messages run with swapped values"
_HINT = ("Keep the old call working for one release (a default, **kwargs, or a new task "
         "name), or drain the queue before deploying.")


def _keywordable(params: Parameters) -> list[str]:
    """The parameters a call may pass by keyword."""
    return [*params.positional[params.positional_only:], *params.keyword_only]


def _required(params: Parameters) -> list[str]:
    """The parameters every call must pass."""
    first_default = len(params.positional) - params.defaults
    return [*params.positional[:first_default], *params.required_keyword_only]


# One way old calls break: what the new signature did ("no longer takes {}"), and to what
# (a parameter's name quoted, or ``*args``/``**kwargs`` as written).
Problem = tuple[str, str]
_NEEDS, _REQUIRED, _GONE = "now needs {}", "made {} required", "no longer takes {}"
_KEYWORD_ONLY, _POSITIONAL_ONLY = "made {} keyword-only", "made {} positional-only"


def _removed(old: Parameters, new: Parameters) -> list[Problem]:
    """What no longer binds: parameters gone (unless ``*args``/``**kwargs`` take their
    values), and ``*args``/``**kwargs`` themselves."""
    problems: list[Problem] = []
    names = {*new.positional, *new.keyword_only}
    fewer_slots = len(new.positional) < len(old.positional) and not new.varargs
    for name in [*old.positional, *old.keyword_only]:
        if name in names:
            continue
        by_keyword = name in _keywordable(old) and not new.varkw
        by_position = name in old.positional and fewer_slots
        if by_keyword or by_position:
            problems.append((_GONE, repr(name)))
    if old.varargs and not new.varargs:
        problems.append((_GONE, "*args"))
    if old.varkw and not new.varkw:
        problems.append((_GONE, "**kwargs"))
    return problems


def _moved(old: Parameters, new: Parameters) -> list[Problem]:
    """Parameters that old positional calls or keyword calls no longer reach."""
    problems: list[Problem] = []
    for name in old.positional:
        if name in new.keyword_only:
            problems.append((_KEYWORD_ONLY, repr(name)))
    for name in _keywordable(old):
        if name in new.positional[:new.positional_only] and not new.varkw:
            problems.append((_POSITIONAL_ONLY, repr(name)))
    return problems


def _needed(old: Parameters, new: Parameters) -> list[Problem]:
    """Parameters every new call must pass that old calls could leave out."""
    old_names = {*old.positional, *old.keyword_only}
    old_required = set(_required(old))
    problems: list[Problem] = []
    for name in _required(new):
        if name not in old_names:
            problems.append((_NEEDS, repr(name)))
        elif name not in old_required:
            problems.append((_REQUIRED, repr(name)))
    return problems


def _reordered(old: Parameters, new: Parameters) -> bool:
    """Does a parameter old calls could pass by position sit at another position now?"""
    return any(name in new.positional and new.positional.index(name) != index
               for index, name in enumerate(old.positional))


def incompatibilities(old: Parameters, new: Parameters) -> tuple[list[Problem], bool]:
    """(what breaks old messages with a TypeError, whether values are silently swapped)."""
    return [*_needed(old, new), *_removed(old, new), *_moved(old, new)], _reordered(old, new)


def _listing(names: list[str]) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c', or the first two and how many more."""
    if len(names) > 3:
        return f"{names[0]}, {names[1]} and {len(names) - 2} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def describe(problems: list[Problem]) -> str:
    """The problems grouped by kind, in the order they were found: "now needs 'by' and
    'date', no longer takes 'deleted_date'"."""
    grouped: dict[str, list[str]] = {}
    for kind, name in problems:
        grouped.setdefault(kind, []).append(name)
    return ", ".join(kind.format(_listing(names)) for kind, names in grouped.items())


def _message(head: str, change: str, consequence: str) -> str:
    """With both signatures when they fit in a message, else without; cut if still long."""
    for message in (f"{head} ({change}): {consequence}", f"{head}: {consequence}"):
        if len(message) <= MESSAGE_LIMIT:
            return message
    return message[:MESSAGE_LIMIT - 1] + "…"


def _parameters(task: Task) -> Parameters | None:
    return None if converts_arguments(task) else call_parameters(task)


class TaskSignatureIncompatibleSinceBase(Rule):
    """Messages queued by the old code must bind to the new signature."""

    code = "CEL407"

    def check(self, model: Model) -> Iterator[Finding]:
        compared = versions(model)
        if compared is None:
            return
        ref = compared.ref
        for name, tasks in sorted(compared.now.items()):
            olds = compared.before.get(name, [])
            if len(tasks) != 1 or len(olds) != 1:
                continue  # new, or a duplicate name (CEL608): which one runs is unknown
            new_task, old_task = tasks[0], olds[0]
            old, new = _parameters(old_task), _parameters(new_task)
            if old is None or new is None:
                continue
            problems, swapped = incompatibilities(old, new)
            if not problems and not swapped:
                continue
            what = describe(problems) if problems else "reordered parameters"
            change = (f"{signature_text(old_task.function, old)} → "
                      f"{signature_text(new_task.function, new)}")
            message = _message(f"task {name!r} {what} since {ref}", change,
                               _TYPE_ERROR if problems else _SWAPPED)
            yield Finding(self.code, message, new_task.path, new_task.span, hint=_HINT)
