"""``--diff`` with ``-o FILE`` (issue 12): the patch goes to FILE, written whole, not to
stdout; stdout stays empty and the summary on stderr is the one without ``-o``; the file
is a patch ``git apply`` accepts. Through the command, with the real ``git apply``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import run_celerylint, write_tree

PROJECT = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n'
                      'app.config_from_object("proj.conf")\n',
    "proj/conf.py": 'task_serializer = "pickle"\naccept_content = ["json"]  # noqa: CEL101\n',
}
PATCH = ('--- proj/conf.py\n+++ proj/conf.py\n@@ -1,2 +1,2 @@\n task_serializer = "pickle"\n'
         '-accept_content = ["json"]  # noqa: CEL101\n+accept_content = ["json"]\n')


def test_diff_to_an_output_file_is_the_patch_git_apply_accepts(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    on_stdout = run_celerylint(["check", "--no-cache", "--diff"], project)
    assert (on_stdout.code, on_stdout.stdout) == (1, PATCH)
    run = run_celerylint(["check", "--no-cache", "--diff", "-o", "fix.patch"], project)
    assert (run.code, run.stdout, run.stderr) == (1, "", on_stdout.stderr)
    assert run.stderr == "Would fix 1 finding in 1 file.\n"
    assert (project / "fix.patch").read_text(encoding="utf-8") == PATCH
    assert (project / "proj" / "conf.py").read_text() == PROJECT["proj/conf.py"]
    subprocess.run(["git", "apply", "-p0", "fix.patch"], cwd=project, check=True)
    assert (project / "proj" / "conf.py").read_text() == (
        'task_serializer = "pickle"\naccept_content = ["json"]\n')


def test_diff_to_an_unwritable_output_file_names_it_and_writes_nothing(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    run = run_celerylint(["check", "--no-cache", "--diff", "-o", "no/such/fix.patch"], project)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == ("celerylint: error: cannot write no/such/fix.patch: "
                          "No such file or directory\n")
    assert sorted(p.name for p in project.iterdir()) == ["proj", "pyproject.toml"]
