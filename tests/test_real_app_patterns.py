"""App and configuration patterns of real projects, through the real command: apps made
by factory functions and Celery subclasses that configure their instances. A rule fires
where the pattern sets a bad value, and stays silent where the value cannot be known."""

from __future__ import annotations

import textwrap
from pathlib import Path

from conftest import invoke_celerylint, locations, write_tree


def _check(tmp_path: Path, files: dict[str, str], code: str) -> list[str]:
    project = write_tree(tmp_path / "project", {
        name: textwrap.dedent(text.removeprefix("\n")) for name, text in files.items()})
    run = invoke_celerylint(["check", "--output-format", "json", "--jobs", "1", "--no-cache",
                             "--select", code], project)
    return locations(run, code)


_FACTORY = """
    from celery import Celery

    def create_app(serializer):
        app = Celery("proj")
        app.conf.update(task_serializer="pickle")
        app.conf.result_serializer = serializer
        return app
    """


def test_a_pickle_serializer_set_in_a_factory_is_reported_there(tmp_path: Path) -> None:
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/factory.py": _FACTORY,
        "proj/worker.py": """
            from proj.factory import create_app

            celery = create_app("json")
            celery.conf.event_serializer = "pickle"
            """,
    }, "CEL101")
    # the factory's task_serializer and the caller's event_serializer; the result
    # serializer comes from a parameter: unknown, so silent
    assert found == ["proj/factory.py:5", "proj/worker.py:4"]


def test_a_factory_value_overridden_by_the_caller_is_silent(tmp_path: Path) -> None:
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/factory.py": _FACTORY,
        "proj/worker.py": """
            from proj.factory import create_app

            celery = create_app("json")
            celery.conf.task_serializer = "json"
            """,
    }, "CEL101")
    assert found == []


def test_a_factory_whose_serializer_comes_from_outside_is_silent(tmp_path: Path) -> None:
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/factory.py": """
            import os

            from celery import Celery

            task_serializer = "pickle"

            def create_app(settings):
                task_serializer = os.environ["SERIALIZER"]
                app = Celery("proj", task_serializer=task_serializer)
                app.conf.update(settings)
                return app

            app = create_app(load_settings())
            """,
    }, "CEL101")
    assert found == []


def test_a_pickle_serializer_set_by_a_celery_subclass_is_reported(tmp_path: Path) -> None:
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/base.py": """
            from celery import Celery

            class Application(Celery):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf["task_serializer"] = "pickle"
            """,
        "proj/worker.py": """
            from proj.base import Application

            app = Application("proj")
            """,
        "proj/tasks.py": """
            from proj.worker import app

            @app.task
            def work():
                pass
            """,
    }, "CEL101")
    assert found == ["proj/base.py:6"]


def test_an_app_overriding_its_class_serializer_is_silent(tmp_path: Path) -> None:
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/base.py": """
            from celery import Celery

            class Application(Celery):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.conf["task_serializer"] = "pickle"

                def init_app(self, flask_app):
                    self.conf.update(flask_app.config)
            """,
        "proj/worker.py": """
            from proj.base import Application

            app = Application("proj", task_serializer="json")
            """,
    }, "CEL101")
    assert found == []


_CONFIGURATIONS = {
    "manage.py": """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        os.environ.setdefault("DJANGO_CONFIGURATION", "Production")
        """,
    "mysite/__init__.py": "",
    "mysite/celery.py": """
        from celery import Celery

        app = Celery("mysite")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        """,
    "mysite/settings.py": """
        from configurations import Configuration

        class Common(Configuration):
            CELERY_TASK_SERIALIZER = "json"

        class Dev(Common):
            CELERY_RESULT_SERIALIZER = "pickle"

        class Production(Common):
            CELERY_TASK_SERIALIZER = "pickle"
        """,
}


def test_a_pickle_serializer_in_the_chosen_configuration_is_reported(tmp_path: Path) -> None:
    # Production's task serializer; Dev is another configuration, not read
    assert _check(tmp_path, _CONFIGURATIONS, "CEL101") == ["mysite/settings.py:10"]


def test_configurations_without_a_chosen_class_are_silent(tmp_path: Path) -> None:
    files = dict(_CONFIGURATIONS)
    files["manage.py"] = """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        """
    assert _check(tmp_path, files, "CEL101") == []


def test_a_pickle_serializer_in_a_copied_settings_class_is_reported(tmp_path: Path) -> None:
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.celeryconfig")
            """,
        "proj/celeryconfig.py": """
            class Settings:
                task_serializer = "pickle"

            class Unused:
                result_serializer = "pickle"

            Settings.load_settings(__name__)
            """,
    }, "CEL101")
    assert found == ["proj/celeryconfig.py:2"]


def test_a_factory_called_by_two_modules_is_reported_once(tmp_path: Path) -> None:
    caller = """
        from proj.factory import create_app

        {name} = create_app("json")
        {name}.conf.timezone = "UTC"
        """
    found = _check(tmp_path, {
        "proj/__init__.py": "",
        "proj/factory.py": _FACTORY,
        "proj/worker.py": caller.format(name="celery"),
        "proj/beat.py": caller.format(name="scheduler"),
    }, "CEL101")
    assert found == ["proj/factory.py:5"]
