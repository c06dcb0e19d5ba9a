"""CEL003 unreadable-file, through the `celerylint` command run as a subprocess (a FIFO
that were opened would hang the run, and the exit code is part of the contract): every
`.py` file the scan cannot read is one finding with the reason, the scan goes on."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Run, run_celerylint, write_tree
from sandbox import run_unprivileged

PROJECT = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n'
                      'app.conf.task_serializer = "pickle"\n',
}
PICKLE = ("CEL101", "proj/celery.py", 3, "task_serializer is 'pickle' but pickle is not "
          "accepted: workers discard the tasks, which stay PENDING")


def _found(run: Run) -> list[tuple[str, str, int, str]]:
    assert run.code in (0, 1), run.stderr
    return [(f["code"], f["filename"], f["location"]["row"], f["message"]) for f in run.json()]


def _dangling(path: Path) -> None:
    path.symlink_to("gone.py")


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket_like_folder_link(path: Path) -> None:
    path.symlink_to(".")  # a link to a folder: not a file at all, never reported


@pytest.mark.parametrize(("make", "reason"), [
    (_dangling, "dangling symbolic link"),
    (_loop, "symbolic link loop"),
    (_fifo, "not a regular file (a FIFO)"),
], ids=["dangling-symlink", "symlink-loop", "fifo"])
def test_each_unreadable_python_file_is_one_finding_with_its_reason(
        tmp_path: Path, make: Callable[[Path], None], reason: str) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    make(project / "proj" / "broken.py")
    run = run_celerylint(["check", "--output-format", "json", "--no-cache"], project)
    assert run.code == 1
    assert _found(run) == [("CEL003", "proj/broken.py", 1, f"cannot read the file: {reason}"),
                           PICKLE]
    assert run.stderr == ""


def test_several_unreadable_files_in_one_run_are_sorted_and_the_exit_code_is_1(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    _fifo(project / "proj" / "a_pipe.py")
    _dangling(project / "proj" / "z_gone.py")
    run = run_celerylint(["check", "--output-format", "json", "--no-cache",
                          "--select", "CEL003"], project)
    assert run.code == 1
    assert _found(run) == [
        ("CEL003", "proj/a_pipe.py", 1, "cannot read the file: not a regular file (a FIFO)"),
        ("CEL003", "proj/z_gone.py", 1, "cannot read the file: dangling symbolic link"),
    ]


def test_a_link_to_a_folder_and_a_fifo_that_is_not_python_are_neither_read_nor_reported(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    _socket_like_folder_link(project / "proj" / "here.py")
    _fifo(project / "Procfile")  # a process file name: opening it would block the run
    run = run_celerylint(["check", "--output-format", "json", "--no-cache"], project)
    assert _found(run) == [PICKLE]


def test_cel003_is_ignored_like_any_rule(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {
        **PROJECT, "pyproject.toml": '[tool.celerylint]\nper-file-ignores = '
                                     '{ "proj/broken.py" = ["CEL003"] }\n'})
    _dangling(project / "proj" / "broken.py")
    run = run_celerylint(["check", "--output-format", "json", "--no-cache"], project)
    assert _found(run) == [PICKLE]
    run = run_celerylint(["check", "--output-format", "json", "--no-cache",
                          "--ignore", "CEL003", "--select", "CEL003"], project)
    assert (run.code, run.stdout.strip()) == (0, "[]")


def test_a_dangling_symlink_named_on_the_command_line_is_unreadable_not_missing(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    _dangling(project / "proj" / "broken.py")
    run = run_celerylint(["check", "--output-format", "json", "--no-cache",
                          "proj/broken.py"], project)
    assert (run.code, run.stderr) == (  # the only file named could not be read
        2, "celerylint: error: no Python file could be read (1 unreadable)\n")
    assert [(f["code"], f["filename"], f["location"]["row"], f["message"])
            for f in run.json()] == [
        ("CEL003", "proj/broken.py", 1, "cannot read the file: dangling symbolic link")]


def test_a_file_that_cannot_be_decoded_stays_a_syntax_error(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    (project / "proj" / "latin.py").write_bytes(b"from celery import shared_task\n# caf\xe9\n")
    run = run_celerylint(["check", "--output-format", "json", "--no-cache",
                          "--select", "CEL001,CEL003"], project)
    assert [(code, path) for code, path, _, _ in _found(run)] == [("CEL001", "proj/latin.py")]


@pytest.fixture
def world_readable() -> Iterator[Path]:
    """A folder any user can enter (pytest's own temporary folders are private to the
    user running the tests, which an unprivileged run could not enter at all)."""
    folder = Path(tempfile.mkdtemp(prefix="celerylint-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_permission_denied_is_reported_with_the_operating_systems_reason(
        world_readable: Path) -> None:
    project = write_tree(world_readable / "project", PROJECT)
    for folder, _, names in os.walk(project):
        Path(folder).chmod(0o755)
        for name in names:
            Path(folder, name).chmod(0o644)
    secret = project / "proj" / "secret.py"
    secret.write_text("x = 1\n", encoding="utf-8")
    secret.chmod(0)
    run = run_unprivileged(["check", "--output-format", "json", "--no-cache"], project)
    assert run.code == 1, run.stderr
    assert _found(run) == [PICKLE, ("CEL003", "proj/secret.py", 1,
                                    "cannot read the file: permission denied")]
