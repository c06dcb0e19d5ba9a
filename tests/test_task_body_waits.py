"""CEL209 (a task body waits on a result) and CEL502 (a task body runs an event loop) on
projects spread over several modules and apps; the facts behind them; and CEL304's
findings unchanged by the waits the canvas collector now records.

The expected findings were worked out by hand from CATALOG.md, CELERY_FACTS.md item 16
and the Celery 5.7 source (``celery/result.py``: which results have which waits).
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from conftest import Run, findings, invoke_celerylint, locations, run_celerylint, write_tree

from celerylint.facts.extract import extract
from celerylint.facts.schema import ModuleFacts
from celerylint.parsing.source import SourceFile

SUFFIX = "RuntimeError under prefork/solo/threads, deadlock risk under gevent/eventlet"


def check(root: Path, files: dict[str, str], codes: str = "CEL209,CEL502") -> Run:
    write_tree(root, {name: textwrap.dedent(text).lstrip("\n") for name, text in files.items()})
    return invoke_celerylint(["check", "--no-cache", "--jobs", "1", "--select", codes,
                              "--output-format", "json"], root)


def summary(run: Run) -> list[tuple[str, str, str]]:
    """(file:row:column, code, message) of every finding, in report order."""
    return [(f"{f['filename']}:{f['location']['row']}:{f['location']['column']}", f["code"],
             f["message"]) for f in findings(run)]


def facts_of(text: str) -> ModuleFacts:
    text = textwrap.dedent(text).lstrip("\n")
    source = SourceFile("proj/tasks.py", text)
    return extract(source, ast.parse(text), "proj.tasks", False)


# --- two apps, tasks re-exported by a package, a class task -----------------------------

PROJECT = {
    "shop/__init__.py": "",
    "shop/celery.py": '''
        from celery import Celery

        app = Celery("shop", broker="redis://mq/0", backend="redis://mq/1")
    ''',
    "shop/tasks/__init__.py": '''
        from .pricing import price, quote
    ''',
    "shop/tasks/pricing.py": '''
        from shop.celery import app


        @app.task
        def price(sku):
            return 1


        @app.task(ignore_result=True)
        def quote(sku):
            return None
    ''',
    "shop/tasks/orders.py": '''
        import asyncio as aio

        from celery import chain, group

        from shop.celery import app
        from shop.tasks import price, quote


        @app.task(bind=True)
        def order_total(self, skus):
            pending = group(price.s(s) for s in skus).apply_async()
            totals = pending.join_native()
            quote.delay(skus[0]).get()
            last = chain(price.s(skus[0]), price.s()).delay()
            final = last.get(propagate=False)
            return sum(totals) + final + price.delay(1).get()  # noqa: CEL209


        @app.task
        def refresh(sku):
            def later():
                return aio.run(fetch(sku))

            aio.run(fetch(sku))
            return later


        async def fetch(sku):
            return sku


        def view(request):
            aio.run(fetch(1))
            return price.delay(1).get()
    ''',
    "billing/__init__.py": "",
    "billing/worker.py": '''
        from celery import Celery, Task

        from shop.tasks import price

        billing = Celery("billing", broker="redis://mq/2", backend="redis://mq/3")


        class Invoice(Task):
            name = "billing.invoice"

            def run(self, task_id):
                first = billing.AsyncResult(task_id).get(timeout=5)
                return first, price.apply_async((1,)).collect()

            def on_success(self, retval, task_id, args, kwargs):
                return price.delay(1).get()


        billing.register_task(Invoice())
    ''',
    "Procfile": "worker: celery -A shop worker -P gevent\n",
}


def test_every_finding_in_place(tmp_path: Path) -> None:
    assert summary(check(tmp_path, PROJECT)) == [
        ("billing/worker.py:12:17", "CEL209",
         f"task 'Invoice' waits on AsyncResult(...).get(): {SUFFIX}"),
        ("billing/worker.py:13:23", "CEL209",
         f"task 'Invoice' waits on price.apply_async().collect(): {SUFFIX}"),
        ("shop/tasks/orders.py:12:14", "CEL209",
         f"task 'order_total' waits on group(...)().join_native(): {SUFFIX}"),
        ("shop/tasks/orders.py:15:13", "CEL209",
         f"task 'order_total' waits on chain(...)().get(): {SUFFIX}"),
        ("shop/tasks/orders.py:24:5", "CEL502",
         "task 'shop.tasks.orders.refresh' runs an event loop in its body: asyncio.run()"),
    ]


def test_the_console_script_reports_the_same(tmp_path: Path) -> None:
    write_tree(tmp_path, {name: textwrap.dedent(text).lstrip("\n")
                          for name, text in PROJECT.items()})
    run = run_celerylint(["check", "--no-cache", "--select", "CEL209,CEL502",
                          "--output-format", "json"], tmp_path)
    assert locations(run) == ["billing/worker.py:12", "billing/worker.py:13",
                              "shop/tasks/orders.py:12", "shop/tasks/orders.py:15",
                              "shop/tasks/orders.py:24"]


def test_waits_that_are_no_waits_on_a_result_kind(tmp_path: Path) -> None:
    """``.join()`` on a task's AsyncResult and ``.wait()`` on a GroupResult do not exist
    (AttributeError, not a wait); ``t.s()()`` runs the task in the process."""
    files = {
        "proj/__init__.py": "",
        "proj/tasks.py": '''
            from celery import group, shared_task


            @shared_task
            def add(x, y):
                return x + y


            @shared_task
            def odd(values):
                a = add.delay(1, 2).join()
                b = group(add.s(v, v) for v in values)().wait()
                return a, b, add.s(1, 2)().get()
        ''',
    }
    assert summary(check(tmp_path, files)) == []


def test_cel304_still_reports_the_ignored_result_cel209_leaves(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": '''
            from celery import Celery

            app = Celery("proj", broker="redis://mq/0", backend="redis://mq/1")
        ''',
        "proj/tasks.py": '''
            from proj.celery import app


            @app.task(ignore_result=True)
            def ping():
                return "pong"


            @app.task
            def check():
                result = ping.delay()
                result.collect()
                return result.get()
        ''',
    }
    assert summary(check(tmp_path, files, "CEL209,CEL304")) == [
        ("proj/tasks.py:13:12", "CEL304",
         ".get() on proj.tasks.ping.delay() returns None at once: the task ignores its result"),
    ]


# --- facts ------------------------------------------------------------------------------


def test_wait_facts_name_the_function_the_producer_and_whether_allowed() -> None:
    facts = facts_of('''
        from celery import chord, shared_task, signature
        from celery.result import allow_join_result


        @shared_task
        def add(x, y):
            return x + y


        def helper(**options):
            first = signature("proj.add").apply_async(ignore_result=False).get()
            with allow_join_result():
                add.delay(1, 1).wait()
            return chord([add.s(1, 1)], add.s()).apply_async().get(**options), first


        class Job:
            def run(self):
                return add.delay(1, 2).get(disable_sync_subtasks=True)

        print(add.delay(1, 2).get())
    ''')
    got = [(w.read, w.span.row, w.function, w.producer, w.receiver, w.name, w.allowed,
            w.ignore_result.data if w.ignore_result else None)
           for w in sorted(facts.result_waits, key=lambda w: w.span)]
    assert got == [
        ("get", 11, "helper", "apply_async", "", "proj.add", False, False),
        ("wait", 13, "helper", "delay", "proj.tasks.add", "", True, None),
        ("get", 14, "helper", "chord", "", "", True, None),
        ("get", 19, "Job.run", "delay", "proj.tasks.add", "", False, None),
    ]
    # CEL304's reads are what they were: tasks' results only, module level included
    assert sorted(r.span.row for r in facts.result_reads) == [13, 19, 21]


def test_event_loop_facts_skip_nested_functions_and_other_runs() -> None:
    facts = facts_of('''
        import asyncio
        import subprocess


        def job(loop):
            subprocess.run(["true"])
            loop.run_until_complete(asyncio.sleep(0))

            def inner():
                asyncio.run(asyncio.sleep(0))

            return asyncio.run(asyncio.sleep(0)), inner
    ''')
    assert [(c.function, c.call, c.span.row) for c in facts.event_loop_calls] == [
        ("job", "run_until_complete", 7), ("job", "asyncio.run", 12)]


def test_no_event_loop_facts_without_asyncio() -> None:
    facts = facts_of('''
        def job(loop, runner):
            runner.run()
            return loop.run()
    ''')
    assert facts.event_loop_calls == []
