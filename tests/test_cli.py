"""The ``celerylint`` command as a user meets it: exit codes, error messages, output
formats, colour, rule selection, ``[tool.celerylint]`` options, ``# noqa`` comments, and
files that are broken or written in newer Python syntax.

Most tests run the click command in this process (`invoke_celerylint`); exit codes and
colour on a real terminal-less pipe are checked through the installed console script in a
subprocess (`run_celerylint`), see conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from conftest import (
    Run,
    copy_fixture,
    findings,
    invoke_celerylint,
    locations,
    run_celerylint,
    write_tree,
)

Lint = Callable[..., Run]  # the `lint` fixture of conftest.py
ESCAPE = "\x1b["
# SGR parameters that set a colour (foreground, background, bright, 256/truecolour).
COLOUR_SGR = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])[;m]")


def codes(run: Run) -> list[str]:
    return sorted(f["code"] for f in findings(run))


def code_set(run: Run) -> set[str]:
    return set(codes(run))


def places(run: Run) -> list[tuple[str, int, str]]:
    return sorted((f["filename"], f["location"]["row"], f["code"]) for f in findings(run))


def plain_project(tmp_path: Path) -> Path:
    return copy_fixture("plain_celeryconfig", tmp_path)


def check_json(project: Path, *args: str) -> Run:
    return invoke_celerylint(["check", "--output-format", "json", *args], project)


def add_options(project: Path, toml: str) -> None:
    """Append a [tool.celerylint] section to the project's pyproject.toml."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n" + toml, encoding="utf-8")


# --- exit codes and errors -------------------------------------------------------------

