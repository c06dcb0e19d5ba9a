"""Canvas shapes, result reads and message delays (facts.canvas), and the rules built on
them: CEL303 chord-with-ignored-results, CEL304 result-read-without-backend, CEL706
visibility-timeout-too-short, on projects of several modules and apps."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from conftest import findings, invoke_celerylint, locations, run_celerylint, write_tree

from celerylint.facts.extract import extract
from celerylint.facts.schema import ModuleFacts
from celerylint.parsing.source import SourceFile

HEADER = """\
from datetime import datetime, timedelta

from celery import chain, chord, group, signature
from celery.result import AsyncResult
from proj.celery import app
from proj.tasks import add, total
"""  # the snippet's first line is file line 7


def facts_of(code: str) -> ModuleFacts:
    text = HEADER + textwrap.dedent(code).lstrip("\n")
    return extract(SourceFile("proj/views.py", text), ast.parse(text), "proj.views", False)


def chords(code: str) -> list[tuple[int, str, list[str], bool, list[str]]]:
    return [(c.span.row, c.kind, [r.receiver or r.name for r in c.header], c.header_open,
             [r.receiver or r.name for r in c.body]) for c in facts_of(code).chords]


# -- canvas shapes ------------------------------------------------------------------------

def test_every_chord_shape_is_found_once() -> None:
    found = chords("""
        def f(ids):
            chord([add.s(i, i) for i in ids])(total.s())
            chord((add.s(1, 1), signature("proj.tasks.add")), total.s())
            (group(add.s(1, 2), add.si(3, 4)) | total.s()).delay()
            chain(add.s(1, 1), group(add.s(i, 1) for i in ids), total.s())()
            (add.s(1, 1) | group(add.s(2, 2), add.s(3, 3)) | total.s()).delay()
            group(add.s(1, 1)) | group(add.s(2, 2))
            chord(group([add.s(1, 1), add.s(2, 2)]), total.s())
    """)
    tasks = "proj.tasks"
    assert sorted(found) == [
        (8, "chord", [f"{tasks}.add"], False, [f"{tasks}.total"]),
        (9, "chord", [f"{tasks}.add", "proj.tasks.add"], False, [f"{tasks}.total"]),
        (10, "group|", [f"{tasks}.add", f"{tasks}.add"], False, [f"{tasks}.total"]),
        (11, "chain", [f"{tasks}.add"], False, [f"{tasks}.total"]),
        (12, "group|", [f"{tasks}.add", f"{tasks}.add"], False, [f"{tasks}.total"]),
        (13, "group|", [f"{tasks}.add"], False, []),
        (14, "chord", [f"{tasks}.add", f"{tasks}.add"], False, [f"{tasks}.total"]),
    ]


def test_headers_through_local_names_and_what_stays_open() -> None:
    found = chords("""
        def f(header, more):
            tasks = [add.s(1, 1), add.s(2, 2)]
            chord(tasks)(total.s())
            chord(header)(total.s())
            chord([add.s(1, 1), *more])(total.s())
            again = [add.s(1, 1)]
            again = again + more
            chord(again, total.s())
    """)
    assert [(row, header, is_open) for row, _, header, is_open, _ in sorted(found)] == [
        (9, ["proj.tasks.add", "proj.tasks.add"], False),
        (10, [], True),
        (11, ["proj.tasks.add"], True),
        (14, [], True),
    ]


def test_signature_overrides_of_ignore_result() -> None:
    facts = facts_of("""
        def f(opts):
            chord([
                add.s(1, 1).set(ignore_result=False),
                add.signature((1, 1), ignore_result=True),
                add.signature((1, 1), options={"ignore_result": False}),
                add.s(1, 1).set(**opts),
                add.s(1, 1),
            ])(total.s())
    """)
    overrides = [r.ignore_result for r in facts.chords[0].header]
    assert [o.data if o is not None and o.known else o if o is None else "?"
            for o in overrides] == [False, True, False, "?", None]


def test_groups_and_chains_of_other_libraries_are_not_canvas() -> None:
    text = textwrap.dedent("""
        from itertools import chain
        from toolz import groupby as group
        from proj.tasks import total

        def f(rows):
            (group(len, rows) | total.s())
            return list(chain(rows, [total.s()]))
    """)
    facts = extract(SourceFile("proj/x.py", text), ast.parse(text), "proj.x", False)
    assert facts.chords == []


# -- result reads -------------------------------------------------------------------------

def reads(code: str) -> list[tuple[int, str, str, str, str]]:
    return sorted((r.span.row, r.read, r.producer, r.receiver, r.app)
                  for r in facts_of(code).result_reads)


def test_result_reads_direct_and_through_a_name_bound_once() -> None:
    assert reads("""
        def f(task_id, payload):
            add.delay(1, 2).get(timeout=1)
            r = add.apply_async((1, 2))
            r.state, r.ready(), r.traceback
            AsyncResult(task_id, app=app).successful()
            app.AsyncResult(task_id).result
            add.AsyncResult(task_id).failed()
            payload.get("x")
    """) == [
        (8, "get", "delay", "proj.tasks.add", ""),
        (10, "ready", "apply_async", "proj.tasks.add", ""),
        (10, "state", "apply_async", "proj.tasks.add", ""),
        (10, "traceback", "apply_async", "proj.tasks.add", ""),
        (11, "successful", "AsyncResult", "", "proj.celery.app"),
        (12, "result", "AsyncResult", "proj.celery.app", ""),
        (13, "failed", "AsyncResult", "proj.tasks.add", ""),
    ]


def test_rebound_names_parameters_and_apply_are_not_followed() -> None:
    assert reads("""
        def f(result, cached):
            r = add.delay(1, 2)
            if cached:
                r = cached
            r.get()
            result.get()
            add.apply((1, 2)).get()
            for r2 in [add.delay(1, 1)]:
                r2.state
            add.delay(1, 2).info
    """) == []


def test_per_call_ignore_result_and_splats_are_kept() -> None:
    facts = facts_of("""
        def f(opts):
            add.apply_async((1,), ignore_result=False).get()
            add.apply_async((1,), **opts).get()
    """)
    first, second = sorted(facts.result_reads, key=lambda r: r.span)
    assert first.ignore_result is not None and first.ignore_result.data is False
    assert not first.open and second.open


# -- delays -------------------------------------------------------------------------------

def timed(code: str) -> list[tuple[int, str, str, str, object]]:
    found = []
    for call in facts_of(code).timed_calls:
        value = call.seconds.data if call.seconds is not None and call.seconds.known else (
            None if call.seconds is None else "?")
        found.append((call.span.row, call.method, call.function, call.option, value))
    return sorted(found)


def test_countdowns_eta_offsets_and_bare_retries() -> None:
    assert timed("""
        @app.task(bind=True)
        def work(self, n, delay):
            add.apply_async((n,), countdown=2 * 60 * 60)
            add.apply_async((n,), eta=datetime.now() + timedelta(minutes=90))
            add.apply_async((n,), eta=timedelta(days=1) + datetime.utcnow())
            add.apply_async((n,), eta=datetime(2030, 1, 1))
            add.s(n).set(countdown=delay)
            if n:
                raise self.retry(countdown=600)
            raise self.retry()


        class Job:
            def run(self):
                self.retry(**{"countdown": 5})
    """) == [
        (9, "apply_async", "work", "countdown", 7200),
        (10, "apply_async", "work", "eta", 5400.0),
        (11, "apply_async", "work", "eta", 86400.0),
        (12, "apply_async", "work", "eta", "?"),
        (13, "set", "work", "countdown", "?"),
        (15, "retry", "work", "countdown", 600),
        (16, "retry", "work", "", None),
    ]


def test_scopes_without_a_sign_are_not_read() -> None:
    assert facts_of("""
        def f(x):
            return x.get("countdown_of_nothing")
    """).result_reads == []


# -- the rules on multi-module, multi-app projects ------------------------------------

PROJECT = {
    "Procfile": "worker: celery -A proj worker -l info\nreports: celery -A reports worker\n",
    "proj/__init__.py": "from proj.celery import app as celery_app\n",
    "proj/celery.py": textwrap.dedent("""
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("proj.celeryconfig")
    """).lstrip(),
    "proj/celeryconfig.py": textwrap.dedent("""
        broker_url = "redis://cache:6379/0"
        result_backend = "db+postgresql://celery@db/results"
        broker_transport_options = {"visibility_timeout": 1800}
        task_time_limit = 2400
        task_ignore_result = True
    """).lstrip(),
    "proj/tasks/__init__.py": "from proj.tasks.images import resize, publish\n",
    "proj/tasks/images.py": textwrap.dedent("""
        from proj.celery import app


        @app.task(acks_late=True)
        def resize(path, width):
            return path


        @app.task(acks_late=True, ignore_result=False)
        def publish(paths):
            return paths


        @app.task(bind=True, default_retry_delay=3600, ignore_result=False)
        def fetch(self, url):
            raise self.retry()
    """).lstrip(),
    "proj/views.py": textwrap.dedent("""
        from celery import group
        from proj.tasks import publish, resize


        def upload(path):
            job = group(resize.s(path, 200), resize.s(path, 800).set(ignore_result=False))
            (job | publish.s()).delay()
            result = resize.delay(path, 100)
            return result.state
    """).lstrip(),
    "reports/__init__.py": "",
    "reports/app.py": textwrap.dedent("""
        from celery import Celery, chord

        reports = Celery("reports", broker="amqp://rabbit//")


        @reports.task(acks_late=True, time_limit=86400)
        def render(report_id):
            return report_id


        @reports.task
        def bundle(parts):
            return parts


        def build(ids):
            chord(render.s(i) for i in ids)(bundle.s())
            return render.apply_async((1,), countdown=86400).get(timeout=5)
    """).lstrip(),
    "tests/test_views.py": textwrap.dedent("""
        from proj.tasks import resize


        def test_resize():
            assert resize.delay("a", 1).state == "SUCCESS"
    """).lstrip(),
}


def _check(tmp_path: Path, files: dict[str, str], codes: str) -> list[dict[str, object]]:
    project = write_tree(tmp_path / "project", files)
    run = invoke_celerylint(["check", "--output-format", "json", "--no-cache", "--jobs", "1",
                             "--select", codes], project)
    return findings(run)


def _shown(found: list[dict[str, object]]) -> list[tuple[str, str, str]]:
    return [(str(f["code"]), f"{f['filename']}:{f['location']['row']}",  # type: ignore[index]
             str(f["message"])) for f in found]


def test_rules_on_a_project_of_two_apps(tmp_path: Path) -> None:
    shown = _shown(_check(tmp_path, PROJECT, "CEL303,CEL304,CEL706"))
    assert shown == [
        ("CEL706", "proj/celeryconfig.py:4",
         "the time_limit of late-ack task proj.tasks.images.resize (and 1 more) (2400 s) "
         "reaches the Redis visibility timeout (1800 s): the task runs twice"),
        ("CEL706", "proj/tasks/images.py:14",
         "the retry delay of proj.tasks.images.fetch (3600 s) reaches the Redis visibility "
         "timeout (1800 s): the task runs twice"),
        ("CEL303", "proj/views.py:6",
         "chord header task proj.tasks.images.resize ignores its result (task_ignore_result):"
         " on non-Redis backends the body never runs"),
        ("CEL304", "proj/views.py:9",
         ".state on proj.tasks.images.resize.delay() is PENDING forever: the task ignores "
         "its result"),
        ("CEL303", "reports/app.py:17",
         "chord in app 'reports', which has no result backend: starting it raises "
         "NotImplementedError"),
        ("CEL304", "reports/app.py:18",
         ".get() on reports.app.render.apply_async() raises NotImplementedError: app "
         "'reports' has no result backend"),
    ]


def test_a_stand_in_settings_module_is_read_for_the_broker(tmp_path: Path) -> None:
    files = {
        "site/__init__.py": "",
        "site/celery.py": textwrap.dedent("""
            import os

            from celery import Celery

            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
            app = Celery("site")
            app.config_from_object("django.conf:settings", namespace="CELERY")
        """).lstrip(),
        "site/settings_example.py": 'CELERY_BROKER_URL = "redis://localhost:6379"\n',
        "site/tasks.py": textwrap.dedent("""
            from celery import shared_task


            @shared_task
            def purge(name):
                return name


            def later(name):
                purge.apply_async(args=(name,), countdown=3600)
        """).lstrip(),
    }
    shown = _shown(_check(tmp_path, files, "CEL706"))
    assert shown == [(
        "CEL706", "site/tasks.py:10",
        "countdown of apply_async() (3600 s) reaches the Redis visibility timeout (3600 s, "
        "default): the task runs twice (settings assumed from site/settings_example.py)")]


def test_no_backend_needs_the_broker_configured_in_the_code(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": "from celery import Celery\n\napp = Celery('proj')\n",
        "proj/tasks.py": textwrap.dedent("""
            from celery import chord
            from proj.celery import app


            @app.task
            def add(x, y):
                return x + y


            def run():
                chord([add.s(1, 1)])(add.s(0))
                return add.delay(1, 1).get()
        """).lstrip(),
    }
    assert _check(tmp_path, files, "CEL303,CEL304") == []
    files["proj/celery.py"] = "from celery import Celery\n\napp = Celery('proj', broker='redis://')\n"
    assert locations(invoke_celerylint(
        ["check", "--output-format", "json", "--no-cache", "--jobs", "1", "--select",
         "CEL303,CEL304"], write_tree(tmp_path / "project", files))) == [
        "proj/tasks.py:11", "proj/tasks.py:12"]


def test_the_installed_command_reports_the_same(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    run = run_celerylint(["check", "--output-format", "json", "--select",
                          "CEL303,CEL304,CEL706"], project)
    assert locations(run) == ["proj/celeryconfig.py:4", "proj/tasks/images.py:14",
                              "proj/views.py:6", "proj/views.py:9", "reports/app.py:17",
                              "reports/app.py:18"]


def test_autoretry_backoff_counts_only_when_it_grows_to_its_maximum(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": textwrap.dedent("""
            from celery import Celery

            app = Celery("proj", broker="sqs://")
            app.conf.broker_transport_options = {"region": "eu-west-1", "visibility_timeout": 300}
        """).lstrip(),
        "proj/tasks.py": textwrap.dedent("""
            from proj.celery import app

            RETRY = (ConnectionError,)


            @app.task(autoretry_for=RETRY, retry_backoff=True, max_retries=None)
            def unbounded(x):
                return x


            @app.task(autoretry_for=RETRY, retry_backoff=True, retry_backoff_max=5000)
            def three_retries(x):
                return x


            @app.task(autoretry_for=RETRY, retry_backoff=True, retry_kwargs={"max_retries": 50})
            def own_kwargs(x):
                return x


            @app.task(autoretry_for=RETRY)
            def fixed_delay(x):
                return x


            @app.task(autoretry_for=RETRY, retry_backoff=2, max_retries=12, retry_backoff_max=1000)
            def grows(x):
                return x
        """).lstrip(),
    }
    assert _shown(_check(tmp_path, files, "CEL706")) == [
        ("CEL706", "proj/celery.py:4",
         "the retry backoff of proj.tasks.unbounded (600 s) reaches the SQS visibility timeout "
         "(300 s): the task runs twice"),
        ("CEL706", "proj/tasks.py:26",
         "the retry backoff of proj.tasks.grows (1000 s) reaches the SQS visibility timeout "
         "(300 s): the task runs twice"),
    ]
