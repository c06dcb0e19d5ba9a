"""The model's Celery apps, built from small projects on disk (no rule runs): which
calls make an app, its origin, label, class and place, and which apps are test code."""

from __future__ import annotations

import textwrap
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


# --- apps made by factory functions ----------------------------------------------------


def _settings(app: App, setting: str) -> list[tuple[object, str, int, bool]]:
    """(value, file, row, conditional) of every binding Celery may read for a setting."""
    return [(b.value.try_plain()[1], b.path, b.span.row, b.conditional)
            for b in app.config.get(setting)]


def test_a_module_level_name_bound_to_a_factory_call_is_the_app(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/factory.py": """
            from celery import Celery

            def create_app():
                application = Celery("built", broker="redis://one")
                application.config_from_object("proj.celeryconfig")
                application.conf.update(task_serializer="json", result_expires=60)
                application.conf.worker_prefetch_multiplier = 1
                application.conf["task_acks_late"] = True
                return application

            app = create_app()
            """,
        "proj/celeryconfig.py": "task_default_queue = 'jobs'\n",
    })
    [app] = model.apps
    assert (app.origin, app.label, app.cls) == ("proj.factory.app", "built", "celery.Celery")
    # the app's place is its creation inside the factory
    assert (app.path, app.span.row) == ("proj/factory.py", 4)
    assert _settings(app, "broker_url") == [("redis://one", "proj/factory.py", 4, False)]
    assert _settings(app, "task_serializer") == [("json", "proj/factory.py", 6, False)]
    assert _settings(app, "result_expires") == [(60, "proj/factory.py", 6, False)]
    assert _settings(app, "worker_prefetch_multiplier") == [(1, "proj/factory.py", 7, False)]
    assert _settings(app, "task_acks_late") == [(True, "proj/factory.py", 8, False)]
    assert _settings(app, "task_default_queue") == [("jobs", "proj/celeryconfig.py", 1, False)]
    assert not app.config.open


def test_a_factory_called_from_another_module_configures_the_name_there(
        tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/application.py": """
            from celery import Celery

            def create_application():
                celery = Celery("proj")
                if DEBUG:
                    celery.conf.task_always_eager = True
                celery.conf.task_acks_late = True
                return celery
            """,
        "proj/worker.py": """
            from proj.application import create_application

            celery = create_application()
            celery.conf.task_acks_late = False
            """,
        "tests/conftest.py": """
            from proj.application import create_application

            test_app = create_application()
            test_app.conf.task_always_eager = True
            """,
    })
    apps = {app.origin: app for app in model.apps}
    # one app per module-level call, none for the factory itself
    assert sorted(apps) == ["proj.worker.celery", "tests.conftest.test_app"]
    app = apps["proj.worker.celery"]
    assert app.label == "proj" and not app.test_code
    assert apps["tests.conftest.test_app"].test_code
    # a write in a branch of the factory may not run; the caller's write wins over the
    # factory's (the factory ran first)
    assert _settings(app, "task_always_eager") == [(True, "proj/application.py", 6, True)]
    assert _settings(app, "task_acks_late") == [(False, "proj/worker.py", 4, False)]
    assert model.production_apps() == [app]


def test_a_factory_nobody_calls_at_module_level_is_an_app_of_its_own(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "factory.py": """
            from celery import Celery

            def make_celery():
                app = Celery("made")
                app.conf.task_acks_late = True
                return app

            def main():
                make_celery().worker_main()
            """,
    })
    [app] = apps.values()
    assert (app.origin, app.label) == ("factory.make_celery()", "made")
    assert _settings(app, "task_acks_late") == [(True, "factory.py", 5, False)]


def test_values_a_factory_takes_from_its_parameters_or_locals_are_unknown(
        tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            import os

            from celery import Celery

            BROKER = "redis://module-level"
            SERIALIZER = "json"

            def make_celery(flask_app, serializer=SERIALIZER):
                BROKER = os.environ["BROKER_URL"]
                app = Celery(flask_app.import_name, broker=BROKER)
                app.conf.task_serializer = serializer
                app.conf.update(flask_app.config)
                return app

            celery = make_celery(create_flask())
            """,
    })
    [app] = apps.values()
    assert app.label == "proj.celery.celery"  # the main name is not a literal
    [broker] = app.config.get("broker_url")
    assert not broker.value.known  # the local BROKER, not the module constant
    assert app.config.is_unknown("task_serializer")
    assert app.config.open  # conf.update(<expression>) can set anything


