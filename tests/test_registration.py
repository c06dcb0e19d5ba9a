"""Registration: what a worker imports (CEL405) and which task names collide (CEL608).

The facts of one module (its import-time imports and calls, dynamic imports, branches),
the reach of an app's workers built from projects spanning several modules and apps
(Django settings, AppConfig.ready(), ROOT_URLCONF, autodiscovery, import-time calls,
modules the prefilter passes over), and both rules through the command.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from conftest import invoke_celerylint, locations, model_of, run_celerylint, write_tree

from celerylint.catalog.specs import load_catalog
from celerylint.engine.options import load_options
from celerylint.facts.imports import collect_imports
from celerylint.facts.registration import alternatives, collect_registration, definition_key
from celerylint.facts.schema import Registration
from celerylint.facts.walk import TreeIndex
from celerylint.model.build import build_model
from celerylint.model.celery_version import TargetVersion
from celerylint.model.registration import Reach, registered_classes, worker_reach


def registration(text: str, module: str = "proj.mod", is_package: bool = False) -> Registration:
    source = textwrap.dedent(text.removeprefix("\n"))
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    return collect_registration(TreeIndex(tree), collect_imports(tree, module, is_package, nodes),
                                source)


def check(tmp_path: Path, files: dict[str, str], code: str) -> list[str]:
    project = write_tree(tmp_path / "project", {
        name: textwrap.dedent(text.removeprefix("\n")) for name, text in files.items()})
    run = invoke_celerylint(["check", "--output-format", "json", "--select", code,
                             "--jobs", "1", "--no-cache"], project)
    return locations(run, code)


def messages(tmp_path: Path, files: dict[str, str], code: str) -> list[str]:
    project = write_tree(tmp_path / "project", {
        name: textwrap.dedent(text.removeprefix("\n")) for name, text in files.items()})
    run = invoke_celerylint(["check", "--output-format", "json", "--select", code,
                             "--jobs", "1", "--no-cache"], project)
    return [f["message"] for f in run.json()]


# -- facts ---------------------------------------------------------------------------------


def test_import_time_imports_relative_and_from_imports() -> None:
    found = registration("""
        import a.b.c
        from . import sibling
        from .pkg import name
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import never.imported
        try:
            import optional
        except ImportError:
            optional = None

        def later():
            import inside.function
        """, "proj.mod")
    assert found.imports == ("a.b.c", "proj", "proj.sibling", "proj.pkg", "proj.pkg.name",
                             "typing", "typing.TYPE_CHECKING", "optional")
    assert found.local_imports == {"later": ("inside.function",)}
    assert found.dynamic == ""


def test_dynamic_and_literal_import_module() -> None:
    found = registration("""
        import importlib

        importlib.import_module("proj.plugins")

        def load(name):
            return importlib.import_module(name)
        """)
    assert "proj.plugins" in found.imports
    assert found.dynamic == "a dynamic import at line 6"
    assert registration("__import__(NAME)").dynamic == "a dynamic import at line 1"
    literal = registration("""
        from celery.utils.imports import symbol_by_name
        from django.utils.module_loading import import_string
        backend = import_string("proj.backends.Backend")
        loader = symbol_by_name("proj.loaders:Loader")
        """)
    assert literal.imports[-2:] == ("proj.backends.Backend", "proj.loaders.Loader")
    assert literal.dynamic == ""
    per_app = registration("""
        from django.utils.module_loading import autodiscover_modules
        autodiscover_modules("plugins")
        """)
    assert per_app.dynamic == "a dynamic import at line 2"


def test_autodiscovery_arguments() -> None:
    found = registration("""
        from django.conf import settings
        from proj.celery import app
        app.autodiscover_tasks()
        app.autodiscover_tasks(lambda: settings.INSTALLED_APPS)
        app.autodiscover_tasks(["proj.billing"], related_name="jobs")
        app.autodiscover_tasks(PACKAGES)
        app.autodiscover_tasks([])
        """)
    got = [(a.known, a.packages, a.django, a.related_name) for a in found.autodiscovery]
    assert got == [(True, (), True, "tasks"), (True, (), True, "tasks"),
                   (True, ("proj.billing",), False, "jobs"), (False, (), True, "tasks"),
                   (True, (), True, "tasks")]


def test_module_level_calls_and_registered_classes() -> None:
    found = registration("""
        from proj.factory import create_app
        from proj.jobs import Cleanup
        app = create_app()
        app.register_task(Cleanup())

        def helper():
            create_other()
        """)
    assert found.calls == ("proj.factory.create_app", "proj.mod.app.register_task",
                           "proj.jobs.Cleanup")
    assert found.registered == ("proj.jobs.Cleanup",)


def test_branches_of_definitions() -> None:
    found = registration("""
        from typing import TYPE_CHECKING
        try:
            def a(): pass
        except ImportError:
            def a(): pass
        if TYPE_CHECKING:
            def stub(): pass
        elif X:
            def b(): pass
        else:
            def b(): pass
        def c(): pass
        """)
    branches = found.branches
    assert branches[definition_key("a", 3)] == ((2, "try"),)
    assert branches[definition_key("a", 5)] == ((2, "except0"),)
    assert definition_key("stub", 7) not in branches
    assert branches[definition_key("b", 9)] == ((6, "else"), (8, "if"))
    assert branches[definition_key("b", 11)] == ((6, "else"), (8, "else"))
    assert branches[definition_key("c", 12)] == ()
    assert alternatives(branches["a:3"], branches["a:5"])
    assert alternatives(branches["b:9"], branches["b:11"])
    assert not alternatives(branches["c:12"], branches["b:9"])
    assert not alternatives(((2, "try"),), ((2, "try"), (4, "if")))


# -- the reach of a worker --------------------------------------------------------------------

DJANGO = {
    "shop/__init__.py": "from .celery import app\n",
    "shop/celery.py": """
        import os

        from celery import Celery

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

        app = Celery("shop")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks()
        """,
    "shop/settings.py": """
        INSTALLED_APPS = ["django.contrib.admin", "orders.apps.OrdersConfig", "billing"]
        ROOT_URLCONF = "shop.urls"
        """,
    "shop/urls.py": "from billing import views\n",
    "orders/__init__.py": "",
    "orders/apps.py": """
        from django.apps import AppConfig

        class OrdersConfig(AppConfig):
            name = "orders"

            def ready(self):
                from orders import signals
        """,
    "orders/signals.py": "import orders.notify\n",
    "orders/notify.py": "from celery import shared_task\n\n@shared_task\ndef notify(): pass\n",
    "orders/tasks.py": "from celery import shared_task\n\n@shared_task\ndef place(): pass\n",
    "orders/admin.py": "",
    "orders/management/__init__.py": "",
    "orders/management/commands/__init__.py": "",
    "orders/management/commands/sync.py": "import orders.lost\n",
    "orders/lost.py": "from celery import shared_task\n\n@shared_task\ndef lost(): pass\n",
    "billing/__init__.py": "",
    "billing/models.py": "from billing import hooks\n",
    "billing/hooks.py": "",
    "billing/views.py": "from billing.render import render\n",
    "billing/render.py": "from celery import shared_task\n\n@shared_task\ndef render(): pass\n",
}


def reach_of(tmp_path: Path, files: dict[str, str], wanted: set[str] | None = None) -> Reach:
    """The reach of the project's one app, with every file of the project loaded."""
    model_of(tmp_path, files)  # writes the files
    options = load_options(None, list(load_catalog()))
    model = build_model(tmp_path, options, TargetVersion(None, "test"), None,
                        [lambda model: list(model.project.names)])
    (app,) = model.production_apps()
    return worker_reach(model.project, app, wanted or {"nothing.reachable"})


