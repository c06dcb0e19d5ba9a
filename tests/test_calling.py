"""CEL402, CEL403 and CEL404 (task calls): the call-site facts they read, and whole projects.

The facts tests pin what one file says about each call (how its arguments can be counted,
whether it runs inside a transaction, whether its receiver is a local name); the project
tests run the rules across modules, apps and packages, as `celerylint check` does.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from conftest import findings, invoke_celerylint, locations, run_celerylint, write_tree

from celerylint.facts.calls import EvidenceScanner
from celerylint.facts.imports import collect_imports
from celerylint.facts.schema import DEFERS, CallSite
from celerylint.facts.signatures import method_calls, parameters
from celerylint.facts.values import Evaluator
from celerylint.facts.walk import TreeIndex
from celerylint.parsing.source import SourceFile

HEADER = """\
from functools import partial
from django.db import transaction
from proj.tasks import notify
"""  # the snippet's first line is line 4


def scan(code: str) -> list[CallSite]:
    text = HEADER + textwrap.dedent(code).lstrip("\n")
    tree = ast.parse(text)
    source = SourceFile("proj/views.py", text)
    imports = collect_imports(tree, "proj.views", False)
    evaluator = Evaluator(source.span, lambda name: None, imports.resolve)
    return EvidenceScanner(source, imports, evaluator).scan(TreeIndex(tree))


def by_line(code: str) -> dict[int, CallSite]:
    return {site.span.row: site for site in scan(code)}


# -- argument shapes -------------------------------------------------------------------


def test_shapes_count_positional_and_keyword_arguments() -> None:
    sites = by_line("""
        def view(pk, more, opts):
            notify.delay(pk, 2, flag=True)
            notify.apply_async((pk,), {"flag": True}, countdown=3)
            notify.apply_async(args=None, kwargs=None)
            notify.s(pk, x=1)
            notify.delay(*more)
            notify.delay(pk, **opts)
            notify.apply_async(args=more)
            notify.apply_async([pk], kwargs=dict(flag=True))
            notify.apply_async(**opts)
    """)
    shape = sites[5].shape
    assert shape is not None and len(shape.positional) == 2
    assert [name for name, _ in shape.keywords] == ["flag"]
    shape = sites[6].shape
    assert shape is not None and len(shape.positional) == 1
    assert [name for name, _ in shape.keywords] == ["flag"]
    assert sites[7].shape is not None and sites[7].shape.positional == ()
    assert sites[8].shape is not None and len(sites[8].shape.positional) == 1
    assert [sites[row].shape for row in (9, 10, 11, 12, 13)] == [None] * 5


def test_a_task_name_gives_no_shape_but_the_span_of_the_name() -> None:
    site = scan("""
        def view(app):
            app.send_task("proj.tasks.add", args=[1])
    """)[0]
    assert site.shape is None and site.task_name == "proj.tasks.add"
    assert site.name_span is not None and (site.name_span.row, site.name_span.column) == (5, 19)


def test_signature_called_by_name_is_a_call_site() -> None:
    sites = scan("""
        from celery import Signature, signature as sig

        def view():
            return sig("proj.tasks.add") | Signature("proj.tasks.mul", args=(2,))
    """)
    assert [(s.method, s.receiver, s.task_name) for s in sites] == [
        ("signature", "celery", "proj.tasks.add"), ("signature", "celery", "proj.tasks.mul")]


def test_receivers_bound_in_the_function_are_local_but_local_imports_are_not() -> None:
    sites = by_line("""
        def view(pk, prepare, task):
            notify, build = prepare(pk)
            notify.delay(pk)
            task.delay(pk)

        def other(pk):
            from proj.tasks import notify
            notify.delay(pk)

        def plain(pk):
            notify.delay(pk)
    """)
    assert sites[6].local_receiver and sites[7].local_receiver
    assert not sites[11].local_receiver and not sites[14].local_receiver


# -- transactions -----------------------------------------------------------------------


def test_calls_inside_atomic_blocks_and_atomic_functions() -> None:
    sites = by_line("""
        def view(pk, lock):
            with lock(), transaction.atomic():
                notify.delay(pk)
                result = notify.apply_async((pk,))
            notify.delay(pk)

        @transaction.atomic
        def bare(pk):
            notify.delay(pk)

        @transaction.atomic(using="default", savepoint=False)
        def called(pk):
            notify.delay(pk)
    """)
    assert {row for row, site in sites.items() if site.atomic} == {6, 7, 12, 16}
    assert sites[6].statement and not sites[7].statement
    assert sites[6].method_span is not None and (
        sites[6].method_span.column, sites[6].method_span.end_column) == (16, 21)


def test_deferred_and_other_database_calls_are_not_in_the_transaction() -> None:
    sites = scan("""
        def view(pk, alias, options):
            with transaction.atomic():
                transaction.on_commit(lambda: notify.delay(pk))
                transaction.on_commit(partial(notify.s(pk).delay))

                def later():
                    notify.delay(pk)

                transaction.on_commit(later)
            with transaction.atomic(using="replica"):
                notify.delay(pk)
            with transaction.atomic(alias):
                notify.delay(pk)
            with transaction.atomic(**options):
                notify.delay(pk)

        @transaction.atomic("replica")
        def report(pk):
            notify.delay(pk)
    """)
    assert [site.span.row for site in sites if site.atomic] == []
    assert len(sites) == 7


def test_a_nested_atomic_function_is_its_own_block() -> None:
    sites = by_line("""
        def outer(pk):
            @transaction.atomic
            def inner():
                notify.delay(pk)
            return inner
    """)
    assert sites[7].atomic


# -- class and function facts -------------------------------------------------------------


def _class(code: str) -> dict[str, tuple[str, ...]]:
    tree = ast.parse(textwrap.dedent(code))
    node = tree.body[-1]
    assert isinstance(node, ast.ClassDef)
    imports = collect_imports(tree, "proj.base", False)
    return method_calls(node, textwrap.dedent(code), imports)


def test_method_calls_record_self_calls_and_on_commit() -> None:
    calls = _class("""
        from django.db import transaction as tx
        from celery import Task

        class Deferred(Task):
            def apply_async(self, *args, **kwargs):
                return self._later(*args, **kwargs)

            def _later(self, *args, **kwargs):
                tx.on_commit(lambda: super().apply_async(*args, **kwargs))
    """)
    assert calls == {"apply_async": ("_later",), "_later": (DEFERS,)}


def test_classes_that_cannot_defer_record_nothing() -> None:
    assert _class("""
        from celery import Task

        class Plain(Task):
            def run(self):
                return self.request.id
    """) == {}


def test_parameters_of_a_signature() -> None:
    node = ast.parse("def f(a, /, b, c=1, *, d, e=2): pass").body[0]
    assert isinstance(node, ast.FunctionDef)
    params = parameters(node.args)
    assert (params.positional, params.positional_only, params.defaults) == (("a", "b", "c"), 1, 1)
    assert (params.keyword_only, params.required_keyword_only) == (("d", "e"), ("d",))
    assert not params.varargs and not params.varkw


# -- whole projects ------------------------------------------------------------------------

DJANGO = {
    "shop/__init__.py": "",
    "shop/celery.py": """\
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

