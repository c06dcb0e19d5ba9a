"""Where a project is, and what is a module (issue 9).

The project of a path is found from the path itself, never from the current folder: the
nearest celerylint configuration above it (``pyproject.toml`` with ``[tool.celerylint]``,
``celerylint.toml``, ``.celerylint.toml``), else the nearest ``pyproject.toml``,
``setup.cfg``, ``setup.py``, ``manage.py`` or ``.git``. So checking the whole repository,
one folder or one file, from any folder, through the command or through flake8, gives
the same findings in those paths. Several projects in one invocation are each modelled
on their own. Files a worker cannot import (below ``my-scripts/``) hold no tasks.

Every project here is written into tmp_path from the pattern below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest
from conftest import Run, findings, invoke_celerylint, run_celerylint, write_tree

from celerylint.engine.discover import ROOT_MARKERS, locate_project, nested_projects
from celerylint.engine.options import OptionsError, load_options

Place = tuple[str, int, int, str]  # absolute file, row, column, code

# A Celery app whose config module lives in its package: resolving it needs the whole
# package chain (``proj.celeryconfig``), and CEL201 on the app counts the tasks of
# another file, so a run that sees the wrong root or too few files finds less.
SERVICE = {
    "requirements.txt": "celery==5.3.6\n",
    "proj/__init__.py": "",
    "proj/celery.py": """\
        from celery import Celery

        app = Celery("proj")
        app.config_from_object("proj.celeryconfig")
        """,
    "proj/celeryconfig.py": """\
        broker_url = "redis://localhost:6379/0"
        task_serializer = "pickle"
        accept_content = ["pickle", "json"]
        imports = ["proj.tasks"]
        """,
    "proj/tasks.py": """\
        from proj.celery import app


        @app.task
        def work(x):
            return x


        @app.task(serializer="pickle")
        def other(x):
            return x
        """,
}

MARKERS = {
    "setup.cfg": {"setup.cfg": "[metadata]\nname = svc\n"},
    "manage.py": {"manage.py": "import sys\n"},
    "setup.py": {"setup.py": "from setuptools import setup\n\nsetup(name='svc')\n"},
    ".git": {".git/HEAD": "ref: refs/heads/main\n"},
}


def write(root: Path, files: Mapping[str, str]) -> Path:
    return write_tree(root, {name: textwrap.dedent(text) for name, text in files.items()})


def service(root: Path, marker: str = "setup.cfg", **extra: str) -> Path:
    """The service above, made a project by `marker` alone (no pyproject.toml)."""
    return write(root, {**SERVICE, **MARKERS[marker], **extra})


def check(cwd: Path, *args: str) -> Run:
    return invoke_celerylint(["check", "--output-format", "json", "--no-cache", "--jobs", "1",
                              *args], cwd)


def places(run: Run, cwd: Path) -> set[Place]:
    """Findings with their files made absolute, so runs from any folder compare."""
    return {(str((cwd / f["filename"]).resolve()), f["location"]["row"],
             f["location"]["column"], f["code"]) for f in findings(run)}


def inside(found: set[Place], path: Path) -> set[Place]:
    prefix = str(path.resolve())
    return {p for p in found if p[0] == prefix or p[0].startswith(prefix + os.sep)}


def no_marker_above(path: Path) -> None:
    for folder in path.resolve().parents:
        if any((folder / name).exists() for name in ROOT_MARKERS):
            pytest.skip(f"a project marker above the temporary folder, in {folder}")


# --- a project without pyproject.toml ----------------------------------------------------


@pytest.mark.parametrize("marker", sorted(MARKERS))
def test_a_folder_a_file_and_the_whole_project_agree_from_any_folder(
        tmp_path: Path, marker: str) -> None:
    no_marker_above(tmp_path)
    root = service(tmp_path / "svc", marker)
    whole = places(check(root, "."), root)
    assert {(Path(p[0]).name, p[3]) for p in whole} >= {
        ("celery.py", "CEL201"), ("celeryconfig.py", "CEL102"), ("tasks.py", "CEL101")}
    tasks = root / "proj" / "tasks.py"
    for cwd, args in [
        (root, ["proj"]), (root, ["proj/tasks.py"]), (root, ["proj/celery.py"]),
        (root / "proj", ["."]), (root / "proj", ["tasks.py"]), (root / "proj", [".."]),
        (tmp_path, ["svc/proj/celery.py"]), (tmp_path, ["svc"]),
    ]:
        found = places(check(cwd, *args), cwd)
        target = (cwd / args[0]).resolve()
        assert found == inside(whole, target), (cwd, args)
    assert inside(whole, tasks), "the one-file check must have something to agree on"


def test_the_console_script_from_a_subfolder_on_one_file(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    root = service(tmp_path / "svc", "manage.py")
    done = run_celerylint(["check", "--output-format", "json", "--select", "ALL",
                           "celery.py"], root / "proj")
    assert {(f["filename"], f["code"]) for f in findings(done)} == {("celery.py", "CEL201")}
    assert "2 of its 2 tasks" in findings(done)[0]["message"]


def test_the_root_is_found_from_the_path_not_the_current_folder(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    root = service(tmp_path / "svc", "setup.cfg")
    assert locate_project(root / "proj" / "tasks.py").root == root.resolve()
    assert locate_project(root / "proj").config is None
    write(root, {"pyproject.toml": "[project]\nname = 'svc'\n"})
    assert locate_project(root / "proj").root == root.resolve()


def test_without_any_marker_the_root_is_above_the_package_chain(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    write(tmp_path / "loose", SERVICE)
    project = locate_project(tmp_path / "loose" / "proj" / "tasks.py")
    assert project.root == (tmp_path / "loose").resolve() and not project.marked


# --- celerylint.toml and the order of configurations -------------------------------------


@pytest.mark.parametrize("name", ["celerylint.toml", ".celerylint.toml"])
def test_celerylint_toml_options_are_honoured(tmp_path: Path, name: str) -> None:
    no_marker_above(tmp_path)
    root = service(tmp_path / "svc", "setup.cfg", **{name: 'ignore = ["CEL102"]\n'})
    for cwd, target in [(root, "."), (root / "proj", "celeryconfig.py")]:
        codes = {p[3] for p in places(check(cwd, target), cwd)}
        assert "CEL101" in codes and "CEL102" not in codes


def test_an_unknown_key_in_celerylint_toml_names_the_file(tmp_path: Path) -> None:
    root = service(tmp_path / "svc", "setup.cfg",
                   **{"celerylint.toml": 'selct = ["CEL1"]\n'})
    run = check(root / "proj", "tasks.py")
    assert run.code == 2
    assert "unknown key 'selct' in" in run.stderr and "celerylint.toml" in run.stderr
    assert "did you mean 'select'?" in run.stderr
    with pytest.raises(OptionsError, match=r"celerylint.toml; did you mean 'select'"):
        load_options(root / "celerylint.toml", ["CEL101"])


def test_a_celerylint_configuration_above_wins_over_a_nearer_marker(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    repo = write(tmp_path / "repo", {"pyproject.toml": (
        '[project]\nname = "repo"\n\n[tool.celerylint]\nignore = ["CEL102"]\n')})
    service(repo / "svc", "setup.py")
    project = locate_project(repo / "svc" / "proj")
    assert project.root == repo.resolve() and project.config == (repo / "pyproject.toml")
    found = places(check(repo / "svc", "proj"), repo / "svc")
    assert "CEL102" not in {p[3] for p in found}
    assert found == inside(places(check(repo, "."), repo), repo / "svc" / "proj")


def test_pyproject_with_a_table_comes_before_celerylint_toml(tmp_path: Path) -> None:
    root = service(tmp_path / "svc", "setup.cfg", **{
        "pyproject.toml": '[tool.celerylint]\nignore = ["CEL101"]\n',
        "celerylint.toml": 'ignore = ["CEL102"]\n'})
    assert locate_project(root / "proj").config == root / "pyproject.toml"
    codes = {p[3] for p in places(check(root, "."), root)}
    assert "CEL101" not in codes and "CEL102" in codes


def test_a_pyproject_without_a_table_gives_way_to_celerylint_toml(tmp_path: Path) -> None:
    root = service(tmp_path / "svc", "setup.cfg", **{
        "pyproject.toml": '[project]\nname = "svc"\n',
        "celerylint.toml": 'ignore = ["CEL102"]\n'})
    assert locate_project(root / "proj").config == root / "celerylint.toml"
    assert "CEL102" not in {p[3] for p in places(check(root / "proj", "."), root / "proj")}


# --- several projects in one invocation ----------------------------------------------------


def monorepo(tmp_path: Path) -> Path:
    """Two services with the same package name, one ignoring CEL102, under a git top."""
    mono = write(tmp_path / "mono", {".git/HEAD": "ref: refs/heads/main\n"})
    service(mono / "a", "setup.cfg", **{"celerylint.toml": 'ignore = ["CEL102"]\n'})
    service(mono / "b", "manage.py")
    return mono


def test_two_projects_in_one_invocation_are_each_modelled_on_their_own(
        tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    mono = monorepo(tmp_path)
    assert nested_projects(mono, (".git",), ()) == [mono / "a", mono / "b"]
    each = places(check(mono / "a", "."), mono / "a") | places(check(mono / "b", "."),
                                                                 mono / "b")
    run = check(mono, ".")
    assert places(run, mono) == each
    ordered = [(f["filename"], f["location"]["row"], f["location"]["column"], f["code"])
               for f in findings(run)]
    assert ordered == sorted(ordered)  # one report, sorted, paths relative to the folder
    listed = [(name, row, code) for name, row, _, code in ordered]
    assert ("a/proj/celery.py", 3, "CEL201") in listed and ("b/proj/celery.py", 3,
                                                            "CEL201") in listed
    assert ("b/proj/celeryconfig.py", 3, "CEL102") in listed
    assert not any(code == "CEL102" and name.startswith("a/") for name, _, code in listed)
    messages = [f["message"] for f in findings(run) if f["code"] == "CEL201"]
    assert all("2 of its 2 tasks" in message for message in messages)  # not 4: own models


def test_files_of_two_projects_as_pre_commit_passes_them(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    mono = monorepo(tmp_path)
    whole = places(check(mono, "."), mono)
    files = ["a/proj/celery.py", "b/proj/tasks.py", "b/proj/celeryconfig.py"]
    found = places(check(mono, *files), mono)
    assert found == set().union(*(inside(whole, mono / name) for name in files))
    assert {Path(p[0]).parent.parent.name for p in found} == {"a", "b"}


def test_diff_across_projects_fixes_each_project_on_its_own(tmp_path: Path) -> None:
    mono = monorepo(tmp_path)
    before = {name: (mono / name).read_bytes() for name in
              ("a/proj/celeryconfig.py", "b/proj/celeryconfig.py", "b/proj/tasks.py")}
    run = check(mono, "--diff", "--unsafe-fixes", ".")
    assert run.code == 1, run.stderr
    headers = [line for line in run.stdout.splitlines() if line.startswith("--- ")]
    assert headers == ["--- a/proj/celeryconfig.py", "--- a/proj/tasks.py",
                       "--- b/proj/celeryconfig.py", "--- b/proj/tasks.py"]
    assert "Would fix 5 findings in 4 files." in run.stderr  # a ignores CEL102
    assert all((mono / name).read_bytes() == data for name, data in before.items())


def test_fix_across_projects_fixes_each_project_on_its_own(tmp_path: Path) -> None:
    mono = monorepo(tmp_path)
    run = check(mono, "--fix", "--unsafe-fixes", "a", "b/proj/tasks.py")
    assert run.code == 1, run.stderr  # CEL201 has no fix
    assert {f["code"] for f in findings(run)} == {"CEL201"}
    assert 'task_serializer = "json"' in (mono / "a/proj/celeryconfig.py").read_text()
    assert '@app.task(serializer="json")' in (mono / "b/proj/tasks.py").read_text()
    assert 'task_serializer = "pickle"' in (mono / "b/proj/celeryconfig.py").read_text()


def test_baselines_across_projects(tmp_path: Path) -> None:
    mono = monorepo(tmp_path)
    baseline = tmp_path / "baseline.json"
    recorded = check(mono, "--write-baseline", str(baseline), ".")
    assert recorded.code == 0 and baseline.is_file()
    assert check(mono, "--baseline", str(baseline), ".").json() == []
    assert check(mono, "--baseline", str(baseline), "a", "b").json() == []


def test_fix_in_one_project_of_a_monorepo_still_works(tmp_path: Path) -> None:
    mono = monorepo(tmp_path)
    run = check(mono, "--diff", "b")
    assert run.code in (0, 1), run.stderr


# --- what a worker can import ----------------------------------------------------------------


SCRIPT = """\
    from celery import shared_task


    @shared_task
    def cleanup():
        return 1
    """


def test_functions_in_folders_that_are_not_identifiers_are_not_tasks(
        tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    root = service(tmp_path / "svc", "setup.cfg", **{
        "my-scripts/cleanup.py": SCRIPT, ".semgrep/rule.py": SCRIPT,
        "my-tasks.py": SCRIPT})
    run = check(root, "--select", "CEL201,CEL211", ".")
    assert {f["filename"] for f in findings(run)} == {"proj/celery.py", "proj/tasks.py"}
    message = next(f["message"] for f in findings(run) if f["code"] == "CEL201")
    assert "2 of its 2 tasks" in message


def test_an_importable_script_folder_does_hold_tasks(tmp_path: Path) -> None:
    root = service(tmp_path / "svc", "setup.cfg", **{"scripts/cleanup.py": SCRIPT})
    run = check(root, "--select", "CEL211", ".")
    assert "scripts/cleanup.py" in {f["filename"] for f in findings(run)}


# --- flake8 on one file ----------------------------------------------------------------------


FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"


def flake8(cwd: Path, *args: str) -> set[Place]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run([sys.executable, "-m", "flake8", "--select", "CEL", "--format",
                           FORMAT, *args], cwd=cwd, capture_output=True, text=True,
                          check=False, env=env, timeout=300)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    found = set()
    for line in done.stdout.splitlines():
        path, row, col, code = line.split("|")
        found.add((str((cwd / path).resolve()), int(row), int(col), code))
    return found


def test_flake8_on_one_file_finds_the_project_of_that_file(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    root = service(tmp_path / "svc", "manage.py")
    whole = places(check(root, "."), root)
    for cwd, name in [(root / "proj", "celery.py"), (root, "proj/tasks.py"),
                      (tmp_path, "svc/proj/celeryconfig.py")]:
        expected = inside(whole, cwd / name)
        assert expected, name
        assert flake8(cwd, name) == expected, (cwd, name)


def test_flake8_on_files_of_two_projects(tmp_path: Path) -> None:
    no_marker_above(tmp_path)
    mono = monorepo(tmp_path)
    files = ["a/proj/celeryconfig.py", "b/proj/celeryconfig.py", "b/proj/celery.py"]
    expected = places(check(mono, *files), mono)
    assert {p[3] for p in expected} >= {"CEL101", "CEL102", "CEL201"}
    assert flake8(mono, *files) == expected


def test_json_report_of_two_projects_is_valid(tmp_path: Path) -> None:
    mono = monorepo(tmp_path)
    run = check(mono, "a", "b")
    assert isinstance(json.loads(run.stdout), list) and run.code == 1
