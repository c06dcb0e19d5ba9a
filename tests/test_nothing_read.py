"""Exit 2 when nothing could be checked (issue 12: "exit 1, or 2 if nothing could be
checked"): every Python file the run was given is unreadable, each one a CEL003
finding, with or without ``--fix``. One readable file is enough for the usual exit 1.
Through the command, as a subprocess (a FIFO must never be opened)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Run, run_celerylint, write_tree

UNREADABLE = [
    "CEL003 proj/broken.py:1 cannot read the file: dangling symbolic link",
    "CEL003 proj/pipe.py:1 cannot read the file: not a regular file (a FIFO)",
]
NOTHING_READ = "celerylint: error: no Python file could be read (2 unreadable)"


def _unreadable_project(tmp_path: Path) -> Path:
    project = write_tree(tmp_path / "project", {"pyproject.toml": ""})
    (project / "proj").mkdir()
    (project / "proj" / "broken.py").symlink_to("gone.py")
    os.mkfifo(project / "proj" / "pipe.py")
    return project


def _findings(run: Run) -> list[str]:
    return [f"{f['code']} {f['filename']}:{f['location']['row']} {f['message']}"
            for f in run.json()]


@pytest.mark.parametrize("args", [[], ["--fix"]], ids=["check", "fix"])
def test_a_run_that_could_read_no_file_exits_2(tmp_path: Path, args: list[str]) -> None:
    project = _unreadable_project(tmp_path)
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", *args], project)
    assert _findings(run) == UNREADABLE
    assert run.stderr.splitlines() == [NOTHING_READ]
    assert run.code == 2


def test_naming_only_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    project = _unreadable_project(tmp_path)
    write_tree(project, {"proj/ok.py": "x = 1\n"})
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", "proj/broken.py"],
                         project)
    assert _findings(run) == UNREADABLE[:1]
    assert run.stderr.splitlines() == [
        "celerylint: error: no Python file could be read (1 unreadable)"]
    assert run.code == 2


def test_one_readable_file_is_enough_for_exit_1(tmp_path: Path) -> None:
    project = _unreadable_project(tmp_path)
    write_tree(project, {"proj/ok.py": "x = 1\n"})
    run = run_celerylint(["check", "--no-cache", "--output-format", "json"], project)
    assert (_findings(run), run.stderr, run.code) == (UNREADABLE, "", 1)
