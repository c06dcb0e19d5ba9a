"""The packaged settings table must agree with the installed Celery (a test-only dependency).

celerylint itself never imports Celery; this is the one place where the generated table is
held against ``celery.app.defaults`` so that a stale or hand-edited table fails the build.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import celery  # type: ignore[import-untyped]
import pytest
from celery.app import defaults  # type: ignore[import-untyped]

from celerylint.model import settings_table
from celerylint.model.settings_table import SettingInfo

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "gen_settings_table.py"
TABLE = REPO / "src" / "celerylint" / "model" / "data" / "celery_settings.json"


def expected_default(value: object) -> object:
    """How the table must store a Celery default (written independently of the script)."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, timedelta) or (isinstance(value, float) and not math.isfinite(value)):
        return repr(value)
    return value


def celery_options() -> dict[str, Any]:
    """The installed Celery's declared settings, keyed by new name."""
    return dict(defaults.flatten(defaults.NAMESPACES))


def test_names_match_installed_celery() -> None:
    assert set(settings_table.settings()) == set(defaults.SETTING_KEYS)
    assert set(settings_table.by_old_name()) == set(defaults._OLD_SETTING_KEYS)
    assert len(settings_table.settings()) == 207


def test_old_names_types_and_defaults_match_installed_celery() -> None:
    options = celery_options()
    for name, info in settings_table.settings().items():
        option = options[name]
        declared = option.type.__name__ if isinstance(option.type, type) else option.type
        assert info.old_name == defaults._TO_OLD_KEY[name], name
        assert info.type == declared, name
        assert info.default == expected_default(option.default), name


def test_table_records_the_installed_celery_version() -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    assert table["celery_version"] == celery.__version__


def test_exactly_57_old_names_are_namespaced_new_names() -> None:
    namespaced = [info for info in settings_table.settings().values()
                  if settings_table.old_name_is_namespaced(info)]
    assert len(namespaced) == 57
    names = {info.name for info in namespaced}
    assert {"timezone", "result_backend", "task_serializer", "worker_direct"} <= names
    assert not names & {"result_expires", "database_url", "task_acks_late", "broker_url"}


@pytest.mark.parametrize(("new", "old"), [
    ("result_expires", "CELERY_TASK_RESULT_EXPIRES"),
    ("worker_prefetch_multiplier", "CELERYD_PREFETCH_MULTIPLIER"),
    ("broker_url", "BROKER_URL"),
    ("task_acks_late", "CELERY_ACKS_LATE"),
    ("database_url", "CELERY_RESULT_DBURI"),
])
def test_celery_facts_old_names(new: str, old: str) -> None:
    assert settings_table.settings()[new].old_name == old
    assert settings_table.by_old_name()[old].name == new


@pytest.mark.parametrize(("name", "since"), [
    ("task_retry_on_worker_lost", (5, 7)),
    ("task_acks_on_failure", (5, 7)),
    ("task_acks_on_timeout", (5, 7)),
    ("result_failure_expires", (5, 7)),
    ("worker_disable_prefetch", (5, 6)),
    ("worker_eta_task_limit", (5, 6)),
    ("control_queue_exclusive", (5, 6)),
    ("broker_connection_retry_on_startup", (5, 3)),
    ("task_acks_late", (5, 0)),
])
def test_since(name: str, since: tuple[int, int]) -> None:
    assert settings_table.settings()[name].since == since


def test_special_defaults() -> None:
    table = settings_table.settings()
    assert table["result_expires"].default == "datetime.timedelta(days=1)"
    assert table["result_backend_max_retries"].default == "inf"
    assert table["accept_content"].default == ["json"]
    assert table["beat_cron_starting_deadline"].type == "int"


def test_namespaced_name() -> None:
    info = settings_table.settings()["task_always_eager"]
    assert settings_table.namespaced_name(info) == "CELERY_TASK_ALWAYS_EAGER"
    assert settings_table.namespaced_name(info, prefix="APP_") == "APP_TASK_ALWAYS_EAGER"
    assert not settings_table.old_name_is_namespaced(info)


def test_mappings_are_read_only_and_cached() -> None:
    assert settings_table.settings() is settings_table.settings()
    table: Any = settings_table.settings()
    with pytest.raises(TypeError):
        table["x"] = SettingInfo("x", "X", "string", None, (5, 0))


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, check=False)


def test_generator_check_reports_no_difference() -> None:
    result = run_script("--offline", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_generator_check_detects_a_stale_table(tmp_path: Path) -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    table["settings"][0]["default"] = "stale"
    stale = tmp_path / "celery_settings.json"
    stale.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    result = run_script("--offline", "--check", "--output", str(stale))
    assert result.returncode == 1
    assert '-   "default": "stale",' in result.stdout
    assert json.loads(stale.read_text(encoding="utf-8")) == table


def test_generator_offline_refuses_to_guess_since(tmp_path: Path) -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    del table["settings"][0]
    partial = tmp_path / "celery_settings.json"
    partial.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    result = run_script("--offline", "--output", str(partial))
    assert result.returncode != 0
    assert "accept_content" in result.stderr