def test_django_reach(tmp_path: Path) -> None:
    reach = reach_of(tmp_path, DJANGO)
    assert reach.unknown == ""
    assert {"shop", "shop.celery", "shop.settings", "shop.urls", "orders.apps",
            "orders.signals", "orders.notify", "orders.tasks", "orders.admin",
            "billing.models", "billing.hooks", "billing.views",
            "billing.render"} <= reach.modules
    assert "orders.lost" not in reach.modules
    assert "orders.management.commands.sync" not in reach.modules


def test_reach_stops_once_every_wanted_module_is_reached(tmp_path: Path) -> None:
    reach = reach_of(tmp_path, DJANGO, {"shop.celery"})
    assert "billing.render" not in reach.modules


@pytest.mark.parametrize(("settings", "reason"), [
    ("import os\nINSTALLED_APPS = os.environ['APPS'].split(',')\n",
     "INSTALLED_APPS cannot be known"),
    ("INSTALLED_APPS = ['orders']\nINSTALLED_APPS.append(PLUGIN)\n",
     "INSTALLED_APPS is changed at run time"),
])
def test_unknown_installed_apps(tmp_path: Path, settings: str, reason: str) -> None:
    reach = reach_of(tmp_path, {**DJANGO, "shop/settings.py": settings})
    assert reach.unknown == reason


