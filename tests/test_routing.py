"""Routing and queues: the routing model (`model.routing`) and the rules built on it,
CEL603 route-unknown-task, CEL604 undeclared-queue, CEL606 routing-option-on-task and
CEL607 queue-without-consumer, on projects spanning several modules, apps and process
files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import findings, invoke_celerylint, locations, model_of, run_celerylint, write_tree

from celerylint.model.build import Model
from celerylint.model.routing import (
    app_routes,
    consumed_queues,
    declared_queues,
    default_consumed,
    may_serve_unknown_app,
)

CODES = "CEL603,CEL604,CEL606,CEL607"
RESIZE = """\
from celery import shared_task


@shared_task
def resize(image_id):
    return image_id
"""


def _check(tmp_path: Path, files: dict[str, str], *args: str) -> list[dict[str, Any]]:
    project = write_tree(tmp_path / "project", files)
    run = invoke_celerylint(["check", "--output-format", "json", "--select", CODES,
                             "--jobs", "1", "--no-cache", *args], project)
    return findings(run)


def _app(model: Model, origin: str = "proj.celery.app") -> Any:
    return next(app for app in model.apps if app.origin == origin)


# --- the model ---------------------------------------------------------------------

def test_routes_of_a_list_with_pairs_a_router_and_dicts(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_routes = (
                [("proj.a.*", {"queue": "a"}), ("proj.b.run", "b")],
                {"proj.c.run": {"routing_key": "c"}},
                "proj.routing:route",
                {"proj.d.run": "d"},
            )
        """,
    })
    routes = app_routes(_app(model))
    assert routes is not None and routes.routers
    seen = [(r.key, r.span.row, r.after_router) for r in routes.entries]
    assert seen == [("proj.a.*", 5, False), ("proj.b.run", 5, False),
                    ("proj.c.run", 6, False), ("proj.d.run", 8, True)]
    queues = [r.queue_value() for r in routes.entries]
    assert [q.data if q is not None else None for q in queues] == ["a", "b", None, "d"]


def test_glob_keys_match_like_fnmatch_where_star_crosses_dots(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_routes = {"proj.*": "a", "proj.tasks.ru?": "b"}
        """,
    })
    routes = app_routes(_app(model))
    assert routes is not None
    star, question = routes.entries
    assert star.glob and star.matches("proj.deep.module.task")
    assert not star.matches("other.proj.task")
    # without ``*`` Celery takes the key as an exact name, ``?`` included
    assert not question.glob and not question.matches("proj.tasks.run")


def test_queues_consumed_by_each_worker_command(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery
            from kombu import Queue

            app = Celery("proj")
            app.conf.task_queues = [Queue("default"), Queue("images"), Queue("mail")]
        """,
        "Procfile": """
            a: celery -A proj worker -Q "images, mail"
            b: celery -A proj worker
            c: celery -A proj worker -X mail
            d: celery -A proj worker --queues=$QUEUES
            e: celery multi start w1 w2 -A proj -Q:w1 images -Q:w2 mail
            f: celery multi start w1 w2 -A proj -Q default -Q:w2 mail
            g: celery -A proj worker -Q default "$@"
        """,
        "Dockerfile": """
            FROM python:3.12
            CMD ["celery", "-A", "proj", "worker", "-Q", "default"]
        """,
        "deploy/celery.service": """
            [Service]
            ExecStart=/bin/sh -c '${CELERY_BIN} -A $CELERY_APP worker -Q default'
        """,
    })
    app = _app(model)
    consumed = {c.row: consumed_queues(c, app) for c in model.project.workers
                if c.path == "Procfile"}
    assert consumed == {
        1: frozenset({"images", "mail"}),
        2: frozenset({"default", "images", "mail"}),
        3: None,
        4: None,
        # per-node lists, plus what a node without a list of its own consumes
        5: frozenset({"default", "images", "mail"}),
        6: frozenset({"default", "mail"}),
        7: None,  # "$@" may add -Q or -X
    }
    by_path = {c.path: c for c in model.project.workers}
    # a Dockerfile command may be given more arguments at run time
    assert consumed_queues(by_path["Dockerfile"], app) is None
    assert may_serve_unknown_app(by_path["deploy/celery.service"])
    assert not may_serve_unknown_app(by_path["Procfile"])


