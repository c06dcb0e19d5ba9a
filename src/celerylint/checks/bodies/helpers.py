"""The helpers task bodies call, which CEL501 follows one level deep.

A task's increment is often in a helper of another module. Those modules may hold
nothing Celery-ish, so the prefilter passed over them; ``called_helpers`` is the rule's
need: before the model is frozen it names the files holding the project functions task
bodies call, skipping those whose text cannot hold an increment (cheaper than parsing).
"""

from __future__ import annotations

import re

from celerylint.facts.increments import may_increment
from celerylint.model.build import Model
from celerylint.model.project import Project

_TOP_LEVEL = re.compile(rb"^(?=[^\s#)\]}])", re.MULTILINE)


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
    split = project.index.split(origin)
    if split is None or not split[1] or "." in split[1]:
        return False  # not a top-level function of the project
    path, name = split
    if path in project.modules:
        return True
    try:
        text = function_text((project.root / path).read_bytes(), name)
    except OSError:
        return True
    if text is None:  # not defined there: maybe re-exported from another module
        canonical = project.canonical(origin)
        return canonical == origin or helper_may_increment(project, canonical)
    return may_increment(text)


def called_helpers(model: Model) -> set[str]:
    """Files holding the top-level project functions that task bodies call and that may
    hold an increment."""
    project = model.project
    paths = set()
    for task in model.tasks:
        for origin, _ in task.facts.calls if task.facts else ():
            split = project.index.split(origin)
            if split is not None and split[1] and "." not in split[1] and (
                    helper_may_increment(project, origin)):
                paths.add(split[0])
    return paths
