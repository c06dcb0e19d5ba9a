"""``-o FILE`` when FILE is not a plain file to replace: a named pipe (what ``/dev/stdout``
and a shell's ``>(...)`` are), a symbolic link, a file with its own permissions. A report
written by renaming a temporary file over such a path would put a plain file in place of
the pipe or the link (and, as root, turn ``/dev/null`` into a file keeping every report).
Through the command, as a user runs it."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from conftest import run_celerylint, write_tree

PROJECT = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n'
                      'app.conf.task_serializer = "pickle"\n',
}


def _drain(fifo: Path, into: list[bytes]) -> threading.Thread:
    """A reader on the pipe, as a CI step or a shell's process substitution would be."""
    def read() -> None:
        with open(fifo, "rb") as stream:
            into.append(stream.read())
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("through_link", [False, True], ids=["pipe", "link to a pipe"])
def test_a_report_to_a_pipe_is_streamed_into_it_and_the_pipe_stays(
        tmp_path: Path, through_link: bool) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    expected = run_celerylint(["check", "--no-cache", "--output-format", "json"], project)
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    target = fifo
    if through_link:  # what /dev/stdout is: a link to the process's pipe
        target = tmp_path / "stdout"
        target.symlink_to(fifo)
    received: list[bytes] = []
    reader = _drain(fifo, received)
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", "-o", str(target)],
                         project)
    reader.join(timeout=60)
    assert (run.code, run.stdout, run.stderr) == (1, "", expected.stderr)
    assert received == [expected.stdout.encode("utf-8")]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert target.is_symlink() == through_link
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_report_to_a_link_replaces_the_file_it_names_and_keeps_the_link(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "latest.json").write_text("old report\n", encoding="utf-8")
    link = project / "celerylint.json"
    link.symlink_to(reports / "latest.json")
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", "-o", link.name],
                         project)
    assert (run.code, run.stdout) == (1, "")
    assert link.is_symlink() and os.readlink(link) == str(reports / "latest.json")
    written = (reports / "latest.json").read_text(encoding="utf-8")
    assert '"code": "CEL101"' in written and "old report" not in written
    assert sorted(p.name for p in reports.iterdir()) == ["latest.json"]


def test_a_report_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    report = project / "report.sarif"
    report.write_text("old\n", encoding="utf-8")
    report.chmod(0o640)
    run = run_celerylint(["check", "--no-cache", "--output-format", "sarif", "-o", report.name],
                         project)
    assert run.code == 1
    assert stat.S_IMODE(report.stat().st_mode) == 0o640
    assert report.read_text(encoding="utf-8").startswith("{")


def test_a_folder_as_the_report_file_is_named_and_left_alone(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    (project / "out").mkdir()
    run = run_celerylint(["check", "--no-cache", "-o", "out"], project)
    assert (run.code, run.stdout) == (2, "")
    assert "'out' is a directory" in run.stderr
    assert (project / "out").is_dir() and list((project / "out").iterdir()) == []