def test_import_time_call_follows_function_imports(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery

            from proj.factory import create_app

            app = Celery("proj")
            flask_app = create_app()
            """,
        "proj/factory.py": """
            def create_app():
                register_views()
                Initializer().init_app()

            def register_views():
                from proj.views import index

            class Initializer:
                def init_app(self):
                    import proj.admin

            def never_called():
                import proj.unused
            """,
        "proj/views.py": "from proj.reports import build\n",
        "proj/reports.py": "",
        "proj/admin.py": "",
        "proj/unused.py": "",
    }
    reach = reach_of(tmp_path, files)
    assert {"proj.views", "proj.reports", "proj.admin"} <= reach.modules
    assert "proj.unused" not in reach.modules


def test_registered_classes(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery, Task

            app = Celery("proj")

            class Cleanup(Task):
                def run(self):
                    pass

            app.register_task(Cleanup)
            """,
    })
    assert registered_classes(model.project) == {"proj.celery.Cleanup"}


# -- the rules -----------------------------------------------------------------------------


def test_cel405_django_project(tmp_path: Path) -> None:
    assert check(tmp_path, DJANGO, "CEL405") == ["orders/lost.py:3"]


def test_cel405_message(tmp_path: Path) -> None:
    assert messages(tmp_path, DJANGO, "CEL405") == [
        "task 'lost' is never registered: no worker of app 'shop' imports orders.lost"]


def test_cel405_dynamic_import_anywhere_on_the_path_silences(tmp_path: Path) -> None:
    files = {**DJANGO, "billing/hooks.py": """
        import importlib

        def load(name):
            return importlib.import_module(name)
        """}
    assert check(tmp_path, files, "CEL405") == []


def test_cel405_each_app_has_its_own_workers(tmp_path: Path) -> None:
    files = {
        "one/__init__.py": "",
        "one/celery.py": """
            from celery import Celery

            app = Celery("one", include=["one.tasks"])
            """,
        "one/tasks.py": """
            from one.celery import app

            @app.task
            def a():
                pass
            """,
        "two/__init__.py": "",
        "two/celery.py": """
            from celery import Celery

            app = Celery("two")
            """,
        "two/jobs.py": """
            from two.celery import app

            @app.task
            def b():
                pass
            """,
    }
    assert check(tmp_path, files, "CEL405") == ["two/jobs.py:3"]


