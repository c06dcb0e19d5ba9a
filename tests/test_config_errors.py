"""A configuration with errors no longer stops the run (issue 12): every error of every
file is said once on stderr, in file order; the defaults stand in for what is broken (an
unknown key is left out, a bad value keeps its default, a file that is not TOML gives
the defaults); every file is checked; the exit code is 2. The modes that write refuse
to, since the configuration the user meant is unknown. All through the command."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import Run, invoke_celerylint, run_celerylint, write_tree

APP = 'from celery import Celery\napp = Celery("proj")\napp.config_from_object("proj.conf")\n'
CONF = 'task_serializer = "pickle"\naccept_content = ["json"]  # noqa: CEL101\n'
PROJECT = {"proj/__init__.py": "", "proj/celery.py": APP, "proj/conf.py": CONF}
# Three mistakes between two good keys: the good ones still count.
BROKEN = ('[tool.celerylint]\nselekt = ["CEL1"]\nignore = ["CEL0O2"]\n'
          'extend-select = ["CEL211"]\nfix = "yes"\nper-file-ignores = {"proj/conf.py" = '
          '["CEL101"]}\n')
ERRORS = [
    "celerylint: error: unknown key 'selekt' in [tool.celerylint] of pyproject.toml; "
    "did you mean 'select'?",
    "celerylint: error: unknown rule selector 'CEL0O2' in 'ignore' in [tool.celerylint] of "
    "pyproject.toml; did you mean 'CEL002'?",
    "celerylint: error: 'fix' in [tool.celerylint] of pyproject.toml must be true or "
    "false, not a string ('yes')",
]
NOT_WRITING = "celerylint: error: not writing: the configuration has errors"


def _project(tmp_path: Path, pyproject: str = BROKEN) -> Path:
    return write_tree(tmp_path / "project", {"pyproject.toml": pyproject, **PROJECT})


def _check(project: Path, *args: str) -> Run:
    return invoke_celerylint(["check", "--no-cache", "--jobs", "1", *args], project)


def _codes(run: Run) -> list[tuple[str, str, int]]:
    return [(f["code"], f["filename"], f["location"]["row"]) for f in json.loads(run.stdout)]


def _files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def test_every_error_is_said_in_file_order_and_the_rest_of_the_file_still_counts(
        tmp_path: Path) -> None:
    run = _check(_project(tmp_path), "--output-format", "json")
    assert run.stderr.splitlines() == ERRORS
    assert run.code == 2
    # CEL101 in proj/conf.py is ignored by the good per-file-ignores; CEL002 is not
    # ignored (the broken 'ignore' keeps its default).
    assert _codes(run) == [("CEL002", "proj/conf.py", 2)]


def test_the_same_project_without_the_mistakes_gives_the_same_findings(tmp_path: Path) -> None:
    clean = BROKEN.replace('selekt = ["CEL1"]\n', "").replace('ignore = ["CEL0O2"]\n', "")
    run = _check(_project(tmp_path, clean.replace('fix = "yes"\n', "")),
                 "--output-format", "json")
    assert (run.code, run.stderr, _codes(run)) == (1, "", [("CEL002", "proj/conf.py", 2)])


def test_sarif_stays_valid_with_a_configuration_error(tmp_path: Path) -> None:
    run = _check(_project(tmp_path, "[tool.celerylint]\nselect = [\n"), "--output-format",
                 "sarif")
    results = json.loads(run.stdout)["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["CEL002", "CEL101"]
    assert run.stderr == ("celerylint: error: pyproject.toml is not valid TOML: Invalid value "
                          "(at end of document)\n")
    assert run.code == 2


def test_the_writing_modes_write_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = _files(project)
    for args in (["--fix"], ["--add-noqa"], ["--write-baseline", "baseline.json"],
                 ["--fix", "--unsafe-fixes"]):
        run = run_celerylint(["check", "--no-cache", *args], project)
        assert (run.code, run.stdout) == (2, ""), args
        assert run.stderr.splitlines() == [*ERRORS, NOT_WRITING], args
        assert _files(project) == before, args


def test_diff_still_prints_the_patch_and_exits_2(tmp_path: Path) -> None:
    project = _project(tmp_path, BROKEN.split("per-file-ignores")[0])  # CEL002: fixable
    before = _files(project)
    run = _check(project, "--diff")
    assert run.code == 2
    assert run.stdout.startswith("--- proj/conf.py\n+++ proj/conf.py\n"), run.stdout
    assert run.stderr.splitlines() == [*ERRORS, "Would fix 1 finding in 1 file."]
    assert _files(project) == before


def test_show_settings_and_config_show_the_errors_and_exit_2(tmp_path: Path) -> None:
    project = _project(tmp_path)
    shown = _check(project, "--show-settings")
    assert shown.code == 2
    assert shown.stderr.splitlines() == ERRORS
    assert 'extend-select = ["CEL211"]' in shown.stdout.splitlines()
    config = invoke_celerylint(["config", "--output-format", "json"], project)
    assert config.code == 2
    assert config.stderr.splitlines() == ERRORS
    assert json.loads(config.stdout)


def test_a_config_file_shared_by_two_projects_is_reported_once(tmp_path: Path) -> None:
    for name in ("one", "two"):
        write_tree(tmp_path / name, {"setup.cfg": "", **PROJECT})
    shared = write_tree(tmp_path, {"shared.toml": 'selct = ["CEL1"]\n'}) / "shared.toml"
    run = _check(tmp_path, "--config", str(shared), "--output-format", "json", "one", "two")
    assert run.stderr == ("celerylint: error: unknown key 'selct' in shared.toml; did you "
                          "mean 'select'?\n")
    assert run.code == 2
    assert {(code, path) for code, path, _ in _codes(run)} == {
        (code, f"{name}/proj/conf.py") for code in ("CEL002", "CEL101") for name in ("one", "two")}


def test_a_nested_project_with_a_broken_configuration_is_checked_with_the_defaults(
        tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[tool.celerylint]\nignore = ["CEL002"]\n',
                          **PROJECT})
    nested = write_tree(tmp_path / "svc", {"pyproject.toml": "[tool.celerylint\n",
                                           **PROJECT})
    run = _check(tmp_path, "--output-format", "json")
    assert run.stderr == (f"celerylint: error: {os.path.join('svc', 'pyproject.toml')} is not "
                          "valid TOML: Expected ']' at the end of a table declaration "
                          "(at line 1, column 17)\n")
    assert run.code == 2
    assert _codes(run) == [("CEL101", "proj/conf.py", 1), ("CEL101", "svc/proj/conf.py", 1),
                           ("CEL002", "svc/proj/conf.py", 2)]
    assert (nested / "pyproject.toml").read_text() == "[tool.celerylint\n"


def test_a_broken_celerylint_toml_gives_the_defaults(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {"celerylint.toml": "select = 3\n",
                                                "setup.cfg": "", **PROJECT})
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", "proj"], project)
    assert run.stderr == ("celerylint: error: 'select' in celerylint.toml must be a list of "
                          "strings, not an integer (3)\n")
    assert run.code == 2
    assert _codes(run) == [("CEL101", "proj/conf.py", 1), ("CEL002", "proj/conf.py", 2)]
