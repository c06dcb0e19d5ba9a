"""Human output and where it goes (issue 12, output): the severity as a word, the ``[*]``
marker of fixable findings and the closing "fixable with --fix" line (also under
``--statistics``), carets under wide characters and tabs, ``-o/--output-file``,
``-q``/``-qq``, ``-v/--verbose``, ``--color``, what ``--write-baseline`` says, CEL201's
grammar, and a progress bar over the whole run. Every test goes through the command."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import (
    celerylint_executable,
    invoke_celerylint,
    run_celerylint,
    stderr_on_a_terminal,
    write_tree,
)

COLOUR_SGR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])[;m]")

# Three findings: CEL301 (a safe fix), CEL101 (an unsafe fix), CEL205 (no fix).
CELERY_APP = (
    "from celery import Celery\n"
    "\n"
    'app = Celery("proj", broker="redis://localhost", backend="redis://localhost/1")\n'
    'app.conf.task_serializer = "pickle"\n'
    "app.conf.task_time_limit = 60\n"
    "\n"
    "\n"
    "@app.task(autoretry_for=(ValueError,))\n"
    "def work(x):\n"
    "    return x\n"
)
PYPROJECT = '[project]\nname = "demo"\ndependencies = ["celery>=5.3"]\n'

CEL301 = ("proj/celery.py:3:58: CEL301 [*] note: result_expires is not set, so this backend "
          "keeps results for Celery's default of 1 day")
CEL101 = ("proj/celery.py:4:28: CEL101 error: task_serializer is 'pickle' but pickle is not "
          "accepted: workers discard the tasks, which stay PENDING")
CEL205 = ("proj/celery.py:8:2: CEL205 note: autoretry_for without retry_backoff: every retry "
          "waits a fixed 180 s")


def demo(tmp_path: Path, app: str = CELERY_APP) -> Path:
    return write_tree(tmp_path / "demo", {"pyproject.toml": PYPROJECT,
                                          "proj/__init__.py": "", "proj/celery.py": app})


def default_rules() -> int:
    """How many rules run by default (what --verbose and the progress bar count)."""
    listed = invoke_celerylint(["rules", "--output-format", "json"], Path.cwd()).json()
    return sum(1 for rule in listed if rule["default_enabled"])


def check(project: Path, *args: str) -> tuple[int, list[str], str]:
    run = invoke_celerylint(["check", "--no-cache", "--jobs", "1", *args], project)
    return run.code, run.stdout.splitlines(), run.stderr


# --- severity word, [*] marker, closing line ---------------------------------------------

def test_concise_output_names_the_severity_and_marks_what_fix_would_fix(
        tmp_path: Path) -> None:
    code, lines, _ = check(demo(tmp_path), "--output-format", "concise")
    assert (code, lines) == (1, [
        CEL301, CEL101, CEL205,
        "Found 3 findings.",
        "[*] 1 fixable with --fix (1 more with --unsafe-fixes).",
    ])


def test_full_output_headings_carry_the_same_words_and_markers(tmp_path: Path) -> None:
    code, lines, _ = check(demo(tmp_path))
    headings = [line for line in lines if line.startswith("proj/")]
    assert (code, headings, lines[-2:]) == (1, [CEL301, CEL101, CEL205], [
        "Found 3 findings.", "[*] 1 fixable with --fix (1 more with --unsafe-fixes)."])


def test_with_unsafe_fixes_on_an_unsafe_fix_is_marked_too(tmp_path: Path) -> None:
    code, lines, _ = check(demo(tmp_path), "--output-format", "concise", "--unsafe-fixes")
    assert (code, lines) == (1, [
        CEL301, CEL101.replace("CEL101 error", "CEL101 [*] error"), CEL205,
        "Found 3 findings.",
        "[*] 2 fixable with --fix.",
    ])


def test_no_fixable_line_when_nothing_has_a_fix(tmp_path: Path) -> None:
    code, lines, _ = check(demo(tmp_path), "--output-format", "concise", "--select", "CEL205")
    assert (code, lines) == (1, [CEL205, "Found 1 finding."])


def test_statistics_mark_fixable_rules_and_close_with_the_fixable_line(
        tmp_path: Path) -> None:
    code, lines, _ = check(demo(tmp_path), "--statistics")
    assert (code, lines) == (1, [
        "    1   CEL101  [ ] pickle-serializer",
        "    1   CEL205  [ ] autoretry-without-backoff",
        "    1   CEL301  [*] result-expires-unset",
        "Found 3 findings.",
        "[*] 1 fixable with --fix (1 more with --unsafe-fixes).",
    ])


def test_statistics_without_any_fix_have_no_marker_column(tmp_path: Path) -> None:
    code, lines, _ = check(demo(tmp_path), "--statistics", "--select", "CEL205")
    assert (code, lines) == (1, ["    1   CEL205  autoretry-without-backoff",
                                 "Found 1 finding."])


def test_the_closing_line_after_fix_stays_the_fix_summary(tmp_path: Path) -> None:
    project = demo(tmp_path)
    code, lines, _ = check(project, "--output-format", "concise", "--fix")
    assert (code, lines[-1]) == (
        1, "Found 3 findings (1 fixed, 2 remaining, 1 fixable with --unsafe-fixes).")


# --- carets ------------------------------------------------------------------------------

def test_carets_sit_under_the_text_after_tabs_wide_characters_and_accents(
        tmp_path: Path) -> None:
    # a tab, two East Asian wide characters, an emoji, and e + a combining acute accent
    line = 'label = "\t日本😀e\u0301"; app.conf.task_serializer = "pickle"'
    app = f'from celery import Celery\n\napp = Celery("proj", broker="redis://localhost")\n{line}\n'
    code, lines, _ = check(demo(tmp_path, app), "--select", "CEL101")
    shown = 'label = "   日本😀e\u0301"; app.conf.task_serializer = "pickle"'
    # cells before "pickle": 9 + 3 (tab to column 12) + 6 (two wide + emoji) + 1 (é) + 30
    assert code == 1 and lines[1:4] == ["  |", f"4 | {shown}", "  | " + " " * 49 + "^" * 8]


# --- -o/--output-file --------------------------------------------------------------------

def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path: Path) -> None:
    project = demo(tmp_path)
    on_stdout = run_celerylint(["check", "--no-cache", "--output-format", "json"], project)
    run = run_celerylint(["check", "--no-cache", "--output-format", "json", "-o",
                          "report.json"], project, env={"FORCE_COLOR": "1"})
    assert (run.code, run.stdout, run.stderr) == (1, "", "")
    assert (project / "report.json").read_text(encoding="utf-8") == on_stdout.stdout
    assert [f["code"] for f in json.loads(on_stdout.stdout)] == ["CEL301", "CEL101", "CEL205"]
    assert sorted(p.name for p in project.iterdir()) == ["proj", "pyproject.toml",
                                                         "report.json"]


def test_a_text_report_file_has_no_colour_unless_asked(tmp_path: Path) -> None:
    project = demo(tmp_path)
    forced = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    run_celerylint(["check", "--no-cache", "--output-file", "plain.txt"], project, env=forced)
    run_celerylint(["check", "--no-cache", "-o", "colour.txt", "--color", "always"], project,
                   env=forced)
    plain = (project / "plain.txt").read_text(encoding="utf-8")
    assert plain.splitlines()[0] == CEL301 and not COLOUR_SGR.search(plain)
    assert COLOUR_SGR.search((project / "colour.txt").read_text(encoding="utf-8"))


def test_an_output_file_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    project = demo(tmp_path)
    missing = run_celerylint(["check", "--no-cache", "-o", "no/such/dir/report.txt"], project)
    assert (missing.code, missing.stdout) == (2, "")
    assert missing.stderr == ("celerylint: error: cannot write no/such/dir/report.txt: "
                              "No such file or directory\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_report_that_cannot_replace_the_old_one_leaves_it_whole(tmp_path: Path) -> None:
    project = demo(tmp_path)
    folder = project / "reports"
    folder.mkdir()
    (folder / "report.txt").write_text("yesterday\n", encoding="utf-8")
    folder.chmod(0o555)
    try:
        run = run_celerylint(["check", "--no-cache", "-o", "reports/report.txt"], project)
    finally:
        folder.chmod(0o755)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == ("celerylint: error: cannot write reports/report.txt: "
                          "Permission denied\n")
    assert [p.name for p in folder.iterdir()] == ["report.txt"]
    assert (folder / "report.txt").read_text(encoding="utf-8") == "yesterday\n"


# --- -q, -qq, -v -------------------------------------------------------------------------

def test_quiet_shows_only_the_findings(tmp_path: Path) -> None:
    code, lines, err = check(demo(tmp_path), "-q", "--output-format", "concise")
    assert (code, lines, err) == (1, [CEL301, CEL101, CEL205], "")
    code, lines, _ = check(demo(tmp_path / "again"), "--quiet", "--statistics")
    assert (code, lines) == (1, ["    1   CEL101  [ ] pickle-serializer",
                                 "    1   CEL205  [ ] autoretry-without-backoff",
                                 "    1   CEL301  [*] result-expires-unset"])


def test_quiet_twice_prints_nothing_but_keeps_the_exit_code(tmp_path: Path) -> None:
    project = demo(tmp_path)
    assert check(project, "-qq") == (1, [], "")
    assert check(project, "-qq", "--output-format", "json") == (1, [], "")
    assert check(project, "-qq", "--exit-zero") == (0, [], "")


def test_verbose_says_what_is_done_on_stderr_only(tmp_path: Path) -> None:
    project = demo(tmp_path)
    plain = run_celerylint(["check", "--no-cache"], project)
    first = run_celerylint(["check", "-v"], project)
    second = run_celerylint(["check", "--verbose"], project)
    assert first.stdout == second.stdout == plain.stdout and plain.stderr == ""
    assert first.code == second.code == 1
    lines = [re.sub(r"in \d+\.\d\ds$", "in Ts", line) for line in second.stderr.splitlines()]
    assert lines == [
        f"celerylint: project . (configuration: none, defaults; {default_rules()} rules "
        "selected; Celery 5.3)",
        "celerylint: .: 2 files checked (2 from the cache), 3 findings, in Ts",
    ]
    assert first.stderr.splitlines()[1].startswith(
        "celerylint: .: 2 files checked (0 from the cache), 3 findings, in ")


# --- --color -----------------------------------------------------------------------------

@pytest.mark.parametrize("color, env, coloured", [
    ("always", {}, True),
    ("always", {"NO_COLOR": "1"}, True),
    ("never", {"FORCE_COLOR": "1"}, False),
    ("auto", {"FORCE_COLOR": "1"}, True),
    ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ("auto", {}, False),
])
def test_color_option_wins_and_auto_follows_the_environment(
        tmp_path: Path, color: str, env: dict[str, str], coloured: bool) -> None:
    environment = {"TERM": "xterm-256color", "FORCE_COLOR": "", "NO_COLOR": "", **env}
    environment = {k: v for k, v in {**os.environ, **environment}.items() if v}
    done = subprocess.run([celerylint_executable(), "check", "--no-cache", "--color", color],
                          cwd=demo(tmp_path), capture_output=True, text=True, check=False,
                          env=environment, timeout=300)
    assert done.returncode == 1
    assert bool(COLOUR_SGR.search(done.stdout)) is coloured


# --- --write-baseline and CEL201 -----------------------------------------------------------

def test_write_baseline_says_what_it_recorded(tmp_path: Path) -> None:
    project = demo(tmp_path)
    assert check(project, "--write-baseline", "baseline.json") == (
        0, ["Recorded 3 findings in baseline.json."], "")
    assert check(project, "--write-baseline", "one.json", "--select", "CEL205") == (
        0, ["Recorded 1 finding in one.json."], "")
    assert len(json.loads((project / "baseline.json").read_text())["findings"]) == 3


TIMED_TASKS = (
    "from celery import Celery\n\napp = Celery('proj', broker='redis://localhost')\n\n\n"
    "@app.task(time_limit=30)\ndef one():\n    return 1\n\n\n"
    "@app.task{two}\ndef two():\n    return 2\n\n\n"
    "@app.task\ndef three():\n    return 3\n"
)


@pytest.mark.parametrize("two, message", [
    ("(time_limit=30)", "1 of its 3 tasks has none: proj.celery.three"),
    ("", "2 of its 3 tasks have none: proj.celery.two, proj.celery.three"),
])
def test_cel201_agrees_in_number(tmp_path: Path, two: str, message: str) -> None:
    code, lines, _ = check(demo(tmp_path, TIMED_TASKS.format(two=two)), "--select", "CEL201",
                           "--output-format", "concise")
    assert (code, lines) == (1, [
        "proj/celery.py:3:7: CEL201 warning: app 'proj' sets no global time limit and "
        + message, "Found 1 finding."])


# --- progress over the whole run -----------------------------------------------------------

def _stderr_on_a_terminal(args: list[str], cwd: Path) -> str:
    """What a terminal on stderr showed while `celerylint ARGS` ran."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    code, shown = stderr_on_a_terminal(args, cwd, env)
    assert code == 1
    return shown


def test_progress_shows_every_stage_of_the_run_in_order(tmp_path: Path) -> None:
    files = {f"proj/m{i:03d}.py": f"def f{i}():\n    return {i}\n" for i in range(520)}
    project = write_tree(tmp_path / "big", {**files, "pyproject.toml": PYPROJECT,
                                            "proj/__init__.py": "", "proj/celery.py": CELERY_APP})
    shown = _stderr_on_a_terminal(["check", "--no-cache"], project)
    stages = [shown.find(stage) for stage in
              ("reading files", "building the model", "running rules")]
    assert -1 not in stages and stages == sorted(stages), shown[-2000:]
    assert re.search(rf"running rules .*{default_rules()}/{default_rules()}", shown)
    assert "522/522" not in shown.split("building the model")[-1]  # no frozen file bar