def test_cel405_worker_target_module_is_an_entry_point(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\n\napp = Celery("proj")\n',
        "proj/worker.py": "from proj.celery import app\nimport proj.jobs\n",
        "proj/jobs.py": """
            from proj.celery import app

            @app.task
            def b():
                pass
            """,
        "proj/orphan.py": """
            from proj.celery import app

            @app.task
            def c():
                pass
            """,
        "Procfile": "worker: celery -A proj.worker worker -l info\n",
    }
    assert check(tmp_path, files, "CEL405") == ["proj/orphan.py:3"]


CEL608_FILES = {
    "proj/__init__.py": "",
    "proj/celery.py": """
        from celery import Celery

        app = Celery("proj", include=["proj.a", "proj.b"])
        """,
    "proj/a.py": """
        from celery import shared_task

        @shared_task(name="send")
        def send_a():
            pass
        """,
    "proj/b.py": """
        from proj.celery import app

        @app.task(name="send")
        def send_b():
            pass

        @app.task(name="send")
        def send_again():
            pass
        """,
}


def test_cel608_lands_on_later_definitions_naming_the_first(tmp_path: Path) -> None:
    assert check(tmp_path, CEL608_FILES, "CEL608") == ["proj/b.py:3", "proj/b.py:7"]
    assert messages(tmp_path / "again", CEL608_FILES, "CEL608") == [
        "duplicate task name 'send': first defined at proj/a.py:3; calls reach only one "
        "of them"] * 2


def test_cel608_other_apps_do_not_collide(tmp_path: Path) -> None:
    files = {
        "one/__init__.py": "",
        "one/celery.py": 'from celery import Celery\n\napp = Celery("one")\n\n'
                         '@app.task(name="send")\ndef send():\n    pass\n',
        "two/__init__.py": "",
        "two/celery.py": 'from celery import Celery\n\napp = Celery("two")\n\n'
                         '@app.task(name="send")\ndef send():\n    pass\n',
    }
    assert check(tmp_path, files, "CEL608") == []


def test_cel608_registered_class_collides_unregistered_does_not(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery, Task

            app = Celery("proj")

            class Registered(Task):
                name = "proj.tasks.add"

                def run(self):
                    pass

            class NeverRegistered(Task):
                name = "proj.tasks.add"

                def run(self):
                    pass

            app.register_task(Registered())
            """,
        "proj/tasks.py": """
            from proj.celery import app

            @app.task
            def add():
                pass
            """,
    }
    assert check(tmp_path, files, "CEL608") == ["proj/tasks.py:3"]


def test_through_the_installed_command(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {
        name: textwrap.dedent(text.removeprefix("\n")) for name, text in DJANGO.items()})
    run = run_celerylint(["check", "--output-format", "json", "--select", "CEL405,CEL608",
                          "--no-cache"], project)
    assert locations(run) == ["orders/lost.py:3"]


# -- task names --------------------------------------------------------------------------


@pytest.mark.parametrize(("main", "expected"), [
    ("tasks", "tasks.add"),  # run as __main__ or imported: the same name
    ("proj", None),  # `proj.add` as a script, `tasks.add` when imported
])
def test_names_in_a_module_that_may_run_as_a_script(tmp_path: Path, main: str,
                                                    expected: str | None) -> None:
    model = model_of(tmp_path, {"tasks.py": f"""
        from celery import Celery

        app = Celery("{main}")

        @app.task
        def add(x, y):
            return x + y

        if __name__ == "__main__":
            app.start()
        """})
    assert [t.name for t in model.tasks] == [expected]


def test_class_task_names_follow_gen_task_name_overrides(tmp_path: Path) -> None:
    model = model_of(tmp_path, {
        "proj/__init__.py": "",
        "proj/celery.py": """
            from celery import Celery, Task

            class MyCelery(Celery):
                def gen_task_name(self, name, module):
                    return name

            app = MyCelery("proj")

            class Cleanup(Task):
                def run(self):
                    pass

            app.register_task(Cleanup())
            """,
    })
    assert [(t.function, t.name) for t in model.tasks] == [("Cleanup", None)]
