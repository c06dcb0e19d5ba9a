"""What celerylint writes, when the file system refuses or plays tricks: ``--fix`` on a
read-only tree, ``--write-baseline`` to a path it cannot write, fixes and diffs through
symlinks, and the temporary files a killed run leaves behind. All through the command."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from conftest import Run, invoke_celerylint, run_celerylint, write_tree
from sandbox import run_read_only

PROJECT = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n'
                      'app.config_from_object("proj.realconf")\n',
    "proj/realconf.py": 'task_serializer = "pickle"\naccept_content = ["json"]  # noqa: CEL101\n',
}


def _files(root: Path) -> dict[str, bytes]:
    """Every regular file below `root` (links not followed) and its bytes."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def _codes(run: Run) -> list[tuple[str, str]]:
    return [(f["code"], f["filename"]) for f in run.json()]


def test_fix_on_a_read_only_tree_reports_the_file_and_still_prints_the_findings(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    before = _files(project)
    run = run_read_only(["check", "--fix", "--no-cache", "--output-format", "json"], project)
    assert run.code == 1
    assert run.stderr.splitlines() == [
        "celerylint: warning: cannot write proj/realconf.py: read-only file system"]
    assert _codes(run) == [("CEL101", "proj/realconf.py"), ("CEL002", "proj/realconf.py")]
    assert _files(project) == before


def test_write_baseline_to_an_unwritable_path_is_an_error_that_keeps_the_findings(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    before = _files(project)
    run = run_celerylint(["check", "--no-cache", "--output-format", "json",
                          "--write-baseline", "out/baseline.json"], project)
    assert run.code == 1
    assert run.stderr.splitlines() == [
        "celerylint: error: cannot write out/baseline.json: no such file or directory"]
    assert _codes(run) == [("CEL101", "proj/realconf.py"), ("CEL002", "proj/realconf.py")]
    assert _files(project) == before


def test_write_baseline_on_a_read_only_tree_writes_nothing_half_way(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    before = _files(project)
    run = run_read_only(["check", "--no-cache", "--output-format", "json",
                         "--write-baseline", "baseline.json"], project)
    assert run.code == 1
    assert run.stderr.splitlines() == [
        "celerylint: error: cannot write baseline.json: read-only file system"]
    assert _files(project) == before


def test_a_pyproject_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    (project / "pyproject.toml").write_bytes(b'[tool.celerylint]\n# caf\xe9\nselect = ["CEL"]\n')
    run = run_celerylint(["check", "--no-cache", "--output-format", "json"], project)
    assert run.code == 2  # the defaults stand in for the file: the project is still checked
    assert _codes(run) == [("CEL101", "proj/realconf.py"), ("CEL002", "proj/realconf.py")]
    assert run.stderr == ("celerylint: error: pyproject.toml is not UTF-8 text "
                          "(byte 23 is 0xe9)\n")


def _linked_project(tmp_path: Path) -> tuple[Path, Path]:
    """`proj/conf.py` links to `proj/realconf.py` inside the project; `proj/ext.py` links
    to a file outside it, with a dead noqa code (a safe fix)."""
    project = write_tree(tmp_path / "project", PROJECT)
    (project / "proj" / "conf.py").symlink_to("realconf.py")
    outside = write_tree(tmp_path / "outside", {
        "helpers.py": "from celery import shared_task\n\n\n@shared_task\n"
                      "def ping():  # noqa: CEL201\n    return 1\n"})
    (project / "proj" / "ext.py").symlink_to(outside / "helpers.py")
    return project, outside


def test_diff_through_symlinks_names_the_real_file_once_and_both_patch_tools_apply_it(
        tmp_path: Path) -> None:
    project, outside = _linked_project(tmp_path)
    before, outside_before = _files(project), _files(outside)
    run = run_celerylint(["check", "--no-cache", "--diff", "--unsafe-fixes"], project)
    assert run.code == 1
    assert run.stdout == (
        "--- proj/realconf.py\n+++ proj/realconf.py\n@@ -1,2 +1,2 @@\n"
        '-task_serializer = "pickle"\n-accept_content = ["json"]  # noqa: CEL101\n'
        '+task_serializer = "json"\n+accept_content = ["json"]\n')
    assert run.stderr.splitlines() == [
        "celerylint: warning: proj/ext.py: not fixed: it is a symlink to a file outside "
        "the project",
        "Would fix 2 findings in 1 file."]
    assert (_files(project), _files(outside)) == (before, outside_before)
    patch = tmp_path / "fix.diff"
    patch.write_text(run.stdout, encoding="utf-8")
    for command in (["git", "apply", "-p0", "--check", str(patch)],
                    ["patch", "-p0", "--dry-run", "-i", str(patch)]):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    subprocess.run(["patch", "-p0", "-i", str(patch)], cwd=project, check=True,
                   capture_output=True)
    assert (project / "proj" / "realconf.py").read_text(encoding="utf-8") == (
        'task_serializer = "json"\naccept_content = ["json"]\n')
    assert (project / "proj" / "conf.py").is_symlink()


def test_fix_through_symlinks_fixes_the_file_inside_and_never_the_one_outside(
        tmp_path: Path) -> None:
    project, outside = _linked_project(tmp_path)
    outside_before = _files(outside)
    run = invoke_celerylint(["check", "--no-cache", "--jobs", "1", "--fix", "--unsafe-fixes",
                             "--output-format", "json"], project)
    assert run.code == 1
    assert "proj/ext.py: not fixed: it is a symlink to a file outside the project" in run.stderr
    assert (project / "proj" / "realconf.py").read_text(encoding="utf-8") == (
        'task_serializer = "json"\naccept_content = ["json"]\n')
    assert (project / "proj" / "conf.py").is_symlink()
    assert _files(outside) == outside_before
    assert ("CEL002", "proj/ext.py") in _codes(run)  # reported, without a fix applied


def test_a_file_named_through_its_symlink_is_reported_under_that_name(tmp_path: Path) -> None:
    project, _ = _linked_project(tmp_path)
    run = invoke_celerylint(["check", "--no-cache", "--jobs", "1", "--output-format", "json",
                             "proj/conf.py"], project)
    assert _codes(run) == [("CEL002", "proj/conf.py")]  # not proj/realconf.py's findings


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_the_next_run_removes_what_a_killed_fix_left_and_nothing_else(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    folder = project / "proj"
    stale = folder / ".realconf.py.k3x_9ab2.celerylint-fix"
    fresh = folder / ".celery.py.q1w2e3r4.celerylint-fix"  # a concurrent run's, in use
    lookalike = folder / "notes.celerylint-fix"  # not the shape of ours
    linked = folder / ".celery.py.zzzzzzzz.celerylint-fix"  # ours by name, but a symlink
    for path in (stale, fresh, lookalike):
        path.write_text("half a file", encoding="utf-8")
    linked.symlink_to("realconf.py")
    for path in (stale, lookalike):
        _age(path, 3600)
    os.utime(linked, (time.time() - 3600,) * 2, follow_symlinks=False)
    run = invoke_celerylint(["check", "--no-cache", "--jobs", "1", "--output-format", "json"],
                            project)
    assert run.code == 1
    assert not stale.exists()
    assert fresh.exists() and lookalike.exists() and linked.is_symlink()


def test_the_next_run_removes_a_cache_file_a_killed_save_left(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    cache = project / ".celerylint_cache"
    cache.mkdir()
    stale = cache / ".facts-ab12cd34.tmp"
    other = cache / "keep-me.tmp"
    for path in (stale, other):
        path.write_text("{", encoding="utf-8")
        _age(path, 3600)
    run = invoke_celerylint(["check", "--jobs", "1", "--output-format", "json"], project)
    assert run.code == 1
    assert not stale.exists() and other.exists()
    assert [p.name for p in cache.glob("facts-*.json")]  # the run saved its own cache


def test_a_killed_baseline_write_is_cleaned_by_the_next_one(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    stale = project / ".baseline.json.4242.celerylint-baseline"
    stale.write_text("{", encoding="utf-8")
    _age(stale, 3600)
    run = invoke_celerylint(["check", "--no-cache", "--jobs", "1",
                             "--write-baseline", "baseline.json"], project)
    assert run.code == 0, run.stderr
    assert not stale.exists()
    assert json.loads((project / "baseline.json").read_text(encoding="utf-8"))["findings"]
