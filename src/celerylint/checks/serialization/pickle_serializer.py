"""CEL101 pickle-serializer: a serializer setting, task option or call option says pickle."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.serialization.pickle import accepts_pickle, pickle_to_json
from celerylint.findings import Finding, Span
from celerylint.model.apps import App
from celerylint.model.build import Model
from celerylint.model.config import Binding, mark_assumed
from celerylint.model.tasks import own_option

# What pickle does to each kind of message, by whether the receiving side accepts it.
_REFUSED = {
    "task_serializer": "workers discard the tasks, which stay PENDING",
    "result_serializer": "every AsyncResult.get() raises ContentDisallowed",
}
_ACCEPTED = {
    "task_serializer": "broker access means code execution in workers",
    "result_serializer": "result backend access means code execution in readers",
}
_EITHER = {
    "task_serializer": "workers discard the tasks, or run code from the broker if pickle is "
                       "accepted",
    "result_serializer": "AsyncResult.get() fails, or runs code from the backend if pickle is "
                         "accepted",
}


def _message(setting: str, accepted: bool | None) -> str:
    head = f"{setting} is 'pickle'"
    if setting == "event_serializer":
        return f"{head}: monitors always accept it, so event publishers can run code in them"
    if accepted:
        return f"{head} and pickle is accepted: {_ACCEPTED[setting]}"
    if accepted is None:
        return f"{head}: {_EITHER[setting]}"
    return f"{head} but pickle is not accepted: {_REFUSED[setting]}"


def _hint(setting: str, accepted: bool | None) -> str:
    if setting == "event_serializer":
        return "Use 'json', Celery's default event serializer."
    if accepted is False:
        return "Use 'json', Celery's default, and pass only values JSON can encode."
    return "Use 'json', and keep pickle out of the accept lists (CEL102)."


def _accept_bindings(app: App, setting: str, accepted: bool | None) -> list[Binding]:
    """The accept-list bindings a message's "accepted or not" rests on (none when it is
    not known, and the message says either)."""
    if accepted is None:
        return []
    config = app.config
    if setting == "result_accept_content" and not config.get(setting):
        setting = "accept_content"
    return config.get(setting)


class PickleSerializer(Rule):
    """CEL101: a serializer setting, task option or call option that says pickle."""

    code = "CEL101"
    blind_on = ("config",)

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        for app in model.production_apps():
            for setting in ("task_serializer", "result_serializer", "event_serializer"):
                accept = "result_accept_content" if setting == "result_serializer" else (
                    "accept_content")
                for binding, data in app.config.known_values(setting):
                    if data == "pickle" and not project.is_test_config(binding.path):
                        accepted = accepts_pickle(app, accept)
                        message, hint = mark_assumed(
                            _message(setting, accepted), _hint(setting, accepted), app.config,
                            [binding, *_accept_bindings(app, accept, accepted)])
                        yield Finding(self.code, message, binding.path, binding.span,
                                      fix=pickle_to_json(project.root, binding.path, binding.span),
                                      hint=hint)
        seen: set[tuple[str, Span]] = set()
        for task in model.production_tasks():
            option = own_option(task, "serializer")
            if option is None or option.unknown:
                continue
            accepted = accepts_pickle(task.app, "accept_content") if task.app else None
            for candidate, data in option.values():
                if data != "pickle" or candidate.span is None:
                    continue
                place = (candidate.path, candidate.span)
                if place in seen:
                    continue
                seen.add(place)
                subject = "the serializer option" if candidate.source == "alias" else (
                    f"task {task.label}'s serializer")
                message = _message("task_serializer", accepted).replace(
                    "task_serializer is", f"{subject} is", 1)
                hint = _hint("task_serializer", accepted)
                if task.app is not None:
                    message, hint = mark_assumed(
                        message, hint, task.app.config,
                        _accept_bindings(task.app, "accept_content", accepted))
                yield Finding(self.code, message, candidate.path, candidate.span,
                              fix=pickle_to_json(project.root, candidate.path, candidate.span),
                              hint=hint)
        yield from self._call_options(model)

    def _call_options(self, model: Model) -> Iterator[Finding]:
        project = model.project
        sole = model.production_apps()
        accepted = accepts_pickle(sole[0], "accept_content") if len(sole) == 1 else None
        for path, facts in model.production_modules():
            for method, key, value, span in facts.call_options:
                if key == "serializer" and value.known and value.data == "pickle":
                    message = _message("task_serializer", accepted).replace(
                        "task_serializer is", f"{method}(serializer=...) is", 1)
                    hint = _hint("task_serializer", accepted)
                    if len(sole) == 1:
                        message, hint = mark_assumed(
                            message, hint, sole[0].config,
                            _accept_bindings(sole[0], "accept_content", accepted))
                    yield Finding(self.code, message, path, span,
                                  fix=pickle_to_json(project.root, path, span),
                                  hint=hint)
