"""CEL303 chord-with-ignored-results: a chord whose header results are never stored, or
a chord in an app whose result backend cannot run chords."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.results.backends import RPC, backends_of
from celerylint.checks.results.result_read_without_backend import no_backend
from celerylint.facts.schema import Chord, SignatureRef
from celerylint.findings import Finding
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.canvas import Links, may_run_eagerly, resolve_receivers
from celerylint.model.tasks import Task, task_option

_KINDS = {"chord": "chord", "group|": "group piped into a task (a chord)",
          "chain": "chain of a group and a task (a chord)"}
_IGNORED_HINT = ("Set ignore_result=False on the header task, or on its signature with "
                 ".set(ignore_result=False).")


def _ignore_source(task: Task, ref: SignatureRef) -> str | None:
    """Where the header task's ``ignore_result=True`` comes from; None when it stores
    its result or when that cannot be known."""
    if ref.ignore_result is not None:
        ok, data = ref.ignore_result.try_plain()
        return "its signature" if ok and data is True else None
    option = task_option(task, "ignore_result", False)
    values = option.values()
    if option.unknown or not values or len(values) != len(option.candidates):
        return None
    if not all(data is True for _, data in values):
        return None
    return "task_ignore_result" if option.source == "config" else f"its {option.source}"


class ChordWithIgnoredResults(Rule):
    """CEL303: a chord needs every header result stored; without them (or without a
    backend that supports chords) the body never runs or the chord cannot start."""

    code = "CEL303"
    needs = (resolve_receivers,)
    blind_on = ("config", "absence")

    def check(self, model: Model) -> Iterator[Finding]:
        links = Links.of(model)
        for path, facts in model.production_modules():
            for chord in sorted(facts.chords, key=lambda c: c.span):
                yield from self._chord(links, path, chord)

    def _chord(self, links: Links, path: str, chord: Chord) -> Iterator[Finding]:
        header = [(ref, links.signature_task(ref)) for ref in chord.header]
        tasks = [task for _, task in header] + [links.signature_task(r) for r in chord.body]
        app = self._app(links, tasks)
        if app is None or app.test_code or may_run_eagerly(app):
            return
        backends = backends_of(app)
        if backends is None or app.config.is_unknown("result_backend"):
            return
        what = _KINDS[chord.kind]
        if not backends and not no_backend(app):
            return
        if not backends:
            yield Finding(self.code, f"{what} in app {app.label!r}, which has no result "
                          "backend: starting it raises NotImplementedError", path, chord.span,
                          hint="Configure a result backend that supports chords (not rpc://).")
            return
        if all(kind == RPC for _, kind in backends):
            yield Finding(self.code, f"{what} in app {app.label!r}, whose rpc:// result "
                          "backend does not support chords (NotImplementedError)", path,
                          chord.span, hint="Use a result backend that supports chords, "
                          "such as Redis or a database.")
            return
        for ref, task in header:
            source = _ignore_source(task, ref) if task is not None else None
            if task is not None and source is not None:
                yield Finding(self.code, f"chord header task {task.label} ignores its result "
                              f"({source}): on non-Redis backends the body never runs",
                              path, ref.span, hint=_IGNORED_HINT)

    def _app(self, links: Links, tasks: list[Task | None]) -> App | None:
        """The app the chord runs in: the one app of its known tasks, else the project's
        only app (Celery's current app); None when its tasks name several apps."""
        apps = {id(t.app): t.app for t in tasks if t is not None and t.app is not None}
        if len(apps) > 1:
            return None
        if apps:
            return next(iter(apps.values()))
        return links.sole_app()
