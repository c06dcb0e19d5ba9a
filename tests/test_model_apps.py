"""The model's Celery apps, built from small projects on disk (no rule runs): which
calls make an app, its origin, label, class and place, and which apps are test code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import model_of

if TYPE_CHECKING:
    from celerylint.model.apps import App


def _apps(tmp_path: Path, files: dict[str, str]) -> dict[str, App]:
    return {app.origin: app for app in model_of(tmp_path, files).apps}


def test_an_app_is_a_celery_call_assigned_to_a_module_level_name(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            import os

            from celery import Celery

            app = Celery("proj", broker="redis://localhost")
            """,
    })
    [app] = model.apps
    assert app.origin == "proj.celery.app"
    assert app.path == "proj/celery.py"
    assert (app.span.row, app.span.column, app.span.end_row) == (5, 7, 5)
    assert app.main == "proj"
    assert app.label == "proj"
    assert app.cls == "celery.Celery"
    assert app.test_code is False
    assert app.task_cls is None and app.task_cls_known
    assert model.production_apps() == [app]


def test_the_label_is_the_origin_when_the_main_name_is_not_a_literal(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "worker.py": """
            from celery import Celery

            NAME = compute_name()
            nameless = Celery()
            computed = Celery(NAME)
            by_keyword = Celery(main="kw")
            """,
    })
    assert sorted(apps) == ["worker.by_keyword", "worker.computed", "worker.nameless"]
    assert (apps["worker.nameless"].main, apps["worker.nameless"].label) == (
        None, "worker.nameless")
    assert (apps["worker.computed"].main, apps["worker.computed"].label) == (
        None, "worker.computed")
    assert (apps["worker.by_keyword"].main, apps["worker.by_keyword"].label) == ("kw", "kw")


def test_every_spelling_of_the_celery_class_makes_an_app(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/base.py": """
            from celery import Celery

            class ProjectCelery(Celery):
                pass
            """,
        "proj/apps.py": """
            import celery
            from celery import Celery as C
            from celery.app.base import Celery as Deep

            from proj.base import ProjectCelery

            aliased = C("aliased")
            dotted = celery.Celery("dotted")
            deep = Deep("deep")
            subclassed = ProjectCelery("subclassed")
            """,
    })
    assert {origin: app.cls for origin, app in apps.items()} == {
        "proj.apps.aliased": "celery.Celery",
        "proj.apps.dotted": "celery.Celery",
        "proj.apps.deep": "celery.app.base.Celery",
        "proj.apps.subclassed": "proj.base.ProjectCelery",
    }
    assert {app.label for app in apps.values()} == {"aliased", "dotted", "deep", "subclassed"}


@pytest.mark.xfail(strict=True, reason="an app class is looked for only among callees "
                   "whose dotted name contains 'Celery'")
def test_a_project_subclass_of_celery_by_any_name_makes_an_app(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/apps.py": """
            from celery import Celery

            class Application(Celery):
                pass

            app = Application("named-otherwise")
            """,
    })
    assert [(app.label, app.cls) for app in apps.values()] == [
        ("named-otherwise", "proj.apps.Application")]


def test_a_class_merely_named_celery_does_not_make_an_app(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "queueing.py": """
            from otherqueue import Celery

            app = Celery("not-celery")
            """,
    })
    assert apps == {}


def test_an_object_the_project_configures_is_an_app_whatever_builds_it(tmp_path: Path) -> None:
    """Apps built by a class chosen at run time (mayan's) are found through the
    ``config_from_object`` call made on them."""
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from mayan.apps.celery import CeleryClass

            app = CeleryClass(main="mayan")
            app.config_from_object("proj.celeryconfig")
            """,
        "proj/celeryconfig.py": "task_acks_late = True\n",
    })
    [app] = apps.values()
    assert (app.origin, app.label, app.cls) == ("proj.celery.app", "mayan",
                                                "mayan.apps.celery.CeleryClass")
    assert [b.value.data for b in app.config.get("task_acks_late")] == [True]


@pytest.mark.xfail(strict=True, reason="apps created inside factory functions are not "
                   "modelled today: only module-level assignments make apps")
def test_an_app_created_in_a_factory_function(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "factory.py": """
            from celery import Celery

            def make_celery():
                app = Celery("made")
                app.conf.task_acks_late = True
                return app
            """,
    })
    assert [app.label for app in apps.values()] == ["made"]


@pytest.mark.parametrize("path", [
    "tests/celery_app.py", "test/app.py", "proj/test_worker.py", "proj/worker_test.py",
    "conftest.py", "proj/tests/helpers/app.py",
])
def test_apps_in_test_code_are_flagged(tmp_path: Path, path: str) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\napp = Celery("prod")\n',
        path: 'from celery import Celery\ntest_app = Celery("test", task_always_eager=True)\n',
    })
    flags = {app.label: app.test_code for app in model.apps}
    assert flags == {"prod": False, "test": True}
    assert [app.label for app in model.production_apps()] == ["prod"]


def test_the_task_class_of_an_app(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/base.py": """
            from celery import Celery, Task

            class BaseTask(Task):
                acks_late = True

            class CeleryWithTaskCls(Celery):
                task_cls = "proj.base:BaseTask"
            """,
        "proj/apps.py": """
            from celery import Celery

            from proj.base import BaseTask, CeleryWithTaskCls

            by_object = Celery("a", task_cls=BaseTask)
            by_string = Celery("b", task_cls="proj.base:BaseTask")
            by_class = CeleryWithTaskCls("c")
            unknowable = Celery("d", task_cls=pick_class())
            set_later = Celery("e")
            set_later.Task = BaseTask
            """,
    })
    found = {app.label: (app.task_cls, app.task_cls_known) for app in apps.values()}
    assert found == {
        "a": ("proj.base.BaseTask", True),
        "b": ("proj.base.BaseTask", True),
        "c": ("proj.base.BaseTask", True),
        "d": (None, False),
        "e": ("proj.base.BaseTask", True),
    }


def test_apps_are_listed_in_path_order(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "b.py": 'from celery import Celery\nsecond = Celery("b")\nthird = Celery("c")\n',
        "a.py": 'from celery import Celery\nfirst = Celery("a")\n',
    })
    assert [(app.path, app.span.row, app.label) for app in model.apps] == [
        ("a.py", 2, "a"), ("b.py", 2, "b"), ("b.py", 3, "c")]
