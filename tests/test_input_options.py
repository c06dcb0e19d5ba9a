"""The ``check`` options about inputs, as a ruff user reaches for them: ``--exclude``,
``--extend-exclude``, ``--force-exclude``, ``--per-file-ignores`` /
``--extend-per-file-ignores``, ``-`` with ``--stdin-filename`` (an editor's buffer),
``--show-files`` and ``--show-settings``; all through the real ``celerylint`` command."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import yaml
from conftest import (
    Run,
    celerylint_executable,
    copy_fixture,
    invoke_celerylint,
    locations,
    write_tree,
)

REPO = Path(__file__).resolve().parents[1]

LEGACY_TASK = """from proj.celery import app


@app.task(serializer="pickle", time_limit=10)
def old(x):
    return x
"""


def project_with_legacy(tmp_path: Path, options: str = "") -> Path:
    """The plain fixture plus a task in legacy/ and one in build/ (a default exclude)."""
    project = copy_fixture("plain_celeryconfig", tmp_path)
    write_tree(project, {"legacy/tasks.py": LEGACY_TASK, "build/gen.py": LEGACY_TASK})
    if options:
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + "\n[tool.celerylint]\n"
                             + options, encoding="utf-8")
    return project


def cel101(project: Path, *args: str) -> list[str]:
    return locations(invoke_celerylint(
        ["check", "--output-format", "json", "--jobs", "1", "--select", "CEL101", *args],
        project), "CEL101")


def test_exclude_replaces_and_extend_exclude_adds_to_the_configuration(tmp_path: Path
                                                                       ) -> None:
    project = project_with_legacy(tmp_path, 'extend-exclude = ["old"]\n')
    write_tree(project, {"old/tasks.py": LEGACY_TASK})
    assert cel101(project) == ["celeryconfig.py:7", "legacy/tasks.py:4", "proj/tasks.py:20"]
    # --extend-exclude adds to the configured extend-exclude (old/ stays out).
    assert cel101(project, "--extend-exclude", "legacy") == [
        "celeryconfig.py:7", "proj/tasks.py:20"]
    # --exclude replaces the default excludes (build/ is read again), not extend-exclude.
    assert cel101(project, "--exclude", "legacy,other") == [
        "build/gen.py:4", "celeryconfig.py:7", "proj/tasks.py:20"]


def test_a_named_file_is_checked_even_when_excluded_unless_force_exclude(tmp_path: Path
                                                                         ) -> None:
    project = project_with_legacy(tmp_path, 'extend-exclude = ["legacy"]\n')
    assert cel101(project, "build/gen.py") == ["build/gen.py:4"]
    assert cel101(project, "legacy/tasks.py") == ["legacy/tasks.py:4"]
    assert cel101(project, "legacy/tasks.py", "--force-exclude") == []
    assert cel101(project, "build/gen.py", "--force-exclude") == []
    forced = project_with_legacy(tmp_path / "forced", "force-exclude = true\n")
    assert cel101(forced, "build/gen.py") == []
    assert cel101(forced, "build/gen.py", "--no-force-exclude") == ["build/gen.py:4"]


def test_the_pre_commit_hooks_never_report_an_excluded_staged_file(tmp_path: Path) -> None:
    project = project_with_legacy(tmp_path)
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        entry = shlex.split(hook["entry"])
        assert entry[:2] == ["celerylint", "check"] and "--force-exclude" in entry
        if hook.get("pass_filenames") is False:
            continue  # the whole project against HEAD: tests/test_pre_commit_hooks.py
        done = subprocess.run([celerylint_executable(), *entry[1:], "--no-cache",
                               "build/gen.py"], cwd=project, capture_output=True, text=True,
                              check=False, timeout=300)
        assert (done.returncode, done.stdout) == (0, "All checks passed.\n"), done.stderr


def places(run: Run) -> list[str]:
    return sorted(f"{f['filename']}:{f['location']['row']}:{f['code']}" for f in run.json())


def test_per_file_ignores_replaces_and_extend_per_file_ignores_adds(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8")
                         + '\n[tool.celerylint.per-file-ignores]\n"proj/*" = ["CEL2"]\n',
                         encoding="utf-8")

    def check(*args: str) -> list[str]:
        return places(invoke_celerylint(["check", "--output-format", "json", "--jobs", "1",
                                         "--select", "CEL101,CEL201,CEL301", *args], project))

    assert check() == ["celeryconfig.py:5:CEL301", "celeryconfig.py:7:CEL101",
                       "proj/tasks.py:20:CEL101"]
    # replaces the configured table: proj/celery.py's CEL201 is back
    assert check("--per-file-ignores", "*config.py:CEL1,CEL3") == [
        "proj/celery.py:3:CEL201", "proj/tasks.py:20:CEL101"]
    # ruff's form (one PATTERN:CODE per comma item), repeated
    assert check("--per-file-ignores", "celeryconfig.py:CEL101,proj/tasks.py:CEL1",
                 "--per-file-ignores", "celeryconfig.py:cel301") == [
        "proj/celery.py:3:CEL201"]
    # adds to the configured table
    assert check("--extend-per-file-ignores", "celeryconfig.py:CEL3") == [
        "celeryconfig.py:7:CEL101", "proj/tasks.py:20:CEL101"]


def test_a_bad_per_file_ignores_value_is_a_usage_error(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    run = invoke_celerylint(["check", "--per-file-ignores", "tests/*:CEL9x"], project)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == ("celerylint: error: unknown rule selector 'CEL9X' in "
                          "--per-file-ignores 'tests/*:CEL9x'; did you mean 'CEL'?\n")
    run = invoke_celerylint(["check", "--extend-per-file-ignores", "CEL101"], project)
    assert (run.code, run.stderr) == (2, (
        "celerylint: error: --extend-per-file-ignores 'CEL101' must be PATTERN:CODES, "
        "such as 'tests/*:CEL1,CEL203'\n"))


# --- stdin --------------------------------------------------------------------------------

def run_stdin(args: list[str], text: str, cwd: Path) -> Run:
    """`celerylint ARGS` in a subprocess with `text` on stdin, as an editor runs it."""
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    done = subprocess.run([celerylint_executable(), *args], input=text, cwd=cwd,
                          capture_output=True, text=True, env=environment, check=False,
                          timeout=300)
    return Run(done.returncode, done.stdout, done.stderr)


def test_stdin_is_checked_as_the_named_file_with_the_rest_of_the_project(tmp_path: Path
                                                                         ) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    on_disk = (project / "proj/tasks.py").read_bytes()
    buffer = LEGACY_TASK.replace("time_limit=10", "time_limit=10, acks_late=True")
    run = run_stdin(["check", "-", "--stdin-filename", "proj/tasks.py", "--no-cache",
                     "--output-format", "concise"], buffer, project)
    assert (run.code, run.stdout) == (1, (
        "proj/tasks.py:4:22: CEL101 error: task proj.tasks.old's serializer is 'pickle' and "
        "pickle is accepted: broker access means code execution in workers\n"
        "proj/tasks.py:4:57: CEL203 warning: acks_late=True without reject_on_worker_lost: a "
        "task is not run again when its pool process dies\n"
        "Found 2 findings.\nNo fixes available (2 fixable with --unsafe-fixes).\n")), run.stderr
    assert (project / "proj/tasks.py").read_bytes() == on_disk


def test_stdin_configuration_and_a_new_file_and_the_excerpt_come_from_the_buffer(
        tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    config = (project / "celeryconfig.py").read_text(encoding="utf-8")
    fixed = config.replace('task_serializer = "pickle"', 'task_serializer = "json"')
    run = run_stdin(["check", "-", "--stdin-filename", "celeryconfig.py", "--no-cache",
                     "--select", "CEL101", "--output-format", "json"], fixed, project)
    assert (run.code, run.json()) == (0, [])
    new = run_stdin(["check", "-", "--stdin-filename", "new.py",
                     "--no-cache", "--select", "CEL101"], LEGACY_TASK, project / "proj")
    assert new.code == 1, new.stderr
    assert new.stdout.startswith(
        "new.py:4:22: CEL101 error: task proj.new.old's serializer is 'pickle' and pickle is "
        "accepted: broker access means code execution in workers\n"
        "  |\n4 | @app.task(serializer=\"pickle\", time_limit=10)\n"), new.stdout
    assert not (project / "proj/new.py").exists()


def test_stdin_misuse_is_a_usage_error(tmp_path: Path) -> None:
    project = copy_fixture("plain_celeryconfig", tmp_path)
    cases = {
        ("-",): "- (stdin) needs --stdin-filename NAME: the file the text stands for",
        ("-", "--stdin-filename", "x.py", "--fix"):
            "- (stdin) cannot be fixed or annotated: --fix, --fix-only, --diff and "
            "--add-noqa write files",
        ("-", "proj", "--stdin-filename", "x.py"):
            "- (stdin) cannot be combined with other paths",
        ("proj", "--stdin-filename", "x.py"): "--stdin-filename needs the path - (stdin)",
    }
    for args, message in cases.items():
        run = run_stdin(["check", *args], "x = 1\n", project)
        assert (run.code, run.stdout, run.stderr) == (2, "", f"celerylint: error: {message}\n")


# --- show-files, show-settings -----------------------------------------------------------

def test_show_files_lists_what_would_be_read_relative_sorted_and_exits_0(tmp_path: Path
                                                                        ) -> None:
    project = project_with_legacy(tmp_path, 'extend-exclude = ["legacy"]\n')
    (project / "proj/tasks.py").write_text("import nothing(\n", encoding="utf-8")
    run = invoke_celerylint(["check", "--show-files"], project)
    assert (run.code, run.stdout) == (0, "celeryconfig.py\nproj/__init__.py\n"
                                         "proj/celery.py\nproj/tasks.py\npyproject.toml\n")
    inside = invoke_celerylint(["check", "--show-files", ".", "../build/gen.py"],
                               project / "proj")
    assert (inside.code, inside.stdout) == (0, "../build/gen.py\n__init__.py\ncelery.py\n"
                                               "tasks.py\n")
    assert not (project / ".celerylint_cache").exists()  # nothing was checked


def test_show_settings_prints_the_resolved_configuration(tmp_path: Path) -> None:
    project = project_with_legacy(
        tmp_path, 'extend-select = ["CEL211"]\nignore = ["CEL3", "CEL4", "CEL5", "CEL6", '
                  '"CEL7"]\ntest-patterns = ["qa/*"]\n'
                  '[tool.celerylint.per-file-ignores]\n"proj/*" = ["CEL2"]\n')
    run = invoke_celerylint(["check", "--show-settings", "--select", "CEL1,CEL2",
                             "--extend-per-file-ignores", "legacy/*:CEL101",
                             "--extend-exclude", "legacy", "--cache-dir", "cache"],
                            project / "proj")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        'project = ".."',
        'configuration = "../pyproject.toml"',
        'rules = ["CEL101", "CEL102", "CEL103", "CEL104", "CEL201", "CEL202", "CEL203", '
        '"CEL204", "CEL205", "CEL206", "CEL207", "CEL208", "CEL209", "CEL210", "CEL211", '
        '"CEL212", "CEL213"]',
        "select = null",
        'extend-select = ["CEL211"]',
        'ignore = ["CEL3", "CEL4", "CEL5", "CEL6", "CEL7"]',
        'per-file-ignores = {"legacy/*": ["CEL101"], "proj/*": ["CEL2"]}',
        'exclude = [".bzr", ".celerylint_cache", ".direnv", ".eggs", ".git", ".hg", '
        '".mypy_cache", ".nox", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", '
        '".venv", "__pycache__", "__pypackages__", "_build", "buck-out", "build", "dist", '
        '"node_modules", "site-packages", "venv", "*.egg-info"]',
        'extend-exclude = ["legacy"]',
        "force-exclude = false",
        'celery-version = "5.4"',
        'celery-version-source = "pyproject.toml [project].dependencies '
        '(celery[redis]>=5.4,<6)"',
        'test-patterns = ["qa/*"]',
        "task-decorators = []",
        "django-settings-module = null",
        'cache-dir = "cache"',
        "fix = false",
        "unsafe-fixes = false",
        "rule-url-base = null",
        "base-ref = null",
    ]
