"""The real-project patterns of the model, checked one file at a time.

Each project below is written from a pattern seen in real Celery code (an app made by a
factory, a Celery subclass configuring itself or wrapping ``self.task``, settings copied
from a class, Django settings kept out of the tree with an example beside them, task
decorators made by plain aliases and wrappers, scripts in a folder no worker imports, an
increment three helpers below a task, a model instance sent with the pickle
serializer). None has a pyproject.toml: the project root comes from ``setup.cfg`` or
``manage.py``, options from ``celerylint.toml``. For each, the findings in
one file are the same whether ``celerylint check .`` runs from the root, ``celerylint
check FILE`` runs from a subfolder, or the real flake8 checks that single file from the
root or from a subfolder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import findings, invoke_celerylint, write_tree

Quad = tuple[str, int, int, str]

CELERY_SETUP = {"setup.cfg": "[metadata]\nname = proj\n", "proj/__init__.py": ""}

PATTERNS: dict[str, tuple[dict[str, str], str, set[tuple[int, str]]]] = {
    "factory": ({
        **CELERY_SETUP,
        "proj/celery.py": """
            from celery import Celery


            def create_app():
                app = Celery("proj")
                app.conf.task_serializer = "pickle"
                return app


            app = create_app()
        """,
        "proj/tasks.py": """
            from proj.celery import app


            @app.task(time_limit=30)
            def ping():
                return "pong"
        """,
    }, "proj/celery.py", {(6, "CEL101")}),
    "subclass": ({
        **CELERY_SETUP,
        "proj/celery.py": """
            from celery import Celery


            class ProjCelery(Celery):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf.task_serializer = "pickle"


            app = ProjCelery("proj")
        """,
        "proj/tasks.py": """
            from proj.celery import app


            @app.task(time_limit=30)
            def ping():
                return "pong"
        """,
    }, "proj/celery.py", {(7, "CEL101")}),
    "assumed-settings": ({
        "manage.py": """
            import os

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
        """,
        "site/__init__.py": "",
        "site/settings_example.py": """
            CELERY_BROKER_URL = "redis://localhost:6379/0"
            CELERY_ACCEPT_CONTENT = ["json", "pickle"]
        """,
        "site/celery.py": """
            from celery import Celery

            app = Celery("site")
            app.config_from_object("django.conf:settings", namespace="CELERY")
        """,
    }, "site/settings_example.py", {(2, "CEL102")}),
    "decorator-aliases": ({
        **CELERY_SETUP,
        "celerylint.toml": 'extend-select = ["CEL211"]\n',
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj", include=["proj.jobs.tasks"])
        """,
        "proj/decorators.py": """
            from celery import shared_task

            background = shared_task


            def retried(**options):
                def decorate(f):
                    return shared_task(autoretry_for=(OSError,), **options)(f)
                return decorate
        """,
        "proj/jobs/__init__.py": "",
        "proj/jobs/tasks.py": """
            from proj.decorators import background, retried


            @background
            def unbounded():
                pass


            @retried(time_limit=30)
            def bounded():
                pass


            @retried()
            def unbounded_too():
                pass
        """,
    }, "proj/jobs/tasks.py", {(4, "CEL211"), (14, "CEL211")}),
    "settings-class": ({
        **CELERY_SETUP,
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.celeryconfig")
        """,
        "proj/celeryconfig.py": """
            class Settings:
                task_serializer = "pickle"
                task_time_limit = 300


            Settings.load_settings(__name__)
        """,
    }, "proj/celeryconfig.py", {(2, "CEL101")}),
    "subclass-task-method": ({
        **CELERY_SETUP,
        "celerylint.toml": 'extend-select = ["CEL211"]\n',
        "proj/celery.py": """
            from celery import Celery


            class ProjCelery(Celery):
                def periodic_task(self, *args, **options):
                    return self.task(*args, **options)


            app = ProjCelery("proj", include=["proj.jobs"])
        """,
        "proj/jobs.py": """
            from proj.celery import app


            @app.periodic_task(run_every=60)
            def tick():
                pass


            @app.periodic_task(run_every=60, time_limit=30)
            def tock():
                pass
        """,
    }, "proj/jobs.py", {(4, "CEL211")}),
    "helper-chain": ({
        **CELERY_SETUP,
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_time_limit = 300
        """,
        "proj/tasks.py": """
            from proj.celery import app
            from proj.services import deliver


            @app.task
            def send(message_id):
                deliver(message_id)
        """,
        "proj/services.py": """
            from proj.inbox import record


            def deliver(message_id):
                record(message_id)
        """,
        "proj/inbox.py": """
            from proj.badges import notify


            def record(message_id):
                notify(message_id)
        """,
        "proj/badges.py": """
            from proj.models import Inbox


            def notify(message_id):
                inbox = Inbox.objects.get(pk=message_id)
                inbox.unread += 1
                inbox.save()
        """,
    }, "proj/badges.py", {(6, "CEL501")}),
    "orm-argument-pickle": ({
        **CELERY_SETUP,
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj", task_serializer="pickle", accept_content=["json"])
            app.conf.task_time_limit = 300
        """,
        "proj/tasks.py": """
            from proj.celery import app


            @app.task
            def ship(order):
                return order
        """,
        "proj/views.py": """
            from proj.models import Order
            from proj.tasks import ship


            def checkout(request, pk):
                order = Order.objects.get(pk=pk)
                ship.delay(order)
        """,
    }, "proj/views.py", {(7, "CEL401")}),
    "scripts-folder": ({
        **CELERY_SETUP,
        "celerylint.toml": 'extend-select = ["CEL211"]\n',
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_time_limit = 300
        """,
        "my-scripts/one_off.py": """
            from celery import shared_task


            @shared_task
            def not_a_worker_task():
                pass
        """,
    }, "my-scripts/one_off.py", set()),
}


def _project(tmp_path: Path, name: str) -> Path:
    files, _, _ = PATTERNS[name]
    return write_tree(tmp_path / "repo",
                      {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()})


def _cli(cwd: Path, target: str, root: Path) -> set[Quad]:
    run = invoke_celerylint(["check", "--output-format", "json", "--no-cache", target], cwd)
    return {((cwd / f["filename"]).resolve().relative_to(root).as_posix(),
             f["location"]["row"], f["location"]["column"], f["code"]) for f in findings(run)}


def _flake8(cwd: Path, target: str, root: Path) -> set[Quad]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CEL", "--format",
         "%(path)s|%(row)d|%(col)d|%(code)s", target],
        cwd=cwd, capture_output=True, text=True, check=False, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    quads = set()
    for line in done.stdout.splitlines():
        path, row, col, code = line.split("|")
        quads.add(((cwd / path).resolve().relative_to(root).as_posix(), int(row), int(col),
                   code))
    return quads


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_one_file_gets_the_same_findings_from_every_entry_point(name: str,
                                                                tmp_path: Path) -> None:
    root = _project(tmp_path, name).resolve()
    _, target, expected = PATTERNS[name]
    whole = {q for q in _cli(root, ".", root) if q[0] == target}
    assert {(row, code) for _, row, _, code in whole} == expected
    subfolder = root / Path(target).parent
    relative = Path(target).name
    assert _cli(subfolder, relative, root) == whole
    assert _cli(root, target, root) == whole
    assert _flake8(root, target, root) == whole
    assert _flake8(subfolder, relative, root) == whole
