"""The effective configuration of each app, built from small projects on disk (no rule
runs): every source Celery reads (``Celery()`` keywords, ``config_from_object`` of a
module, a class or Django settings under a namespace, ``conf.update``, ``conf.X =``),
which one wins, where each value is written, and what cannot be known."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import model_of

if TYPE_CHECKING:
    from celerylint.model.apps import App


def only_app(tmp_path: Path, files: dict[str, str], celery_version: str | None = None
             ) -> App:
    [app] = model_of(tmp_path, files, celery_version=celery_version).apps
    return app


def values(app: App, setting: str) -> list[Any]:
    """The plain value of every binding Celery may read (None when unknown)."""
    return [b.value.try_plain()[1] for b in app.config.get(setting)]


def where(app: App, setting: str) -> list[tuple[str, str, int, str, bool]]:
    """(key as written, file, row, origin, conditional) of every binding of a setting."""
    return [(b.key, b.path, b.span.row, b.origin, b.conditional)
            for b in app.config.get(setting)]


def test_celery_keywords_are_settings_with_their_place(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "worker.py": """
            from celery import Celery

            app = Celery(
                "worker",
                broker="redis://localhost:6379/0",
                backend="redis://localhost:6379/1",
                task_acks_late=True,
                result_expires=None,
                include=["worker.tasks"],
            )
            """,
    })
    assert sorted(app.config.bindings) == ["broker_url", "include", "result_backend",
                                           "task_acks_late"]
    assert values(app, "broker_url") == ["redis://localhost:6379/0"]
    assert values(app, "result_backend") == ["redis://localhost:6379/1"]
    assert values(app, "task_acks_late") == [True]
    assert values(app, "include") == [("worker.tasks",)]
    # the short keywords are recorded under the setting they stand for
    assert where(app, "broker_url") == [("broker_url", "worker.py", 5, "Celery()", False)]
    assert where(app, "result_backend") == [
        ("result_backend", "worker.py", 6, "Celery()", False)]
    assert where(app, "task_acks_late") == [("task_acks_late", "worker.py", 7, "Celery()",
                                             False)]
    assert not app.config.is_set("result_expires")  # a None keyword is no setting
    assert app.config.sources == [] and not app.config.open


def test_config_from_object_reads_a_module_by_name(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.celeryconfig")
            """,
        "proj/celeryconfig.py": """
            broker_url = "amqp://guest@localhost//"
            task_serializer = "json"
            CELERY_RESULT_BACKEND = "rpc://"
            not_a_setting = 42
            _private = 1
            """,
    })
    assert values(app, "broker_url") == ["amqp://guest@localhost//"]
    assert where(app, "task_serializer") == [
        ("task_serializer", "proj/celeryconfig.py", 2, "settings", False)]
    # an old upper-case name counts without a namespace
    assert where(app, "result_backend") == [
        ("CELERY_RESULT_BACKEND", "proj/celeryconfig.py", 3, "settings", False)]
    assert [(target, path, span.row) for target, path, span in app.config.sources] == [
        ("proj.celeryconfig", "proj/celery.py", 4)]
    assert sorted(b.key for b in app.config.ignored) == ["_private", "not_a_setting"]
    assert not app.config.open


