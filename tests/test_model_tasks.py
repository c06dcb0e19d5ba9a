"""The model's tasks, built from small projects on disk (no rule runs): which decorators
and classes make tasks, their names and apps, and each option as Celery resolves it
(annotation > decorator > decorator alias > task class > the app's ``task_*`` setting >
Celery's default), with the place that sets it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import model_of

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


def tasks_of(model: Model) -> dict[str, Task]:
    return {task.function: task for task in model.tasks}


def option(task: Task, name: str) -> tuple[str, bool, list[Any]]:
    """(source, unknown, plain values) of one option of a task."""
    found = task_option(task, name)
    return found.source, found.unknown, [data for _, data in found.values()]


def option_place(task: Task, name: str) -> list[tuple[str, str, int | None]]:
    """(source, file, row) of every candidate value of one option."""
    return [(c.source, c.path, c.span.row if c.span else None)
            for c in task_option(task, name).candidates]


def test_decorator_forms_make_tasks_with_derived_or_given_names(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP, "proj/tasks.py": """
        import celery
        from celery import shared_task
        from celery import shared_task as background

        from proj import app

        @app.task
        def bare(): pass

        @app.task()
        def called(): pass

        @app.task(name="custom.name", bind=True)
        def named(self): pass

        @shared_task
        def shared(): pass

        @shared_task(ignore_result=True)
        def shared_called(): pass

        @background
        def renamed_import(): pass

        @celery.shared_task
        def module_attribute(): pass

        @app.task(**COMMON_OPTIONS)
        def splat(): pass

        def by_hand(): pass
        by_hand_task = app.task(name="by.hand")(by_hand)

        def my_task(function):
            return function

        @my_task
        def merely_named_like_a_task(): pass

        def plain(): pass
        """})
    found = {task.function: (task.name, task.kind, task.span.row) for task in model.tasks}
    assert found == {
        "bare": ("proj.tasks.bare", "function", 7),
        "called": ("proj.tasks.called", "function", 10),
        "named": ("custom.name", "function", 13),
        "shared": ("proj.tasks.shared", "function", 16),
        "shared_called": ("proj.tasks.shared_called", "function", 19),
        "renamed_import": ("proj.tasks.renamed_import", "function", 22),
        "module_attribute": ("proj.tasks.module_attribute", "function", 25),
        "splat": (None, "function", 28),  # name= may hide in the ** options
        "by_hand": ("by.hand", "function", 32),
    }
    task = tasks_of(model)["named"]
    assert (task.path, task.module, task.label) == ("proj/tasks.py", "proj.tasks",
                                                    "custom.name")
    assert tasks_of(model)["splat"].label == "proj.tasks.splat"


def test_a_shared_task_alias_defined_in_another_module(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/decorators.py": """
            from celery import shared_task

            reliable = shared_task(acks_late=True, max_retries=5)
            """,
        "proj/tasks.py": """
            from proj.decorators import reliable

            @reliable
            def charge(): pass

            @reliable(max_retries=1)
            def refund(): pass
            """,
    })
    tasks = tasks_of(model)
    assert sorted(tasks) == ["charge", "refund"]
    charge = tasks["charge"]
    assert charge.alias is not None and charge.alias.path == "proj/decorators.py"
    assert (charge.alias.assign.var, charge.name) == ("reliable", "proj.tasks.charge")
    assert option(charge, "acks_late") == ("alias", False, [True])
    assert option_place(charge, "acks_late") == [("alias", "proj/decorators.py", 3)]
    assert option(tasks["refund"], "max_retries") == ("decorator", False, [1])
    assert option(tasks["refund"], "acks_late") == ("alias", False, [True])


def test_the_app_of_a_task(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/other.py": 'from celery import Celery\nother = Celery("other")\n',
        "proj/tasks.py": """
            from celery import shared_task

            from proj import app
            from proj.other import other

            @app.task
            def on_reexported_app(): pass

            @other.task
            def on_other(): pass

            @shared_task
            def shared(): pass
            """,
    })
    tasks = tasks_of(model)
    assert tasks["on_reexported_app"].app.origin == "proj.celery.app"
    assert tasks["on_other"].app.origin == "proj.other.other"
    # two production apps: a shared task may run on either
    assert (tasks["shared"].app, tasks["shared"].app_known) == (None, False)
    assert option(tasks["shared"], "acks_late")[:2] == ("default", True)


def test_a_shared_task_belongs_to_the_only_production_app(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "tests/conftest.py": 'from celery import Celery\ntest_app = Celery("test")\n',
        "proj/tasks.py": "from celery import shared_task\n\n@shared_task\ndef job(): pass\n",
    })
    [task] = model.tasks
    assert (task.app.origin, task.app_known) == ("proj.celery.app", True)
    assert model.production_tasks() == [task]


def test_tasks_in_test_code_are_not_production_tasks(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP,
        "proj/tasks.py": "from proj import app\n\n@app.task\ndef real(): pass\n",
        "tests/test_tasks.py": "from proj import app\n\n@app.task\ndef fake(): pass\n",
    })
    assert sorted(t.function for t in model.tasks) == ["fake", "real"]
    assert [t.function for t in model.production_tasks()] == ["real"]


def test_class_based_tasks(tmp_path: Path) -> None:
    model = model_of(tmp_path, {**APP, "proj/tasks.py": """
        from celery import Task

        from proj import app

        class Resize(Task):
            name = "images.resize"
            time_limit = 30

            def run(self, path): pass

        class Derived(Task):
            def run(self): pass

        class OnAppTask(app.Task):
            def run(self): pass

        class BaseOnly(Task):
            acks_late = True

        class NotATask:
            def run(self): pass
        """})
    found = {task.function: (task.name, task.kind, task.span.row) for task in model.tasks}
    assert found == {
        "Resize": ("images.resize", "class", 5),
        "Derived": ("proj.tasks.Derived", "class", 11),
        "OnAppTask": ("proj.tasks.OnAppTask", "class", 14),
    }
    resize = tasks_of(model)["Resize"]
    assert resize.app.origin == "proj.celery.app"
    assert option(resize, "time_limit") == ("class", False, [30])
    assert option_place(resize, "time_limit") == [("class", "proj/tasks.py", 7)]


def test_option_precedence(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery, Task

            class ProjectTask(Task):
                acks_late = True
                max_retries = 7

            app = Celery("proj", task_cls=ProjectTask)
            app.conf.task_time_limit = 300
            app.conf.task_soft_time_limit = 200
            """,
        "proj/tasks.py": """
            from celery import Task

            from proj.celery import app

            class Quick(Task):
                soft_time_limit = 5

            @app.task
            def inherits(): pass

            @app.task(acks_late=False, time_limit=10)
            def overrides(): pass

            @app.task(base=Quick)
            def based(): pass
            """,
    })
    tasks = tasks_of(model)
    inherits, overrides, based = tasks["inherits"], tasks["overrides"], tasks["based"]
    assert inherits.base == "proj.celery.ProjectTask"
    assert [path for path, _ in inherits.class_chain] == ["proj/celery.py"]
    assert option(inherits, "acks_late") == ("class", False, [True])
    assert option_place(inherits, "acks_late") == [("class", "proj/celery.py", 4)]
    assert option(inherits, "time_limit") == ("config", False, [300])
    assert option_place(inherits, "time_limit") == [("config", "proj/celery.py", 8)]
    assert option(inherits, "rate_limit") == ("default", False, [None])
    assert option(overrides, "acks_late") == ("decorator", False, [False])
    assert option_place(overrides, "time_limit") == [("decorator", "proj/tasks.py", 11)]
    assert option(overrides, "max_retries") == ("class", False, [7])
    # base= replaces the app's task class
    assert based.base == "proj.tasks.Quick"
    assert option(based, "soft_time_limit") == ("class", False, [5])
    assert option(based, "acks_late") == ("default", False, [None])
    assert option(based, "time_limit") == ("config", False, [300])


