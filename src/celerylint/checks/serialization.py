"""CEL1: serialization and security."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks import Model
from celerylint.facts.values import Value
from celerylint.findings import Finding, Span
from celerylint.fixes.builders import PICKLE, drop_pickle, pickle_to_json
from celerylint.model.apps import App
from celerylint.model.config import Binding
from celerylint.model.tasks import own_option

PICKLE_NAMES = PICKLE


def accepts_pickle(app: App, setting: str) -> bool | None:
    """Does an accept list admit pickle? None when it cannot be known.

    `result_accept_content` falls back to `accept_content` when unset, as in Celery.
    """
    config = app.config
    if setting == "result_accept_content" and not config.get(setting):
        setting = "accept_content"
    if config.is_unknown(setting):
        return None
    bindings = config.get(setting)
    if not bindings:
        return False
    for binding in bindings:
        if _pickle_entries(binding.value):
            return True
    return False


def _pickle_entries(value: Value) -> list[Value]:
    if not value.known or not isinstance(value.data, tuple):
        return []
    return [v for v in value.data if v.known and v.data in PICKLE_NAMES]


_HARM = {
    "task_serializer": (
        "workers discard every task message sent this way (\"Refusing to deserialize untrusted "
        "content of type pickle\") and the tasks stay PENDING"
    ),
    "result_serializer": (
        "every AsyncResult.get() raises ContentDisallowed, because result_accept_content "
        "(or accept_content) does not accept pickle"
    ),
}


_HOLE = {
    "task_serializer": ("anyone who can publish to the broker can make workers unpickle a "
                        "payload, which runs arbitrary code"),
    "result_serializer": ("anyone who can write to the result backend can make every client "
                          "that reads a result unpickle a payload, which runs arbitrary code"),
}


def _message(setting: str, accepted: bool | None) -> str:
    head = f"{setting} is 'pickle'"
    if setting == "event_serializer":
        return (f"{head}: event consumers (flower, `celery events`) accept the event serializer "
                "whatever accept_content says, so anyone who can publish events makes every "
                "monitor unpickle them, which runs arbitrary code; use 'json'")
    if accepted:
        return f"{head} and pickle is accepted: {_HOLE[setting]} (CEL102); use 'json'"
    if accepted is None:
        return (f"{head}: if pickle is not accepted, {_HARM[setting]}; if it is, "
                f"{_HOLE[setting]}; use 'json'")
    return f"{head} while pickle is not accepted: {_HARM[setting]}; use 'json'"


class PickleSerializer:
    """CEL101: a serializer setting, task option or call option that says pickle."""

    code = "CEL101"

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        for app in model.production_apps():
            for setting in ("task_serializer", "result_serializer", "event_serializer"):
                accept = "result_accept_content" if setting == "result_serializer" else (
                    "accept_content")
                for binding, data in app.config.known_values(setting):
                    if data == "pickle" and not project.is_test_config(binding.path):
                        yield Finding(self.code, _message(setting, accepts_pickle(app, accept)),
                                      binding.path, binding.span,
                                      fix=pickle_to_json(project.root, binding.path, binding.span))
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
                yield Finding(self.code, message, candidate.path, candidate.span,
                              fix=pickle_to_json(project.root, candidate.path, candidate.span))
        yield from self._call_options(model)

    def _call_options(self, model: Model) -> Iterator[Finding]:
        project = model.project
        sole = model.production_apps()
        accepted = accepts_pickle(sole[0], "accept_content") if len(sole) == 1 else None
        for path in sorted(project.modules):
            if project.is_test_path(path):
                continue
            for method, key, value, span in project.modules[path].call_options:
                if key == "serializer" and value.known and value.data == "pickle":
                    message = _message("task_serializer", accepted).replace(
                        "task_serializer is", f"{method}(serializer=...) is", 1)
                    yield Finding(self.code, message, path, span,
                                  fix=pickle_to_json(project.root, path, span))


class PickleAccepted:
    """CEL102: accept_content / result_accept_content admits pickle."""

    code = "CEL102"

    def check(self, model: Model) -> Iterator[Finding]:
        project = model.project
        for app in model.production_apps():
            for setting in ("accept_content", "result_accept_content"):
                for binding in app.config.certain(setting):
                    if project.is_test_config(binding.path):
                        continue
                    for entry in _pickle_entries(binding.value):
                        yield self._finding(model, setting, binding, entry)

    def _finding(self, model: Model, setting: str, binding: Binding, entry: Value) -> Finding:
        who = "workers" if setting == "accept_content" else "clients reading results"
        message = (f"{setting} accepts {entry.data!r}: {who} will unpickle any message that "
                   "reaches them, and unpickling runs arbitrary code, so anyone who can write "
                   "to the broker (or result backend) can execute code; accept only 'json' (or "
                   "sign messages with the 'auth' serializer)")
        span = entry.span or binding.span
        return Finding(self.code, message, binding.path, span,
                       fix=drop_pickle(model.project.root, binding.path, span))
