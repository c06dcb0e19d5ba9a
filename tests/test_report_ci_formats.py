"""``--output-format github`` (workflow-command annotations) and ``gitlab`` (Code Quality)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import copy_fixture, findings, invoke_celerylint

from celerylint.findings import Finding, Span
from celerylint.report import github, gitlab

ROOT = Path("/work/repo")


def _finding(message: str, span: Span, path: str = "proj/celery.py", code: str = "CEL101",
             severity: str | None = None, hint: str = "") -> Finding:
    return Finding(code, message, path, span, severity, hint=hint)  # type: ignore[arg-type]


# --- github ---------------------------------------------------------------------------


def test_annotation_has_every_position_for_a_one_line_range() -> None:
    line = github.annotation(ROOT, ROOT, _finding("use 'json'", Span(7, 19, 7, 27)))
    assert line == ("::error file=proj/celery.py,line=7,endLine=7,col=19,endColumn=27,"
                    "title=CEL101 pickle-serializer::use 'json'")


def test_annotation_text_is_the_message_then_the_hint() -> None:
    """One line per finding in the log: the hint is a second sentence, not a second line."""
    line = github.annotation(ROOT, ROOT, _finding("task_serializer is 'pickle'",
                                                  Span(7, 19, 7, 27), hint="Use 'json'."))
    assert line.endswith("::task_serializer is 'pickle'. Use 'json'.")


def test_annotation_of_a_multi_line_range_has_no_columns() -> None:
    """The runner drops columns of multi-line ranges; sending them would only mislead."""
    line = github.annotation(ROOT, ROOT, _finding("m", Span(3, 7, 9, 2), code="CEL201"))
    assert line.startswith("::warning file=proj/celery.py,line=3,endLine=9,title=CEL201 ")
    assert "col=" not in line and "endColumn=" not in line


def test_annotation_level_follows_severity() -> None:
    levels = [github.annotation(ROOT, ROOT, _finding("m", Span(1, 1, 1, 2), code=code,
                                                     severity=severity)).split(" ")[0]
              for code, severity in (("CEL101", None), ("CEL203", None), ("CEL002", None),
                                     ("CEL101", "note"))]
    assert levels == ["::error", "::warning", "::notice", "::notice"]


def test_message_and_properties_are_escaped_like_the_actions_toolkit() -> None:
    finding = _finding("100% sure:\r\nline two, really", Span(1, 1, 1, 2),
                       path="odd,dir/a:b%.py")
    line = github.annotation(ROOT, ROOT, finding)
    assert "\n" not in line and "\r" not in line
    properties, data = line.split("::", 2)[1:]
    assert data == "100%25 sure:%0D%0Aline two, really"
    assert properties.split(" ", 1)[1].split(",")[0] == "file=odd%2Cdir/a%3Ab%25.py"


def test_escape_functions() -> None:
    assert github.escape_data("a%b\nc\rd:e,f") == "a%25b%0Ac%0Dd:e,f"
    assert github.escape_property("a%b\nc\rd:e,f") == "a%25b%0Ac%0Dd%3Ae%2Cf"


def test_github_output_on_a_project(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = invoke_celerylint(["check", "--output-format", "github"], project)
    assert run.code == 1, run.stderr
    *annotations, summary = run.stdout.splitlines()
    assert summary == "Found 6 findings."
    assert [a.split(" ")[0] for a in annotations] == [
        "::notice", "::error", "::error", "::warning", "::notice", "::error"]
    assert annotations[1] == (
        "::error file=celeryconfig.py,line=7,endLine=7,col=19,endColumn=27,"
        "title=CEL101 pickle-serializer::task_serializer is 'pickle' and pickle is accepted: "
        "broker access means code execution in workers. Use 'json', and keep pickle out of "
        "the accept lists (CEL102).")


def test_github_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path / "checkout" / "backend")
    run = invoke_celerylint(["check", "--output-format", "github"], project / "proj",
                         env={"GITHUB_WORKSPACE": str(tmp_path / "checkout")})
    assert "file=backend/plain_celeryconfig/proj/tasks.py," in run.stdout


# --- gitlab ---------------------------------------------------------------------------


def test_gitlab_report_on_a_project(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = invoke_celerylint(["check", "--output-format", "gitlab"], project)
    assert run.code == 1, run.stderr
    assert not run.stdout.startswith("\ufeff")
    issues = json.loads(run.stdout)
    expected = findings(invoke_celerylint(["check", "--output-format", "json"], project))
    assert len(issues) == len(expected) == 6
    for issue, finding in zip(issues, expected):
        assert finding["hint"]
        assert issue["description"] == (
            f"{finding['code']}: {finding['message']}. {finding['hint']}")
        assert issue["check_name"] == finding["code"]
        assert issue["location"] == {
            "path": finding["filename"],
            "positions": {"begin": {"line": finding["location"]["row"],
                                    "column": finding["location"]["column"]},
                          "end": {"line": finding["end_location"]["row"],
                                  "column": finding["end_location"]["column"]}}}
        assert len(issue["fingerprint"]) == 32
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert [issue["severity"] for issue in issues] == [
        "info", "critical", "critical", "minor", "info", "critical"]


def test_gitlab_severity_mapping() -> None:
    span = Span(1, 1, 1, 2)
    assert gitlab.gitlab_severity(_finding("m", span, code="CEL101")) == "critical"
    assert gitlab.gitlab_severity(_finding("m", span, code="CEL001")) == "major"
    assert gitlab.gitlab_severity(_finding("m", span, code="CEL203")) == "minor"
    assert gitlab.gitlab_severity(_finding("m", span, code="CEL002")) == "info"


def test_gitlab_paths_are_relative_to_the_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    project = copy_fixture("plain_celeryconfig", tmp_path / "svc")
    run = invoke_celerylint(["check", "--output-format", "gitlab", ".."], project / "proj")
    paths = {issue["location"]["path"] for issue in json.loads(run.stdout)}
    assert paths == {"svc/plain_celeryconfig/celeryconfig.py",
                     "svc/plain_celeryconfig/proj/celery.py",
                     "svc/plain_celeryconfig/proj/tasks.py"}


@pytest.mark.parametrize("output_format", ["gitlab", "github"])
def test_clean_project(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    run = invoke_celerylint(["check", "--output-format", output_format], tmp_path)
    assert run.code == 0, run.stderr
    expected = "[]\n" if output_format == "gitlab" else "All checks passed.\n"
    assert run.stdout == expected