def test_config_from_object_reads_an_imported_module_object(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            from proj import celeryconfig

            app = Celery("proj")
            app.config_from_object(celeryconfig)
            """,
        "proj/celeryconfig.py": 'task_default_queue = "default"\n',
    })
    assert where(app, "task_default_queue") == [
        ("task_default_queue", "proj/celeryconfig.py", 1, "settings", False)]
    assert [target for target, _, _ in app.config.sources] == ["proj.celeryconfig"]


def test_config_from_object_reads_a_class_and_its_bases(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "proj/__init__.py": "",
        "proj/config.py": """
            class Base:
                broker_url = "redis://base"
                task_acks_late = True

            class Production(Base):
                task_acks_late = False
                result_expires = 3600
            """,
        "proj/celery.py": """
            from celery import Celery

            from proj.config import Production

            app = Celery("proj")
            app.config_from_object(Production)
            """,
    })
    assert values(app, "broker_url") == ["redis://base"]
    assert where(app, "task_acks_late") == [
        ("task_acks_late", "proj/config.py", 6, "config class", False)]
    assert values(app, "task_acks_late") == [False]
    assert where(app, "result_expires") == [
        ("result_expires", "proj/config.py", 7, "config class", False)]
    assert [target for target, _, _ in app.config.sources] == ["proj.config.Production"]


DJANGO = {
    "manage.py": """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        """,
    "mysite/__init__.py": "",
    "mysite/celery.py": """
        from celery import Celery

        app = Celery("mysite")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        """,
    "mysite/base.py": """
        CELERY_BROKER_URL = "redis://base"
        CELERY_TASK_TIME_LIMIT = 600
        """,
    "mysite/settings.py": """
        from .base import *

        DEBUG = False
        CELERY_BROKER_URL = "redis://settings"
        CELERY_TASK_ACKS_LATE = True
        task_serializer = "pickle"
        CELERY_TASK_ROUTES = {}
        CELERY_TASK_ROUTES["mysite.tasks.slow"] = {"queue": "slow"}
        if DEBUG:
            CELERY_TASK_ALWAYS_EAGER = True
        CELERYD_PREFETCH_MULTIPLIER = 1
        """,
}


def test_django_settings_under_the_celery_namespace(tmp_path: Path) -> None:
    app = only_app(tmp_path, DJANGO)
    config = app.config
    assert config.namespace == "CELERY"
    assert [(target, path, span.row) for target, path, span in config.sources] == [
        ("django.conf:settings", "mysite/celery.py", 4)]
    assert where(app, "broker_url") == [
        ("CELERY_BROKER_URL", "mysite/settings.py", 4, "settings", False)]
    assert where(app, "task_time_limit") == [  # through the star import
        ("CELERY_TASK_TIME_LIMIT", "mysite/base.py", 2, "settings", False)]
    assert values(app, "task_acks_late") == [True]
    assert where(app, "task_always_eager") == [
        ("CELERY_TASK_ALWAYS_EAGER", "mysite/settings.py", 10, "settings", True)]
    # Django settings expose upper-case names only; DEBUG is not Celery's
    assert not config.is_set("task_serializer")
    assert sorted(b.key for b in config.ignored) == ["DEBUG", "task_serializer"]
    assert not config.open


def test_a_settings_value_changed_at_run_time_is_also_unknown(tmp_path: Path) -> None:
    app = only_app(tmp_path, DJANGO)
    routes = app.config.get("task_routes")
    assert [(b.value.known, b.conditional, b.span.row) for b in routes] == [
        (True, False, 7), (False, True, 7)]
    assert routes[1].value.reason == "changed at run time"
    assert app.config.is_unknown("task_routes")
    assert not app.config.is_unknown("broker_url")


@pytest.mark.parametrize(("version", "effective", "read"), [
    (None, None, [1]),      # unknown version: may or may not be read
    ("5.6", False, []),     # Celery before 5.7 ignores old names under a namespace
    ("5.7", True, [1]),
])
def test_an_old_setting_name_under_a_namespace_depends_on_the_version(
    tmp_path: Path, version: str | None, effective: bool | None, read: list[int]
) -> None:
    app = only_app(tmp_path, DJANGO, celery_version=version)
    [binding] = app.config.bindings["worker_prefetch_multiplier"]
    assert (binding.key, binding.effective, binding.certain) == (
        "CELERYD_PREFETCH_MULTIPLIER", effective, effective is True)
    assert values(app, "worker_prefetch_multiplier") == read


def test_conf_writes_win_over_the_config_source(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "proj/__init__.py": "from .celery import app\n",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj", task_default_queue="from-keyword")
            app.config_from_object("proj.celeryconfig")
            app.conf.update(task_serializer="json", result_expires=60)
            app.conf.worker_concurrency = 4
            app.conf["task_default_queue"] = "from-item"
            """,
        "proj/celeryconfig.py": """
            task_serializer = "pickle"
            worker_concurrency = 16
            result_backend = "rpc://"
            """,
    })
    assert where(app, "task_serializer") == [
        ("task_serializer", "proj/celery.py", 5, "app.conf", False)]
    assert values(app, "task_serializer") == ["json"]
    assert where(app, "worker_concurrency") == [
        ("worker_concurrency", "proj/celery.py", 6, "app.conf", False)]
    assert where(app, "task_default_queue") == [
        ("task_default_queue", "proj/celery.py", 7, "app.conf", False)]
    assert values(app, "result_expires") == [60]
    assert values(app, "result_backend") == ["rpc://"]  # only the source sets it


