"""``celerylint config`` shows, per app, what the whole-project rules read: the task names
it registers, the worker commands that serve it (with the queues each consumes), its beat
schedule, its routes and its queues, in text and JSON alike."""

from __future__ import annotations

from pathlib import Path

from conftest import invoke_celerylint, write_tree

PROJECT = {
    "proj/__init__.py": "",
    "proj/celery.py": '''
from celery import Celery
from celery.schedules import crontab
from kombu import Queue

app = Celery("proj", include=["proj.tasks"])
app.conf.update(
    task_queues=[Queue("default"), Queue("images")],
    task_default_queue="default",
    task_routes={"proj.tasks.resize": {"queue": "images"}},
    beat_schedule={
        "nightly": {"task": "proj.tasks.cleanup", "schedule": crontab(minute=0, hour=3)},
    },
)
''',
    "proj/tasks.py": '''
from proj.celery import app


@app.task
def resize(image_id):
    return image_id


@app.task(name="cleanup-old")
def cleanup():
    return None
''',
    "Procfile": "worker: celery -A proj worker -Q default,images\n"
                "beat: celery -A proj beat\n",
    "Procfile.dev": "worker: celery -A proj worker -B\n",
}


def test_config_json_lists_tasks_workers_beat_routes_and_queues(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", PROJECT)
    run = invoke_celerylint(["config", "--output-format", "json"], project)
    assert run.code == 0, run.stderr
    (app,) = run.json()["apps"]
    assert app["tasks"] == [
        {"name": "proj.tasks.resize", "function": "proj.tasks.resize",
         "file": "proj/tasks.py", "line": 5},
        {"name": "cleanup-old", "function": "proj.tasks.cleanup",
         "file": "proj/tasks.py", "line": 10},
    ]
    # the development Procfile is not a production worker
    assert app["workers"] == [{"app": "proj", "beat": False, "queues": ["default", "images"],
                               "file": "Procfile", "line": 1}]
    assert app["beat_schedule"] == [{"entry": "nightly", "task": "proj.tasks.cleanup",
                                     "schedule": "crontab(minute=0, hour=3)",
                                     "file": "proj/celery.py", "line": 12}]
    assert app["routes"] == {"routers": False, "entries": [
        {"key": "proj.tasks.resize", "value": "{'queue': 'images'}",
         "file": "proj/celery.py", "line": 10}]}
    assert app["queues"] == {"declared": ["default", "images"], "default": ["default"]}


def test_config_text_says_the_same(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", PROJECT)
    run = invoke_celerylint(["config"], project)
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    for expected in (
        "  task proj.tasks.resize  (proj/tasks.py:5)",
        "  task cleanup-old  (proj/tasks.py:10)",
        "  worker consuming default, images  (Procfile:1)",
        "  beat nightly: proj.tasks.cleanup every crontab(minute=0, hour=3)"
        "  (proj/celery.py:12)",
        "  route proj.tasks.resize -> {'queue': 'images'}  (proj/celery.py:10)",
        "  queues: default, images; default: default",
    ):
        assert expected in lines, run.stdout


def test_unknown_routes_and_queues_say_unknown(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", {
        "proj/__init__.py": "",
        "proj/celery.py": '''
from celery import Celery

from proj.routing import route_task, QUEUES

app = Celery("proj")
app.conf.task_routes = route_task
app.conf.task_queues = QUEUES
''',
        "proj/routing.py": "def route_task(name, args, kwargs, options, task=None, **kw):\n"
                           "    return None\n",
    })
    run = invoke_celerylint(["config", "--output-format", "json"], project)
    (app,) = run.json()["apps"]
    # a router function: its answers are unknown, and so is QUEUES (not a literal)
    assert app["routes"] == {"routers": True, "entries": []}
    assert app["queues"] == {"declared": None, "default": ["celery"]}
    lines = invoke_celerylint(["config"], project).stdout.splitlines()
    assert "  routes: a router function decides some routes (unknown)" in lines
    assert "  queues: unknown; default: celery" in lines
