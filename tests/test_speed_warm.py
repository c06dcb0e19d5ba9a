"""The warm path and start-up levers of issue 14 change no output: the once-per-run
search for setting names (CEL702/CEL703 needs), remembered module splits, the facts cache
(cold, warm, warm after an edit that keeps size and mtime, with one or two processes), and
the lazy imports (what a plain `check` and the flake8 plugin never load). Proved through
the real command or against the plain definition; no timing here (see bench/run.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    ALL_JSON,
    PROJECTS,
    celerylint_executable,
    copy_fixture,
    invoke_celerylint,
    model_of,
    write_tree,
)

from celerylint.checks.configuration.reads import files_mentioning
from celerylint.model.modules import ModuleIndex, module_names


def check(project: Path, *args: str) -> str:
    run = invoke_celerylint([*ALL_JSON, *args], project)
    assert run.code == 0, run.stderr
    return run.stdout


def _plain_search(root: Path, paths: list[str], names: set[str]) -> set[str]:
    """The definition `files_mentioning` must keep: one whole-word regex over every file."""
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names))
                         + rb")\b")
    return {path for path in paths if pattern.search((root / path).read_bytes())}


MENTIONS = {
    "pyproject.toml": "[project]\nname = 'p'\n",
    "p/__init__.py": "",
    "p/exact.py": "from django.conf import settings\nX = settings.CELERY_FOO\n",
    "p/longer.py": "X = settings.CELERY_FOOBAR  # CELERY_FOO_ is another word too\n",
    "p/prefix.py": "XCELERY_FOO = 1\n",
    "p/string.py": "NAME = 'BROKER_URL'\n",
    "p/both.py": "A = CELERY_FOO\nB = getattr(settings, 'BROKER_URL')\n",
    "p/none.py": "def f():\n    return 1\n",
    "p/utf8.py": "# é CELERY_FOO é\n",
}


@pytest.mark.parametrize("asks", [
    [{"CELERY_FOO"}],
    [{"BROKER_URL"}, {"CELERY_FOO", "BROKER_URL"}, {"CELERY_FOO"}],
    [{"CELERY_FOOBAR", "NOPE"}, set(), {"CELERY_FOO_", "CELERY_FOO"}],
])
@pytest.mark.parametrize("building", [True, False])
def test_files_mentioning_answers_as_one_regex_over_every_file(
    tmp_path: Path, asks: list[set[str]], building: bool,
) -> None:
    model = model_of(tmp_path, MENTIONS)
    model.project.frozen = not building  # while the model is built, answers are remembered
    paths = sorted(model.project.names)
    for names in asks:  # asked again and again, as the needs loop does
        expected = _plain_search(tmp_path, paths, names) if names else set()
        assert files_mentioning(model, names) == expected


def test_module_split_memo_answers_as_the_first_time() -> None:
    files = ["pkg/__init__.py", "pkg/mod.py", "pkg/sub/__init__.py", "pkg/sub/deep.py",
             "src/top.py"]
    index = ModuleIndex(module_names(files))
    dotted = ["pkg.mod.f", "pkg.sub.deep.C.m", "pkg.sub", "pkg.nothing.x", "other.f",
              "top.f", "src.top.f", "pkg"]
    first = [index.split(d) for d in dotted]
    assert first[0] == ("pkg/mod.py", "f") and first[4] is None
    assert [index.split(d) for d in reversed(dotted)] == first[::-1]


@pytest.mark.parametrize("name", PROJECTS)
def test_cold_warm_and_jobs_give_byte_identical_output(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    cache = str(tmp_path / "cache")
    cold = check(project, "--no-cache", "--jobs", "1")
    assert json.loads(cold), "the fixture should have findings to compare"
    assert check(project, "--cache-dir", cache, "--jobs", "2") == cold  # fills the cache
    assert list(Path(cache).glob("facts-*.json"))
    assert check(project, "--cache-dir", cache, "--jobs", "2") == cold
    assert check(project, "--cache-dir", cache, "--jobs", "1") == cold


SETTINGS_READ = {
    "pyproject.toml": "[project]\nname = 'dj'\n",
    "dj/__init__.py": "",
    "dj/celery.py": (
        "import os\nfrom celery import Celery\n\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dj.settings')\n"
        "app = Celery('dj')\n"
        "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
    ),
    "dj/settings.py": "CELERY_BROKER_URL = 'redis://'\nCELERY_WORKER_CONCURENCY = 4\n",
}
READ_LINE = "X = settings.CELERY_WORKER_CONCURENCY\n"
UNREAD_LINE = "X = None".ljust(len(READ_LINE) - 1) + "\n"


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` (same length), then restore the mtime: size and mtime as
    before, as ``touch -d`` or an editor saving in place within the clock's grain can
    leave them; only the content (and inode change time) says the file changed."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_warm_after_a_same_size_same_mtime_edit_matches_cold(tmp_path: Path) -> None:
    """CEL702 on a project setting nobody reads; then a file that showed no sign of
    Celery starts reading it (same size, same mtime): the warm run must see it."""
    project = write_tree(tmp_path / "dj", {
        **SETTINGS_READ, "dj/views.py": f"from django.conf import settings\n\n{UNREAD_LINE}"})
    cache = str(tmp_path / "cache")

    def codes(*args: str) -> list[str]:
        return [f["code"] for f in json.loads(check(project, "--select", "CEL702", *args))]

    assert codes("--cache-dir", cache) == ["CEL702"] == codes("--no-cache")
    assert codes("--cache-dir", cache) == ["CEL702"]  # warm
    _same_size_edit(project / "dj" / "views.py", UNREAD_LINE, READ_LINE)
    cold = check(project, "--select", "CEL702", "--no-cache")
    assert check(project, "--select", "CEL702", "--cache-dir", cache) == cold
    assert codes("--no-cache") == []


def _modules_after(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after `statement`."""
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return {line.split(".")[0] for line in done.stdout.split()} | {
        line for line in done.stdout.split() if line.startswith("rich.")}


