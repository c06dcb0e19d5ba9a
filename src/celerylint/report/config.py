"""The ``celerylint config`` output: the target Celery version, then every app's effective
configuration and where each value comes from, and what the whole-project rules read of
it: the task names the app registers, the worker commands that serve it, its beat
schedule, routes and queues. As text (`render_text`) or JSON (`render_json`).

Both formats are rendered from the same plain description of an app (`app_dict`), so
they always say the same thing; the JSON one is that description as is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celerylint.facts.values import Value, jsonable
from celerylint.model.apps import App
from celerylint.model.beat import beat_entries
from celerylint.model.build import Model
from celerylint.model.celery_version import TargetVersion
from celerylint.model.routing import app_routes, consumed_queues, declared_queues, default_queues
from celerylint.model.serving import production_workers
from celerylint.report import display_path

if TYPE_CHECKING:
    from rich.console import Console

# Whether Celery reads a binding: for every version, none, or only for some versions.
_READ_BY_CELERY = {True: "yes", False: "no", None: "depends on version"}


def render_json(root: Path, model: Model, version: TargetVersion) -> str:
    """The JSON document of ``celerylint config --output-format json``, newline-ended."""
    document = {"celery_version": version_dict(version),
                "apps": [app_dict(root, app, model) for app in model.apps]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_text(out: Console, root: Path, model: Model, version: TargetVersion) -> None:
    """The text of ``celerylint config``, printed on `out` (see `report.text.console`)."""
    described = [app_dict(root, app, model) for app in model.apps]
    out.print(f"target Celery version: {version_text(version)}")
    if not described:
        out.print("no Celery app found")
    for app in described:
        _print_app(out, app)


def version_text(version: TargetVersion) -> str:
    """``5.4 (requirements.txt:3 (celery>=5.4))``, or ``unknown``."""
    if version.version is None:
        return "unknown"
    return f"{version.version[0]}.{version.version[1]} ({version.source})"


def version_dict(version: TargetVersion) -> dict[str, Any]:
    """The target version as JSON: ``{"version": "5.4" or None, "source": ...}``."""
    if version.version is None:
        return {"version": None, "source": version.source}
    return {"version": f"{version.version[0]}.{version.version[1]}", "source": version.source}


def app_dict(root: Path, app: App, model: Model) -> dict[str, Any]:
    """One app as plain JSON data: where it is created, its config sources, what may be
    unknown, every binding of every setting, and what the whole-project rules read (see
    `_served`), with files relative to the current directory."""
    config = app.config
    settings = {}
    for name in sorted(config.bindings):
        values = []
        for binding in config.bindings[name]:
            ok, data = binding.value.try_plain()
            values.append({
                "value": jsonable(data) if ok else None,
                "known": ok,
                "display": binding.value.display(),
                "key": binding.key,
                "file": display_path(root, binding.path),
                "line": binding.span.row,
                "conditional": binding.conditional,
                "read_by_celery": _READ_BY_CELERY[binding.effective],
            })
        settings[name] = values
    return {
        "app": app.label,
        "file": display_path(root, app.path),
        "line": app.span.row,
        "namespace": config.namespace,
        "sources": [{"target": t, "file": display_path(root, p), "line": s.row}
                    for t, p, s in config.sources],
        "unknown": {"all": config.open_reason or None, "settings": sorted(config.unknown)},
        "settings": settings,
        **_served(root, app, model),
    }


def _place(root: Path, path: str, row: int) -> dict[str, Any]:
    return {"file": display_path(root, path), "line": row}


def _shown(value: Value | None) -> str | None:
    return None if value is None else value.display()


def _served(root: Path, app: App, model: Model) -> dict[str, Any]:
    """The task names the app registers, the production worker commands that serve it
    (with the queues each consumes, None when unknown), its beat entries, its literal
    routes (None when ``task_routes`` is unknown) and its queues."""
    tasks = [{"name": task.name, "function": f"{task.module}.{task.function}",
              **_place(root, task.path, task.span.row)}
             for task in model.tasks if task.app is app]
    workers = []
    for command in production_workers(model.project, app):
        queues = consumed_queues(command, app)
        workers.append({"app": command.app, "beat": command.beat,
                        "queues": sorted(queues) if queues is not None else None,
                        **_place(root, command.path, command.row)})
    beat = [{"entry": entry.key, "task": entry.task_name or entry.task_origin or None,
             "schedule": _shown(entry.schedule), **_place(root, entry.path, entry.span.row)}
            for entry in beat_entries(model.project, app)]
    routes = app_routes(app)
    declared = declared_queues(app)
    default = default_queues(app)
    return {
        "tasks": tasks,
        "workers": workers,
        "beat_schedule": beat,
        "routes": None if routes is None else {
            "routers": routes.routers,
            "entries": [{"key": r.key, "value": r.value.display(), **_place(root, r.path,
                                                                              r.span.row)}
                        for r in routes.entries]},
        "queues": {"declared": sorted(declared) if declared is not None else None,
                   "default": sorted(default) if default is not None else None},
    }


def _print_app(out: Console, app: dict[str, Any]) -> None:
    out.print()
    namespace = f", namespace {app['namespace']!r}" if app["namespace"] else ""
    out.print(f"app {app['app']!r} ({app['file']}:{app['line']}){namespace}")
    for source in app["sources"]:
        out.print(f"  config source: {source['target']} ({source['file']}:{source['line']})")
    if app["unknown"]["all"]:
        out.print(f"  any setting may be unknown: {app['unknown']['all']}")
    for name in app["unknown"]["settings"]:
        out.print(f"  {name} = unknown (changed at run time)")
    for name, values in app["settings"].items():
        for value in values:
            flags = []
            if value["conditional"]:
                flags.append("conditional")
            if value["read_by_celery"] != "yes":
                flags.append(f"read by Celery: {value['read_by_celery']}")
            extra = f" [{', '.join(flags)}]" if flags else ""
            out.print(f"  {name} = {value['display']}  ({value['file']}:{value['line']}"
                      f" {value['key']}){extra}")
    _print_served(out, app)


def _print_served(out: Console, app: dict[str, Any]) -> None:
    """The task names, workers, beat entries, routes and queues of one described app."""
    for task in app["tasks"]:
        name = task["name"] or f"unknown name ({task['function']})"
        out.print(f"  task {name}  ({task['file']}:{task['line']})")
    for worker in app["workers"]:
        queues = ", ".join(worker["queues"]) if worker["queues"] is not None else "unknown"
        beat = ", embeds beat" if worker["beat"] else ""
        out.print(f"  worker consuming {queues}{beat}  ({worker['file']}:{worker['line']})")
    for entry in app["beat_schedule"]:
        out.print(f"  beat {entry['entry'] or '(unnamed)'}: {entry['task'] or 'unknown task'}"
                  f" every {entry['schedule'] or 'unknown schedule'}"
                  f"  ({entry['file']}:{entry['line']})")
    routes = app["routes"]
    if routes is None:
        out.print("  routes: unknown")
    else:
        for route in routes["entries"]:
            out.print(f"  route {route['key']} -> {route['value']}"
                      f"  ({route['file']}:{route['line']})")
        if routes["routers"]:
            out.print("  routes: a router function decides some routes (unknown)")
    queues = app["queues"]
    declared = queues["declared"]
    out.print("  queues: " + ("unknown" if declared is None else ", ".join(declared) or
                              "none declared (created on demand)")
              + "; default: " + (", ".join(queues["default"]) if queues["default"] is not None
                                 else "unknown"))
