"""The facts cache is keyed on the code that fills it: a warm run gives what a cold run
gives, and an edited extractor (even a comment in it) never reads facts the old code
extracted. Proved through the real command on a copy of the tool, whose source the test
edits; plus the key's stability within and across processes."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import write_tree

from celerylint.model import cache
from celerylint.model.codec import revivable_types

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path(cache.__file__).resolve().parents[1]

# The first bad example of rules/CEL501.toml: an attribute increment followed by save().
PROJECT = {
    "pyproject.toml": "[project]\nname = 'proj'\n",
    "proj/__init__.py": "",
    "proj/celery.py": (
        "from celery import Celery\n\n"
        "app = Celery('proj', broker='redis://localhost:6379/0', include=['downloads.tasks'])\n"
    ),
    "downloads/__init__.py": "",
    "downloads/tasks.py": (
        "from celery import shared_task\n\nfrom downloads.models import File\n\n\n"
        "@shared_task(autoretry_for=(IOError,), retry_backoff=True)\n"
        "def record_download(file_id, client_ip):\n"
        "    f = File.objects.get(pk=file_id)\n"
        "    f.download_count += 1\n"
        "    f.save(update_fields=['download_count'])\n"
        "    f.mirror.log_hit(client_ip)\n"
    ),
}
INCREMENT = "downloads/tasks.py:9"

# Appended to the copied increments module: the collector extract.py imports now finds
# nothing, so no file has an increment event any more.
NO_INCREMENTS = (
    "\n\ndef function_events(node, source, imports, bodies=None):\n"
    "    return []\n"
)


def copy_tool(root: Path) -> Path:
    """The running celerylint's source as a checkout lays it out (``src/celerylint`` and
    the top-level ``rules/``, which ``catalog.specs.rules_dir`` finds beside ``src``)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".celerylint_cache")
    shutil.copytree(PACKAGE, root / "src" / "celerylint", ignore=ignore)
    shutil.copytree(REPO / "rules", root / "rules", ignore=ignore)
    return root / "src"


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env["PYTHONPATH"] = str(src)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # an edited copy is always compiled afresh
    return env


def python(src: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(src), capture_output=True,
                          text=True, timeout=300, check=False)


def check(src: Path, project: Path, cache_dir: Path) -> list[dict[str, Any]]:
    """The findings of ``python -m celerylint check`` run with the copied tool."""
    done = python(src, "-m", "celerylint", "check", "--output-format", "json", "--jobs", "1",
                  "--cache-dir", str(cache_dir), str(project), cwd=project)
    assert done.returncode in (0, 1), done.stderr
    assert done.stderr == ""
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def increments(found: list[dict[str, Any]]) -> list[str]:
    return [f"{f['filename']}:{f['location']['row']} {f['message']}" for f in found
            if f["code"] == "CEL501"]


def cache_files(cache_dir: Path) -> set[str]:
    return {p.name for p in cache_dir.glob("facts-*.json")}