def test_a_conditional_write_keeps_the_source_value_possible(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "proj/__init__.py": "from .celery import app\n",
        "proj/celery.py": """
            import os

            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.celeryconfig")
            if os.environ.get("EAGER"):
                app.conf.task_always_eager = True
            """,
        "proj/celeryconfig.py": "task_always_eager = False\n",
        "proj/other.py": """
            from proj import app

            app.conf.task_acks_late = True
            """,
    })
    assert where(app, "task_always_eager") == [
        ("task_always_eager", "proj/celery.py", 8, "app.conf", True),
        ("task_always_eager", "proj/celeryconfig.py", 1, "settings", False)]
    assert values(app, "task_always_eager") == [True, False]
    # a write in another module (through a re-export) may or may not have run
    assert where(app, "task_acks_late") == [
        ("task_acks_late", "proj/other.py", 3, "app.conf", True)]


def test_an_env_lookup_gives_its_literal_default_as_a_possible_value(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "celeryconfig.py": """
            import os

            broker_url = os.environ.get("BROKER_URL", "redis://localhost")
            result_backend = os.environ["RESULT_BACKEND"]
            """,
        "worker.py": """
            from celery import Celery

            app = Celery("worker")
            app.config_from_object("celeryconfig")
            """,
    })
    [broker] = app.config.get("broker_url")
    assert (broker.value.known, broker.value.data, broker.value.from_env) == (
        True, "redis://localhost", True)
    [backend] = app.config.get("result_backend")
    assert not backend.value.known and backend.value.reason
    assert app.config.is_unknown("result_backend")
    assert not app.config.is_unknown("broker_url")


def test_values_that_cannot_be_known(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "worker.py": """
            from celery import Celery

            app = Celery("worker", broker=BROKER)
            app.conf.task_serializer = pick_serializer()
            app.conf.beat_schedule.update(EXTRA_SCHEDULE)
            """,
    })
    [broker] = app.config.get("broker_url")
    assert (broker.value.known, broker.value.reason) == (
        False, "name 'BROKER' is not a constant")
    [serializer] = app.config.get("task_serializer")
    assert (serializer.value.known, serializer.value.reason, serializer.span.row) == (
        False, "call to pick_serializer()", 4)
    assert app.config.unknown == {"beat_schedule"}
    assert app.config.is_unknown("beat_schedule") and app.config.is_set("beat_schedule")
    assert not app.config.open
    assert not app.config.is_unknown("task_acks_late")
    assert not app.config.is_set("task_acks_late")


