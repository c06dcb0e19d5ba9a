"""CEL103, CEL104, CEL202, CEL204, CEL210 and CEL605 on projects spread over several
modules, apps and process files; plus how a finding in a non-Python process file meets
``# noqa`` and the SARIF report.

The expected findings were worked out by hand from CATALOG.md and CELERY_FACTS.md.
"""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    Run,
    check_selected,
    findings,
    invoke_celerylint,
    locations,
    run_celerylint,
    summary,
    write_tree,
)

from celerylint.facts.values import Evaluator
from celerylint.findings import Span

CODES = "CEL103,CEL104,CEL202,CEL204,CEL210,CEL605"


def check(root: Path, files: dict[str, str], *args: str) -> Run:
    return check_selected(root, files, CODES, *args)


# --- two apps, a Django settings package and process files ----------------------------

TWO_APPS = {
    "shop/__init__.py": "",
    "shop/celery.py": '''
        import os

        from celery import Celery

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.production")

        app = Celery("shop")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks()
    ''',
    "shop/settings/__init__.py": "",
    "shop/settings/base.py": '''
        import os

        CELERY_BROKER_URL = os.environ.get("BROKER_URL", "amqp://shop:Kq82ndPz@mq.internal//")
        CELERY_TASK_ACKS_LATE = True
        CELERY_TASK_SOFT_TIME_LIMIT = 60 * 60 * 3
        CELERY_TASK_TIME_LIMIT = 60 * 60 * 3 - 5 * 60
    ''',
    "shop/settings/production.py": '''
        from .base import *  # noqa: F403

        CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": None}
    ''',
    "orders/__init__.py": "",
    "orders/tasks.py": '''
        from celery import shared_task


        @shared_task(soft_time_limit=100, time_limit=100)
        def confirm(order_id):
            return order_id
    ''',
    "billing/__init__.py": "",
    "billing/celery.py": '''
        from celery import Celery

        app = Celery("billing", broker="rediss://cache.internal:6380/0",
                     include=["billing.tasks"])
        app.conf.worker_pool = "threads"
    ''',
    "billing/tasks.py": '''
        from billing.celery import app


        @app.task(time_limit=30, acks_late=True)
        def charge(invoice_id):
            return invoice_id
    ''',
    "Procfile": '''
        web: gunicorn shop.wsgi
        worker: celery -A shop worker -B -P solo --loglevel=info
        billing: celery -A billing worker --concurrency 2
    ''',
    "docker-compose.override.yml": '''
        services:
          worker:
            command: celery -A billing worker -B -P eventlet
    ''',
}


def test_two_apps_every_finding_in_place(tmp_path: Path) -> None:
    run = check(tmp_path, TWO_APPS)
    assert summary(run) == [
        ("Procfile:2:9", "CEL210", "warning",
         "the solo pool enforces no time limits, but task_time_limit sets one"),
        ("Procfile:2:9", "CEL605", "warning",
         "celery worker runs beat embedded (-B): every copy of this worker sends each "
         "periodic task"),
        ("billing/celery.py:3:7", "CEL204", "note",
         "late acks (1 task) with worker_prefetch_multiplier unset (default 4): reserved "
         "messages wait behind long tasks"),
        ("billing/celery.py:3:32", "CEL104", "error",
         "rediss:// broker URL without ssl_cert_reqs or broker_use_ssl: kombu then skips "
         "certificate checks"),
        ("billing/celery.py:5:24", "CEL210", "warning",
         "the threads pool enforces no time limits, but task billing.tasks.charge sets one"),
        ("orders/tasks.py:4:30", "CEL202", "warning",
         "soft_time_limit 100 is not below time_limit 100: the soft limit of task "
         "orders.tasks.confirm never fires"),
        ("shop/settings/base.py:3:21", "CEL103", "error",
         "the default of an env lookup for CELERY_BROKER_URL holds a literal password "
         "(amqp://shop:****@mq.internal)"),
        ("shop/settings/base.py:4:25", "CEL204", "note",
         "late acks (task_acks_late) with worker_prefetch_multiplier unset (default 4): reserved "
         "messages wait behind long tasks"),
        ("shop/settings/base.py:5:31", "CEL202", "error",
         "task_soft_time_limit 10800 is not below task_time_limit 10500: every call of every "
         "task of app 'shop' raises ValueError (Celery 5.5+)"),
        ("shop/settings/production.py:3:43", "CEL104", "error",
         "broker_use_ssl sets ssl_cert_reqs to None: the broker's certificate is not "
         "verified"),
    ]


