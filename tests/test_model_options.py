"""How ``[tool.celerylint]`` options shape the model (read from the project's
pyproject.toml, as ``celerylint check`` reads them): task decorators, test patterns, the
Django settings module, excluded files and the target Celery version."""

from __future__ import annotations

from pathlib import Path

from conftest import model_of

from celerylint.model.tasks import task_option


def pyproject(section: str) -> dict[str, str]:
    return {"pyproject.toml": "[tool.celerylint]\n" + section}


def test_task_decorators_make_tasks(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n',
        "proj/utils.py": """
            from celery import shared_task

            def periodic_task(**options):
                return shared_task(**options)
            """,
        "proj/jobs.py": """
            from proj.utils import periodic_task

            @periodic_task(time_limit=60)
            def nightly(): pass
            """,
    }
    assert model_of(tmp_path / "without", files).tasks == []
    model = model_of(tmp_path / "with", {
        **files, **pyproject('task-decorators = ["proj.utils.periodic_task"]\n')})
    [task] = model.tasks
    assert (task.name, task.app.origin) == ("proj.jobs.nightly", "proj.celery.app")
    assert model.project.task_decorators == ("proj.utils.periodic_task",)
    assert [data for _, data in task_option(task, "time_limit").values()] == [60]


def test_test_patterns_flag_more_test_code(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n',
        "proj/fixtures/eager.py": """
            from celery import Celery

            eager = Celery("eager", task_always_eager=True)

            @eager.task
            def sample(): pass
            """,
    }
    default = model_of(tmp_path / "default", files)
    assert {app.label: app.test_code for app in default.apps} == {"eager": False,
                                                                  "proj": False}
    model = model_of(tmp_path / "patterns", {
        **files, **pyproject('test-patterns = ["proj/fixtures/*"]\n')})
    assert {app.label: app.test_code for app in model.apps} == {"eager": True,
                                                                "proj": False}
    assert [app.label for app in model.production_apps()] == ["proj"]
    assert model.production_tasks() == []


DJANGO = {
    "proj/__init__.py": "",
    "proj/celery.py": """
        import os

        from celery import Celery

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.dev")
        app = Celery("proj")
        app.config_from_object("django.conf:settings", namespace="CELERY")
        """,
    "proj/settings/__init__.py": "",
    "proj/settings/dev.py": "CELERY_TASK_ALWAYS_EAGER = True\n",
    "proj/settings/prod.py": "CELERY_TASK_ACKS_LATE = True\n",
}


def test_the_django_settings_module_comes_from_the_app_module_by_default(
    tmp_path: Path
) -> None:
    [app] = model_of(tmp_path, DJANGO).apps
    assert sorted(app.config.bindings) == ["task_always_eager"]
    assert [b.path for b in app.config.get("task_always_eager")] == ["proj/settings/dev.py"]


def test_django_settings_module_option_wins(tmp_path: Path) -> None:
    [app] = model_of(tmp_path, {
        **DJANGO, **pyproject('django-settings-module = "proj.settings.prod"\n')}).apps
    assert sorted(app.config.bindings) == ["task_acks_late"]
    assert [(b.key, b.path, b.span.row) for b in app.config.get("task_acks_late")] == [
        ("CELERY_TASK_ACKS_LATE", "proj/settings/prod.py", 1)]


def test_excluded_files_are_not_in_the_model(tmp_path: Path) -> None:
    files = {
        "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n',
        "vendored/other.py": 'from celery import Celery\nother = Celery("other")\n',
        "build/lib/proj/celery.py": 'from celery import Celery\napp = Celery("stale")\n',
    }
    default = model_of(tmp_path / "default", files)
    assert sorted(app.label for app in default.apps) == ["other", "proj"]  # build/: default
    assert "build/lib/proj/celery.py" not in default.project.files
    extended = model_of(tmp_path / "extended", {
        **files, **pyproject('extend-exclude = ["vendored"]\n')})
    assert [app.label for app in extended.apps] == ["proj"]
    # exclude replaces the default excludes: build/ is read again
    replaced = model_of(tmp_path / "replaced", {
        **files, **pyproject('exclude = ["vendored"]\n')})
    assert sorted(app.label for app in replaced.apps) == ["proj", "stale"]


def test_the_target_celery_version(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "celery>=5.4,<6\n",
        "worker.py": 'from celery import Celery\napp = Celery("worker")\n',
    }
    declared = model_of(tmp_path / "declared", files).project.version
    assert (declared.version, declared.source) == (
        (5, 4), "requirements.txt:1 (celery>=5.4,<6)")
    stated = model_of(tmp_path / "stated", {**files, **pyproject('celery-version = "5.7"\n')})
    assert stated.project.version.version == (5, 7)
    none = model_of(tmp_path / "none", {"worker.py": files["worker.py"]}).project.version
    assert none.version is None