def test_default_consumption_follows_task_default_queue(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            other = Celery("other")
            other.conf.task_default_queue = "jobs"
            dynamic = Celery("dynamic")
            dynamic.conf.task_queues = make_queues()
        """,
    })
    assert default_consumed(_app(model)) == frozenset({"celery"})
    assert default_consumed(_app(model, "proj.celery.other")) == frozenset({"jobs"})
    dynamic = _app(model, "proj.celery.dynamic")
    assert declared_queues(dynamic) is None and default_consumed(dynamic) is None


# --- the rules on a project of two apps ---------------------------------------------

TWO_APPS = {
    "proj/__init__.py": "",
    "proj/celery.py": """\
from celery import Celery
from kombu import Queue

app = Celery("proj", include=["proj.tasks", "proj.images.tasks"])
app.config_from_object("proj.celeryconfig")
""",
    "proj/celeryconfig.py": """\
from kombu import Queue

task_default_queue = "default"
task_create_missing_queues = False
task_queues = [Queue("default"), Queue("images"), Queue("mail")]
task_routes = {
    "proj.images.tasks.*": {"queue": "images"},
    "proj.tasks.send_mail": "mail",
    "proj.tasks.send_mails": "mail",
    "proj.legacy.*": "default",
}
""",
    "proj/tasks.py": """\
from proj.celery import app


@app.task
def send_mail(user_id):
    return user_id


@app.task(queue="reports")
def build_report(report_id):
    return report_id
""",
    "proj/images/__init__.py": "",
    "proj/images/tasks.py": """\
from proj.base import ImageTask
from proj.celery import app


@app.task(base=ImageTask)
def resize(image_id):
    return image_id


@app.task(base=ImageTask)
def crop(image_id):
    return image_id
""",
    "proj/base.py": """\
from celery import Task


class ImageTask(Task):
    priority = 3
""",
    "reports/__init__.py": "",
    "reports/celery.py": """\
from celery import Celery

app = Celery("reports", include=["reports.tasks"])
app.conf.task_routes = {"reports.tasks.render": "render"}
""",
    "reports/tasks.py": """\
from reports.celery import app


@app.task
def render(report_id):
    return report_id
""",
    "Procfile": """\
web: gunicorn proj.wsgi
worker: celery -A proj worker -Q default,images
reports: celery -A reports worker -Q render
""",
    "deploy/mail-worker.service": """\
[Service]
ExecStart=/opt/venv/bin/celery -A proj.celery worker -Q mail
""",
    "Procfile.dev": "worker: celery -A proj worker -Q default,images,mail,reports\n",
}


def test_two_apps_every_rule(tmp_path: Path) -> None:
    found = _check(tmp_path, TWO_APPS)
    assert [(f["code"], f"{f['filename']}:{f['location']['row']}:{f['location']['column']}",
             f["severity"], f["message"]) for f in found] == [
        ("CEL606", "proj/base.py:5:16", "warning",
         "priority=3 inherited from ImageTask: ignored in Celery 6.0, unwarned by 5.7; use "
         "task_routes {'proj.images.tasks.resize': {'priority': 3}, ...}"),
        ("CEL603", "proj/celeryconfig.py:9:30", "warning",
         "task_routes key 'proj.tasks.send_mails' names no task of the project; did you "
         "mean 'proj.tasks.send_mail'?"),
        ("CEL603", "proj/celeryconfig.py:10:22", "warning",
         "task_routes pattern 'proj.legacy.*' matches no task of the project"),
        ("CEL604", "proj/tasks.py:9:17", "error",
         "queue 'reports' (queue= of task proj.tasks.build_report) is not in task_queues: "
         "sending raises QueueNotFound"),
        ("CEL606", "proj/tasks.py:9:17", "warning",
         "queue='reports' on the task: deprecated in Celery 5.7, ignored in 6.0; use "
         "task_routes {'proj.tasks.build_report': {'queue': 'reports'}}"),
        ("CEL607", "proj/tasks.py:9:17", "warning",
         "no worker consumes queue 'reports' (queue= of task proj.tasks.build_report); "
         "worker commands read: Procfile:2, deploy/mail-worker.service:2"),
    ]


def test_a_worker_command_without_app_counts_for_every_app(tmp_path: Path) -> None:
    files = dict(TWO_APPS)
    files["Procfile"] = "worker: celery worker -Q default,images,reports,render\n"
    found = _check(tmp_path, files, "--select", "CEL607")
    assert found == []


def test_queue_reported_once_at_its_first_place(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", include=["proj.tasks"])
""",
        "proj/tasks.py": """\
from proj.celery import app


@app.task
def ping():
    return "pong"


def later():
    ping.apply_async(queue="slow")
""",
        "proj/api/__init__.py": "",
        "proj/api/views.py": """\
from proj.tasks import ping


def view(request):
    ping.apply_async(queue="slow")
    ping.apply_async(queue="celery")
""",
        "Procfile": "worker: celery -A proj worker\n",
    }
    project = write_tree(tmp_path / "project", files)
    run = invoke_celerylint(["check", "--output-format", "json", "--select", "CEL607",
                             "--jobs", "1", "--no-cache"], project)
    assert locations(run) == ["proj/api/views.py:5"]