app = Celery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
""",
    "shop/settings.py": 'INSTALLED_APPS = ["orders", "billing"]\n',
    "orders/__init__.py": "",
    "orders/tasks/__init__.py": "from .mail import *  # noqa\n",
    "orders/tasks/mail.py": """\
from celery import shared_task

from shop.celery import app
from orders.base import AuditTask


@shared_task
def send_receipt(order_id, *, copy=False):
    return order_id


@app.task(base=AuditTask, bind=True)
def audit(self, order_id):
    return order_id
""",
    "orders/base.py": """\
from shop.celery import app


class AuditTask(app.Task):
    track_started = True
""",
    "billing/__init__.py": "",
    "billing/views.py": """\
from django.db import transaction

from orders.tasks import audit, send_receipt


@transaction.atomic
def pay(order):
    send_receipt.delay(order.pk)
    audit.delay(order.pk)
    send_receipt.delay(order.pk, copy=True, countdown=10)
    audit.apply_async(args=(order.pk, 2))
    return send_receipt.delay(order.pk)
""",
}


def test_tasks_reached_through_a_package_reexport(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", DJANGO)
    run = invoke_celerylint(["check", "--select", "CEL402,CEL403", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "--celery-version", "5.4", "."],
                            project)
    found = [(f["code"], f["location"]["row"], f["location"]["column"], f["message"],
              f["fix"] is not None) for f in findings(run)]
    assert found == [
        ("CEL402", 8, 5, "send_receipt.delay() inside transaction.atomic: the task may run "
                         "before the commit", True),
        ("CEL402", 9, 5, "audit.delay() inside transaction.atomic: the task may run before "
                         "the commit", True),
        ("CEL402", 10, 5, "send_receipt.delay() inside transaction.atomic: the task may run "
                          "before the commit", True),
        ("CEL403", 10, 45, "call options passed to delay() (countdown=); use apply_async",
         False),
        ("CEL402", 11, 5, "audit.apply_async() inside transaction.atomic: the task may run "
                          "before the commit", False),
        ("CEL403", 11, 39, "audit() takes 1 positional argument but 2 are passed", False),
        ("CEL402", 12, 12, "send_receipt.delay() inside transaction.atomic: the task may run "
                           "before the commit", False),
    ]


def test_no_fix_before_celery_5_4_or_without_django(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", DJANGO)
    run = invoke_celerylint(["check", "--select", "CEL402", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "--celery-version", "5.3", "."],
                            project)
    assert [f["fix"] for f in findings(run)] == [None] * 5
    plain = dict(DJANGO)
    plain["shop/celery.py"] = DJANGO["shop/celery.py"].replace(
        'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n', "").replace(
        'app.config_from_object("django.conf:settings", namespace="CELERY")\n', "")
    project = write_tree(tmp_path / "q", plain)
    run = invoke_celerylint(["check", "--select", "CEL402", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "--celery-version", "5.5", "."],
                            project)
    assert len(findings(run)) == 5 and all(f["fix"] is None for f in findings(run))


def test_an_app_with_its_own_task_class_gets_no_fix(tmp_path: Path) -> None:
    files = dict(DJANGO)
    files["shop/celery.py"] = DJANGO["shop/celery.py"].replace(
        'Celery("shop")', 'Celery("shop", task_cls="shop.base:PlainTask")')
    files["shop/base.py"] = "from celery import Task\n\n\nclass PlainTask(Task):\n    pass\n"
    project = write_tree(tmp_path / "p", files)
    run = invoke_celerylint(["check", "--select", "CEL402", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "--celery-version", "5.5", "."],
                            project)
    # ``app.Task`` of an app with a task class of its own is not followed: audit's class
    # is unknown, so only send_receipt's calls are judged.
    assert [(f["location"]["row"], f["fix"]) for f in findings(run)] == [
        (8, None), (10, None), (12, None)]


def test_an_override_deferring_in_a_base_of_another_module(tmp_path: Path) -> None:
    files = dict(DJANGO)
    files["orders/base.py"] = """\
