"""The levers on linking the model and running the rules (issue 14) never change what
celerylint reports: the settings-name search answered from the facts cache
(`model.mentions`, off with ``CELERYLINT_NO_MENTIONS_CACHE=1``), and the look-ups made
cheaper (route globs compiled once, test paths and settled files answered at once, the
folders searched for leftovers cut as strings, a settings module's import table taken
from its facts). Proved through the real command; no
timing here (speed is measured by bench/run.py)."""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from pathlib import Path

import pytest
from conftest import ALL_JSON, invoke_celerylint, run_celerylint, write_tree

from celerylint.engine.leftovers import folders_of
from celerylint.facts.extract import extract
from celerylint.facts.imports import collect_imports
from celerylint.facts.values import Value
from celerylint.findings import Span
from celerylint.model import mentions
from celerylint.model.config_module import import_map_of
from celerylint.model.project import Project
from celerylint.model.routing import Route
from celerylint.parsing.source import SourceFile

SWITCH = {mentions.NO_CACHE_ENV: "1"}

# CEL702 keeps silent on a misspelt key the project's own code reads: views.py reads one
# (the prefilter passes it over, so only the byte search finds it), the other is unread.
SHOP = {
    "pyproject.toml": "[project]\nname = 'shop'\n",
    "shop/__init__.py": "",
    "shop/celery.py": (
        "import os\n\nfrom celery import Celery\n\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n\n"
        "app = Celery('shop')\n"
        "app.config_from_object('django.conf:settings', namespace='CELERY')\n"
    ),
    "shop/settings.py": (
        "CELERY_TASK_ACK_LATE = True\nCELERY_RESULT_BACKND = 'redis://'\n"
        "BROKER_URL = 'redis://'\n"
    ),
    "shop/views.py": (
        "from django.conf import settings\n\n\n"
        "def view():\n    return settings.CELERY_TASK_ACK_LATE\n"
    ),
}
READ_KEY = "CELERY_TASK_ACK_LATE"