def test_the_password_is_never_printed(tmp_path: Path) -> None:
    run = check(tmp_path, TWO_APPS)
    assert "Kq82ndPz" not in run.stdout
    text = invoke_celerylint(["check", "--no-cache", "--jobs", "1", "--select", "CEL103",
                              "--output-format", "sarif"], tmp_path)
    assert "Kq82ndPz" not in json.dumps(json.loads(text.stdout)["runs"][0]["results"])


def test_worker_pool_in_config_is_judged_only_where_a_command_uses_it(tmp_path: Path) -> None:
    files = dict(TWO_APPS)
    files["Procfile"] = '''
        worker: celery -A shop worker --loglevel=info
        billing: celery -A billing worker -Q billing -P prefork
    '''
    run = check(tmp_path, files)
    assert [place for place, code, *_ in summary(run) if code == "CEL210"] == []


def test_task_limits_do_not_count_for_a_worker_of_its_own_queues(tmp_path: Path) -> None:
    files = dict(TWO_APPS)
    files["Procfile"] = '''
        billing: celery -A billing worker -Q billing
    '''
    assert [place for place, code, *_ in summary(check(tmp_path, files)) if code == "CEL210"
            ] == []
    files["billing/celery.py"] = files["billing/celery.py"].replace(
        "app.conf.worker_pool", "app.conf.task_time_limit = 60\n        app.conf.worker_pool")
    assert [(place, message) for place, code, _, message in summary(check(tmp_path, files))
            if code == "CEL210"] == [
        ("billing/celery.py:6:24", "the threads pool enforces no time limits, but "
         "task_time_limit sets one")]


def test_gevent_soft_limit_per_task(tmp_path: Path) -> None:
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery

            app = Celery("proj", broker="redis://localhost:6379/0", include=["proj.tasks"])
        ''',
        "proj/tasks.py": '''
            from proj.celery import app


            @app.task(time_limit=60)
            def bounded():
                return None


            @app.task(soft_time_limit=30)
            def soft_only():
                return None
        ''',
        "deploy/worker.service": '''
            [Service]
            ExecStart=/srv/venv/bin/celery -A proj worker -P gevent -c 500
        ''',
    })
    assert summary(run) == [
        ("deploy/worker.service:2:11", "CEL210", "warning",
         "the gevent pool enforces no soft time limit, and task proj.tasks.soft_only sets no "
         "hard one"),
    ]


def test_global_soft_limit_against_a_task_hard_limit(tmp_path: Path) -> None:
    """The call-time check compares the values the task ends up with, so a global soft
    limit above one task's own hard limit breaks that task only."""
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery

            app = Celery("proj", broker="redis://localhost:6379/0", include=["proj.tasks"])
            app.conf.update(task_soft_time_limit=600, task_time_limit=900)
        ''',
        "proj/tasks.py": '''
            from proj.celery import app

            quick = app.task(time_limit=120)


            @quick
            def ping():
                return None


            @quick
            def pong():
                return None


            @app.task(time_limit=0)
            def uses_global():
                return None
        ''',
    })
    assert summary(run) == [
        ("proj/tasks.py:3:29", "CEL202", "error",
         "soft_time_limit 600 is not below time_limit 120: every call of its tasks raises "
         "ValueError (Celery 5.5+)"),
    ]


@pytest.mark.parametrize(("use_ssl", "fires"), [
    ("False", True), ("None", True), ("True", False), ('{"ssl_ca_certs": "/etc/ca.pem"}', False),
    ("os.environ.get('BROKER_SSL')", False),
])
def test_rediss_broker_and_broker_use_ssl(tmp_path: Path, use_ssl: str, fires: bool) -> None:
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": f'''
            import os

            from celery import Celery

            app = Celery("proj", broker="rediss://cache.example.com:6380/0")
            app.conf.broker_use_ssl = {use_ssl}
        ''',
    })
    assert locations(run) == (["proj/celery.py:5"] if fires else [])


def test_format_and_fstring_urls(tmp_path: Path) -> None:
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            import os

            from celery import Celery

            PASSWORD = os.environ["REDIS_PASSWORD"]
            app = Celery("proj")
            app.conf.broker_url = "redis://:{}@cache:6379/0".format(PASSWORD)
            app.conf.result_backend = "redis://:{pw}@cache:6379/1".format(pw="plain-text")
            app.conf.broker_read_url = f"redis://:literal@cache:6379/0"
        ''',
    })
    assert locations(run) == ["proj/celery.py:8"]


