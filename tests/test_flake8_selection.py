"""Rule selection and file skips, the same under ``celerylint check`` and the real flake8:
codes flake8 names in full, a command-line selection layered on the configuration's
(as ruff layers them), ``# flake8: noqa``, and an unsaved settings buffer piped to flake8.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_fixture, findings, invoke_celerylint, run_celerylint

FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"
Quad = tuple[str, int, int, str]

# plain_celeryconfig's findings: CEL211 (off by default) on proj/tasks.py rows 9 and 14
DEFAULTS = {("celeryconfig.py", 5, 18, "CEL301"), ("celeryconfig.py", 7, 19, "CEL101"),
            ("celeryconfig.py", 9, 27, "CEL102"), ("proj/celery.py", 3, 7, "CEL201"),
            ("proj/celery.py", 3, 7, "CEL204"), ("proj/tasks.py", 20, 33, "CEL101")}
CEL211 = {("proj/tasks.py", 9, 2, "CEL211"), ("proj/tasks.py", 14, 2, "CEL211")}


def flake8(project: Path, *args: str, stdin: str | None = None) -> set[Quad]:
    """The CEL findings of the real flake8 run in `project`."""
    done = subprocess.run([sys.executable, "-m", "flake8", "--format", FORMAT, *args],
                          cwd=project, input=stdin, capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    quads = set()
    for line in done.stdout.splitlines():
        path, row, col, code = line.split("|")
        if code.startswith("CEL"):
            quads.add((path.removeprefix("./"), int(row), int(col), code))
    return quads


def check(project: Path, *args: str) -> set[Quad]:
    """The findings of ``celerylint check`` (in-process) in Python files."""
    run = invoke_celerylint(["check", "--jobs", "1", "--output-format", "json", *args], project)
    return {(f["filename"], f["location"]["row"], f["location"]["column"], f["code"])
            for f in findings(run) if f["filename"].endswith(".py")}


def add_options(project: Path, toml: str) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n" + toml, encoding="utf-8")


def codes(quads: set[Quad]) -> list[str]:
    return sorted(q[3] for q in quads)


# --- flake8 names a code in full -------------------------------------------------------

def test_the_fixture_findings_are_the_ones_these_tests_name(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert check(project) == DEFAULTS
    assert check(project, "--select", "CEL211") == CEL211


@pytest.mark.parametrize("args, expected", [
    (["--select", "CEL211"], CEL211),
    (["--select", "E999,CEL211"], CEL211),
    (["--select", "CEL", "--extend-select", "CEL211"], DEFAULTS | CEL211),
    (["--extend-select", "CEL211"], DEFAULTS | CEL211),
    (["--select", "CEL211", "--extend-ignore", "CEL211"], set()),
    # a prefix keeps celerylint's selection: CEL211 stays off by default
    (["--select", "CEL2"], {q for q in DEFAULTS if q[3].startswith("CEL2")}),
    (["--select", "CEL"], DEFAULTS),
    # flake8 compares codes case-sensitively: `cel211` names nothing
    (["--select", "CEL,cel211"], DEFAULTS),
])
def test_flake8_naming_an_off_by_default_code_turns_it_on(
        tmp_path: Path, args: list[str], expected: set[Quad]) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert flake8(project, *args) == expected


def test_a_code_named_in_the_flake8_configuration_turns_it_on(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    (project / ".flake8").write_text("[flake8]\nextend-select = CEL211\n", encoding="utf-8")
    assert flake8(project) == DEFAULTS | CEL211


def test_a_code_flake8_names_wins_over_the_configured_ignore(tmp_path: Path) -> None:
    """As `celerylint check --extend-select CEL211` does: the command line comes last."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    add_options(project, '[tool.celerylint]\nignore = ["CEL2"]\n')
    assert flake8(project, "--select", "CEL211") == CEL211
    assert check(project, "--extend-select", "CEL211") == CEL211 | {
        q for q in DEFAULTS if not q[3].startswith("CEL2")}


# --- the command line's selection over the configuration's -----------------------------

@pytest.mark.parametrize("config, args, expected", [
    # --select replaces the configured select, extend-select and ignore (as in ruff)
    ('extend-select = ["CEL211"]', ["--select", "CEL101"], ["CEL101", "CEL101"]),
    ('select = ["CEL3"]\nextend-select = ["CEL211"]', ["--select", "CEL102"], ["CEL102"]),
    ('ignore = ["CEL1"]', ["--select", "CEL101"], ["CEL101", "CEL101"]),
    # --extend-select adds to the configured selection
    ('select = ["CEL3"]', ["--extend-select", "CEL102"], ["CEL102", "CEL301"]),
    ('extend-select = ["CEL211"]', ["--extend-select", "CEL102"],
     sorted([*codes(DEFAULTS), "CEL211", "CEL211"])),
    # --ignore removes from the configured selection; the configured ignore still holds
    ('ignore = ["CEL1"]', ["--ignore", "CEL3"], ["CEL201", "CEL204"]),
    ('extend-select = ["CEL211"]', ["--ignore", "CEL2"],
     ["CEL101", "CEL101", "CEL102", "CEL301"]),
    # within the command line, the more specific selector wins
    ('select = ["CEL3"]', ["--extend-select", "CEL2", "--ignore", "CEL20"],
     ["CEL211", "CEL211", "CEL301"]),
])
def test_command_line_selection_is_layered_over_the_configuration(
        tmp_path: Path, config: str, args: list[str], expected: list[str]) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    add_options(project, f"[tool.celerylint]\n{config}\n")
    assert codes(check(project, *args)) == expected


