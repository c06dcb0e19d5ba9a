"""CEL404 unknown-task-name: a task named by a string that no project task defines."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.model.build import Model


def unknown_name_message(name: str, closest: str | None) -> str:
    """How the rule says a name is unknown, with the closest defined name if any."""
    message = f"no task is named {name!r}"
    return f"{message}; did you mean {closest!r}?" if closest else message


class UnknownTaskName(Rule):
    """``send_task("proj.tasks.add")`` and ``signature("...")`` name a task by its
    registered name: one that no worker registers is never run."""

    code = "CEL404"

    def check(self, model: Model) -> Iterator[Finding]:
        names = model.names
        for path, facts in model.production_modules():
            for site in facts.call_sites:
                name = site.task_name
                if name is None or site.name_span is None or not names.missing(name):
                    continue
                yield Finding(self.code, unknown_name_message(name, names.closest(name)),
                              path, site.name_span,
                              hint="Use the name the task is registered under.")