def check(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The JSON output of a check through the click command, in this process."""
    run = invoke_celerylint([*ALL_JSON, "--jobs", "1", *args], project, env=env)
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    return run.stdout


def warm(project: Path, cache_dir: Path, env: dict[str, str] | None = None) -> str:
    return check(project, "--cache-dir", str(cache_dir), env=env)


def flagged(output: str) -> set[str]:
    """The keys CEL702 reports."""
    return {f["message"].split()[0] for f in json.loads(output) if f["code"] == "CEL702"}


def cache_file(cache_dir: Path) -> Path:
    files = sorted(cache_dir.glob("facts-*.json"))
    assert len(files) == 1, files
    return files[0]


def note_of(cache_dir: Path) -> dict[str, list[str]]:
    """The words and files of the search answers the cache holds."""
    data = json.loads(cache_file(cache_dir).read_text())
    return dict(data["notes"][mentions.NOTE]["words"])


def test_the_search_answers_cold_warm_and_switched_off_alike(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "shop", SHOP)
    cache_dir = tmp_path / "cache"
    cold = check(project, "--no-cache")
    assert flagged(cold) == {"CELERY_RESULT_BACKND"}, cold  # the read key stays silent
    outputs = {
        "filling": warm(project, cache_dir),
        "warm": warm(project, cache_dir),
        "warm, switched off": warm(project, cache_dir, SWITCH),
        "cold, switched off": check(project, "--no-cache", env=SWITCH),
    }
    assert all(output == cold for output in outputs.values()), outputs
    assert note_of(cache_dir)[READ_KEY] == ["shop/settings.py", "shop/views.py"]


def test_jobs_and_the_search_cache_give_the_same_output(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "shop", SHOP)
    cache_dir = tmp_path / "cache"
    outputs = set()
    for args, env in ((["--no-cache"], None), (["--cache-dir", str(cache_dir)], None),
                      (["--cache-dir", str(cache_dir)], None),
                      (["--cache-dir", str(cache_dir)], SWITCH)):
        for jobs in ("1", "2"):
            run = run_celerylint([*ALL_JSON, "--jobs", jobs, *args], project, env=env)
            assert run.code == 0, run.stderr
            outputs.add(run.stdout + run.stderr)
    assert len(outputs) == 1, outputs


def test_a_warm_run_searches_no_file_unless_switched_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers come from the cache while the files are those they were found in;
    the switch searches every file again."""
    project = write_tree(tmp_path / "shop", SHOP)
    cache_dir = tmp_path / "cache"
    cold = warm(project, cache_dir)
    searched: list[list[str]] = []
    scan = mentions._scan

    def counted(project: Project, words: list[str]) -> dict[str, frozenset[str]]:
        searched.append(list(words))
        return scan(project, words)

    monkeypatch.setattr(mentions, "_scan", counted)
    assert warm(project, cache_dir) == cold
    assert searched == []
    assert warm(project, cache_dir, SWITCH) == cold
    assert READ_KEY in {word for words in searched for word in words}


@pytest.mark.parametrize("edit", ["drop the read", "read it in a new file", "delete the reader"])
def test_a_changed_file_is_searched_again(tmp_path: Path, edit: str) -> None:
    project = write_tree(tmp_path / "shop", SHOP)
    cache_dir = tmp_path / "cache"
    warm(project, cache_dir)
    views = project / "shop" / "views.py"
    if edit == "drop the read":
        views.write_text("def view():\n    return None\n")
    elif edit == "read it in a new file":
        (project / "shop" / "admin.py").write_text(
            "from django.conf import settings\n\nX = getattr(settings, 'CELERY_RESULT_BACKND')\n")
    else:
        views.unlink()
    cold = check(project, "--no-cache")
    assert warm(project, cache_dir) == cold
    assert warm(project, cache_dir) == cold  # and again, from the answers just kept
    expected = {"drop the read": {"CELERY_RESULT_BACKND", READ_KEY},
                "read it in a new file": set(),
                "delete the reader": {"CELERY_RESULT_BACKND", READ_KEY}}[edit]
    assert flagged(cold) == expected


@pytest.mark.parametrize("note", [
    None, "junk", [], {"files": "0" * 32, "words": []},
    {"files": "x", "words": [["W", ["a.py"]]]},
    {"files": "F", "words": [["W", "a.py"]]}, {"files": "F", "words": [["W"]]},
    {"files": "F", "words": {"W": ["a.py"]}}, {"files": "F", "words": [[1, ["a.py"]]]},
])
def test_a_note_not_made_for_these_files_or_malformed_gives_no_answer(note: object) -> None:
    assert mentions._recalled(note, "F") == {}


def test_a_note_made_for_these_files_gives_its_answers() -> None:
    note = {"files": "F", "words": [["W", ["a.py", "b/c.py"]], ["V", []]]}
    assert mentions._recalled(note, "F") == {"W": frozenset({"a.py", "b/c.py"}),
                                             "V": frozenset()}


@pytest.mark.parametrize("key", ["proj.*", "*.add", "*", "proj.[bt]*", "proj.[!t]*",
                                 "a*b", "proj.tasks.*.x", "(proj)*", "proj.\\*"])
def test_a_route_glob_matches_as_celery_translates_it(key: str) -> None:
    route = Route(key, Value(known=True, data="q"), "c.py", Span(1, 0, 1, 1), after_router=False)
    pattern = re.compile(fnmatch.translate(key))
    for name in ("proj.add", "proj.tasks.add", "proj.tasks.y.x", "ab", "a.b", "xproj.add",
                 "(proj)add", "proj.*", "proj.", "PROJ.add", "proj.add\n"):
        assert route.matches(name) is (pattern.match(name) is not None), (key, name)


def test_the_leftover_folders_are_those_of_the_files(tmp_path: Path) -> None:
    files = ["a.py", "x/y/z.py", "x/y.py", "x/y/w.txt", "x-y/a.py", "src/p/__init__.py",
             "deep/er/still/f.py", "x/y/z2.py"]
    assert folders_of(tmp_path, files) == sorted({(tmp_path / f).parent for f in files})


# Imports the interpreter of settings modules resolves names with: at the top, in
# branches, in functions and classes (a later one rebinds a name), relative and starred.
IMPORTS = '''
import os
import a.b.c
import a.b as ab
from . import sibling
from ..up import thing as other, more
from .base import *
try:
    from fast import json
except ImportError:
    import json
if os.environ.get("X"):
    from prod import *
    BROKER = "x"
def helper():
    import inner as os
    from deep.er import name
class Settings:
    from cls import attr
    value = 1
json = "shadowed"
'''


@pytest.mark.parametrize("module,is_package", [("proj.settings.prod", False),
                                               ("proj.settings", True), ("", False)])
def test_the_settings_interpreter_takes_the_extracted_import_table(module: str,
                                                                   is_package: bool) -> None:
    """The import table rebuilt from a module's facts is the one collected again from its
    tree: same names, same origins, same order, same star imports."""
    tree = ast.parse(IMPORTS)
    facts = extract(SourceFile("proj/settings/prod.py", IMPORTS), tree, module, is_package)
    again = collect_imports(tree, module, is_package)
    rebuilt = import_map_of(facts, module, is_package)
    assert list(rebuilt.aliases.items()) == list(again.aliases.items())
    assert rebuilt.star_imports == again.star_imports
    assert (rebuilt.module, rebuilt.is_package) == (again.module, again.is_package)