def key_of(src: Path, cwd: Path) -> str:
    done = python(src, "-c", "from celerylint.model.cache import code_key; print(code_key())",
                  cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_copy_runs_its_own_code(tmp_path: Path) -> None:
    src = copy_tool(tmp_path / "tool")
    done = python(src, "-c", "import celerylint; print(celerylint.__file__)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(src)


def test_a_changed_extractor_never_reads_the_old_facts(tmp_path: Path) -> None:
    src = copy_tool(tmp_path / "tool")
    project = write_tree(tmp_path / "project", PROJECT)
    cache_dir = tmp_path / "cache"
    extraction = src / "celerylint" / "facts"

    cold = check(src, project, cache_dir)
    [increment] = increments(cold)
    assert increment.startswith(f"{INCREMENT} ") and "download_count" in increment
    [first] = cache_files(cache_dir)

    warm = check(src, project, cache_dir)
    assert warm == cold
    assert cache_files(cache_dir) == {first}, "the same code must keep the same cache file"

    # Plant a marker in the cached facts: a run that reports it read the cache.
    cache_file = cache_dir / first
    cache_file.write_text(cache_file.read_text().replace("download_count", "planted_count"))
    [planted] = increments(check(src, project, cache_dir))
    assert "planted_count" in planted and "download_count" not in planted

    # A comment is code too: the key changes, the file is extracted again.
    prefilter = extraction / "prefilter.py"
    prefilter.write_text(prefilter.read_text() + "\n# only a comment\n")
    after_comment = check(src, project, cache_dir)
    assert after_comment == cold
    assert len(cache_files(cache_dir) - {first}) == 1, "a new key, a new cache file"

    # The extractor no longer finds increments: the warm run re-extracts, the finding goes.
    module = extraction / "increments.py"
    module.write_text(module.read_text() + NO_INCREMENTS)
    without = check(src, project, cache_dir)
    assert increments(without) == []
    assert [f for f in without if f["code"] != "CEL501"] == [
        f for f in cold if f["code"] != "CEL501"]
    assert len(cache_files(cache_dir)) == 3


def test_the_key_follows_extraction_modules_found_by_listing(tmp_path: Path) -> None:
    """Same code, same key in every process; a new module in the facts package or an edit
    to the settings-module interpreter changes it."""
    src = copy_tool(tmp_path / "tool")
    before = key_of(src, tmp_path)
    assert len(before) == 32
    assert key_of(src, tmp_path) == before

    (src / "celerylint" / "facts" / "newcomer.py").write_text("X = 1\n")
    with_new_module = key_of(src, tmp_path)
    assert with_new_module != before

    interpreter = src / "celerylint" / "model" / "config_module.py"
    interpreter.write_text(interpreter.read_text() + "\n")
    assert key_of(src, tmp_path) not in (before, with_new_module)


def test_the_key_is_stable_in_one_process() -> None:
    first = cache.code_key()
    assert cache.code_key() == first
    cache.code_key.cache_clear()
    try:
        assert cache.code_key() == first  # computed again, from the same files
    finally:
        cache.code_key.cache_clear()


def test_the_modules_in_the_key() -> None:
    modules = cache.code_modules()
    for expected in ("celerylint.facts", "celerylint.facts.extract",
                     "celerylint.facts.increments", "celerylint.parsing.parse",
                     "celerylint.model.config_module", "celerylint.model.codec",
                     "celerylint.model.cache"):
        assert expected in modules
    found = {p.stem for p in (PACKAGE / "facts").glob("*.py")}
    assert {m.rpartition(".")[2] for m in modules if m.startswith("celerylint.facts.")} == (
        found - {"__init__"})


def _schema(cls: type) -> str:
    return cache.schema_text([cls])


def test_the_schema_text_sees_fields_annotations_and_defaults() -> None:
    @dataclasses.dataclass
    class Fact:
        name: str
        count: int = 0

    @dataclasses.dataclass
    class MoreFields:
        name: str
        count: int = 0
        extra: bool = False

    @dataclasses.dataclass
    class OtherAnnotation:
        name: str
        count: float = 0

    @dataclasses.dataclass
    class OtherDefault:
        name: str
        count: int = 1

    @dataclasses.dataclass
    class Factory:
        name: str
        count: list[int] = dataclasses.field(default_factory=list)

    text = _schema(Fact)
    assert "Fact(name: str, count: int = 0)" in text
    assert _schema(Fact) == text
    without_name = [_schema(c).replace(c.__qualname__, "X")
                    for c in (Fact, MoreFields, OtherAnnotation, OtherDefault, Factory)]
    assert len(set(without_name)) == 5
    assert "builtins.list()" in _schema(Factory)


def test_the_schema_covers_what_the_cache_holds() -> None:
    names = {cls.__name__ for cls in revivable_types()}
    assert {"FileResult", "ModuleFacts", "FunctionFacts", "BodyEvent", "ModuleState",
            "NoqaMap", "Span", "Value"} <= names
    assert " at 0x" not in cache.schema_text(revivable_types())
