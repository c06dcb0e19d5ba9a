"""Blind spots are reported as notices: an unknown configuration, a settings module not in
the project, tasks with no app. Through the real command; notices never change the exit
code, and machine formats keep their stdout contract."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    FIXTURES,
    copy_fixture,
    invoke_celerylint,
    model_of,
    run_celerylint,
    write_tree,
)
from sarif_schema import assert_valid_sarif

from celerylint.model.notices import Notice, notices

# Every default rule declaring blind_on "config" (resp. "app"), in code order: the exact text
# a notice names. A rule that gains or loses a blind spot changes these lists on purpose.
CONFIG_RULES = (
    "CEL101, CEL102, CEL103, CEL104, CEL201, CEL202, CEL203, CEL204, CEL210, CEL301, CEL302, "
    "CEL303, CEL304, CEL403, CEL405, CEL601, CEL603, CEL604, CEL607, CEL705, CEL706")
APP_RULES = "CEL201, CEL202, CEL203, CEL204, CEL210, CEL402, CEL403, CEL405"

DJANGO_MISSING = {
    "pyproject.toml": "",
    "manage.py": """
        import os
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    """,
    "proj/__init__.py": "",
    "proj/celery.py": """
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("django.conf:settings", namespace="CELERY")


        @app.task(acks_late=True)
        def add(x, y):
            return x + y
    """,
}

CONFIG_FROM_CALL = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/conf.py": """
        def pick():
            return "proj.settings"
    """,
    "proj/celery.py": """
        from celery import Celery

        from proj.conf import pick

        app = Celery("proj")
        app.config_from_object(pick())
    """,
}

SHARED_LIBRARY = {
    "pyproject.toml": "",
    "mylib/__init__.py": "",
    "mylib/tasks.py": """
        from celery import shared_task


        @shared_task
        def ping():
            return "pong"


        @shared_task(acks_late=True)
        def pong():
            return "ping"
    """,
}

TWO_APPS = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/first.py": """
        from celery import Celery

        first = Celery("first", broker="redis://")
    """,
    "proj/second.py": """
        from celery import Celery

        second = Celery("second", broker="redis://")
    """,
    "proj/tasks.py": """
        from celery import shared_task


        @shared_task(acks_late=True)
        def ping():
            return "pong"
    """,
}

MISSING_TEXT = (
    "proj/celery.py:3: notice: app 'proj' reads Django settings from 'proj.settings' "
    "(DJANGO_SETTINGS_MODULE), which is not in the project"
)


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_tree(tmp_path / "project", {
        name: textwrap.dedent(text.removeprefix("\n")) for name, text in files.items()})


def check(folder: Path, *args: str) -> Any:
    return invoke_celerylint(["check", "--jobs", "1", *args], folder)


def test_missing_django_settings_module_is_a_notice_naming_the_key(tmp_path: Path) -> None:
    folder = project(tmp_path, DJANGO_MISSING)
    run = check(folder)
    assert run.code == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == MISSING_TEXT
    assert lines[1] == f"  = skipped: {CONFIG_RULES} (silent for it)"
    assert lines[2].startswith("  = help: Set django-settings-module in [tool.celerylint]")
    assert lines[-1] == "No findings; 1 notice."
    assert "All checks passed." not in run.stdout


def test_the_configured_key_fixes_it_and_the_notice_goes(tmp_path: Path) -> None:
    files = dict(DJANGO_MISSING)
    files["pyproject.toml"] = '[tool.celerylint]\ndjango-settings-module = "proj.prod"\n'
    files["proj/prod.py"] = 'CELERY_BROKER_URL = "redis://"\n'
    run = check(project(tmp_path, files))
    assert "notice" not in run.stdout
    assert "notice" not in run.stderr


def test_a_configured_settings_module_not_in_the_tree_names_the_key(tmp_path: Path) -> None:
    files = dict(DJANGO_MISSING)
    files["pyproject.toml"] = '[tool.celerylint]\ndjango-settings-module = "elsewhere.prod"\n'
    run = check(project(tmp_path, files), "--output-format", "concise")
    assert run.code == 0
    assert ("app 'proj' reads Django settings from 'elsewhere.prod' (django-settings-module)"
            in run.stdout)


def test_notices_never_change_the_exit_code(tmp_path: Path) -> None:
    files = dict(SHARED_LIBRARY)
    files["mylib/bad.py"] = """
        from celery import shared_task


        @shared_task(serializer="pickle")
        def risky():
            pass
    """
    folder = project(tmp_path, files)
    shown = check(folder)
    hidden = check(folder, "--no-notices")
    assert shown.code == hidden.code == 1
    assert shown.stdout.splitlines()[-2:] == [
        "Found 1 finding; 1 notice.", "No fixes available (1 fixable with --unsafe-fixes)."]
    assert hidden.stdout.splitlines()[-2:] == [
        "Found 1 finding.", "No fixes available (1 fixable with --unsafe-fixes)."]
    assert "notice" not in hidden.stdout


def test_no_notices_hides_them(tmp_path: Path) -> None:
    run = check(project(tmp_path, DJANGO_MISSING), "--no-notices")
    assert (run.code, run.stdout.strip(), run.stderr) == (0, "All checks passed.", "")


def test_unknown_config_from_object_target(tmp_path: Path) -> None:
    run = check(project(tmp_path, CONFIG_FROM_CALL), "--output-format", "concise")
    assert run.code == 0
    assert run.stdout.splitlines() == [
        "proj/celery.py:5: notice: the configuration of app 'proj' cannot be known: "
        "config_from_object() target in proj/celery.py cannot be known; skipped "
        f"{CONFIG_RULES}. Pass config_from_object() a literal module name or a class of the "
        "project (e.g. 'proj.celeryconfig').",
        "No findings; 1 notice.",
    ]


def test_json_stdout_stays_an_array_and_notices_go_to_stderr(tmp_path: Path) -> None:
    run = check(project(tmp_path, CONFIG_FROM_CALL), "--output-format", "json")
    assert run.code == 0
    assert json.loads(run.stdout) == []
    assert run.stderr.splitlines() == [
        "celerylint: notice: proj/celery.py:5: the configuration of app 'proj' cannot be "
        "known: config_from_object() target in proj/celery.py cannot be known; skipped "
        f"{CONFIG_RULES}. Pass config_from_object() a literal module name or a class of the "
        "project (e.g. 'proj.celeryconfig').",
    ]


def test_json_through_the_console_script(tmp_path: Path) -> None:
    run = run_celerylint(["check", "--output-format", "json", "--no-cache"],
                         project(tmp_path, DJANGO_MISSING))
    assert run.code == 0
    assert json.loads(run.stdout) == []
    assert run.stderr.startswith("celerylint: notice: proj/celery.py:3: app 'proj' reads")
    assert "django-settings-module" in run.stderr


def test_gitlab_stdout_stays_an_array(tmp_path: Path) -> None:
    run = check(project(tmp_path, DJANGO_MISSING), "--output-format", "gitlab")
    assert run.code == 0
    assert json.loads(run.stdout) == []
    assert run.stderr.startswith("celerylint: notice: ")


def test_github_notice_command(tmp_path: Path) -> None:
    folder = project(tmp_path, DJANGO_MISSING)
    run = check(folder, "--output-format", "github")
    assert run.code == 0
    first, last = run.stdout.splitlines()
    assert first.startswith("::notice file=proj/celery.py,line=3,"
                            "title=celerylint missing-settings::app 'proj' reads Django")
    assert "django-settings-module in [tool.celerylint]" in first
    assert last == "No findings; 1 notice."


def test_a_library_of_shared_tasks_gets_an_informative_note(tmp_path: Path) -> None:
    run = check(project(tmp_path, SHARED_LIBRARY))
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[0] == (
        "mylib/tasks.py:4: notice: no Celery app in the project, so 2 tasks (first: "
        "mylib.tasks.ping) are checked without an app's settings (normal for a library of "
        "shared tasks)")
    assert lines[1] == f"  = skipped: {APP_RULES} (silent for it)"
    assert lines[2].startswith("  = help: Nothing to do for a library")
    assert lines[-1] == "No findings; 1 notice."


def test_tasks_that_cannot_be_linked_to_one_of_several_apps(tmp_path: Path) -> None:
    run = check(project(tmp_path, TWO_APPS), "--output-format", "concise")
    assert run.code == 0
    assert run.stdout.splitlines()[0].startswith(
        "proj/tasks.py:4: notice: 1 task (first: proj.tasks.ping) cannot be linked to one of "
        f"the project's 2 apps; skipped {APP_RULES}.")


def test_no_notice_when_no_selected_rule_is_blind_on_it(tmp_path: Path) -> None:
    run = check(project(tmp_path, DJANGO_MISSING), "--select", "CEL401")
    assert (run.code, run.stdout.strip()) == (0, "All checks passed.")
    narrowed = check(project(tmp_path / "again", DJANGO_MISSING), "--select", "CEL203",
                     "--output-format", "concise")
    assert "; skipped CEL203. " in narrowed.stdout


def test_sarif_carries_notices_as_tool_execution_notifications(tmp_path: Path) -> None:
    folder = project(tmp_path, DJANGO_MISSING)
    run = check(folder, "--output-format", "sarif")
    assert run.code == 0
    log = json.loads(run.stdout)
    assert_valid_sarif(log)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith("app 'proj' reads Django settings")
    physical = notification["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "proj/celery.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 3}
    assert notification["properties"]["skippedRules"] == CONFIG_RULES.split(", ")
    assert notification["properties"]["app"] == "proj"


def test_sarif_library_note_validates(tmp_path: Path) -> None:
    run = check(project(tmp_path, SHARED_LIBRARY), "--output-format", "sarif")
    log = json.loads(run.stdout)
    assert_valid_sarif(log)
    (notification,) = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "note"
    assert "app" not in notification["properties"]
    assert log["runs"][0]["results"] == []


def test_notices_are_computed_from_the_model_in_a_stable_order(tmp_path: Path) -> None:
    files = {**TWO_APPS, "proj/third.py": """
        from celery import Celery

        third = Celery("third")
        third.conf.update(make_settings())
    """}
    model = model_of(tmp_path, files)
    blind = {"CEL101": ("config",), "CEL203": ("config", "app"), "CEL401": ()}
    found = notices(model, blind)
    assert [(n.kind, n.app, n.path, n.row, n.skipped) for n in found] == [
        ("unlinked-tasks", None, "proj/tasks.py", 4, ("CEL203",)),
        ("unknown-config", "third", "proj/third.py", 3, ("CEL101", "CEL203")),
    ]
    assert notices(model, dict(reversed(list(blind.items())))) == found
    assert all(isinstance(n, Notice) for n in found)
    with pytest.raises(AttributeError):
        found[0].reason = "changed"  # type: ignore[misc]


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixtures_have_no_notice(name: str, tmp_path: Path) -> None:
    folder = copy_fixture(name, tmp_path)
    run = check(folder, "--output-format", "json")
    assert "notice" not in run.stderr
    shown = check(folder, "--output-format", "concise")
    hidden = check(folder, "--output-format", "concise", "--no-notices")
    assert shown.stdout == hidden.stdout


def test_notices_of_several_projects_in_one_run(tmp_path: Path) -> None:
    project(tmp_path / "dj", DJANGO_MISSING)
    project(tmp_path / "lib", SHARED_LIBRARY)
    run = check(tmp_path, "dj/project", "lib/project", "--output-format", "concise")
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert [line.split(": notice: ")[0] for line in lines[:-1]] == [
        "dj/project/proj/celery.py:3", "lib/project/mylib/tasks.py:4"]
    assert lines[-1] == "No findings; 2 notices."
