"""The helpers task bodies call, which CEL501 follows up to three levels deep.

A task's increment is often in a helper of another module, or in a helper of that helper
(``task → record_delivery → notify_user``). Those modules may hold nothing Celery-ish, so
the prefilter passed over them. The rule's needs load them before the model is frozen,
one level at a time (the files of the helpers task bodies call, then of the helpers those
call, ...), each level in one parallel batch. A helper of the last level is read only for
its increments, so its module is skipped when the function's text cannot hold one
(cheaper than parsing); the helpers above it are read for their calls too.

Calls are followed by origin, each function once per task (a cycle ``a → b → a`` ends
where it started), breadth first: a helper is named by the shortest chain reaching it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from celerylint.engine.readable import read_regular
from celerylint.facts.increments import may_increment
from celerylint.facts.schema import FunctionFacts
from celerylint.model.build import Model, Need
from celerylint.model.project import Project
from celerylint.model.tasks import Task

MAX_DEPTH = 3  # calls followed from a task body: task → a → b → c
_TOP_LEVEL = re.compile(rb"^(?=[^\s#)\]}])", re.MULTILINE)


@dataclass(frozen=True)
class Reached:
    """A project function a task body reaches, and the names of the chain down to it."""

    level: int  # 1: called by the task body itself
    path: str
    facts: FunctionFacts
    chain: tuple[str, ...]  # function names from the task's callee down to this one


def function_text(data: bytes, name: str) -> bytes | None:
    """The text of top-level function `name`, from its ``def`` to the next top-level
    statement; None when it cannot be found that simply (then the caller parses)."""
    start = re.search(rb"^(?:async[ \t]+)?def[ \t]+" + re.escape(name.encode()) + rb"\b",
                      data, re.MULTILINE)
    if start is None:
        return None
    end = data.find(b"\n", start.end()) + 1
    while True:
        following = _TOP_LEVEL.search(data, end) if end > 0 else None
        end = following.start() if following is not None else len(data)
        region = data[start.start():end]
        # A line at column 0 inside a triple-quoted string does not end the function.
        if end == len(data) or (region.count(b'"""') % 2 == 0 and region.count(b"'''") % 2 == 0):
            return region
        end = data.find(b"\n", end) + 1


def helper_may_increment(project: Project, origin: str) -> bool:
    """Could the project function `origin` hold an increment? Answered from its text
    when its module was not extracted (False only when certainly not)."""
    if not project.prefilter:
        return True
    path = _module_path(project, origin)
    if path is None:
        return False  # not a top-level function of the project
    if path in project.modules:
        return True
    try:
        text = function_text(read_regular(project.root / path), origin.rsplit(".", 1)[-1])
    except OSError:
        return True
    if text is None:  # not defined there: maybe re-exported from another module
        canonical = project.canonical(origin)
        return canonical == origin or helper_may_increment(project, canonical)
    return may_increment(text)


def calls_of(facts: FunctionFacts) -> list[str]:
    """The origins a function's body calls, each once, in order."""
    return list(dict.fromkeys(origin for origin, _ in facts.calls))


def reached_helpers(project: Project, task: Task, depth: int = MAX_DEPTH) -> Iterator[Reached]:
    """The project functions `task`'s body reaches through at most `depth` calls, breadth
    first, each once (test code and the task itself left out)."""
    if task.facts is None:
        return
    seen = {f"{task.module}.{task.function}"}
    frontier: list[tuple[str, tuple[str, ...]]] = [(o, ()) for o in calls_of(task.facts)]
    for level in range(1, depth + 1):
        following: list[tuple[str, tuple[str, ...]]] = []
        for origin, chain in frontier:
            if origin in seen or _module_path(project, origin) is None:
                continue
            seen.add(origin)
            # The last level is read for its increments only: skip what cannot hold one.
            if level == MAX_DEPTH and not helper_may_increment(project, origin):
                continue
            canonical = project.canonical(origin)
            if canonical != origin:
                if canonical in seen:
                    continue
                seen.add(canonical)
            found = project.function_of(origin)
            if found is None or project.is_test_path(found[0]) or found[1] is task.facts:
                continue
            path, helper = found
            named = (*chain, origin.rsplit(".", 1)[-1])
            yield Reached(level, path, helper, named)
            following.extend((callee, named) for callee in calls_of(helper))
        frontier = following


def _module_path(project: Project, origin: str) -> str | None:
    """The file of a top-level project function's module, by origin; None otherwise."""
    split = project.index.split(origin)
    if split is None or not split[1] or "." in split[1]:
        return None
    return split[0]


def _helpers_at(level: int) -> Need:
    """The need loading the files of the helpers reached at `level` (after the needs of
    the levels above it loaded theirs)."""

    def need(model: Model) -> set[str]:
        project = model.project
        paths: set[str] = set()
        for task in model.production_tasks():
            if task.facts is None:
                continue
            callers = [task.facts] if level == 1 else [
                r.facts for r in reached_helpers(project, task, level - 1) if r.level == level - 1]
            for caller in callers:
                for origin in calls_of(caller):
                    path = _module_path(project, origin)
                    if path is not None and (level < MAX_DEPTH
                                             or helper_may_increment(project, origin)):
                        paths.add(path)
        return paths

    need.__name__ = need.__qualname__ = f"called_helpers_level_{level}"
    return need


# The needs, in order: level 1 (helpers task bodies call), then 2, then 3.
CALLED_HELPERS: tuple[Need, ...] = tuple(_helpers_at(level) for level in range(1, MAX_DEPTH + 1))