@pytest.mark.parametrize(("lines", "reason"), [
    (["app.conf.update(SETTINGS)"], "worker.py:4 writes settings that cannot be known"),
    (["app.config_from_object(load_config())"],
     "config_from_object() target in worker.py cannot be known"),
    (['app.config_from_object("somewhere.else")'],
     "config source 'somewhere.else' is not in the project"),
    (['app.config_from_object("django.conf:settings", namespace="CELERY")'],
     "DJANGO_SETTINGS_MODULE cannot be found"),
])
def test_a_write_that_can_set_anything_opens_the_config(
    tmp_path: Path, lines: list[str], reason: str
) -> None:
    app = only_app(tmp_path, {
        "worker.py": "from celery import Celery\n\napp = Celery('worker')\n"
                     + "\n".join(lines) + "\n",
    })
    assert app.config.open_reason == reason
    assert app.config.open
    assert app.config.is_unknown("task_acks_late")  # any setting may have been set


def test_splat_keywords_to_celery_open_the_config(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "worker.py": """
            from celery import Celery

            app = Celery("worker", task_acks_late=True, **OPTIONS)
            """,
    })
    assert app.config.open_reason == "Celery(**options) can set any setting"
    assert values(app, "task_acks_late") == [True]
    assert app.config.is_unknown("result_backend")


def test_the_last_unconditional_config_source_wins(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "first.py": "task_serializer = 'pickle'\nresult_backend = 'rpc://'\n",
        "second.py": "task_serializer = 'json'\n",
        "worker.py": """
            from celery import Celery

            app = Celery("worker")
            app.config_from_object("first")
            app.config_from_object("second")
            """,
    })
    assert [target for target, _, _ in app.config.sources] == ["second"]
    assert where(app, "task_serializer") == [
        ("task_serializer", "second.py", 1, "settings", False)]
    assert not app.config.is_set("result_backend")


def test_each_app_has_its_own_configuration(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "apps.py": """
            from celery import Celery

            fast = Celery("fast", task_acks_late=True)
            slow = Celery("slow")
            slow.conf.task_acks_late = False
            """,
    })
    assert {app.label: [b.value.data for b in app.config.get("task_acks_late")]
            for app in model.apps} == {"fast": [True], "slow": [False]}


# --- settings written as class attributes --------------------------------------------