@pytest.mark.parametrize(("worker", "fires"), [
    ('command: ["celery", "-A", "proj", "worker", "-Q", "default"]', True),
    ('command: ["celery", "-A", "proj", "worker", "-Q", "{{ .Values.queues }}"]', False),
    ('command: celery -A proj worker -Q ${QUEUES:-default}', False),
    ('command: celery -A proj worker -Q default -X images', False),
    ('command: celery -A proj worker -Q default,images', False),
])
def test_worker_queue_forms_in_kubernetes_and_compose(tmp_path: Path, worker: str,
                                                       fires: bool) -> None:
    """The spec's silent examples stay silent because of the queues, not because the
    worker went unseen: the literal form of the same command fires."""
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj")
app.conf.task_default_queue = "default"
app.conf.task_routes = {"proj.tasks.resize": "images"}
""",
        "proj/tasks.py": RESIZE,
        "chart/templates/worker.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: worker
          {worker}
""",
    }
    found = _check(tmp_path, files, "--select", "CEL607")
    assert [f"{f['filename']}:{f['location']['row']}" for f in found] == (
        ["proj/celery.py:5"] if fires else [])


def test_router_function_hides_later_routes_only(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj")
app.conf.task_routes = [
    {"proj.tasks.first": "first"},
    "proj.routing.TenantRouter",
    {"proj.tasks.later": "later"},
]
""",
        "proj/tasks.py": """\
from celery import shared_task


@shared_task
def first():
    return 1


@shared_task
def later():
    return 2
""",
        "Procfile": "worker: celery -A proj worker\n",
    }
    found = _check(tmp_path, files, "--select", "CEL607")
    assert [(f["location"]["row"], f["message"].split(";")[0]) for f in found] == [
        (5, "no worker consumes queue 'first' (task_routes entry 'proj.tasks.first')")]


@pytest.mark.parametrize(("version", "severity"), [
    ("5.7", "warning"), ("5.6", "note"), (None, "warning")])
def test_routing_option_severity_follows_the_target_version(
        tmp_path: Path, version: str | None, severity: str) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/tasks.py": """\
from celery import shared_task

mail_task = shared_task(queue="mail", acks_late=True)


@mail_task
def send(user_id):
    return user_id
""",
    }
    args = ["--celery-version", version] if version else []
    found = _check(tmp_path, files, "--select", "CEL606", *args)
    assert [(f["location"]["row"], f["severity"], f["message"]) for f in found] == [
        (3, severity, "queue='mail' set by decorator mail_task: deprecated in Celery 5.7, "
                      "ignored in 6.0; use task_routes {'proj.tasks.send': {'queue': 'mail'}}")]


def test_class_task_own_attribute_and_inherited_one(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": """\
from celery import Celery

app = Celery("proj", include=["proj.tasks"])
""",
        "proj/tasks.py": """\
from celery import Task


class Routed(Task):
    routing_key = "jobs.run"


class Job(Routed):
    queue = "jobs"

    def run(self, job_id):
        return job_id
""",
    }
    found = _check(tmp_path, files, "--select", "CEL606")
    assert [(f["location"]["row"], f["message"].split(";")[0]) for f in found] == [
        (5, "routing_key='jobs.run' inherited from Routed: ignored in Celery 6.0, unwarned "
            "by 5.7"),
        (9, "queue='jobs' on the task: deprecated in Celery 5.7, ignored in 6.0"),
    ]


def test_long_task_names_keep_the_message_within_the_limit(tmp_path: Path) -> None:
    module = "proj/" + "/".join(["deeply_nested_package"] * 4)
    files = {"proj/__init__.py": ""}
    for depth in range(1, 5):
        files[f"proj/{'/'.join(['deeply_nested_package'] * depth)}/__init__.py"] = ""
    files[f"{module}/tasks.py"] = """\
from celery import shared_task


@shared_task(queue="a_queue_with_a_rather_long_descriptive_name")
def a_task_with_a_long_name_that_describes_everything_it_does(x):
    return x
"""
    found = _check(tmp_path, files, "--select", "CEL606")
    assert [f["message"] for f in found] == [
        "queue='a_queue_with_a_rather_long_descriptive_name' on the task: deprecated in "
        "Celery 5.7, ignored in 6.0; use task_routes"]


def test_installed_command_reports_the_same(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", TWO_APPS)
    run = run_celerylint(["check", "--output-format", "json", "--select", CODES,
                          "--no-cache"], project)
    assert locations(run) == [
        "proj/base.py:5", "proj/celeryconfig.py:9", "proj/celeryconfig.py:10",
        "proj/tasks.py:9", "proj/tasks.py:9", "proj/tasks.py:9"]
