"""``--output-format sarif``: valid against the official schema, and what GitHub needs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, copy_fixture, findings, invoke_celerylint, write_tree
from sarif_schema import assert_valid_sarif, schema_errors

from celerylint.catalog.specs import load_catalog
from celerylint.findings import Edit, Finding, Fix, Span
from celerylint.report import sarif

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
BASE = "%SRCROOT%"


def sarif_log(project: Path, *args: str) -> dict[str, Any]:
    run = invoke_celerylint(["check", "--output-format", "sarif", *args], project)
    assert run.code in (0, 1), run.stderr
    log: dict[str, Any] = json.loads(run.stdout)
    return log


def results(log: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = log["runs"][0]["results"]
    return found


def location(result: dict[str, Any]) -> tuple[str, int, int, int, int]:
    physical = result["locations"][0]["physicalLocation"]
    region = physical["region"]
    return (physical["artifactLocation"]["uri"], region["startLine"], region["startColumn"],
            region["endLine"], region["endColumn"])


def with_hint(message: str, hint: str) -> str:
    """A result's text: the message, then the hint as a second sentence."""
    assert message and hint, "every finding has a message and a hint"
    return f"{message}{'' if message.endswith(('.', '?', '!')) else '.'} {hint}"


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_fixture_logs_validate_and_match_json_output(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    log = sarif_log(project)
    assert_valid_sarif(log)
    expected = sorted(
        (f["filename"], f["location"]["row"], f["location"]["column"],
         f["end_location"]["row"], f["end_location"]["column"], f["code"], f["severity"],
         with_hint(f["message"], f["hint"]))
        for f in findings(invoke_celerylint(["check", "--output-format", "json"], project)))
    got = sorted((*location(r), r["ruleId"], r["level"], r["message"]["text"])
                 for r in results(log))
    assert expected and got == expected


def test_run_shape_follows_the_spec_and_github(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    log = sarif_log(project)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["originalUriBaseIds"] == {BASE: {"uri": project.resolve().as_uri() + "/"}}
    assert "automationDetails" not in run  # leaves upload-sarif's `category` in charge
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == BASE
        assert not artifact["uri"].startswith(("/", "file:"))
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert set(result["partialFingerprints"]) == {"celerylint/v1"}


def test_every_rule_is_described_for_code_scanning(tmp_path: Path) -> None:
    log = sarif_log(write_tree(tmp_path / "clean", {"app.py": "x = 1\n"}))
    assert_valid_sarif(log)
    assert results(log) == []
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "celerylint"
    catalog = load_catalog()
    assert [rule["id"] for rule in driver["rules"]] == list(catalog)
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', DOCS.read_text(encoding="utf-8")))
    for rule in driver["rules"]:
        spec = catalog[rule["id"]]
        assert rule["name"] == spec.name
        for key in ("shortDescription", "fullDescription"):
            assert 0 < len(rule[key]["text"]) <= 1024
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert spec.anchor in anchors
        assert "helpUri" not in rule  # no rule-url-base: no link (tests/test_rule_doc.py)
        assert rule["defaultConfiguration"]["level"] == spec.severity
        security = rule["properties"].get("security-severity")
        if rule["id"].startswith("CEL1"):
            assert isinstance(security, str) and 0.0 < float(security) <= 10.0
            assert "security" in rule["properties"]["tags"]
        else:
            assert security is None


def test_fingerprints_stay_when_unrelated_lines_above_move(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    before = {r["partialFingerprints"]["celerylint/v1"]: location(r)
              for r in results(sarif_log(project))}
    for name in ("celeryconfig.py", "proj/tasks.py"):
        path = project / name
        path.write_text("# a comment\n\n# another one\n" + path.read_text(), encoding="utf-8")
    after = {r["partialFingerprints"]["celerylint/v1"]: location(r)
             for r in results(sarif_log(project))}
    assert set(after) == set(before)
    moved = [fp for fp in before if before[fp][0] in ("celeryconfig.py", "proj/tasks.py")]
    assert moved and all(after[fp][1] == before[fp][1] + 3 for fp in moved)


def test_a_new_finding_gets_a_new_fingerprint(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    before = {r["partialFingerprints"]["celerylint/v1"] for r in results(sarif_log(project))}
    config = project / "celeryconfig.py"
    config.write_text(config.read_text().replace('result_serializer = "json"',
                                                 'result_serializer = "pickle"'))
    after = results(sarif_log(project))
    new = [r for r in after if r["partialFingerprints"]["celerylint/v1"] not in before]
    assert [(r["ruleId"], location(r)[:2]) for r in new] == [("CEL101", ("celeryconfig.py", 8))]


def test_uris_are_relative_to_the_repository_not_the_current_folder(tmp_path: Path) -> None:
    git_init(tmp_path)
    project = copy_fixture("plain_celeryconfig", tmp_path / "services")
    log = sarif_log(project / "proj", "..")  # run from a subfolder of the project
    assert_valid_sarif(log)
    uris = {location(r)[0] for r in results(log)}
    assert uris == {"services/plain_celeryconfig/celeryconfig.py",
                    "services/plain_celeryconfig/proj/celery.py",
                    "services/plain_celeryconfig/proj/tasks.py"}
    assert log["runs"][0]["originalUriBaseIds"][BASE]["uri"] == tmp_path.resolve().as_uri() + "/"


def test_noqa_silenced_findings_are_left_out(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    config = project / "celeryconfig.py"
    config.write_text(config.read_text().replace('task_serializer = "pickle"',
                                                 'task_serializer = "pickle"  # noqa: CEL101'))
    lines = {location(r)[:2] for r in results(sarif_log(project)) if r["ruleId"] == "CEL101"}
    assert ("celeryconfig.py", 7) not in lines and lines == {("proj/tasks.py", 20)}


def test_uris_are_percent_encoded(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    (project / "proj").rename(project / "my proj")
    (project / "celeryconfig.py").unlink()
    uris = {location(r)[0] for r in results(sarif_log(project))}
    assert uris == {"my%20proj/tasks.py"}


def _finding_with_fix(insert_only: bool) -> Finding:
    edit = (Edit("reject_on_worker_lost=True, ", Span(4, 11, 4, 11)) if insert_only
            else Edit('"json"', Span(2, 19, 2, 27)))
    return Finding("CEL101", "task_serializer is 'pickle'", "celeryconfig.py",
                   Span(2, 19, 2, 27), fix=Fix("unsafe", "Use json", (edit,)))


@pytest.mark.parametrize("insert_only", [False, True])
def test_fixes_become_sarif_fixes(tmp_path: Path, insert_only: bool) -> None:
    (tmp_path / "celeryconfig.py").write_text('broker_url = "x"\ntask_serializer = "pickle"\n')
    log = json.loads(sarif.render(tmp_path, [_finding_with_fix(insert_only)]))
    assert_valid_sarif(log)
    [fix] = log["runs"][0]["results"][0]["fixes"]
    assert fix["description"] == {"text": "Use json"}
    assert fix["properties"] == {"applicability": "unsafe"}
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "celeryconfig.py", "uriBaseId": BASE}
    [replacement] = change["replacements"]
    if insert_only:
        assert replacement["deletedRegion"] == {"startLine": 4, "startColumn": 11,
                                                "endLine": 4, "endColumn": 11}
        assert replacement["insertedContent"] == {"text": "reject_on_worker_lost=True, "}
    else:
        assert replacement["deletedRegion"] == {"startLine": 2, "startColumn": 19,
                                                "endLine": 2, "endColumn": 27}
        assert replacement["insertedContent"] == {"text": '"json"'}


def test_fixes_in_cli_output_mirror_the_json_fixes(tmp_path: Path) -> None:
    project = copy_fixture("conf_update", tmp_path)
    (project / "proj" / "tasks.py").write_text(
        (project / "proj" / "tasks.py").read_text() + "\nX = 1  # noqa: CEL101\n")
    args = ["--select", "ALL"]
    json_fixes = {(f["filename"], f["location"]["row"], f["code"]): f["fix"]
                  for f in findings(invoke_celerylint(["check", "--output-format", "json", *args],
                                                   project))}
    log = sarif_log(project, *args)
    assert_valid_sarif(log)
    for result in results(log):
        uri, row = location(result)[:2]
        fix = json_fixes[(uri, row, result["ruleId"])]
        if fix is None or not fix["edits"]:
            assert "fixes" not in result
            continue
        [sarif_fix] = result["fixes"]
        replacements = sarif_fix["artifactChanges"][0]["replacements"]
        assert [(r["deletedRegion"]["startLine"], r["deletedRegion"]["startColumn"],
                 r.get("insertedContent", {}).get("text", "")) for r in replacements] == [
            (e["location"]["row"], e["location"]["column"], e["content"]) for e in fix["edits"]]


def test_the_hint_is_the_second_sentence_of_the_message(tmp_path: Path) -> None:
    (tmp_path / "celeryconfig.py").write_text('task_serializer = "pickle"\n')
    plain = Finding("CEL101", "task_serializer is 'pickle'", "celeryconfig.py",
                    Span(1, 19, 1, 27), hint="Use 'json'.")
    asking = Finding("CEL001", "syntax error: Did you mean print(...)?", "celeryconfig.py",
                     Span(1, 1, 1, 2), hint="Fix the syntax.")
    silent = Finding("CEL101", "task_serializer is 'pickle'", "celeryconfig.py",
                     Span(1, 19, 1, 27))
    log = json.loads(sarif.render(tmp_path, [plain, asking, silent]))
    assert_valid_sarif(log)
    assert [r["message"]["text"] for r in results(log)] == [
        "task_serializer is 'pickle'. Use 'json'.",
        "syntax error: Did you mean print(...)? Fix the syntax.",
        "task_serializer is 'pickle'",
    ]


def test_internal_errors_mark_the_run_unsuccessful(tmp_path: Path) -> None:
    log = json.loads(sarif.render(tmp_path, [], ["rule CEL101: KeyError: 'x'"]))
    assert_valid_sarif(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "rule CEL101: KeyError: 'x'"}}]


def test_the_validator_rejects_what_github_would_reject(tmp_path: Path) -> None:
    """Guard: the schema check is real, not a validator that accepts anything."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    log = sarif_log(project)
    results(log)[0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    results(log)[1]["message"] = "a bare string"
    assert len(schema_errors(log)) == 2


def test_degenerate_spans_still_make_valid_regions() -> None:
    assert sarif.region(Span(0, 0, 0, 0)) == {"startLine": 1, "startColumn": 1,
                                             "endLine": 1, "endColumn": 1}
    assert sarif.region(Span(3, 9, 3, 4)) == {"startLine": 3, "startColumn": 9,
                                             "endLine": 3, "endColumn": 9}