def test_a_settings_class_copied_onto_its_module_gives_the_module_settings(
        tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.celeryconfig")
            """,
        "proj/defaults.py": """
            class Defaults:
                broker_url = "redis://defaults"
                task_acks_late = False

                def helper(self):
                    return 1
            """,
        "proj/celeryconfig.py": """
            from proj.defaults import Defaults

            QUEUE = "jobs"

            class Settings(Defaults):
                task_acks_late = True
                task_default_queue = QUEUE
                _hidden = 1

            result_expires = 60
            Settings.load_settings(__name__)
            """,
    })
    assert where(app, "broker_url") == [
        ("broker_url", "proj/defaults.py", 2, "settings", False)]
    assert where(app, "task_acks_late") == [
        ("task_acks_late", "proj/celeryconfig.py", 6, "settings", False)]
    assert values(app, "task_default_queue") == ["jobs"]
    assert values(app, "result_expires") == [60]
    assert not app.config.open


def test_a_settings_class_with_a_base_outside_the_project_is_unknown(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "celeryconfig.py": """
            from somelib import BaseSettings

            class Settings(BaseSettings):
                task_serializer = "json"

            Settings().apply(globals())
            """,
        "worker.py": """
            from celery import Celery

            app = Celery("w")
            app.config_from_object("celeryconfig")
            """,
    })
    assert values(app, "task_serializer") == ["json"]
    assert app.config.open and app.config.is_unknown("result_backend")


def test_an_object_given_the_module_globals_makes_it_unknown(tmp_path: Path) -> None:
    # mayan's settings: a namespace object holds globals() and writes settings later
    app = only_app(tmp_path, {
        "celeryconfig.py": """
            from somelib import SettingNamespace

            broker_url = "redis://localhost:6379/0"
            namespace = SettingNamespace(global_symbol_table=globals())
            namespace.update_globals()
            """,
        "worker.py": """
            from celery import Celery

            app = Celery("w")
            app.config_from_object("celeryconfig")
            """,
    })
    assert values(app, "broker_url") == ["redis://localhost:6379/0"]
    assert app.config.open and app.config.is_unknown("result_backend")
    assert "globals()" in app.config.open_reason


def test_a_class_not_given_the_module_is_no_settings(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "celeryconfig.py": """
            class Settings:
                task_serializer = "pickle"

            Settings.describe("celeryconfig")
            """,
        "worker.py": """
            from celery import Celery

            app = Celery("w")
            app.config_from_object("celeryconfig")
            """,
    })
    assert not app.config.is_set("task_serializer")


CONFIGURATIONS = {
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
    "mysite/common.py": """
        from configurations import Configuration

        class Common(Configuration):
            CELERY_BROKER_URL = "redis://common"
            CELERY_TASK_ACKS_LATE = True
            celery_task_serializer = "pickle"
        """,
    "mysite/settings.py": """
        from configurations import values

        from mysite.common import Common

        CELERY_TASK_DEFAULT_QUEUE = "module-level"

        class Dev(Common):
            CELERY_TASK_ALWAYS_EAGER = True

        class Production(Common):
            CELERY_BROKER_URL = values.Value("redis://env-default")
            CELERY_RESULT_EXPIRES = 3600

            def CELERY_TASK_ROUTES(self):
                return {}
        """,
}


def test_django_configurations_read_the_class_named_by_django_configuration(
        tmp_path: Path) -> None:
    app = only_app(tmp_path, CONFIGURATIONS)
    config = app.config
    assert config.namespace == "CELERY"
    assert where(app, "result_expires") == [
        ("CELERY_RESULT_EXPIRES", "mysite/settings.py", 12, "settings", False)]
    assert where(app, "task_acks_late") == [
        ("CELERY_TASK_ACKS_LATE", "mysite/common.py", 5, "settings", False)]
    assert values(app, "task_default_queue") == ["module-level"]
    # values.Value(...) and a method are computed at run time: unknown
    assert config.is_unknown("broker_url") and config.is_unknown("task_routes")
    # another configuration's values, and lower-case attributes, are not settings
    assert not config.is_set("task_always_eager") and not config.is_set("task_serializer")
    assert not config.open


def test_django_configurations_without_a_known_class_are_unknown(tmp_path: Path) -> None:
    files = dict(CONFIGURATIONS)
    files["manage.py"] = """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        """
    app = only_app(tmp_path, files)
    assert app.config.open and app.config.is_unknown("result_expires")


def test_a_configuration_with_a_setup_hook_is_unknown(tmp_path: Path) -> None:
    files = dict(CONFIGURATIONS)
    files["mysite/common.py"] = """
        from configurations import Configuration

        class Common(Configuration):
            CELERY_TASK_ACKS_LATE = True

            @classmethod
            def post_setup(cls):
                super().post_setup()
        """
    app = only_app(tmp_path, files)
    assert values(app, "task_acks_late") == [True]
    assert app.config.open


def test_a_module_function_given_the_module_name_copies_nothing(tmp_path: Path) -> None:
    app = only_app(tmp_path, {
        "celeryconfig.py": """
            import logging

            task_acks_late = True
            logging.getLogger(__name__)
            """,
        "worker.py": """
            from celery import Celery

            app = Celery("w")
            app.config_from_object("celeryconfig")
            """,
    })
    assert values(app, "task_acks_late") == [True]
    assert not app.config.open


def test_configuration_classes_imported_into_the_settings_module(tmp_path: Path) -> None:
    files = dict(CONFIGURATIONS)
    files["mysite/settings.py"] = """
        from mysite.common import Common as Production
        """
    app = only_app(tmp_path, files)
    assert where(app, "task_acks_late") == [
        ("CELERY_TASK_ACKS_LATE", "mysite/common.py", 5, "settings", False)]
    assert not app.config.open