def test_task_annotations_win_over_everything(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.conf.task_annotations = {
                "proj.tasks.annotated": {"rate_limit": "1/s"},
                "*": {"time_limit": 9},
            }
            """,
        "proj/tasks.py": """
            from proj.celery import app

            @app.task(rate_limit="100/s", time_limit=60)
            def annotated(): pass

            @app.task
            def other(): pass
            """,
    })
    tasks = tasks_of(model)
    assert option(tasks["annotated"], "rate_limit") == ("annotation", False, ["1/s"])
    assert option_place(tasks["annotated"], "rate_limit") == [
        ("annotation", "proj/celery.py", 5)]
    assert option(tasks["annotated"], "time_limit") == ("annotation", False, [9])
    assert option(tasks["other"], "rate_limit") == ("default", False, [None])


@pytest.mark.parametrize(("decorator", "reason"), [
    ("@app.task(**OPTIONS)", "options passed with **"),
    ("@app.task(base=pick_base())", "the task class is not in the project"),
    ("@app.task(base=ExternalBase)", "the task class is not in the project"),
])
def test_options_that_cannot_be_known(tmp_path: Path, decorator: str, reason: str) -> None:
    model = model_of(tmp_path, {**APP, "proj/tasks.py": f"""
        from vendor.tasks import ExternalBase

        from proj import app

        {decorator}
        def job(): pass
        """})
    [task] = model.tasks
    found = task_option(task, "acks_late")
    assert (found.unknown, found.reason) == (True, reason)


def test_an_unknown_app_setting_makes_the_option_unknown(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "worker.py": """
            from celery import Celery

            app = Celery("worker")
            app.conf.task_serializer = pick()

            @app.task
            def job(): pass
            """,
    })
    [task] = model.tasks
    found = task_option(task, "serializer")
    assert (found.source, found.unknown, found.reason) == (
        "config", True, "task_serializer cannot be known")
    assert [(c.path, c.span.row) for c in found.candidates] == [("worker.py", 4)]


def test_a_custom_task_name_generator_hides_derived_names(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "worker.py": """
            from celery import Celery

            class NamingCelery(Celery):
                def gen_task_name(self, name, module):
                    return name

            app = NamingCelery("worker")

            @app.task
            def derived(): pass

            @app.task(name="given")
            def given(): pass
            """,
    })
    assert {t.function: t.name for t in model.tasks} == {"derived": None, "given": "given"}
