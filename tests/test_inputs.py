"""What the user names and how outputs name it back: a missing path is an error naming
it while the other paths are checked (exit 2 at the end), and a file name that is not
valid UTF-8 is escaped the same way (``\\xNN``) in every output format, never a crash."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import Run, celerylint_executable, run_celerylint, write_tree

PROJECT = {
    "pyproject.toml": "",
    "proj/__init__.py": "",
    "proj/celery.py": 'from celery import Celery\napp = Celery("proj")\n'
                      'app.conf.task_serializer = "pickle"\n',
}
NAME = os.fsdecode(b"proj/caf\xe9.py")  # a latin-1 file name on a UTF-8 system
ESCAPED = "proj/caf\\xe9.py"


def _codes(run: Run) -> list[tuple[str, str]]:
    return [(f["code"], f["filename"]) for f in run.json()]


def test_a_missing_path_is_an_error_and_the_other_paths_are_still_checked(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", "nope.py",
                          "proj", "gone/"], project)
    assert run.code == 2
    assert run.stderr.splitlines() == ["celerylint: error: nope.py: no such file or directory",
                                       "celerylint: error: gone: no such file or directory"]
    assert _codes(run) == [("CEL101", "proj/celery.py")]


def test_a_missing_path_fails_even_with_exit_zero_and_with_no_other_finding(
        tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {**PROJECT, "proj/celery.py": ""})
    run = run_celerylint(["check", "--no-cache", "--exit-zero", "--output-format", "json",
                          "proj", "nope.py"], project)
    assert (run.code, run.stdout.strip()) == (2, "[]")


def test_diff_with_a_missing_path_still_prints_the_patch_and_exits_2(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    run = run_celerylint(["check", "--no-cache", "--diff", "--unsafe-fixes", "proj",
                          "nope.py"], project)
    assert run.code == 2
    assert run.stderr.splitlines()[0] == "celerylint: error: nope.py: no such file or directory"
    assert '-app.conf.task_serializer = "pickle"' in run.stdout.splitlines()
    assert '+app.conf.task_serializer = "json"' in run.stdout.splitlines()


def test_only_missing_paths_exit_2_without_checking_anything(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", PROJECT)
    run = run_celerylint(["check", "--no-cache", "nope.py"], project)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == "celerylint: error: nope.py: no such file or directory\n"


@pytest.fixture
def odd_name(tmp_path: Path) -> Path:
    project = write_tree(tmp_path / "project", {"pyproject.toml": "", "proj/__init__.py": ""})
    try:
        (project / NAME).write_text(PROJECT["proj/celery.py"], encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take a name that is not valid UTF-8")
    return project


def test_a_name_that_is_not_utf8_is_escaped_alike_in_every_format(odd_name: Path) -> None:
    shown: dict[str, Run] = {}
    for output in ("text", "concise", "json", "sarif", "github", "gitlab"):
        shown[output] = run_celerylint(["check", "--no-cache", "--output-format", output],
                                       odd_name)
        assert shown[output].code == 1, (output, shown[output].stderr)
    for output in ("text", "concise"):
        assert shown[output].stdout.startswith(f"{ESCAPED}:3:28: CEL101 "), output
    assert _codes(shown["json"]) == [("CEL101", ESCAPED)]
    sarif = shown["sarif"].json()["runs"][0]["results"][0]
    assert sarif["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "proj/caf%5Cxe9.py")
    assert shown["github"].stdout.startswith(f"::error file={ESCAPED},line=3,")
    assert [issue["location"]["path"] for issue in shown["gitlab"].json()] == [ESCAPED]
    baseline = odd_name / "baseline.json"
    run = run_celerylint(["check", "--no-cache", "--write-baseline", str(baseline)], odd_name)
    assert run.code == 0, run.stderr
    recorded = json.loads(baseline.read_text(encoding="utf-8"))["findings"]
    assert [(e["code"], e["path"]) for e in recorded] == [("CEL101", ESCAPED)]
    assert [e["fingerprint"] for e in recorded] == list(
        sarif["partialFingerprints"].values())
    again = run_celerylint(["check", "--no-cache", "--output-format", "json",
                            "--baseline", str(baseline)], odd_name)
    assert (again.code, again.stdout.strip()) == (0, "[]")


def test_a_diff_names_a_file_that_is_not_utf8_by_its_own_bytes(odd_name: Path) -> None:
    (odd_name / NAME).write_text(PROJECT["proj/celery.py"] + "x = 1  # noqa: CEL101\n",
                                 encoding="utf-8")
    done = subprocess.run([celerylint_executable(), "check", "--no-cache", "--diff"], cwd=odd_name,
                          capture_output=True, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(b"--- proj/caf\xe9.py\n+++ proj/caf\xe9.py\n")
    applied = subprocess.run(["patch", "-p0"], input=done.stdout, cwd=odd_name,
                             capture_output=True, check=False)
    assert applied.returncode == 0, applied.stdout
    assert (odd_name / NAME).read_text(encoding="utf-8").endswith("x = 1\n")
