"""CEL304 result-read-without-backend: a task result read where nothing stores it."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.results.backends import backends_of
from celerylint.facts.canvas import READ_METHODS
from celerylint.facts.schema import ResultRead
from celerylint.findings import Finding
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.canvas import Links, may_run_eagerly, resolve_receivers, result_ignored
from celerylint.model.tasks import Task, own_option

_WAITS = {"get", "wait"}
# What a read gives when the result is never stored (``ignore_result``), by read.
_IGNORED = {"state": "is PENDING forever", "status": "is PENDING forever",
            "result": "is always None", "traceback": "is always None",
            "ready": "is always False", "successful": "is always False",
            "failed": "is always False"}
_NO_BACKEND_HINT = "Configure a result_backend for the app, or stop reading the result."
_IGNORED_HINT = ("Drop ignore_result for this task (or pass ignore_result=False to "
                 "apply_async), or stop reading the result.")


def no_backend(app: App) -> bool:
    """Known to have no result backend in any source or branch. An app whose broker is
    not configured in the code either gets its transport settings from elsewhere (the
    ``CELERY_BROKER_URL``/``CELERY_RESULT_BACKEND`` environment, settings injected at
    run time): its backend is not known to be absent."""
    config = app.config
    return (backends_of(app) == [] and not config.is_unknown("result_backend")
            and bool(config.get("broker_url")))


class ResultReadWithoutBackend(Rule):
    """CEL304: ``.get()``, ``.state``... on a result that no backend stores: the read
    raises, returns None, or stays PENDING, depending on the case (the message says)."""

    code = "CEL304"
    needs = (resolve_receivers,)
    blind_on = ("config", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        links = Links.of(model)
        for path, facts in model.production_modules():
            for read in facts.result_reads:
                found = self._harm(links, read)
                if found is not None:
                    message, hint = found
                    yield Finding(self.code, message, path, read.span, hint=hint)

    def _harm(self, links: Links, read: ResultRead) -> tuple[str, str] | None:
        """(message, hint) when the read cannot give a real result; None otherwise."""
        if read.open:
            return None
        task = links.task(read.receiver)
        app = self._app(links, read, task)
        if app is None or app.test_code or may_run_eagerly(app):
            return None
        possible = result_ignored(task, read.ignore_result) if task is not None else [False]
        if possible is None:
            return None
        ignored = all(possible)
        what = f"{task.label}.{read.producer}()" if task else "AsyncResult()"
        shown = f".{read.read}()" if read.read in READ_METHODS else f".{read.read}"
        if read.read in _WAITS and ignored and read.producer != "AsyncResult":
            return (f"{shown} on {what} returns None at once: the task ignores its result",
                    _IGNORED_HINT)
        own_backend = task is not None and own_option(task, "backend") is not None
        if no_backend(app) and not own_backend and read.ignore_result is None:
            error = "NotImplementedError" if read.read in _WAITS else "AttributeError"
            return (f"{shown} on {what} raises {error}: app {app.label!r} has no result "
                    "backend", _NO_BACKEND_HINT)
        if not ignored or task is None:
            return None
        if read.read in _WAITS:
            return (f"{shown} on {what} waits until its timeout: the task ignores its "
                    "result, so none is ever stored", _IGNORED_HINT)
        return (f"{shown} on {what} {_IGNORED[read.read]}: the task ignores its result",
                _IGNORED_HINT)

    def _app(self, links: Links, read: ResultRead, task: Task | None) -> App | None:
        """The app whose backend the result reads: the task's, the receiver app's, the
        ``app=`` keyword's, or Celery's current app (the project's only app)."""
        if task is not None:
            return task.app
        if read.producer != "AsyncResult":
            return None
        if read.receiver:
            return links.app(read.receiver)
        if read.app:
            return links.app(read.app)
        return links.sole_app()
