"""Shared helpers: run the `celerylint` command on a project written to disk, either as
a real subprocess (`run_celerylint`, the installed console script) or in this process
through the click command (`invoke_celerylint`, much faster for many small projects);
build the project model of such a project without any rule (`model_of`); find the
opt-in real-world corpus or skip (`corpus_projects`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

if TYPE_CHECKING:
    from celerylint.catalog.specs import Example
    from celerylint.model.build import Model

FIXTURES = Path(__file__).parent / "fixtures"
# Every rule on, JSON out, never failing on findings: how the speed tests compare runs.
ALL_JSON = ["check", "--select", "ALL", "--output-format", "json", "--exit-zero"]
# The fixture folders that are whole projects.
PROJECTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "pyproject.toml").exists())
FETCH_CORPUS = "../shared/corpus/fetch-corpus.sh"


def corpus_projects() -> tuple[Path, list[str]]:
    """The real-world corpus ($CELERYLINT_CORPUS, else ~/.cache/celerylint-corpus) and
    its fetched projects (folders holding a ``.done`` mark); skips the calling test with
    the reason when there is none, so that a passing corpus test always checked something.
    Never fetches: that needs the network and is for a person to start."""
    default = Path.home() / ".cache" / "celerylint-corpus"
    folder = Path(os.environ.get("CELERYLINT_CORPUS", default))
    names = sorted(p.parent.name for p in folder.glob("*/.done")) if folder.is_dir() else []
    if not names:
        pytest.skip(f"corpus not found at {folder}; run {FETCH_CORPUS}")
    return folder, names


def celerylint_executable() -> str:
    """The console script installed beside the interpreter running the tests."""
    script = Path(sys.executable).parent / ("celerylint.exe" if os.name == "nt" else "celerylint")
    found = str(script) if script.exists() else shutil.which("celerylint")
    assert found, "celerylint is not installed: pip install -e '.[test]'"
    return found


@dataclass
class Run:
    """What one `celerylint` invocation printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_celerylint(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> Run:
    """Run `celerylint ARGS` in `cwd` as a user would."""
    environment = dict(os.environ)
    environment.pop("NO_COLOR", None)
    environment.update(env or {})
    done = subprocess.run(
        [celerylint_executable(), *args], check=False, cwd=cwd, capture_output=True, text=True,
        env=environment, timeout=300,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def stderr_on_a_terminal(args: Sequence[str], cwd: Path, env: Mapping[str, str]
                         ) -> tuple[int, str]:
    """Run `celerylint ARGS` with stderr on a pseudo-terminal (stdout piped): the exit code
    and what the terminal showed."""
    import pty

    leader, follower = pty.openpty()
    done = subprocess.run([celerylint_executable(), *args], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=follower, env=dict(env), timeout=300, check=False)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is gone once the child has exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return done.returncode, shown.decode("utf-8", "replace")


def invoke_celerylint(args: Sequence[str], cwd: Path,
                      env: Mapping[str, str | None] | None = None) -> Run:
    """Run `celerylint ARGS` in `cwd` in this process, through the click command.

    It sees what `run_celerylint` would: the current directory is `cwd` for the call only
    (reports name files relative to it), NO_COLOR is unset, and stdout and stderr are
    captured apart. An exception escapes with its traceback instead of becoming the
    "internal error" exit code 2 of the console script. The caller passes ``--jobs 1``
    to keep the run in this process, and should leave the facts cache in the project
    (the default) or pass ``--no-cache``, so nothing leaks from one test to the next.
    """
    from celerylint.cli import cli

    runner = CliRunner(env={"NO_COLOR": None, **(env or {})})
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), prog_name="celerylint", catch_exceptions=False)
    finally:
        os.chdir(previous)
    return Run(result.exit_code, result.stdout, result.stderr)


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write a {relative path: text} project below root."""
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    """Run git in `root` with a fixed identity and no user configuration; its stdout."""
    done = subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True, check=True)
    return done.stdout


def commit_tree(root: Path, message: str) -> str:
    """Commit everything under `root` (a repository is made when there is none); the
    commit's id."""
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def example_project(example: Example, root: Path) -> Path:
    """A spec example's project under `root`; with a `base`, a git repository whose last
    commit holds the base, with the example's files as the working tree."""
    if not example.base:
        return write_tree(root, example.files)
    commit_tree(write_tree(root, example.base), "base")
    for name in set(example.base) - set(example.files):
        (root / name).unlink()
    return write_tree(root, example.files)


def check_selected(root: Path, files: Mapping[str, str], codes: str, *args: str) -> Run:
    """Write a project of dedented texts and check it for `codes` only, in this process,
    with JSON output."""
    write_tree(root, {name: textwrap.dedent(text).lstrip("\n") for name, text in files.items()})
    return invoke_celerylint(["check", "--no-cache", "--jobs", "1", "--select", codes,
                              "--output-format", "json", *args], root)


def summary(run: Run) -> list[tuple[str, str, str, str]]:
    """(file:row:column, code, severity, message) of every finding, in report order."""
    return [(f"{f['filename']}:{f['location']['row']}:{f['location']['column']}", f["code"],
             f["severity"], f["message"]) for f in findings(run)]


def copy_fixture(name: str, tmp_path: Path) -> Path:
    """A fresh copy of tests/fixtures/NAME (fixtures are never checked in place)."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def findings(run: Run) -> list[dict[str, Any]]:
    assert run.code in (0, 1), run.stderr
    result: list[dict[str, Any]] = run.json()
    return result


def locations(run: Run, code: str | None = None) -> list[str]:
    """``file:row`` of every finding (of one code), in report order."""
    return [f"{f['filename']}:{f['location']['row']}" for f in findings(run)
            if code is None or f["code"] == code]


@pytest.fixture
def lint(tmp_path: Path):  # type: ignore[no-untyped-def]
    """lint(files, *args) -> Run: write a project and check it with JSON output."""

    def _lint(files: Mapping[str, str], *args: str) -> Run:
        project = write_tree(tmp_path / "project", files)
        return run_celerylint(["check", "--output-format", "json", *args], project)

    return _lint


def model_of(root: Path, files: Mapping[str, str], *, celery_version: str | None = None
             ) -> Model:
    """The frozen project model of the project under `root`, as `celerylint check` builds
    it (apps and tasks linked; no rule's extra needs), after writing `files` there.

    Each text is dedented and a leading newline dropped, so row 1 is the line after the
    opening quotes. Options come from ``[tool.celerylint]`` of ``root/pyproject.toml``;
    the target version from `celery_version`, else the options, else the requirements.
    Files are read in this process (one job) and never cached.
    """
    from celerylint.catalog.specs import load_catalog
    from celerylint.engine.options import load_options
    from celerylint.model.build import build_model
    from celerylint.model.celery_version import (
        TargetVersion,
        detect_target_version,
        parse_version,
    )

    write_tree(root, {name: textwrap.dedent(text.removeprefix("\n"))
                      for name, text in files.items()})
    pyproject = root / "pyproject.toml"
    options = load_options(pyproject if pyproject.is_file() else None, list(load_catalog()))
    given = celery_version or options.celery_version
    version = (TargetVersion(parse_version(given), "test") if given
               else detect_target_version(root))
    return build_model(root, options, version, None, frozenset())  # no load settings, no needs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the one long test (the real pre-commit installs the hook environment, about
    40 s) first, so that with pytest-xdist it runs beside the rest instead of after it."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/test_pre_commit_hooks.py") is False)
