"""CEL502 event-loop-in-task: ``asyncio.run(...)`` or ``loop.run_until_complete(...)``
in a task body."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.model.bodies import tasks_by_body
from celerylint.model.build import Model

_HINT = ("Call synchronous clients from the task, or run coroutines on one event loop "
         "kept per worker process.")


class EventLoopInTask(Rule):
    """CEL502: a task body that starts (``asyncio.run``) or drives
    (``run_until_complete``) an event loop on every run."""

    code = "CEL502"

    def check(self, model: Model) -> Iterator[Finding]:
        for (path, function), task in sorted(tasks_by_body(model).items()):
            for call in model.project.modules[path].event_loop_calls:
                if call.function == function:
                    shown = "asyncio.run()" if call.call == "asyncio.run" else (
                        "loop.run_until_complete()")
                    yield Finding(self.code,
                                  f"task {task.label!r} runs an event loop in its body: {shown}",
                                  path, call.span, hint=_HINT)