HEAVY = {"yaml", "libcst", "markdown_it", "pygments", "rich.markdown", "rich.progress"}


def test_starting_the_command_leaves_heavy_modules_unloaded() -> None:
    """Markdown (``celerylint rule``), the progress bar (a terminal), PyYAML (a YAML
    process file) and libcst (lowering newer syntax) load only when used."""
    assert _modules_after("import celerylint.cli") & HEAVY == set()


def test_the_flake8_plugin_loads_nothing_heavy() -> None:
    assert _modules_after("import celerylint.flake8_plugin") & (HEAVY | {"rich", "click"}) == set()


TASKS = {
    "pyproject.toml": "[project]\nname = 'p'\n",
    "p/__init__.py": "",
    "p/celery.py": "from celery import Celery\n\napp = Celery('p')\n",
    "p/tasks.py": "from p.celery import app\n\n\n@app.task(acks_late=True)\ndef work():\n"
                  "    return 1\n",
}
SETTLE = 2.1  # seconds: a file changed more recently is never taken by its signature


def _task_names(project: Path, cache: Path, env: dict[str, str] | None = None) -> list[str]:
    run = invoke_celerylint([*ALL_JSON, "--select", "CEL211", "--cache-dir", str(cache)],
                            project, env=env)
    assert run.code == 0, run.stderr
    return [f["message"].split()[1] for f in json.loads(run.stdout)]


def _plant_behind_the_hash(cache: Path, path: str) -> None:
    """Rename the cached task of `path` to `planted` under a content hash no file has:
    only a run that takes the file by its signature, without hashing it, reports it."""
    cache_file = next(cache.glob("facts-*.json"))
    data = json.loads(cache_file.read_text())
    entry, stat = data["entries"][path], data["stats"][path]
    real = json.loads(entry["text"])["digest"]
    assert stat[0] == entry["key"]

    def plant(text: str) -> str:
        return text.replace(real, "0" * len(real)).replace('"work"', '"planted"')

    entry["key"], entry["text"], stat[0] = plant(entry["key"]), plant(entry["text"]), plant(
        stat[0])
    cache_file.write_text(json.dumps(data))


def test_unchanged_files_are_taken_by_signature_and_edits_are_not(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", TASKS)
    cache = tmp_path / "cache"
    time.sleep(SETTLE)
    assert _task_names(project, cache) == ["p.tasks.work"]
    _plant_behind_the_hash(cache, "p/tasks.py")
    assert _task_names(project, cache) == ["p.tasks.planted"]  # not read, not hashed
    assert _task_names(project, cache, env={"CELERYLINT_NO_STAT_CACHE": "1"}) == [
        "p.tasks.work"]  # read and hashed: the planted entry is under another hash
    assert _task_names(project, cache) == ["p.tasks.work"]  # its signature noted again
    _plant_behind_the_hash(cache, "p/tasks.py")
    # Same size, mtime set back, inode kept: only the inode change time tells.
    tasks = project / "p" / "tasks.py"
    _same_size_edit(tasks, "return 1", "return 2")
    time.sleep(SETTLE)
    assert _task_names(project, cache) == ["p.tasks.work"]


def test_an_editor_buffer_wins_over_an_unchanged_signature(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "proj", TASKS)
    cache = tmp_path / "cache"
    time.sleep(SETTLE)
    assert _task_names(project, cache) == ["p.tasks.work"]
    _plant_behind_the_hash(cache, "p/tasks.py")
    buffer = TASKS["p/tasks.py"].replace("def work", "def edited")
    done = subprocess.run(
        [celerylint_executable(), *ALL_JSON, "--select", "CEL211", "--cache-dir", str(cache),
         "--stdin-filename", "p/tasks.py", "-"],
        cwd=project, input=buffer, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    assert [f["message"].split()[1] for f in json.loads(done.stdout)] == ["p.tasks.edited"]
    # The buffer's entry replaced the planted one, with no signature: the file on disk
    # (unchanged) is read and hashed again, never taken for the buffer's facts.
    assert _task_names(project, cache) == ["p.tasks.work"]