from django.db import transaction

from shop.celery import app


class Deferring(app.Task):
    def apply_async(self, *args, **kwargs):
        return self.later(*args, **kwargs)

    def later(self, *args, **kwargs):
        transaction.on_commit(lambda: super(Deferring, self).apply_async(*args, **kwargs))


class AuditTask(Deferring):
    track_started = True
"""
    project = write_tree(tmp_path / "p", files)
    run = invoke_celerylint(["check", "--select", "CEL402", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "."], project)
    assert locations(run) == ["billing/views.py:8", "billing/views.py:10",
                              "billing/views.py:12"]


def test_unknown_names_across_packages_and_a_src_layout(tmp_path: Path) -> None:
    files = {
        "src/shop/__init__.py": "",
        "src/shop/celery.py": 'from celery import Celery\n\napp = Celery("shop")\n',
        "src/shop/tasks.py": ("from shop.celery import app\n\n\n@app.task\n"
                              "def rebuild(index):\n    return index\n"),
        "src/catalog/__init__.py": "",
        "src/catalog/jobs.py": """\
from celery import current_app

NAME = "shop.tasks.rebuilt"


def go():
    current_app.send_task(NAME)
    current_app.send_task("catalog.jobs.go")
    current_app.send_task("other.tasks.rebuild")
    current_app.send_task(name="shop.tasks.rebuild")
""",
    }
    project = write_tree(tmp_path / "p", files)
    run = invoke_celerylint(["check", "--select", "CEL404", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "."], project)
    assert [(f["filename"], f["location"]["row"], f["message"]) for f in findings(run)] == [
        ("src/catalog/jobs.py", 7,
         "no task is named 'shop.tasks.rebuilt'; did you mean 'shop.tasks.rebuild'?"),
        ("src/catalog/jobs.py", 8, "no task is named 'catalog.jobs.go'"),
    ]


def test_fix_through_the_installed_command(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "p", DJANGO)
    run = run_celerylint(["check", "--select", "CEL402", "--no-cache", "--fix",
                          "--unsafe-fixes", "--celery-version", "5.4", "--exit-zero", "."],
                         project)
    assert run.code == 0, run.stderr
    text = (project / "billing/views.py").read_text()
    assert text.count(".delay_on_commit(") == 3
    assert "return send_receipt.delay(order.pk)" in text
    assert "audit.apply_async(args=(order.pk, 2))" in text


def test_two_apps_strict_typing_and_a_bound_alias(tmp_path: Path) -> None:
    files = {
        "alpha/__init__.py": "",
        "alpha/celery.py": ('from celery import Celery\n\napp = Celery("alpha", '
                            'include=["alpha.tasks"])\nbound = app.task(bind=True)\n'),
        "alpha/tasks.py": """\
from alpha.celery import app, bound


@bound
def sync(self, account_id, *, full=False):
    return account_id


@app.task
def ping():
    return "pong"
""",
        "beta/__init__.py": "",
        "beta/celery.py": ('from celery import Celery\n\napp = Celery("beta", '
                           'include=["beta.tasks"], strict_typing=False)\n'),
        "beta/tasks.py": ("from beta.celery import app\n\n\n@app.task\n"
                          "def export(report_id):\n    return report_id\n"),
        "alpha/views.py": """\
from alpha.tasks import ping, sync
from beta.tasks import export


def run(account):
    sync.delay(account.pk, True)
    sync.apply_async((account.pk,), {"full": True, "fast": 1})
    ping.s(1)
    export.delay(1, 2, 3)
    sync.delay()
""",
    }
    project = write_tree(tmp_path / "p", files)
    run = invoke_celerylint(["check", "--select", "CEL403", "--no-cache", "--jobs", "1",
                             "--output-format", "json", "."], project)
    assert [(f["location"]["row"], f["location"]["column"], f["message"])
            for f in findings(run)] == [
        (6, 28, "sync() takes 1 positional argument but 2 are passed"),
        (7, 52, "sync() has no parameter 'fast'"),
        (8, 12, "ping() takes 0 positional arguments but 1 is passed"),
        (10, 5, "sync() is called without required argument 'account_id'"),
    ]
