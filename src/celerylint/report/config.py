"""The ``celerylint config`` output: the target Celery version, then every app's effective
configuration and where each value comes from, as text (`render_text`) or JSON
(`render_json`).

Both formats are rendered from the same plain description of an app (`app_dict`), so
they always say the same thing; the JSON one is that description as is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celerylint.facts.values import jsonable
from celerylint.model.apps import App
from celerylint.model.celery_version import TargetVersion
from celerylint.report import display_path

if TYPE_CHECKING:
    from rich.console import Console

# Whether Celery reads a binding: for every version, none, or only for some versions.
_READ_BY_CELERY = {True: "yes", False: "no", None: "depends on version"}


def render_json(root: Path, apps: Sequence[App], version: TargetVersion) -> str:
    """The JSON document of ``celerylint config --output-format json``, newline-ended."""
    document = {"celery_version": version_dict(version),
                "apps": [app_dict(root, app) for app in apps]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_text(out: Console, root: Path, apps: Sequence[App], version: TargetVersion
                ) -> None:
    """The text of ``celerylint config``, printed on `out` (see `report.text.console`)."""
    described = [app_dict(root, app) for app in apps]
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


def app_dict(root: Path, app: App) -> dict[str, Any]:
    """One app as plain JSON data: where it is created, its config sources, what may be
    unknown, and every binding of every setting, with files relative to the current
    directory."""
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
