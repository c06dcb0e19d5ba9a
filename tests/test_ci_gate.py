"""The CI gate: ``--fail-on``, ``--exit-zero``, ``--write-baseline`` and ``--baseline``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import copy_fixture, findings, invoke_celerylint

BASELINE = "baseline.json"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# plain_celeryconfig has errors (CEL101, CEL102), a warning (CEL201) and notes (CEL204,
# CEL301);
# class_config's CEL2 and CEL3 findings are warnings.
@pytest.mark.parametrize(("fail_on", "project", "select", "code"), [
    ("note", "plain_celeryconfig", "ALL", 1),
    ("error", "plain_celeryconfig", "ALL", 1),
    ("warning", "class_config", "CEL2,CEL3", 1),
    ("error", "class_config", "CEL2,CEL3", 0),
    ("note", "plain_celeryconfig", "CEL301", 1),
    ("warning", "plain_celeryconfig", "CEL301", 0),
])
def test_fail_on_sets_the_lowest_failing_severity(tmp_path: Path, fail_on: str, project: str,
                                                  select: str, code: int) -> None:
    folder = copy_fixture(project, tmp_path)
    args = ["check", "--output-format", "json", "--select", select]
    shown = findings(invoke_celerylint(args, folder))
    assert shown  # --fail-on never hides findings, it only decides the exit code
    run = invoke_celerylint([*args, "--fail-on", fail_on], folder)
    assert run.code == code, run.stderr
    assert run.json() == shown


def test_exit_zero_wins_over_fail_on(tmp_path: Path) -> None:
    folder = copy_fixture("plain_celeryconfig", tmp_path)
    assert invoke_celerylint(["check", "--exit-zero", "--fail-on", "note"], folder).code == 0


def test_fail_on_rejects_other_values(tmp_path: Path) -> None:
    run = invoke_celerylint(["check", "--fail-on", "fatal"], tmp_path)
    assert run.code == 2 and "fatal" in run.stderr


def test_baseline_hides_recorded_findings_even_after_code_moves(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    written = invoke_celerylint(["check", "--write-baseline", BASELINE], project)
    assert written.code == 0, written.stderr
    assert (written.stdout, written.stderr) == (f"Recorded 6 findings in {BASELINE}.\n", "")
    document = json.loads((project / BASELINE).read_text())
    assert document["format"] == "celerylint-baseline"
    assert sorted(e["code"] for e in document["findings"]) == [
        "CEL101", "CEL101", "CEL102", "CEL201", "CEL204", "CEL301"]
    assert {e["path"] for e in document["findings"]} == {
        "celeryconfig.py", "proj/celery.py", "proj/tasks.py"}

    _edit(project / "celeryconfig.py", '"""Celery settings', '# moved\n\n"""Celery settings')
    _edit(project / "proj" / "tasks.py", "\n", "\nimport logging\n\n")
    run = invoke_celerylint(["check", "--output-format", "json", "--baseline", BASELINE], project)
    assert (run.code, run.json()) == (0, []), run.stderr
    assert "6 finding(s) recorded in the baseline not shown" in run.stderr


def test_baseline_reports_new_findings_only(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert invoke_celerylint(["check", "--write-baseline", BASELINE], project).code == 0
    _edit(project / "celeryconfig.py", 'result_serializer = "json"', 'result_serializer = "pickle"')
    run = invoke_celerylint(["check", "--output-format", "json", "--baseline", BASELINE], project)
    assert run.code == 1
    assert [(f["filename"], f["location"]["row"], f["code"]) for f in run.json()] == [
        ("celeryconfig.py", 8, "CEL101")]


def test_a_second_identical_finding_is_new(tmp_path: Path) -> None:
    """Matching counts occurrences: one recorded finding does not absorb a copy of itself."""
    project = copy_fixture("plain_celeryconfig", tmp_path / "a")
    assert invoke_celerylint(["check", "--write-baseline", BASELINE, "proj"], project).code == 0
    tasks = project / "proj" / "tasks.py"
    line = next(li for li in tasks.read_text().splitlines() if 'serializer="pickle"' in li)
    tasks.write_text(tasks.read_text() + "\n\ndef again(image_id):\n" + line + "\n")
    run = invoke_celerylint(["check", "--output-format", "json", "--baseline", BASELINE, "proj"],
                         project)
    new = [(f["filename"], f["code"]) for f in run.json()]
    assert new == [("proj/tasks.py", "CEL101")], run.stdout


def test_baseline_works_from_another_folder(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert invoke_celerylint(["check", "--write-baseline", BASELINE], project).code == 0
    run = invoke_celerylint(["check", "--baseline", f"../{BASELINE}", "."], project / "proj")
    assert run.code == 0, run.stdout + run.stderr


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read baseline"),
    ("{not json", "is not valid JSON"),
    ('{"findings": []}', "is not a celerylint baseline"),
    ('{"format": "celerylint-baseline", "fingerprint": "celerylint/v0", "findings": []}',
     "write it again with --write-baseline"),
])
def test_a_bad_baseline_is_a_usage_error(tmp_path: Path, content: str | None,
                                         message: str) -> None:
    if content is not None:
        (tmp_path / BASELINE).write_text(content)
    run = invoke_celerylint(["check", "--baseline", BASELINE], tmp_path)
    assert run.code == 2 and message in run.stderr


def test_baseline_options_exclude_each_other(tmp_path: Path) -> None:
    run = invoke_celerylint(["check", "--baseline", "a.json", "--write-baseline", "b.json"],
                         tmp_path)
    assert run.code == 2 and "cannot be used together" in run.stderr
