"""Which worker commands serve which app.

A worker command names its app with ``-A``/``--app`` (a module, a package, or
``module:attribute``); Celery imports that module and finds the app in it (or in its
``celery`` submodule). A command without ``-A`` is counted for every app, since the app it
finds (``celery`` module in the working directory, ``CELERY_APP``) cannot be told from the
command alone. Development-only process files (``Procfile.dev``, ``docker-compose.override.yml``)
never count as production workers.
"""

from __future__ import annotations

from celerylint.model.apps import App
from celerylint.model.project import Project
from celerylint.model.workers import WorkerCommand


def worker_serves(command: WorkerCommand, app: App) -> bool:
    """Does a worker command run this app? ``-A`` names the app's module or package;
    a command without ``-A`` counts for every app."""
    if command.app is None:
        return True
    target = command.app.split(":", 1)[0].strip()
    module = app.origin.rsplit(".", 1)[0]
    return module == target or module.startswith(target + ".") or app.origin == target


def production_workers(project: Project, app: App) -> list[WorkerCommand]:
    """The worker commands outside development-only files that serve `app`."""
    return [command for command in project.workers
            if not command.dev_only and worker_serves(command, app)]
