"""Every read of a project file sees the editor buffer (issue 12: "the buffer must win for
every kind of file"): not only the parse of the buffered file, but the readers that look
at a file's text on their own — the helper search of CEL501 (`checks.bodies.helpers`),
the setting readers of CEL702/CEL703 (`checks.configuration.reads`), the fixes
(`fixes.view`), the requirement files giving the target Celery version, and
``[tool.celerylint]`` itself. Through ``celerylint check -`` with ``--stdin-filename``
and flake8's ``--stdin-display-name`` (the setting readers, whose buffered file is always
loaded anyway, on the model); the disk says something else each time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import Run, celerylint_executable, model_of, run_celerylint, write_tree

from celerylint.checks.configuration.reads import files_mentioning
from celerylint.engine.buffers import reading_buffer

# task -> step_one() -> step_two() -> bump(): bump is reached at the last level, where
# its file is read as text to decide whether it is worth loading.
CHAIN = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/tasks.py": "from celery import shared_task\nfrom proj.a import step_one\n\n\n"
                     "@shared_task\ndef count():\n    step_one()\n",
    "proj/a.py": "from proj.b import step_two\n\n\ndef step_one():\n    step_two()\n",
    "proj/b.py": "from proj.c import bump\n\n\ndef step_two():\n    bump()\n",
    "proj/c.py": "def bump():\n    return None\n",
}
COUNTING = 'from django.core.cache import cache\n\n\ndef bump():\n    cache.incr("hits")\n'
CEL501 = ("task proj.tasks.count → step_one() → step_two() → bump(): `cache.incr(\"hits\")` "
          "repeats on retry/redelivery")


def _stdin(project: Path, name: str, text: str, *args: str) -> Run:
    done = subprocess.run(
        [celerylint_executable(), "check", "--no-cache",
         "--output-format", "json", *args, "-", "--stdin-filename", name],
        cwd=project, input=text, capture_output=True, text=True, check=False, timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def _findings(run: Run) -> list[tuple[str, str, int, str]]:
    return [(f["code"], f["filename"], f["location"]["row"], f["message"]) for f in run.json()]


def test_a_helper_buffer_is_what_cel501_reads(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", CHAIN)
    on_disk = run_celerylint(["check", "--no-cache", "--output-format", "json", "proj/c.py"],
                             project)
    assert (on_disk.code, _findings(on_disk)) == (0, [])
    run = _stdin(project, "proj/c.py", COUNTING)
    assert _findings(run) == [("CEL501", "proj/c.py", 5, CEL501)]
    assert run.code == 1


def test_flake8_sees_the_helper_buffer_the_same_way(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", CHAIN)
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "CEL", "--stdin-display-name",
         "proj/c.py", "-"], cwd=project, input=COUNTING, capture_output=True, text=True,
        check=False, timeout=300)
    assert (done.stdout, done.stderr) == (f"proj/c.py:5:5: CEL501 {CEL501}\n", "")
    assert done.returncode == 1


def test_the_setting_readers_of_cel702_and_cel703_search_the_buffer(tmp_path: Path) -> None:
    root = tmp_path / "project"
    model = model_of(root, {"pyproject.toml": "", "proj/__init__.py": "",
                            "proj/views.py": "def home():\n    return 1\n"})
    reader = textwrap.dedent("""\
        from django.conf import settings


        def home():
            return settings.CELERY_MY_FLAG
        """)
    assert files_mentioning(model, {"CELERY_MY_FLAG"}) == set()
    with reading_buffer(root / "proj" / "views.py", reader.encode()):
        assert files_mentioning(model, {"CELERY_MY_FLAG"}) == {"proj/views.py"}


def test_a_requirements_buffer_sets_the_target_version(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {**CHAIN, "requirements.txt": "celery==5.4.0\n"})
    run = _stdin(project, "requirements.txt", "celery==5.2.7\n", "--show-settings")
    assert run.code == 0
    assert [line for line in run.stdout.splitlines() if line.startswith("celery-version")] == [
        'celery-version = "5.2"',
        'celery-version-source = "requirements.txt:1 (celery==5.2.7)"']


def test_a_pyproject_buffer_is_the_configuration(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {**CHAIN, "pyproject.toml": ""})
    run = _stdin(project, "pyproject.toml", '[tool.celerylint]\nselct = ["CEL1"]\n',
                 "--no-notices")
    assert run.stderr == ("celerylint: error: unknown key 'selct' in [tool.celerylint] of "
                          "pyproject.toml; did you mean 'select'?\n")
    assert (run.code, run.stdout) == (2, "[]\n")


def test_the_fixes_of_a_buffer_are_computed_on_the_buffer(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {
        "pyproject.toml": "", "proj/__init__.py": "",
        "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n'
                          'app.config_from_object("proj.conf")\n',
        "proj/conf.py": 'task_serializer = "json"\n'})
    run = _stdin(project, "proj/conf.py", 'task_serializer = "pickle"\n'
                                          'accept_content = ["json"]  # noqa: CEL101\n')
    fixes = [(f["code"], f["fix"]["applicability"], f["fix"]["edits"]) for f in run.json()]
    assert fixes == [
        ("CEL101", "unsafe", [{"content": "json", "location": {"row": 1, "column": 20},
                               "end_location": {"row": 1, "column": 26}}]),
        ("CEL002", "safe", [{"content": "", "location": {"row": 2, "column": 26},
                             "end_location": {"row": 2, "column": 42}}]),
    ]


def test_a_gitignore_that_is_a_fifo_never_blocks_the_run(tmp_path: Path) -> None:
    """Ignore files are read as every project file is: a FIFO is refused, not opened."""
    project = write_tree(tmp_path / "project", CHAIN)
    (project / ".git").mkdir()
    os.mkfifo(project / ".gitignore")
    os.mkfifo(project / "proj" / ".gitignore")
    run = run_celerylint(["check", "--no-cache", "--output-format", "json"], project)
    assert (run.code, run.json()) == (0, [])