def test_an_unknown_command_line_selector_is_still_named(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    add_options(project, '[tool.celerylint]\nextend-select = ["CEL211"]\n')
    run = run_celerylint(["check", "--extend-select", "CEL2111"], project)
    assert run.code == 2
    assert run.stderr == ("celerylint: error: unknown rule selector 'CEL2111' in "
                          "extend-select; did you mean 'CEL211'?\n")


# --- # flake8: noqa ---------------------------------------------------------------------

# (first lines of proj/tasks.py, whether flake8 7.5 skips the file)
SKIPS = [
    ("# flake8: noqa\n", True),
    ("# FLAKE8: NOQA\n", True),
    ("# flake8:noqa\n", True),
    ("# flake8=noqa\n", True),
    ("    # flake8:   noqa\n", True),
    ("# flake8: noqa: E123\n", True),  # flake8 7.5 looks no further than `noqa`
    ('"""Docs.\n# flake8: noqa\n"""\n', True),  # flake8 reads raw lines
    ("#flake8: noqa\n", False),
    ("x = 1  # flake8: noqa\n", False),
    ("# flake8 noqa\n", False),
    ("# noqa: flake8\n", False),
]


def _with_first_lines(project: Path, head: str) -> None:
    tasks = project / "proj" / "tasks.py"
    tasks.write_text(head + tasks.read_text(encoding="utf-8"), encoding="utf-8")


@pytest.mark.parametrize("head, skipped", SKIPS)
def test_flake8_noqa_skips_the_file_in_both(tmp_path: Path, head: str, skipped: bool) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    _with_first_lines(project, head)
    shift = head.count("\n")
    in_tasks = {("proj/tasks.py", 20 + shift, 33, "CEL101")}
    others = {q for q in DEFAULTS if q[0] != "proj/tasks.py"}
    expected = others if skipped else others | in_tasks
    assert check(project) == expected
    assert flake8(project, "--select", "CEL") == expected


def test_flake8_noqa_is_left_to_flake8_under_disable_noqa(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    _with_first_lines(project, "# flake8: noqa\n")
    assert ("proj/tasks.py", 21, 33, "CEL101") in flake8(project, "--select", "CEL",
                                                          "--disable-noqa")


def test_a_file_skipped_by_flake8_noqa_has_no_unused_noqa(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    _with_first_lines(project, "# flake8: noqa\nimport os  # noqa: CEL301\n")
    assert not {q for q in check(project) if q[0] == "proj/tasks.py"}


# --- an unsaved settings buffer piped to flake8 -----------------------------------------

def _buffer_findings(project: Path, path: str, buffer: str) -> set[Quad]:
    return flake8(project, "--select", "CEL", "--stdin-display-name", path, "-", stdin=buffer)


def test_a_settings_module_buffer_wins_over_the_file_on_disk(tmp_path: Path) -> None:
    """A warm cache holds the settings as interpreted from the disk; the buffer must win,
    for the settings module itself and for one that star-imports it."""
    project = copy_fixture("django_split", tmp_path)
    on_disk = flake8(project, "--select", "CEL")  # warms the facts cache
    assert {q for q in on_disk if q[0].startswith("proj/settings/")} == {
        ("proj/settings/base.py", 8, 25, "CEL301"),
        ("proj/settings/base.py", 12, 30, "CEL703"),
        ("proj/settings/production.py", 7, 28, "CEL101"),
        ("proj/settings/production.py", 12, 29, "CEL203"),
        ("proj/settings/production.py", 12, 29, "CEL204"),
    }
    production = (project / "proj/settings/production.py").read_text(encoding="utf-8")
    buffer = ("# unsaved\n" + production + "CELERY_WORKER_PREFETCH_MULTIPLIER = 1\n"
              "CELERY_TASK_REJECT_ON_WORKER_LOST = True\n")
    assert _buffer_findings(project, "proj/settings/production.py", buffer) == {
        ("proj/settings/production.py", 8, 28, "CEL101")}
    base = (project / "proj/settings/base.py").read_text(encoding="utf-8")
    buffer = "# unsaved\n" + base.replace("CELERY_TASK_RESULT_EXPIRES", "CELERY_RESULT_EXPIRES")
    assert _buffer_findings(project, "proj/settings/base.py", buffer) == set()
    # the disk is untouched, and what the buffer gave is what the saved file gives
    assert flake8(project, "--select", "CEL") == on_disk
    (project / "proj/settings/base.py").write_text(buffer, encoding="utf-8")
    assert not {q for q in check(project) if q[0] == "proj/settings/base.py"}


def test_a_config_module_buffer_wins_over_the_file_on_disk(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert flake8(project, "--select", "CEL") == DEFAULTS  # warms the facts cache
    config = (project / "celeryconfig.py").read_text(encoding="utf-8")
    buffer = "# unsaved\n" + config.replace('"json", "pickle"', '"json"') + (
        "result_expires = 60\n")
    assert _buffer_findings(project, "celeryconfig.py", buffer) == {
        ("celeryconfig.py", 8, 19, "CEL101")}


@pytest.mark.parametrize("name", ["class_config", "conf_update", "django_split",
                                  "multi_module", "plain_celeryconfig"])
def test_every_kind_of_file_is_checked_as_buffered(tmp_path: Path, name: str) -> None:
    """A line added on top of any file's buffer moves that file's findings one row down,
    whether the model reads the file as a task module, an app, or a config or settings
    module (interpreted, and cached once the cache is warm)."""
    project = copy_fixture(name, tmp_path)
    on_disk = flake8(project, "--select", "CEL")  # warms the facts cache
    paths = sorted({q[0] for q in on_disk})
    assert paths
    for path in paths:
        text = (project / path).read_text(encoding="utf-8")
        moved = {(p, row + 1, col, code) for p, row, col, code in on_disk if p == path}
        assert _buffer_findings(project, path, "# unsaved\n" + text) == moved, path
