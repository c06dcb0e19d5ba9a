"""The flake8 plugin, run through the real flake8 (installed entry point ``CEL``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, copy_fixture, findings, run_celerylint, write_tree

FIXTURE_NAMES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"
Quad = tuple[str, int, int, str]

# Runs flake8 in-process with the model builder and the plugin's run() wrapped, logging
# "parent PID", "build PID" and "check PID FILE" lines to the file named by $CALLS_LOG.
_COUNTING_FLAKE8 = '''
import os, sys
from celerylint import flake8_plugin

log = open(os.environ["CALLS_LOG"], "a", buffering=1)
log.write(f"parent {os.getpid()}\\n")
real_build, real_run = flake8_plugin.build_model, flake8_plugin.CeleryLintChecker.run

def build_model(*args, **kwargs):
    log.write(f"build {os.getpid()}\\n")
    return real_build(*args, **kwargs)

def run(self):
    log.write(f"check {os.getpid()} {self.filename}\\n")
    yield from real_run(self)

flake8_plugin.build_model = build_model
flake8_plugin.CeleryLintChecker.run = run
from flake8.main.cli import main
sys.exit(main(sys.argv[1:]))
'''


# The same under the "spawn" start method (macOS, Windows): workers start from scratch and
# run parse_options again, so each builds the context once, from the warm facts cache.
_SPAWNING_FLAKE8 = _COUNTING_FLAKE8.replace(
    "from flake8.main.cli import main\nsys.exit(main(sys.argv[1:]))",
    "if __name__ == '__main__':\n"
    "    import multiprocessing\n"
    "    multiprocessing.set_start_method('spawn')\n"
    "    from flake8.main.cli import main\n"
    "    sys.exit(main(sys.argv[1:]))",
)


def flake8(project: Path, *args: str, stdin: str | None = None,
           script: Path | None = None, log: Path | None = None
           ) -> subprocess.CompletedProcess[str]:
    head = [str(script)] if script is not None else ["-m", "flake8"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if log is not None:
        env["CALLS_LOG"] = str(log)
    return subprocess.run([sys.executable, *head, "--format", FORMAT, *args], cwd=project,
                          input=stdin, capture_output=True, text=True, check=False, env=env,
                          timeout=300)


def flake8_quads(done: subprocess.CompletedProcess[str]) -> set[Quad]:
    assert done.returncode in (0, 1), done.stdout + done.stderr
    quads = set()
    for line in done.stdout.splitlines():
        path, row, col, code = line.split("|")
        quads.add((path.removeprefix("./"), int(row), int(col), code))
    return quads


def cli_quads(project: Path, *args: str) -> set[Quad]:
    run = run_celerylint(["check", "--output-format", "json", *args], project)
    return {(f["filename"], f["location"]["row"], f["location"]["column"], f["code"])
            for f in findings(run)}


def python_only(quads: set[Quad]) -> set[Quad]:
    """flake8 checks Python files only; a finding on a Procfile line cannot appear there."""
    return {q for q in quads if q[0].endswith(".py")}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_flake8_reports_what_the_cli_reports(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    expected = python_only(cli_quads(project))
    assert expected
    assert flake8_quads(flake8(project, "--select", "CEL")) == expected


def test_without_pyproject_files_in_subfolders_share_one_project(tmp_path: Path) -> None:
    """With no pyproject.toml, `celerylint check` takes the folder it checks as the project;
    so must flake8, or proj/tasks.py would lose the config module beside proj/."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    (project / "pyproject.toml").unlink()
    expected = cli_quads(project)
    assert ("proj/tasks.py", 20, 33, "CEL101") in expected
    assert flake8_quads(flake8(project, "--select", "CEL")) == expected


