"""A Django settings module that is not in the tree, with an evident stand-in beside it
(``proj/settings_example.py``): its values are assumed. Rules about a bad value present
in it report and say so; rules about an absent setting stay silent; the notice stays."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from conftest import invoke_celerylint, write_tree

APP = """
    import os

    from celery import Celery

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
    app = Celery("proj")
    app.config_from_object("django.conf:settings", namespace="CELERY")


    @app.task
    def add(x, y):
        return x + y
"""

PROJECT = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/celery.py": APP,
    "proj/settings_example.py": 'CELERY_TASK_SERIALIZER = "pickle"\n',
}


def run(tmp_path: Path, files: dict[str, str], *args: str) -> Any:
    folder = write_tree(tmp_path / "project", {
        name: textwrap.dedent(text.removeprefix("\n")) for name, text in files.items()})
    return invoke_celerylint(["check", "--jobs", "1", "--no-cache", "--select", "ALL",
                              *args, "."], folder)


def findings(tmp_path: Path, files: dict[str, str]) -> list[dict[str, Any]]:
    result = run(tmp_path, files, "--output-format", "json")
    assert result.code in (0, 1), result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_a_bad_value_in_the_stand_in_is_reported_as_assumed(tmp_path: Path) -> None:
    [finding] = [f for f in findings(tmp_path, PROJECT) if f["code"] == "CEL101"]
    assert finding["filename"].endswith("proj/settings_example.py")
    assert finding["message"] == (
        "task_serializer is 'pickle': workers discard the tasks, or run code from the broker "
        "if pickle is accepted (settings assumed from proj/settings_example.py)")
    assert "django-settings-module" in finding["hint"]


def test_an_absent_setting_stays_silent_when_assumed(tmp_path: Path) -> None:
    codes = {f["code"] for f in findings(tmp_path, PROJECT)}
    assert "CEL201" not in codes  # no time limit in the stand-in: not known to be absent
    assert "CEL211" not in codes


def test_the_notice_says_what_was_assumed_and_what_stayed_silent(tmp_path: Path) -> None:
    result = run(tmp_path, PROJECT)
    assert result.code == 1, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert ("app 'proj' reads Django settings from 'proj.settings' (DJANGO_SETTINGS_MODULE), "
            "which is not in the project; settings assumed from proj/settings_example.py"
            ) in text
    assert ("skipped: CEL201, CEL203, CEL204, CEL211, CEL301, CEL303, CEL304, CEL705 "
            "(silent for it)") in text
    assert "django-settings-module = 'proj.settings_example' in [tool.celerylint]" in text


def test_the_configured_stand_in_is_read_as_the_settings(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["pyproject.toml"] = ('[tool.celerylint]\n'
                               'django-settings-module = "proj.settings_example"\n')
    found = findings(tmp_path, files)
    [pickle] = [f for f in found if f["code"] == "CEL101"]
    assert "assumed" not in pickle["message"]
    assert "assumed" not in pickle["hint"]
    assert "CEL201" in {f["code"] for f in found}  # the absence is known now
    assert "notice" not in run(tmp_path, files).stdout


def test_without_a_stand_in_the_config_stays_unknown(tmp_path: Path) -> None:
    files = {name: text for name, text in PROJECT.items() if "example" not in name}
    assert findings(tmp_path, files) == []
    result = run(tmp_path, files)
    text = " ".join(result.stdout.split())
    assert ("reads Django settings from 'proj.settings' (DJANGO_SETTINGS_MODULE), which is "
            "not in the project = skipped: CEL101, CEL102, CEL103, CEL104, CEL201, CEL202, "
            "CEL203, CEL204, CEL210, CEL211, CEL301, CEL302, CEL303, CEL304, CEL403, CEL405, "
            "CEL601, CEL603, CEL604, CEL607, CEL705, CEL706 (silent for it)") in text
    assert "assumed" not in text


def test_a_dotted_stand_in_and_no_settings_module_at_all(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "",
        "proj/__init__.py": "",
        "proj/celery.py": APP.replace(
            '\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")', ""),
        "proj/settings.py": 'CELERY_RESULT_EXPIRES = 0\nCELERY_RESULT_BACKEND = "redis://"\n',
    }
    found = findings(tmp_path, files)
    assert [(f["code"], "(settings assumed from proj/settings.py)" in f["message"])
            for f in found] == [("CEL302", True)]
    files.pop("proj/settings.py")
    files["proj/settings.example.py"] = 'CELERY_ACCEPT_CONTENT = ["json", "pickle"]\n'
    [accepted] = findings(tmp_path / "dotted", files)
    assert accepted["code"] == "CEL102"
    assert accepted["message"].endswith("(settings assumed from proj/settings.example.py)")


def test_the_configured_key_is_never_second_guessed(tmp_path: Path) -> None:
    files = dict(PROJECT)
    files["pyproject.toml"] = '[tool.celerylint]\ndjango-settings-module = "proj.settings"\n'
    assert findings(tmp_path, files) == []
