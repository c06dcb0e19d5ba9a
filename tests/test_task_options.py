"""Task-option rules across modules (CEL205-CEL208, CEL212, CEL213): options that come
from decorator aliases, base classes in other modules, ``task_annotations`` and the app's
settings, exact locations and messages, fixes, and the facts they rest on."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import findings, invoke_celerylint, locations, run_celerylint, write_tree

from celerylint.checks.reliability.invalid_rate_limit import rate_error
from celerylint.checks.reliability.unknown_task_option import closest

CODES = "CEL205,CEL206,CEL207,CEL208,CEL212,CEL213"

APP = {
    "shop/__init__.py": "",
    "shop/celery.py": """
        from celery import Celery

        app = Celery("shop", include=["shop.orders.tasks", "shop.mail.tasks"])
        app.config_from_object("shop.celeryconfig")
        """,
    "shop/celeryconfig.py": """
        task_default_rate_limit = "100/m"
        task_annotations = {
            "shop.mail.tasks.send": {"rate_limit": "20/minute", "acks_lates": True},
            "shop.orders.tasks.charge": {"max_retries": None},
        }
        """,
    "shop/base.py": """
        from celery import Task


        class TenantTask(Task):
            autoretry_for = (Exception,)
            rate_limit = "5/sec"

            def before_start(self, task_id, args, kwargs):
                scope = self.tenant_scope
                audit = getattr(self, "audit_event", None)
        """,
    "shop/options.py": """
        from celery import shared_task

        retrying = shared_task(autoretry_for=(ConnectionError,), max_retries=None)
        """,
    "shop/orders/__init__.py": "",
    "shop/orders/tasks.py": """
        from shop.base import TenantTask
        from shop.celery import app
        from shop.options import retrying


        @app.task(base=TenantTask, tenant_scope="org", audit_event="x", acks_lates=True)
        def charge(order_id):
            return self.request.id


        @retrying
        def refund(order_id):
            pass


        @retrying
        def cancel(order_id):
            pass
        """,
    "shop/mail/__init__.py": "",
    "shop/mail/tasks.py": """
        from shop.celery import app


        @app.task(max_retries=None)
        def send(self, to):
            raise self.retry(max_retries=3)


        @app.task(bind=True, max_retries=None)
        def bounce(self, to):
            raise self.retry(max_retries=3)
        """,
    "tests/test_orders.py": """
        from celery import shared_task


        @shared_task(autoretry_for=(Exception,), max_retries=None, rate_limit="1/min",
                     acks_lates=True)
        def probe(self):
            return self.request.id
        """,
}


def dedented(files: dict[str, str]) -> dict[str, str]:
    return {name: textwrap.dedent(text.removeprefix("\n")) for name, text in files.items()}


def check(tmp_path: Path, files: dict[str, str], *args: str) -> list[dict[str, Any]]:
    root = write_tree(tmp_path / "project", dedented(files))
    run = invoke_celerylint(["check", "--select", CODES, "--output-format", "json",
                             "--no-cache", "--jobs", "1", *args], root)
    assert run.code in (0, 1), run.stderr
    return findings(run)


def summary(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(f["code"], f"{f['filename']}:{f['location']['row']}", f["message"])
            for f in found]


def test_options_from_every_source_across_modules(tmp_path: Path) -> None:
    assert summary(check(tmp_path, APP)) == [
        ("CEL205", "shop/base.py:5",
         "autoretry_for without retry_backoff: every retry waits a fixed 180 s"),
        ("CEL207", "shop/base.py:5",
         "autoretry_for includes Exception: every error is retried, bugs and "
         "SoftTimeLimitExceeded too"),
        ("CEL212", "shop/base.py:6",
         "rate limit '5/sec' is not one Celery reads: the worker exits at start "
         "(KeyError: 'sec')"),
        ("CEL212", "shop/celeryconfig.py:3",
         "rate limit '20/minute' is not one Celery reads: the worker exits at start "
         "(KeyError: 'minute')"),
        ("CEL213", "shop/celeryconfig.py:3",
         "unknown task option 'acks_lates': Celery never reads it; did you mean 'acks_late'?"),
        ("CEL206", "shop/celeryconfig.py:4", "max_retries=None: the task retries forever"),
        ("CEL208", "shop/mail/tasks.py:4",
         "task 'send' uses self.retry without bind=True: self is the caller's first argument, "
         "not the task"),
        ("CEL205", "shop/options.py:3",
         "autoretry_for without retry_backoff: every retry waits a fixed 180 s"),
        ("CEL206", "shop/options.py:3", "max_retries=None: the task retries forever"),
        ("CEL208", "shop/orders/tasks.py:6",
         "task 'charge' uses self.request without bind=True: self is undefined, not the task"),
        ("CEL213", "shop/orders/tasks.py:6",
         "unknown task option 'acks_lates': Celery never reads it; did you mean 'acks_late'?"),
    ]


def test_unbound_self_with_a_first_parameter_and_its_fix(tmp_path: Path) -> None:
    files = {**APP, "shop/mail/tasks.py": """
        from shop.celery import app


        @app.task(max_retries=3)
        def send(self, to):
            raise self.retry(countdown=5)
        """}
    [found] = [f for f in check(tmp_path, files)
               if f["code"] == "CEL208" and f["filename"] == "shop/mail/tasks.py"]
    assert found["message"] == ("task 'send' uses self.retry without bind=True: self is the "
                                "caller's first argument, not the task")
    assert (found["location"], found["end_location"]) == ({"row": 4, "column": 2},
                                                          {"row": 4, "column": 25})
    assert found["fix"] == {"applicability": "safe", "message": "Add bind=True", "edits": [
        {"content": ", bind=True", "location": {"row": 4, "column": 24},
         "end_location": {"row": 4, "column": 24}}]}


def test_fix_renames_and_rewrites_units(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/celery.py": 'from celery import Celery\napp = Celery("shop")\n',
        "shop/tasks.py": """
            from shop.celery import app


            @app.task(acks_lates=True, rate_limit="30/minutes")
            def ship():
                pass
            """,
    }
    root = write_tree(tmp_path / "project", dedented(files))
    run = invoke_celerylint(["check", "--select", CODES, "--fix", "--unsafe-fixes",
                             "--no-cache", "--jobs", "1"], root)
    assert run.code == 0, run.stdout + run.stderr
    assert (root / "shop/tasks.py").read_text().splitlines()[3] == (
        '@app.task(acks_late=True, rate_limit="30/m")')


def test_version_gated_option(tmp_path: Path) -> None:
    files = {**APP, "shop/mail/tasks.py": """
        from shop.celery import app


        @app.task(acks_late=True, retry_on_worker_lost=True)
        def send(to):
            pass
        """}
    old = [f for f in check(tmp_path / "old", files, "--celery-version", "5.6")
           if f["filename"] == "shop/mail/tasks.py"]
    assert summary(old) == [("CEL213", "shop/mail/tasks.py:4",
                             "task option 'retry_on_worker_lost' is new in Celery 5.7; the "
                             "target 5.6 ignores it")]
    new = check(tmp_path / "new", files, "--celery-version", "5.7")
    assert not [f for f in new if f["filename"] == "shop/mail/tasks.py"]


def test_app_class_that_makes_tasks_hides_options(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/celery.py": """
            from celery import Celery


            class ShopCelery(Celery):
                def task(self, *args, **opts):
                    opts.pop("audit", None)
                    return super().task(*args, **opts)


            app = ShopCelery("shop")
            """,
        "shop/tasks.py": """
            from shop.celery import app


            @app.task(audit=True)
            def ship():
                pass
            """,
    }
    assert check(tmp_path, files) == []


@pytest.mark.parametrize(("rate", "error"), [
    ("10/min", "KeyError: 'min'"), ("5/sec", "KeyError: 'sec'"), ("10/d", "KeyError: 'd'"),
    ("ten/m", "ValueError"), ("/s", "ValueError"), ("10/m/s", "KeyError: 'm/s'"),
    ("100", None), ("0.5/s", None), ("1000/h", None), ("10/", None), ("", None),
    (None, None), (5, None), (" 12 /m", None), ("1e3/h", None),
])
def test_rate_parser_follows_celery(rate: object, error: str | None) -> None:
    assert rate_error(rate) == error


def test_rate_parser_agrees_with_celery() -> None:
    from celery.utils.time import rate  # type: ignore[import-untyped]

    for text in ("10/min", "ten/m", "100", "0.5/s", "1000/h", "10/", "/s", "10/m/s", "1e3/h"):
        try:
            rate(text)
        except (KeyError, ValueError):
            assert rate_error(text) is not None, text
        else:
            assert rate_error(text) is None, text


def test_closest_options() -> None:
    assert closest("acks_lates") == ["acks_late"]
    assert closest("time_limits") == ["time_limit"]
    assert closest("queue_name") == []


def test_through_the_installed_command(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", dedented({**APP}))
    run = run_celerylint(["check", "--select", "CEL206,CEL208", "--output-format", "json",
                          "--no-cache"], root)
    assert locations(run) == ["shop/celeryconfig.py:4", "shop/mail/tasks.py:4",
                              "shop/options.py:3", "shop/orders/tasks.py:6"]


def test_rate_limit_written_is_checked_when_annotations_are_unknown(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/celery.py": """
            from celery import Celery

            from shop.settings import annotations

            app = Celery("shop")
            app.conf.task_annotations = annotations()
            """,
        "shop/settings.py": "def annotations():\n    return {}\n",
        "shop/tasks.py": """
            from shop.celery import app


            @app.task(rate_limit="10/min", max_retries=None)
            def ship():
                pass
            """,
    }
    assert summary(check(tmp_path, files)) == [
        ("CEL212", "shop/tasks.py:4",
         "rate limit '10/min' is not one Celery reads: the worker exits at start "
         "(KeyError: 'min')"),
    ]


def test_app_class_with_a_foreign_mixin_hides_options(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/celery.py": """
            from celery import Celery
            from vendor.apps import AuditMixin


            class ShopCelery(AuditMixin, Celery):
                pass


            app = ShopCelery("shop")
            """,
        "shop/tasks.py": """
            from shop.celery import app


            @app.task(audit=True)
            def ship():
                pass
            """,
    }
    assert check(tmp_path, files) == []


@pytest.mark.parametrize(("decorator", "fixed"), [
    ("@app.task()", "@app.task(bind=True)"),
    ("@app.task", "@app.task(bind=True)"),
    ('@app.task(\n    name="ship",\n)', '@app.task(\n    name="ship",\n    bind=True,\n)'),
])
def test_bind_fix_shapes(tmp_path: Path, decorator: str, fixed: str) -> None:
    body = "def ship(self, order_id):\n    raise self.retry(countdown=5)\n"
    files = {
        "shop/__init__.py": "",
        "shop/celery.py": 'from celery import Celery\napp = Celery("shop")\n',
        "shop/tasks.py": f"from shop.celery import app\n\n\n{decorator}\n{body}",
    }
    root = write_tree(tmp_path / "project", files)
    run = invoke_celerylint(["check", "--select", "CEL208", "--fix", "--no-cache", "--jobs",
                             "1"], root)
    assert run.code == 0, run.stdout + run.stderr
    assert (root / "shop/tasks.py").read_text() == (
        f"from shop.celery import app\n\n\n{fixed}\n{body}")