def test_checking_one_file_reports_that_file_like_the_cli(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    expected = cli_quads(project, "proj/tasks.py")
    assert expected == {("proj/tasks.py", 20, 33, "CEL101")}
    assert flake8_quads(flake8(project, "--select", "CEL", "proj/tasks.py")) == expected


# A project with every case where the two could drift apart: noqa by code, by prefix, for
# another tool, a multi-line statement, `# celerylint: noqa`, per-file ignores from
# [tool.celerylint], characters that take more than one byte before a finding.
_TRICKY = {
    "pyproject.toml": textwrap.dedent("""\
        [tool.celerylint]
        per-file-ignores = { "proj/celery.py" = ["CEL201"] }
        """),
    "celeryconfig.py": textwrap.dedent("""\
        broker_url = "redis://localhost:6379/0"
        result_backend = "redis://localhost:6379/1"
        result_expires = 3600
        task_serializer = "pickle"  # noqa: CEL1
        result_serializer = "pickle"  # noqa: E501
        event_serializer = "pickle"  # noqa: CEL102
        accept_content = ["json"]
        """),
    "proj/__init__.py": "",
    "proj/celery.py": textwrap.dedent("""\
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("celeryconfig")
        """),
    "proj/tasks.py": textwrap.dedent("""\
        from proj.celery import app


        @app.task(time_limit=30)
        def ping(label):
            return label


        def warm_up():
            ping.apply_async(("é😀ü",), serializer="pickle")
            ping.apply_async(
                ("x",),
                serializer="pickle",  # noqa: CEL101
            )
            ping.apply_async(("x",), serializer="pickle")  # NOQA: cel101
        """),
    "proj/legacy.py": textwrap.dedent("""\
        # celerylint: noqa
        from proj.celery import app


        @app.task(serializer="pickle", time_limit=5)
        def old(x):
            return x
        """),
}


def test_flake8_and_cli_agree_on_noqa_columns_and_ignores(tmp_path: Path) -> None:
    project = write_tree(tmp_path / "tricky", _TRICKY)
    expected = cli_quads(project, "--ignore", "CEL002")  # `noqa: CEL102` is dead: not in flake8
    assert ("proj/tasks.py", 10, 43, "CEL101") in expected  # columns in characters
    assert ("proj/tasks.py", 15, 41, "CEL101") in expected  # codes compare case-sensitively
    assert ("celeryconfig.py", 5, 21, "CEL101") in expected
    assert ("celeryconfig.py", 6, 20, "CEL101") in expected
    assert not any(q[0] in ("proj/legacy.py", "proj/celery.py") for q in expected)
    assert flake8_quads(flake8(project, "--select", "CEL")) == expected


def test_noqa_is_left_to_flake8(tmp_path: Path) -> None:
    """The plugin yields silenced findings too; flake8 drops them unless --disable-noqa."""
    project = write_tree(tmp_path / "tricky", _TRICKY)
    everything = flake8_quads(flake8(project, "--select", "CEL", "--disable-noqa"))
    filtered = flake8_quads(flake8(project, "--select", "CEL"))
    assert everything - filtered == {("celeryconfig.py", 4, 19, "CEL101"),
                                     ("proj/tasks.py", 13, 20, "CEL101")}
    assert not any(q[0] == "proj/legacy.py" for q in everything)  # celerylint: noqa


def test_unused_noqa_is_not_reported_under_flake8(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    config = project / "celeryconfig.py"
    config.write_text(config.read_text().replace('timezone = "Europe/Paris"',
                                                 'timezone = "Europe/Paris"  # noqa: CEL101'))
    assert any(q[:2] == ("celeryconfig.py", 11) and q[3] == "CEL002" for q in cli_quads(project))
    assert not any(q[3] == "CEL002" for q in flake8_quads(flake8(project, "--select", "CEL")))


def test_flake8_selection_applies_on_top(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    assert flake8_quads(flake8(project, "--select", "E")) == set()
    with_cel = flake8_quads(flake8(project, "--select", "E", "--extend-select", "CEL"))
    assert with_cel == python_only(cli_quads(project))
    without_cel1 = flake8_quads(flake8(project, "--extend-ignore", "CEL1", "--select", "CEL"))
    assert without_cel1 == {q for q in with_cel if not q[3].startswith("CEL1")}


def test_tool_celerylint_selection_is_read(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.celerylint]\nignore = ["CEL1"]\n'
                         'extend-select = ["CEL211"]\n')
    codes = {q[3] for q in flake8_quads(flake8(project, "--select", "CEL"))}
    assert codes == {q[3] for q in cli_quads(project)} == {
        "CEL201", "CEL204", "CEL211", "CEL301"}


def test_a_bad_tool_celerylint_section_is_said_once_and_flake8_checks_with_defaults(
        tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.celerylint]\nselct = ["CEL1"]\n')
    done = flake8(project, "--select", "CEL", "-j2")
    assert done.stderr == ("celerylint: error: unknown key 'selct' in [tool.celerylint] of "
                           "pyproject.toml; did you mean 'select'?\n")
    pyproject.write_text(pyproject.read_text().replace('selct = ["CEL1"]', ""))
    assert flake8_quads(done) == flake8_quads(flake8(project, "--select", "CEL")) != set()


def test_project_context_is_built_once_and_shared_with_workers(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    script, log = tmp_path / "counting_flake8.py", tmp_path / "calls.log"
    script.write_text(_COUNTING_FLAKE8)
    parallel = flake8(project, "--select", "CEL", "-j2", script=script, log=log)
    lines = [line.split(" ", 2) for line in log.read_text().splitlines()]
    [parent] = [int(line[1]) for line in lines if line[0] == "parent"]
    builds = [int(line[1]) for line in lines if line[0] == "build"]
    checkers = {int(line[1]) for line in lines if line[0] == "check"}
    assert builds == [parent]
    assert checkers and parent not in checkers  # the files were checked by -j workers
    assert len([line for line in lines if line[0] == "check"]) == len(
        list(project.rglob("*.py")))
    assert flake8_quads(parallel) == flake8_quads(flake8(project, "--select", "CEL", "-j1"))


def test_spawned_workers_build_once_each_not_once_per_file(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    script, log = tmp_path / "spawning_flake8.py", tmp_path / "calls.log"
    script.write_text(_SPAWNING_FLAKE8)
    parallel = flake8(project, "--select", "CEL", "-j2", script=script, log=log)
    lines = [line.split(" ", 2) for line in log.read_text().splitlines()]
    parents = [int(line[1]) for line in lines if line[0] == "parent"]
    builds = [int(line[1]) for line in lines if line[0] == "build"]
    checks = [line for line in lines if line[0] == "check"]
    assert len(checks) == len(list(project.rglob("*.py"))) > 3
    assert len(builds) == len(set(builds)) <= 3 and set(builds) <= set(parents)
    assert flake8_quads(parallel) == flake8_quads(flake8(project, "--select", "CEL", "-j1"))


def test_nothing_is_built_when_flake8_reports_no_cel_code(tmp_path: Path) -> None:
    project = copy_fixture("multi_module", tmp_path)
    script, log = tmp_path / "counting_flake8.py", tmp_path / "calls.log"
    script.write_text(_COUNTING_FLAKE8)
    flake8(project, "--select", "E,F", "-j1", script=script, log=log)
    assert not any(line.startswith("build") for line in log.read_text().splitlines())


def test_an_unsaved_buffer_is_checked_as_piped(tmp_path: Path) -> None:
    """Editors pipe the buffer with --stdin-display-name: findings follow the buffer, and
    a config module's buffer changes what other files' findings say."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    config = (project / "celeryconfig.py").read_text()
    buffer = "# unsaved\n" + config.replace('task_serializer = "pickle"',
                                            'task_serializer = "json"')
    done = flake8(project, "--select", "CEL", "--stdin-display-name", "celeryconfig.py", "-",
                  stdin=buffer)
    assert flake8_quads(done) == {("celeryconfig.py", 6, 18, "CEL301"),
                                  ("celeryconfig.py", 10, 27, "CEL102")}
    tasks = (project / "proj" / "tasks.py").read_text()
    done = flake8(project, "--select", "CEL", "--stdin-display-name", "proj/tasks.py", "-",
                  stdin="\n\n" + tasks)
    assert flake8_quads(done) == {("proj/tasks.py", 22, 33, "CEL101")}
