"""CEL201 missing-time-limit: an app with no global time limit whose tasks have none."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.time_limits import unbounded_tasks
from celerylint.findings import Finding
from celerylint.model.build import Model

_SHOWN = 3
_BUDGET = 150  # characters a message may take with the task names it shows
_HINT = ("Set task_time_limit (and a lower task_soft_time_limit), or a time_limit= option on "
         "each task.")


class MissingTimeLimit(Rule):
    """CEL201: an app with no global time limit whose tasks have none either."""

    code = "CEL201"
    blind_on = ("config", "app", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        for app, tasks in unbounded_tasks(model).values():
            if not tasks:
                continue
            total = sum(1 for t in model.production_tasks() if t.app is app)
            head = (f"app {app.label!r} sets no global time limit and {len(tasks)} of its "
                    f"{total} task{'s' if total != 1 else ''} "
                    f"{'has' if len(tasks) == 1 else 'have'} none")
            yield Finding(self.code, _named(head, [t.label for t in tasks]), app.path, app.span,
                          hint=_HINT)


def _named(head: str, labels: list[str]) -> str:
    """`head` naming the first few tasks, as many of the first three as fit the budget."""
    shown: list[str] = []
    for label in labels[:_SHOWN]:
        left = len(labels) - len(shown) - 1
        more = f" and {left} more" if left else ""
        if shown and len(f"{head}: {', '.join([*shown, label])}{more}") > _BUDGET:
            break
        shown.append(label)
    left = len(labels) - len(shown)
    return f"{head}: {', '.join(shown)}{f' and {left} more' if left else ''}"
