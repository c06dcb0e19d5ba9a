"""CEL209 result-get-in-task: a task body waits on the result of another task."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.facts.schema import ModuleFacts, ResultWait, SignatureRef
from celerylint.findings import Finding
from celerylint.model.bodies import tasks_by_body
from celerylint.model.build import Model
from celerylint.model.canvas import Links, result_ignored

# The waits each kind of result has (celery/result.py): an AsyncResult (what a task, a
# chain or a chord returns) and a GroupResult; any other name raises AttributeError.
_ASYNC_WAITS = {"get", "wait", "collect"}
_GROUP_WAITS = {"get", "join", "join_native"}
_CURRENT_APPS = {"celery.current_app", "celery._state.current_app"}
_HINT = ("Don't wait inside a task: make the next step a callback (link, chain or chord) "
         "of the task it waits for.")


def _receivers(facts: ModuleFacts) -> set[str]:
    return {wait.receiver for wait in facts.result_waits} - {""}


def resolve_wait_receivers(model: Model) -> set[str]:
    """The need: follow the receivers of waits in task bodies through re-exports before
    the model freezes."""
    project = model.project
    paths = {path for path, _ in tasks_by_body(model)}
    for path in sorted(paths):
        for receiver in sorted(_receivers(project.modules[path])):
            project.canonical(receiver)
    return set()


class ResultGetInTask(Rule):
    """CEL209: ``.get()`` (or another wait) in a task body on a result it produced: the
    worker raises RuntimeError (prefork, solo, threads) or blocks (gevent, eventlet)."""

    code = "CEL209"
    needs = (resolve_wait_receivers,)

    def check(self, model: Model) -> Iterator[Finding]:
        links = Links.of(model)
        for (path, _function), task in sorted(tasks_by_body(model).items()):
            for wait in model.project.modules[path].result_waits:
                if wait.function != _function or wait.allowed or wait.open:
                    continue
                what = self._waited(links, wait)
                if what is not None:
                    yield Finding(
                        self.code,
                        f"task {task.function!r} waits on {what}.{wait.read}(): RuntimeError "
                        "under prefork/solo/threads, deadlock risk under gevent/eventlet",
                        path, wait.span, hint=_HINT)

    def _waited(self, links: Links, wait: ResultWait) -> str | None:
        """What the wait is on, as shown in the message; None when it is not known to
        be a real wait on a task result."""
        if wait.producer in ("group", "chain", "chord"):
            waits = _GROUP_WAITS if wait.producer == "group" else _ASYNC_WAITS
            return f"{wait.producer}(...)()" if wait.read in waits else None
        if wait.read not in _ASYNC_WAITS:
            return None
        if wait.producer == "AsyncResult":
            if wait.receiver and not (links.task(wait.receiver) or links.app(wait.receiver)
                                      or wait.receiver in _CURRENT_APPS):
                return None
            return "AsyncResult(...)"
        target = links.signature_task(SignatureRef(wait.receiver, wait.name, wait.span))
        if target is None:
            return None
        possible = result_ignored(target, wait.ignore_result)
        if possible is None or any(possible):  # None is returned before Celery's check
            return None
        return f"{target.function}.{wait.producer}()"