@pytest.mark.parametrize("args", [(), ("--celery-version", "5.4")])
def test_soft_above_hard_before_and_after_5_5(tmp_path: Path, args: tuple[str, ...]) -> None:
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/tasks.py": '''
            from celery import shared_task


            @shared_task(soft_time_limit=90, time_limit=60)
            def resize(image_id):
                return image_id
        ''',
    }, *args)
    expected = "warning" if args else "error"
    assert [(place, severity) for place, _, severity, _ in summary(run)] == [
        ("proj/tasks.py:4:30", expected)]


# --- CEL605 in process files: noqa and reports -----------------------------------------

PROCFILE = {
    "Procfile": '''
        worker: celery -A proj worker -B --loglevel=info  # noqa: CEL605
        other: celery -A proj worker -B --concurrency=2
    ''',
}


def test_noqa_on_a_procfile_line(tmp_path: Path) -> None:
    run = check(tmp_path, PROCFILE)
    assert locations(run) == ["Procfile:2"]


def test_sarif_for_a_procfile_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {name: textwrap.dedent(text).lstrip("\n")
                          for name, text in PROCFILE.items()})
    run = run_celerylint(["check", "--no-cache", "--select", "CEL605", "--output-format",
                          "sarif"], tmp_path)
    assert run.code == 1, run.stderr
    results: list[dict[str, Any]] = json.loads(run.stdout)["runs"][0]["results"]
    assert len(results) == 1
    result = results[0]
    assert result["ruleId"] == "CEL605"
    assert result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "Procfile", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2, "startColumn": 8, "endLine": 2, "endColumn": 48},
    }


def test_continued_command_lands_on_its_first_line(tmp_path: Path) -> None:
    run = check(tmp_path, {
        "docker/start-worker.sh": '''
            #!/bin/sh
            set -e
            # celery -A proj worker -B   (the old way)
            exec celery -A proj worker \\
                --concurrency 4 \\
                -B
        ''',
    })
    assert [(f["location"], f["end_location"]) for f in findings(run)] == [
        ({"row": 4, "column": 6}, {"row": 6, "column": 7})]


# --- the evaluator folds str.format with literal parts (CEL103's TRAPS entry) ----------

@pytest.mark.parametrize(("source", "known", "data"), [
    ('"redis://:{}@h/0".format("pw")', True, "redis://:pw@h/0"),
    ('"redis://{0}:{1}@h/0".format("u", 5)', True, "redis://u:5@h/0"),
    ('"redis://:{pw}@h/0".format(pw="x")', True, "redis://:x@h/0"),
    ('"{{literal}}{}".format("x")', True, "{literal}x"),
    ('"redis://:{}@h/0".format(password)', False, None),
    ('"{:>999999999}".format("x")', False, None),  # a width would build a huge string
    ('"{0.real}".format(1)', False, None),
    ('"{!r}".format("x")', False, None),
    ('"{}{}".format("only one")', False, None),
    ('"{}".format(*parts)', False, None),
    ('template.format("x")', False, None),
])
def test_str_format_folding(source: str, known: bool, data: object) -> None:
    evaluator = Evaluator(lambda node: Span(1, 0, 1, 0), lambda name: None, lambda node: None)
    value = evaluator.eval(ast.parse(source, mode="eval").body)
    assert (value.known, value.data) == (known, data)


def test_none_on_a_task_class_is_filled_from_the_setting(tmp_path: Path) -> None:
    """`soft_time_limit = None` on a class is replaced by task_soft_time_limit when the
    task is bound, so the call-time check compares the global soft limit."""
    run = check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery

            app = Celery("proj", broker="redis://localhost:6379/0", include=["proj.tasks"])
            app.conf.task_soft_time_limit = 600
        ''',
        "proj/tasks.py": '''
            from celery import Task

            from proj.celery import app


            class Quick(Task):
                soft_time_limit = None
                time_limit = 60


            @app.task(base=Quick)
            def ping():
                return None
        ''',
    })
    assert [(place, severity) for place, _, severity, _ in summary(run)] == [
        ("proj/tasks.py:8:18", "error")]