def test_a_factory_whose_config_source_is_a_parameter_opens_the_config(
        tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            def create_app(config="proj.settings"):
                app = Celery("proj")
                app.config_from_object(config)
                return app

            app = create_app()
            """,
    })
    [app] = apps.values()
    assert app.config.open and app.config.is_unknown("task_serializer")


@pytest.mark.parametrize("body", [
    # returns something else: the Flask app, not the Celery one
    """
    def create_app():
        web = Flask(__name__)
        worker = Celery("w")
        return web
    """,
    # returns one of two objects
    """
    def create_app(flag):
        worker = Celery("w")
        if flag:
            return worker
        return None
    """,
    # the returned name is bound twice
    """
    def create_app():
        worker = Celery("w")
        worker = wrap(worker)
        return worker
    """,
    # the returned name is a parameter
    """
    def create_app(worker=Celery("w")):
        worker.conf.task_acks_late = True
        return worker
    """,
])
def test_functions_that_do_not_return_their_creation_are_no_factories(
        tmp_path: Path, body: str) -> None:
    source = "from celery import Celery\nfrom flask import Flask\n" + textwrap.dedent(body)
    model = model_of(tmp_path, {"web.py": source + "\napp = create_app()\n"})
    assert model.apps == []


def test_writes_on_the_factory_local_do_not_leak_to_a_module_level_namesake(
        tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "worker.py": """
            from celery import Celery

            app = Celery("module-level")

            def make_other():
                app = Celery("other")
                app.conf.task_acks_late = True
                return app
            """,
    })
    assert sorted(apps) == ["worker.app", "worker.make_other()"]
    assert not apps["worker.app"].config.is_set("task_acks_late")
    assert _settings(apps["worker.make_other()"], "task_acks_late") == [
        (True, "worker.py", 7, False)]


def test_a_write_after_a_possible_early_return_is_conditional(tmp_path: Path) -> None:
    [app] = _apps(tmp_path, {
        "worker.py": """
            from celery import Celery

            def make(light):
                app = Celery("w")
                if light:
                    return app
                app.conf.task_acks_late = True
                return app

            app = make(False)
            """,
    }).values()
    assert _settings(app, "task_acks_late") == [(True, "worker.py", 7, True)]


def test_a_module_binding_a_factory_app_is_read_when_tasks_use_the_app(
        tmp_path: Path) -> None:
    """``celery = create_application()`` alone shows no sign of Celery; the module is
    read all the same because tasks elsewhere are decorated with that name."""
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/application.py": """
            from celery import Celery

            def create_application():
                celery = Celery("proj")
                return celery
            """,
        "proj/worker.py": """
            from proj.application import create_application

            celery = create_application()
            """,
        "proj/jobs.py": """
            from proj.worker import celery

            @celery.task
            def work():
                pass
            """,
    })
    [app] = model.apps
    assert app.origin == "proj.worker.celery"
    [task] = model.tasks
    assert task.app is app


# --- Celery subclasses configuring their instances --------------------------------------


def test_writes_in_the_methods_of_a_celery_subclass_configure_every_instance(
        tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/base.py": """
            from celery import Celery

            from proj.tasks import BaseTask

            class ProjectCelery(Celery):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf.update(task_serializer="json", task_acks_late=True)
                    self.conf["result_expires"] = 3600
                    self.Task = BaseTask

                def on_init(self):
                    self.conf.worker_prefetch_multiplier = 1

                def init_app(self, flask_app):
                    self.conf.task_always_eager = True
            """,
        "proj/tasks.py": """
            from celery import Task

            class BaseTask(Task):
                pass
            """,
        "proj/apps.py": """
            from proj.base import ProjectCelery

            first = ProjectCelery("first", task_acks_late=False)
            second = ProjectCelery("second")
            second.conf.result_expires = 60
            """,
    })
    first, second = apps["proj.apps.first"], apps["proj.apps.second"]
    assert _settings(first, "task_serializer") == [("json", "proj/base.py", 8, False)]
    assert _settings(second, "task_serializer") == [("json", "proj/base.py", 8, False)]
    assert [b.origin for b in first.config.get("task_serializer")] == ["Celery class"]
    # the app's own writes (keywords, conf) win over its class's
    assert _settings(first, "task_acks_late") == [(False, "proj/apps.py", 3, False)]
    assert _settings(second, "task_acks_late") == [(True, "proj/base.py", 8, False)]
    assert _settings(first, "result_expires") == [(3600, "proj/base.py", 9, False)]
    assert _settings(second, "result_expires") == [(60, "proj/apps.py", 5, False)]
    # Celery runs on_init for every instance; init_app only when someone calls it
    assert _settings(first, "worker_prefetch_multiplier") == [(1, "proj/base.py", 13, False)]
    assert _settings(first, "task_always_eager") == [(True, "proj/base.py", 16, True)]
    assert (first.task_cls, first.task_cls_known) == ("proj.tasks.BaseTask", True)


def test_instance_writes_follow_the_project_class_chain(tmp_path: Path) -> None:
    [app] = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/base.py": """
            from celery import Celery

            class BaseCelery(Celery):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf.task_serializer = "json"
                    self.conf.task_acks_late = True
            """,
        "proj/apps.py": """
            from proj.base import BaseCelery

            class Application(BaseCelery):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf.task_serializer = "msgpack"

            app = Application("chained")
            """,
    }).values()
    assert app.cls == "proj.apps.Application"
    assert _settings(app, "task_serializer") == [("msgpack", "proj/apps.py", 6, False)]
    assert _settings(app, "task_acks_late") == [(True, "proj/base.py", 7, False)]


def test_instance_writes_that_cannot_be_known_stay_unknown(tmp_path: Path) -> None:
    apps = _apps(tmp_path, {
        "proj/__init__.py": "",
        "proj/apps.py": """
            from celery import Celery

            class FlaskCelery(Celery):
                def init_app(self, flask_app):
                    self.conf.update(flask_app.config)
                    self.Task = make_context_task(flask_app)

            class Tuned(Celery):
                def __init__(self, *args, serializer="json", **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf.task_serializer = serializer

            flask_celery = FlaskCelery("flask")
            tuned = Tuned("tuned")
            """,
    })
    flask_celery, tuned = apps["proj.apps.flask_celery"], apps["proj.apps.tuned"]
    assert flask_celery.config.open
    assert flask_celery.task_cls_known is False
    assert tuned.config.is_unknown("task_serializer") and not tuned.config.open


def test_writes_on_self_outside_celery_subclasses_configure_nothing(tmp_path: Path) -> None:
    [app] = _apps(tmp_path, {
        "worker.py": """
            from celery import Celery

            class Settings:
                def __init__(self):
                    self.conf = {}
                    self.conf["task_serializer"] = "pickle"

            app = Celery("plain")
            """,
    }).values()
    assert not app.config.is_set("task_serializer")
