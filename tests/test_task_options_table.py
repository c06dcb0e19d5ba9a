"""The packaged task-option table must agree with the installed Celery (a test-only
dependency): every name Celery reads from a task decorator keyword is in it.

The expected names are taken here from the running Celery (``dir(celery.Task)``, the
decorator's signature, the autoretry options), independently of the generator script,
which parses the source; the script's ``--check`` must find nothing to change.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import celery  # type: ignore[import-untyped]
from celery.app import autoretry, task  # type: ignore[import-untyped]

from celerylint.model.task_options_table import task_options

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "gen_task_options.py"
TABLE = REPO / "src" / "celerylint" / "model" / "data" / "celery_task_options.json"


def test_every_task_attribute_is_an_option() -> None:
    attributes = {name for name in vars(celery.Task) if not name.startswith("__")}
    assert attributes <= set(task_options())


def test_decorator_parameters_and_config_options_are_options() -> None:
    parameters = set(inspect.signature(celery.Celery._task_from_fun).parameters)
    parameters -= {"self", "fun", "options"}
    from_config = {attribute for attribute, _setting in celery.Task.from_config}
    exec_options = set(task.extract_exec_options(celery.Task()))
    assert parameters | from_config | exec_options <= set(task_options())
    assert {"shared", "filter", "lazy", "queue", "exchange", "routing_key", "compression",
            "store_eager_result"} <= set(task_options())


def test_autoretry_options_are_options() -> None:
    source = inspect.getsource(autoretry.add_autoretry_behaviour)
    for name in ("autoretry_for", "dont_autoretry_for", "retry_kwargs", "retry_backoff",
                 "retry_backoff_max", "retry_jitter"):
        assert f"'{name}'" in source
        assert name in task_options()


def test_less_known_options_and_versions() -> None:
    options = task_options()
    for name in ("throws", "trail", "typing", "pydantic", "store_eager_result", "expires",
                 "compression", "resultrepr_maxsize"):
        assert name in options
    assert options["retry_on_worker_lost"] == (5, 7)
    assert options["pydantic"] == (5, 5)
    assert options["acks_late"] == (5, 0)
    assert "acks_lates" not in options


def test_table_records_the_installed_celery_version() -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    assert table["celery_version"] == celery.__version__


def test_generator_check_reports_no_difference() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--offline", "--check"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_generator_check_detects_a_stale_table(tmp_path: Path) -> None:
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    table["options"]["acks_lates"] = "5.0"
    stale = tmp_path / "celery_task_options.json"
    stale.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), "--offline", "--check", "--output",
                           str(stale)], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert '-  "acks_lates": "5.0"' in done.stdout
