"""The speed levers never change what celerylint reports: prefilter, process pool,
facts cache (with its invalidation and corruption handling), and the progress bar's
silence outside terminals. Proved through the real command; no timing here (speed is
measured by bench/run.py)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import (
    ALL_JSON,
    PROJECTS,
    copy_fixture,
    invoke_celerylint,
    run_celerylint,
    stderr_on_a_terminal,
    write_tree,
)


def many_module_project(root: Path, modules: int = 40) -> Path:
    """A project big enough for the process pool: an app and many task modules."""
    files = {
        "pyproject.toml": "[project]\nname = 'big'\n",
        "big/__init__.py": "",
        "big/celery.py": (
            "from celery import Celery\n\napp = Celery('big')\n"
            "app.config_from_object('big.celeryconfig')\n"
        ),
        "big/celeryconfig.py": (
            "result_backend = 'redis://localhost/1'\ntask_serializer = 'pickle'\n"
        ),
    }
    for i in range(modules):
        files[f"big/tasks_{i:02d}.py"] = (
            "from big.celery import app\n\n\n"
            f"@app.task(acks_late=True)\ndef work_{i}(order_id):\n    return order_id\n"
        )
        files[f"big/plain_{i:02d}.py"] = f"def helper_{i}(x):\n    return x + {i}\n"
    return write_tree(root, files)


def check(project: Path, *args: str, env: dict[str, str] | None = None,
          subprocess_run: bool = False) -> str:
    """The JSON output of a check, through the click command in this process (or the
    console script in a subprocess, for runs that must not share this process)."""
    runner = run_celerylint if subprocess_run else invoke_celerylint
    run = runner([*ALL_JSON, *args], project, env=env)
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    return run.stdout


@pytest.mark.parametrize("name", PROJECTS)
def test_prefilter_never_changes_findings(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    with_filter = check(project, "--no-cache")
    without = check(project, "--no-cache", env={"CELERYLINT_NO_PREFILTER": "1"})
    assert json.loads(with_filter), "the fixture should have findings to compare"
    assert with_filter == without


def test_prefilter_never_changes_findings_on_the_demo(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[1] / "examples" / "shop"
    project = tmp_path / "shop"
    subprocess.run(["cp", "-r", str(demo), str(project)], check=True)
    assert check(project, "--no-cache") == check(
        project, "--no-cache", env={"CELERYLINT_NO_PREFILTER": "1"})


def test_jobs_and_cache_give_byte_identical_output(tmp_path: Path) -> None:
    project = many_module_project(tmp_path / "big")
    outputs = {
        "jobs1-cold": check(project, "--jobs", "1", "--no-cache"),
        "jobs2-cold": check(project, "--jobs", "2", "--cache-dir", str(tmp_path / "c2")),
        "jobs2-warm": check(project, "--jobs", "2", "--cache-dir", str(tmp_path / "c2")),
        "jobs1-warm": check(project, "--jobs", "1", "--cache-dir", str(tmp_path / "c2")),
        "jobs1-cold-cache": check(project, "--jobs", "1", "--cache-dir", str(tmp_path / "c1")),
        "jobs2-warm-other": check(project, "--jobs", "2", "--cache-dir", str(tmp_path / "c1")),
    }
    codes = [f["code"] for f in json.loads(outputs["jobs1-cold"])]
    # Whole-project findings too: CEL204 (late acks with the default prefetch, once for the
    # app) and CEL405 (no worker imports the task modules: no include=, no autodiscovery).
    assert {c: codes.count(c) for c in set(codes)} == {
        "CEL101": 1, "CEL201": 1, "CEL203": 40, "CEL204": 1, "CEL211": 40, "CEL301": 1,
        "CEL405": 40}
    assert len(set(outputs.values())) == 1, outputs.keys()


def _cache_file(cache_dir: Path) -> Path:
    files = sorted(cache_dir.glob("facts-*.json"))
    assert len(files) == 1, files
    return files[0]


def _plant_task(cache_dir: Path, path: str) -> None:
    """Rewrite the cached facts of `path` so its only task is named `planted`: a later
    run that still reports `planted` read the cache; one that does not re-read the file."""
    cache_file = _cache_file(cache_dir)
    data = json.loads(cache_file.read_text())
    entry = data["entries"][path]["text"]  # each result is its own JSON text
    assert '"work"' in entry
    data["entries"][path]["text"] = entry.replace('"work"', '"planted"')
    cache_file.write_text(json.dumps(data))


def cached_project(tmp_path: Path) -> tuple[Path, Path]:
    project = write_tree(tmp_path / "proj", {
        "pyproject.toml": "[project]\nname = 'p'\n",
        "p/__init__.py": "",
        "p/celery.py": "from celery import Celery\n\napp = Celery('p')\n",
        "p/tasks.py": (
            "from p.celery import app\n\n\n@app.task(acks_late=True)\ndef work():\n"
            "    return 1\n"
        ),
    })
    cache_dir = tmp_path / "cache"
    check(project, "--cache-dir", str(cache_dir), "--select", "CEL211")
    _plant_task(cache_dir, "p/tasks.py")
    return project, cache_dir


def task_names(project: Path, cache_dir: Path, *args: str) -> list[str]:
    out = check(project, "--cache-dir", str(cache_dir), "--select", "CEL211", *args)
    return [f["message"].split()[1] for f in json.loads(out)]


def test_an_unchanged_file_is_read_from_the_cache(tmp_path: Path) -> None:
    project, cache_dir = cached_project(tmp_path)
    assert task_names(project, cache_dir) == ["p.tasks.planted"]


def test_a_changed_file_invalidates_its_cache_entry(tmp_path: Path) -> None:
    project, cache_dir = cached_project(tmp_path)
    tasks = project / "p" / "tasks.py"
    tasks.write_text(tasks.read_text() + "\n# touched\n")
    assert task_names(project, cache_dir) == ["p.tasks.work"]


def test_a_new_tool_version_invalidates_the_cache(tmp_path: Path) -> None:
    project, cache_dir = cached_project(tmp_path)
    cache_file = _cache_file(cache_dir)
    data = json.loads(cache_file.read_text())
    data["version"] = "0.0.0-older"
    cache_file.write_text(json.dumps(data))
    assert task_names(project, cache_dir) == ["p.tasks.work"]


def test_a_relevant_setting_change_invalidates_the_cache(tmp_path: Path) -> None:
    project, cache_dir = cached_project(tmp_path)
    (project / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n\n[tool.celerylint]\ntask-decorators = ['p.util.job']\n")
    assert task_names(project, cache_dir) == ["p.tasks.work"]


FOREIGN = '{"version": "0.1.0", "entries": {"p/tasks.py": {"key": 1, "result": {"@": "system"}}}}'


@pytest.mark.parametrize("garbage", ["", "{not json", '{"version": "0.1.0", "entries": 7}',
                                     FOREIGN])
def test_a_corrupt_or_foreign_cache_is_ignored_and_rebuilt(tmp_path: Path, garbage: str) -> None:
    project, cache_dir = cached_project(tmp_path)
    cache_file = _cache_file(cache_dir)
    cache_file.write_text(garbage)
    assert task_names(project, cache_dir) == ["p.tasks.work"]
    rebuilt = json.loads(cache_file.read_text())
    assert "p/tasks.py" in rebuilt["entries"]


def test_concurrent_runs_do_not_corrupt_the_cache(tmp_path: Path) -> None:
    project = many_module_project(tmp_path / "big", modules=20)
    cache = str(tmp_path / "shared-cache")
    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(
            lambda _: check(project, "--cache-dir", cache, subprocess_run=True), range(4)))
    assert len(set(outputs)) == 1
    json.loads(_cache_file(Path(cache)).read_text())
    assert check(project, "--cache-dir", cache) == outputs[0]


def test_the_default_cache_lives_in_the_project_and_ignores_itself(tmp_path: Path) -> None:
    project, _ = cached_project(tmp_path)
    check(project)
    cache_dir = project / ".celerylint_cache"
    assert (cache_dir / ".gitignore").read_text().strip().endswith("*")
    assert list(cache_dir.glob("facts-*.json"))


def test_cache_dir_from_the_configuration(tmp_path: Path) -> None:
    project, _ = cached_project(tmp_path)
    (project / "pyproject.toml").write_text(
        "[project]\nname = 'p'\n\n[tool.celerylint]\ncache-dir = 'build/lint-cache'\n")
    check(project)
    assert list((project / "build" / "lint-cache").glob("facts-*.json"))


def _run_on_a_terminal(args: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    """Run with stderr on a pseudo-terminal; return what the terminal showed."""
    code, shown = stderr_on_a_terminal(args, cwd, env)
    assert code in (0, 1)
    return shown


@pytest.fixture
def large_project(tmp_path: Path) -> Path:
    return many_module_project(tmp_path / "big", modules=260)


def test_progress_bar_on_a_terminal_only(large_project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    shown = _run_on_a_terminal(["check", "--no-cache", "--exit-zero"], large_project, env)
    assert "reading files" in shown
    in_ci = _run_on_a_terminal(["check", "--no-cache", "--exit-zero"], large_project,
                               {**env, "CI": "true"})
    assert "reading files" not in in_ci
    as_json = _run_on_a_terminal(["check", "--no-cache", "--exit-zero", "--output-format",
                                  "json"], large_project, env)
    assert "reading files" not in as_json


def test_no_progress_bar_in_a_pipe(large_project: Path) -> None:
    run = run_celerylint(["check", "--no-cache", "--exit-zero"], large_project,
                         env={"CI": ""})
    assert run.stderr == ""


def test_a_change_in_a_star_imported_settings_module_invalidates_the_cached_config(
    tmp_path: Path,
) -> None:
    project = write_tree(tmp_path / "dj", {
        "pyproject.toml": "[project]\nname = 'dj'\n",
        "dj/__init__.py": "",
        "dj/celery.py": (
            "import os\nfrom celery import Celery\n\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dj.settings.production')\n"
            "app = Celery('dj')\n"
            "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
        ),
        "dj/settings/__init__.py": "",
        "dj/settings/base.py": "CELERY_TASK_SERIALIZER = 'pickle'\n",
        "dj/settings/production.py": "from .base import *\n\nDEBUG = False\n",
    })
    cache = str(tmp_path / "cache")

    def codes() -> list[str]:
        return [f["code"] for f in json.loads(check(project, "--cache-dir", cache))]

    assert codes() == ["CEL101"]
    assert codes() == ["CEL101"]  # warm: the interpreted settings come from the cache
    (project / "dj" / "settings" / "base.py").write_text("CELERY_TASK_SERIALIZER = 'json'\n")
    assert codes() == []
