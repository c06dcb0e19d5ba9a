"""Task decorators the project makes itself: aliases by plain name (``my_task =
shared_task``, ``my_task = app.task``) and wrapper functions that apply ``shared_task`` or
``app.task`` to the function they decorate. Their use-site keywords are task options
only when the wrapper passes its ``**kwargs`` through unchanged; otherwise unknown."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conftest import invoke_celerylint, locations, model_of, write_tree

from celerylint.model.tasks import task_option

if TYPE_CHECKING:
    from celerylint.model.build import Model
    from celerylint.model.tasks import Task

APP = {
    "proj/__init__.py": "from .celery import app\n",
    "proj/celery.py": """
        from celery import Celery

        app = Celery("proj")
        """,
}

PASS_THROUGH = """
    import functools

    from celery import shared_task


    def direct(func=None, **opts):
        def decorate(f):
            return shared_task(acks_late=True, **opts)(f)
        if func is None:
            return decorate
        return decorate(func)


    def wrapping(*args, **kwargs):
        def decorate(func):
            @functools.wraps(func)
            def inner(*a, **kw):
                return func(*a, **kw)
            return shared_task(bind=True, **kwargs)(inner)
        return decorate
    """

OPAQUE = """
    from celery import shared_task


    def changed(func=None, **opts):
        opts.setdefault("time_limit", 60)
        return shared_task(**opts)(func)


    def dropped(func=None, **opts):
        return shared_task(func)
    """


def tasks_of(model: Model) -> dict[str, Task]:
    return {task.function: task for task in model.tasks}


def option(task: Task, name: str) -> tuple[str, bool, list[Any]]:
    found = task_option(task, name)
    return found.source, found.unknown, [data for _, data in found.values()]


def test_plain_name_aliases_make_tasks(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/decorators.py": """
            from celery import shared_task

            from proj.celery import app

            my_task = shared_task
            app_task = app.task
            again = my_task
            """,
        "proj/tasks.py": """
            from proj.decorators import again, app_task, my_task

            @my_task
            def plain(): pass

            @my_task(time_limit=30, name="custom")
            def called(): pass

            @app_task(acks_late=True)
            def on_app(): pass

            @again
            def chained(): pass
            """,
    })
    tasks = tasks_of(model)
    assert sorted(tasks) == ["called", "chained", "on_app", "plain"]
    assert tasks["plain"].name == "proj.tasks.plain"
    assert tasks["called"].name == "custom"
    assert option(tasks["called"], "time_limit") == ("decorator", False, [30])
    assert option(tasks["plain"], "time_limit") == ("default", False, [None])
    assert option(tasks["on_app"], "acks_late") == ("decorator", False, [True])
    assert tasks["on_app"].app is not None and tasks["on_app"].app.origin == "proj.celery.app"


def test_a_conditional_plain_alias_is_no_task(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/tasks.py": """
            import os

            from celery import shared_task

            if os.environ.get("CELERY"):
                my_task = shared_task
            else:
                def my_task(f):
                    return f

            @my_task
            def maybe(): pass
            """,
    })
    assert tasks_of(model) == {}


def test_pass_through_wrappers_make_tasks_with_use_site_options(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/decorators.py": PASS_THROUGH,
        "proj/tasks.py": """
            from proj import decorators
            from proj.decorators import direct, wrapping

            @direct
            def bare(): pass

            @direct(time_limit=30, queue="slow")
            def limited(): pass

            @wrapping(soft_time_limit=10, name="wrapped.name")
            def inner_wrapped(self): pass

            @decorators.direct(max_retries=2)
            def dotted(): pass
            """,
    })
    tasks = tasks_of(model)
    assert sorted(tasks) == ["bare", "dotted", "inner_wrapped", "limited"]
    assert tasks["bare"].name == "proj.tasks.bare"
    assert option(tasks["bare"], "acks_late") == ("alias", False, [True])
    assert option(tasks["bare"], "time_limit") == ("default", False, [None])
    assert option(tasks["limited"], "time_limit") == ("decorator", False, [30])
    assert option(tasks["limited"], "queue") == ("decorator", False, ["slow"])
    assert option(tasks["dotted"], "max_retries") == ("decorator", False, [2])
    wrapped = tasks["inner_wrapped"]
    assert wrapped.name == "wrapped.name"
    assert option(wrapped, "bind") == ("alias", False, [True])
    assert option(wrapped, "soft_time_limit") == ("decorator", False, [10])
    assert wrapped.alias is not None and wrapped.alias.path == "proj/decorators.py"


def test_app_task_wrapper_and_wrapper_parameters(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/decorators.py": """
            from proj.celery import app


            def periodic(func=None, *, limit=None, **opts):
                return app.task(func, time_limit=limit, **opts)
            """,
        "proj/tasks.py": """
            from proj.decorators import periodic

            @periodic(limit=30, acks_late=True)
            def tick(): pass
            """,
    })
    tick = tasks_of(model)["tick"]
    assert tick.app is not None and tick.app.origin == "proj.celery.app"
    assert option(tick, "acks_late") == ("decorator", False, [True])
    assert option(tick, "time_limit")[1] is True  # the wrapper's parameter: unknown
    assert option(tick, "limit") == ("default", False, [None])  # not a task option


def test_wrappers_that_do_not_pass_options_through_leave_them_unknown(tmp_path: Path
                                                                       ) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/decorators.py": OPAQUE,
        "proj/tasks.py": """
            from proj.decorators import changed, dropped

            @changed(time_limit=30)
            def first(): pass

            @dropped(time_limit=30)
            def second(): pass
            """,
    })
    tasks = tasks_of(model)
    assert sorted(tasks) == ["first", "second"]
    for task in tasks.values():
        assert task_option(task, "time_limit").unknown
        assert task_option(task, "acks_late").unknown
        assert task.name is None


def test_look_alike_wrappers_make_no_task(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/decorators.py": """
            import functools

            from celery import shared_task


            def my_task(func=None, **opts):
                @functools.wraps(func)
                def inner(*args, **kwargs):
                    return func(*args, **kwargs)
                return inner


            def sometimes(func):
                if func.__name__.startswith("_"):
                    return func
                return shared_task(func)


            def calls_but_returns_func(func):
                shared_task(func)
                return func


            def task(func=None, **opts):
                return functools.partial(print, func, **opts)
            """,
        "proj/tasks.py": """
            from proj.decorators import calls_but_returns_func, my_task, sometimes, task

            @my_task(time_limit=1)
            def one(): pass

            @sometimes
            def two(): pass

            @calls_but_returns_func
            def three(): pass

            @task
            def four(): pass
            """,
    })
    assert tasks_of(model) == {}


def _check(root: Path, files: dict[str, str]) -> list[str]:
    write_tree(root, {name: textwrap.dedent(text.removeprefix("\n"))
                      for name, text in files.items()})
    run = invoke_celerylint(["check", "--output-format", "json", "--jobs", "1", "--no-cache",
                             "--select", "CEL211"], root)
    return locations(run, "CEL211")


def test_cel211_sees_tasks_of_plain_aliases_and_wrappers(tmp_path: Path) -> None:
    found = _check(tmp_path, {**APP,
        "proj/decorators.py": textwrap.dedent(PASS_THROUGH) + textwrap.dedent(OPAQUE).replace(
            "from celery import shared_task\n", "") + "\nplain = shared_task\n",
        "proj/tasks.py": """
            from proj.decorators import changed, direct, dropped, plain, wrapping

            @plain
            def by_alias(): pass

            @plain(time_limit=30)
            def alias_limited(): pass

            @direct
            def unlimited(): pass

            @direct(time_limit=30)
            def limited(): pass

            @wrapping(soft_time_limit=5)
            def soft_limited(self): pass

            @changed
            def unknown_first(): pass

            @dropped(time_limit=30)
            def unknown_second(): pass
            """,
        "proj/other.py": """
            from proj.decorators import direct

            @direct
            def elsewhere(): pass
            """,
    })
    assert found == ["proj/other.py:3", "proj/tasks.py:3", "proj/tasks.py:9"]


SUBCLASS_APP = {
    "proj/__init__.py": "from .celery import app\n",
    "proj/celery.py": """
        from celery import Celery


        class PeriodicTask:
            pass


        class ProjCelery(Celery):
            def periodic_task(self, *args, **options):
                return self.task(*args, **options)

            def simple_task(self, **options):
                return self.task(**options)

            def based_task(self, *args, **options):
                return self.task(*args, **dict(options, base=PeriodicTask))

            def logged_task(self, *args, **options):
                print(args)
                return args[0]


        class NotCelery:
            def periodic_task(self, *args, **options):
                return self.task(*args, **options)


        app = ProjCelery("proj")
        other = NotCelery()
        other.config_from_object("proj.celeryconfig")  # an app-like object, not Celery
        """,
    "proj/celeryconfig.py": "task_acks_late = True\n",
}


def test_celery_subclass_methods_returning_self_task_make_tasks(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**SUBCLASS_APP,
        "proj/tasks.py": """
            from proj.celery import app, other

            @app.periodic_task(run_every=60)
            def tick(): pass

            @app.periodic_task
            def bare(): pass

            @app.periodic_task(time_limit=30)
            def limited(): pass

            @app.simple_task(time_limit=30)
            def simple(): pass

            @app.based_task(time_limit=30)
            def based(): pass

            @app.logged_task(time_limit=30)
            def logged(): pass

            @other.periodic_task(time_limit=30)
            def plain(): pass
            """,
    })
    tasks = tasks_of(model)
    assert sorted(tasks) == ["bare", "based", "limited", "simple", "tick"]
    assert "proj.celery.other" in {app.origin for app in model.apps}
    for task in tasks.values():
        assert task.app is not None and task.app.origin == "proj.celery.app"
    assert tasks["tick"].name == "proj.tasks.tick"
    assert option(tasks["tick"], "run_every") == ("decorator", False, [60])
    assert option(tasks["tick"], "time_limit") == ("default", False, [None])
    assert option(tasks["limited"], "time_limit") == ("decorator", False, [30])
    assert option(tasks["simple"], "time_limit") == ("decorator", False, [30])
    assert task_option(tasks["based"], "time_limit").unknown  # options changed: unknown
    assert tasks["based"].name is None


def test_cel211_sees_tasks_of_celery_subclass_methods(tmp_path: Path) -> None:
    found = _check(tmp_path, {**SUBCLASS_APP,
        "proj/tasks.py": """
            from proj.celery import app, other

            @app.periodic_task(run_every=60)
            def tick(): pass

            @app.periodic_task(time_limit=30)
            def limited(): pass

            @app.simple_task(time_limit=30)
            def simple(): pass

            @app.logged_task
            def logged(): pass

            @other.periodic_task(run_every=60)
            def plain(): pass
            """,
    })
    assert found == ["proj/tasks.py:3"]