def test_exit_code_1_with_findings_and_0_without(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    assert run_celerylint(["check"], project).code == 1
    clean = run_celerylint(["check", "--select", "CEL302"], project)
    assert (clean.code, clean.stdout.strip()) == (0, "All checks passed.")


def test_exit_zero_reports_but_succeeds(tmp_path: Path) -> None:
    run = invoke_celerylint(["check", "--exit-zero", "--output-format", "concise"],
                         plain_project(tmp_path))
    assert run.code == 0
    assert "celeryconfig.py:7:19: CEL101 " in run.stdout


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_rule_selector_is_a_usage_error_with_a_suggestion(
    tmp_path: Path, option: str
) -> None:
    run = run_celerylint(["check", option, "CEL1O1"], plain_project(tmp_path))
    assert run.code == 2
    assert "CEL1O1" in run.stderr and "did you mean 'CEL101'?" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_unknown_pyproject_key_names_the_key_and_the_closest(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    add_options(project, '[tool.celerylint]\nper-file-ignore = {"proj/*" = ["CEL101"]}\n')
    for command in (["check"], ["config"]):
        run = invoke_celerylint(command, project)
        assert run.code == 2
        assert "'per-file-ignore'" in run.stderr and "'per-file-ignores'" in run.stderr
        assert "Traceback" not in run.stderr


@pytest.mark.parametrize("command", ["check", "config"])
@pytest.mark.parametrize("version", ["five", "5", "5.x"])
def test_bad_celery_version_is_a_usage_error(tmp_path: Path, command: str, version: str) -> None:
    run = invoke_celerylint([command, "--celery-version", version], plain_project(tmp_path))
    assert run.code == 2
    assert repr(version) in run.stderr and "MAJOR.MINOR" in run.stderr
    assert "Traceback" not in run.stderr


# --- output formats --------------------------------------------------------------------

def test_text_output_shows_location_source_line_marker_and_summary(tmp_path: Path) -> None:
    run = invoke_celerylint(["check"], plain_project(tmp_path))
    lines = run.stdout.splitlines()
    heading = ("celeryconfig.py:7:19: CEL101 error: task_serializer is 'pickle' and pickle is "
               "accepted")
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    assert lines[start + 1:start + 7] == [
        "  |",
        '7 | task_serializer = "pickle"',
        "  | " + " " * 18 + "^" * 8,
        "  |",
        "  = help: Use 'json', and keep pickle out of the accept lists (CEL102).",
        "",
    ]
    assert lines[-2:] == ["Found 6 findings.",
                          "[*] 1 fixable with --fix (4 more with --unsafe-fixes)."]


def test_concise_output_is_one_line_per_finding(tmp_path: Path) -> None:
    run = invoke_celerylint(["check", "--output-format", "concise"], plain_project(tmp_path))
    lines = run.stdout.splitlines()
    assert lines[-2:] == ["Found 6 findings.",
                          "[*] 1 fixable with --fix (4 more with --unsafe-fixes)."]
    assert [line.split(" ", 3)[:3] for line in lines[:-2]] == [
        ["celeryconfig.py:5:18:", "CEL301", "[*]"],
        ["celeryconfig.py:7:19:", "CEL101", "error:"],
        ["celeryconfig.py:9:27:", "CEL102", "error:"],
        ["proj/celery.py:3:7:", "CEL201", "warning:"],
        ["proj/celery.py:3:7:", "CEL204", "note:"],
        ["proj/tasks.py:20:33:", "CEL101", "error:"],
    ]


def test_json_output_follows_the_contract(tmp_path: Path) -> None:
    run = check_json(plain_project(tmp_path))
    items = run.json()
    assert [(i["filename"], i["location"]["row"], i["location"]["column"], i["code"])
            for i in items] == [
        ("celeryconfig.py", 5, 18, "CEL301"),
        ("celeryconfig.py", 7, 19, "CEL101"),
        ("celeryconfig.py", 9, 27, "CEL102"),
        ("proj/celery.py", 3, 7, "CEL201"),
        ("proj/celery.py", 3, 7, "CEL204"),
        ("proj/tasks.py", 20, 33, "CEL101"),
    ]
    first = items[1]
    assert list(first) == ["code", "name", "severity", "message", "filename", "location",
                           "end_location", "url", "hint", "fix"]
    assert first["message"] == ("task_serializer is 'pickle' and pickle is accepted: broker "
                                "access means code execution in workers")
    assert first["hint"] == "Use 'json', and keep pickle out of the accept lists (CEL102)."
    assert (first["name"], first["severity"]) == ("pickle-serializer", "error")
    assert first["end_location"] == {"row": 7, "column": 27}
    assert first["url"] is None  # no rule-url-base configured (tests/test_rule_doc.py)


def test_statistics_counts_per_rule(tmp_path: Path) -> None:
    run = invoke_celerylint(["check", "--select", "ALL", "--statistics"], plain_project(tmp_path))
    assert run.code == 1
    assert [line.split() for line in run.stdout.splitlines()] == [
        ["2", "CEL101", "[", "]", "pickle-serializer"],
        ["2", "CEL211", "[", "]", "task-without-time-limit"],
        ["1", "CEL102", "[", "]", "pickle-accepted"],
        ["1", "CEL201", "[", "]", "missing-time-limit"],
        ["1", "CEL204", "[", "]", "acks-late-with-prefetch"],
        ["1", "CEL301", "[*]", "result-expires-unset"],
        ["Found", "8", "findings."],
        ["[*]", "1", "fixable", "with", "--fix", "(4", "more", "with", "--unsafe-fixes)."],
    ]


def _colour_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from an environment that says nothing about colour."""
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


def test_no_escape_codes_when_stdout_is_not_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _colour_env(monkeypatch)
    project = plain_project(tmp_path)
    for args in (["check"], ["check", "--statistics"], ["config"], ["rules"]):
        run = run_celerylint(args, project, env={"TERM": "xterm-256color"})
        assert run.stdout and ESCAPE not in run.stdout, args


def test_force_color_colours_and_no_color_removes_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _colour_env(monkeypatch)
    project = plain_project(tmp_path)
    forced = run_celerylint(["check"], project,
                               env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert COLOUR_SGR.search(forced.stdout)
    both = run_celerylint(["check"], project,
                          env={"FORCE_COLOR": "1", "NO_COLOR": "1", "TERM": "xterm-256color"})
    assert not COLOUR_SGR.search(both.stdout)


def test_no_color_wins_over_force_color_entirely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _colour_env(monkeypatch)
    run = run_celerylint(["check"], plain_project(tmp_path),
                         env={"FORCE_COLOR": "1", "NO_COLOR": "1", "TERM": "xterm-256color"})
    assert ESCAPE not in run.stdout


# --- rule selection --------------------------------------------------------------------

# CEL204: resize is late-ack and the app leaves worker_prefetch_multiplier at 4.
DEFAULT_PLAIN = ["CEL101", "CEL101", "CEL102", "CEL201", "CEL204", "CEL301"]


@pytest.mark.parametrize("args, expected", [
    ([], DEFAULT_PLAIN),
    (["--select", "CEL1"], ["CEL101", "CEL101", "CEL102"]),
    (["--select", "cel101"], ["CEL101", "CEL101"]),
    (["--select", "ALL", "--ignore", "CEL2"], ["CEL101", "CEL101", "CEL102", "CEL301"]),
    (["--select", "CEL2", "--ignore", "CEL201"], ["CEL204", "CEL211", "CEL211"]),
    (["--extend-select", "CEL211"], sorted([*DEFAULT_PLAIN, "CEL211", "CEL211"])),
    (["--ignore", "CEL101,CEL3"], ["CEL102", "CEL201", "CEL204"]),
])
def test_select_ignore_and_extend_select(tmp_path: Path, args: list[str],
                                         expected: list[str]) -> None:
    assert codes(check_json(plain_project(tmp_path), *args)) == expected


def test_cel211_is_off_by_default_and_on_with_extend_select_in_pyproject(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    assert "CEL211" not in code_set(check_json(project))
    add_options(project, '[tool.celerylint]\nextend-select = ["CEL211"]\n')
    assert locations(check_json(project), "CEL211") == ["proj/tasks.py:9", "proj/tasks.py:14"]


def test_command_line_select_replaces_the_pyproject_selection(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    add_options(project, '[tool.celerylint]\nselect = ["CEL3"]\n')
    assert codes(check_json(project)) == ["CEL301"]
    assert codes(check_json(project, "--select", "CEL102")) == ["CEL102"]


def test_per_file_ignores(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    add_options(project, '[tool.celerylint]\n[tool.celerylint.per-file-ignores]\n'
                         '"proj/tasks.py" = ["CEL1", "CEL211"]\n"*config.py" = ["CEL102"]\n')
    assert places(check_json(project, "--select", "ALL")) == [
        ("celeryconfig.py", 5, "CEL301"),
        ("celeryconfig.py", 7, "CEL101"),
        ("proj/celery.py", 3, "CEL201"),
        ("proj/celery.py", 3, "CEL204"),
    ]


LEGACY_TASK = """from proj.celery import app


@app.task(serializer="pickle", time_limit=10)
def old(x):
    return x
"""


def test_exclude_and_extend_exclude(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    write_tree(project, {"legacy/tasks.py": LEGACY_TASK, "build/generated.py": LEGACY_TASK})
    baseline = locations(check_json(project), "CEL101")
    assert "legacy/tasks.py:4" in baseline and "build/generated.py:4" not in baseline

    extended = project / "pyproject.toml"
    original = extended.read_text(encoding="utf-8")
    add_options(project, '[tool.celerylint]\nextend-exclude = ["legacy"]\n')
    assert locations(check_json(project), "CEL101") == [
        "celeryconfig.py:7", "proj/tasks.py:20"]

    extended.write_text(original, encoding="utf-8")
    add_options(project, '[tool.celerylint]\nexclude = ["legacy"]\n')
    # `exclude` replaces the default list, so build/ is read again.
    assert locations(check_json(project), "CEL101") == [
        "build/generated.py:4", "celeryconfig.py:7", "proj/tasks.py:20"]


# --- noqa ------------------------------------------------------------------------------

NOQA_PROJECT: dict[str, str] = {
    "pyproject.toml": '[project]\nname = "proj"\nversion = "1.0"\n',
    "proj/__init__.py": "",
    "proj/celery.py": """from celery import Celery

app = Celery("proj", include=["proj.tasks"])
app.conf.task_time_limit = 60
app.conf.task_serializer = "pickle"  # noqa: CEL101
app.conf.accept_content = ["json", "pickle"]  # noqa: CEL1
app.conf.result_serializer = "pickle"  # noqa
app.conf.event_serializer = "pickle"
app.conf.worker_prefetch_multiplier = 1
""",
    "proj/tasks.py": """from proj.celery import app


@app.task(serializer="pickle", acks_late=True)  # noqa: CEL101,CEL203
def both(x):
    return x


@app.task(serializer="pickle", acks_late=True)
def neither(x):
    return x
""",
}


def test_noqa_comments_silence_their_line(lint: Lint) -> None:
    run = lint(NOQA_PROJECT)
    assert places(run) == [
        ("proj/celery.py", 8, "CEL101"),  # the control: same setting kind, no comment
        ("proj/tasks.py", 9, "CEL101"),
        ("proj/tasks.py", 9, "CEL203"),
    ]


def test_a_noqa_code_that_silences_nothing_is_reported(lint: Lint) -> None:
    files = dict(NOQA_PROJECT)
    files["proj/celery.py"] = files["proj/celery.py"].replace(
        'event_serializer = "pickle"', 'event_serializer = "json"  # noqa: CEL102')
    run = lint(files)
    assert locations(run, "CEL002") == ["proj/celery.py:8"]
    assert "CEL101" not in {f["code"] for f in findings(run) if f["filename"] ==
                            "proj/celery.py"}


def test_celerylint_noqa_comment_skips_the_whole_file(lint: Lint) -> None:
    files = dict(NOQA_PROJECT)
    files["proj/tasks.py"] = "# celerylint: noqa\n" + files["proj/tasks.py"]
    run = lint(files)
    assert places(run) == [("proj/celery.py", 8, "CEL101")]


# --- broken files and newer syntax -----------------------------------------------------

APP = """from celery import Celery

app = Celery("proj")
app.conf.task_time_limit = 60
"""
LATE_TASK = """from proj.celery import app


@app.task(acks_late=True)
def fine(x):
    return x
"""
# A missing colon: every CPython from 3.9 to 3.13 points at line 5 for it (an unclosed
# parenthesis is placed on line 6 by 3.9's parser and on line 5 by later ones).
BROKEN = """from proj.celery import app


@app.task(acks_late=True)
def broken(x)
    return x
"""


def _project(extra: dict[str, str]) -> dict[str, str]:
    files = {
        "pyproject.toml": '[project]\nname = "proj"\nversion = "1.0"\n',
        "proj/__init__.py": "",
        "proj/celery.py": APP,
        "proj/ok.py": LATE_TASK,
    }
    files.update(extra)
    return files


def test_a_syntax_error_is_cel001_and_other_files_are_still_checked(lint: Lint) -> None:
    run = lint(_project({"proj/broken.py": BROKEN}))
    assert run.code == 1
    assert places(run) == [
        ("proj/broken.py", 5, "CEL001"),
        # The app imports none of its task modules (CEL405) and leaves the prefetch
        # multiplier at 4 behind the one late-ack task it knows (CEL204): broken.py's task
        # is not counted, as nothing of that file could be read.
        ("proj/celery.py", 3, "CEL204"),
        ("proj/ok.py", 4, "CEL203"),
        ("proj/ok.py", 4, "CEL405"),
    ]
    late = next(f for f in findings(run) if f["code"] == "CEL204")
    assert "(1 task)" in late["message"]


def test_a_file_in_a_wrong_encoding_is_named_and_the_scan_goes_on(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", _project({}))
    (project / "proj" / "latin.py").write_bytes(
        b'from proj.celery import app\n\n\n@app.task(acks_late=True)\ndef latin(x):\n'
        b'    return "caf\xe9"\n')
    run = invoke_celerylint(["check", "--output-format", "concise"], project)
    assert run.code == 1 and "Traceback" not in run.stderr
    assert re.search(r"^proj/latin\.py:1:1: CEL001 .*line 6", run.stdout, re.MULTILINE)
    assert "proj/ok.py:4:21: CEL203" in run.stdout


PY312 = '''from proj.celery import app

type Payload = dict[str, int]


class Box[T]:
    def __init__(self, item: T) -> None:
        self.item = item


def first[T](items: list[T]) -> T:
    return items[0]


@app.task(acks_late=True)
def handle(payload):
    return f"{payload["name"]!r}: {f"{payload["size"]}"}"
'''
PY314 = '''from proj.celery import app


@app.task(acks_late=True)
def tolerant(payload):
    try:
        return payload["x"]
    except KeyError, TypeError:
        return None
'''


def test_newer_python_syntax_is_analysed(lint: Lint) -> None:
    run = lint(_project({"proj/py312.py": PY312, "proj/py314.py": PY314}))
    assert places(run) == [
        ("proj/celery.py", 3, "CEL204"),  # the three late-ack tasks, prefetch left at 4
        ("proj/ok.py", 4, "CEL203"),
        ("proj/ok.py", 4, "CEL405"),  # the app imports none of its task modules
        ("proj/py312.py", 15, "CEL203"),
        ("proj/py312.py", 15, "CEL405"),
        ("proj/py314.py", 4, "CEL203"),
        ("proj/py314.py", 4, "CEL405"),
    ]
    late = next(f for f in findings(run) if f["code"] == "CEL204")
    assert "(3 tasks)" in late["message"]


# --- other commands --------------------------------------------------------------------

def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    project = plain_project(tmp_path)
    environment = dict(os.environ)
    environment.pop("NO_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "celerylint", "check", "--output-format", "json"],
        cwd=project, capture_output=True, text=True, env=environment, timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == check_json(project).stdout


def test_rule_prints_the_rule_documentation(tmp_path: Path) -> None:
    run = invoke_celerylint(["rule", "cel101"], tmp_path)
    assert run.code == 0
    assert "CEL101 pickle-serializer" in run.stdout
    assert "accept_content" in run.stdout
    unknown = invoke_celerylint(["rule", "CEL999"], tmp_path)
    assert unknown.code == 2 and "CEL999" in unknown.stderr


def test_rules_lists_every_rule_as_json(tmp_path: Path) -> None:
    run = invoke_celerylint(["rules", "--output-format", "json"], tmp_path)
    assert run.code == 0
    rules = json.loads(run.stdout)
    assert len(rules) == 48
    by_code = {rule["code"]: rule for rule in rules}
    assert list(by_code) == sorted(by_code)
    assert set(by_code) == {
        "CEL001", "CEL002", "CEL003",
        "CEL101", "CEL102", "CEL103", "CEL104",
        "CEL201", "CEL202", "CEL203", "CEL204", "CEL205", "CEL206", "CEL207", "CEL208",
        "CEL209", "CEL210", "CEL211", "CEL212", "CEL213",
        "CEL301", "CEL302", "CEL303", "CEL304",
        "CEL401", "CEL402", "CEL403", "CEL404", "CEL405", "CEL406", "CEL407",
        "CEL501", "CEL502",
        "CEL601", "CEL602", "CEL603", "CEL604", "CEL605", "CEL606", "CEL607", "CEL608",
        "CEL609",
        "CEL701", "CEL702", "CEL703", "CEL704", "CEL705", "CEL706",
    }
    assert [c for c, rule in by_code.items() if not rule["default_enabled"]] == ["CEL211"]
    assert by_code["CEL101"]["name"] == "pickle-serializer"
