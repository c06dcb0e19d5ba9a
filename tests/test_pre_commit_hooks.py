"""The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit.

``pre-commit try-repo`` installs this repository the way a user's pre-commit would (a
virtualenv, ``pip install .``) from a committed copy of the working tree, then runs a hook
on the files staged in a git repository that holds a fixture project. One test, so the
hook environment is installed once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_fixture

REPO = Path(__file__).resolve().parents[1]
_NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", "venv", ".tox", ".nox", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".celerylint_cache")

CLEAN_MODULE = 'def greeting(name):\n    return f"hello {name}"\n'
# Pickle is accepted by accept_content in celeryconfig.py, a file that is not staged: the
# message can only say so if the hook read the whole project.
BAD_MODULE = (
    "from proj.celery import app\n\n\n"
    '@app.task(serializer="pickle", time_limit=10)\n'
    "def export(rows):\n    return rows\n"
)
DEAD_NOQA = "LIMIT = 10  # noqa: CEL101\n"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", NO_COLOR="1",
               # The hook environment is thrown away: byte-compiling it is wasted time.
               PIP_NO_COMPILE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def _hook(target: Path, hook_repo: Path, hook: str, env: dict[str, str]
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--color",
         "never"],
        cwd=target, env=env, capture_output=True, text=True, check=False, timeout=900)


def _committed_copy(source: Path, target: Path, env: dict[str, str]) -> Path:
    shutil.copytree(source, target, ignore=_NOT_SHIPPED)
    _git(target, env, "init", "-q")
    _git(target, env, "add", "-A")
    _git(target, env, "commit", "-q", "-m", "snapshot")
    return target


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_hooks_with_real_pre_commit(tmp_path: Path) -> None:
    env = _env(tmp_path / "pre-commit-home")
    hook_repo = _committed_copy(REPO, tmp_path / "celerylint-hooks", env)
    target = copy_fixture("plain_celeryconfig", tmp_path)
    _git(target, env, "init", "-q")
    _git(target, env, "add", "-A")
    _git(target, env, "commit", "-q", "-m", "existing project, with old findings")

    # A clean commit passes, although files that are not staged have findings.
    (target / "proj" / "greeting.py").write_text(CLEAN_MODULE)
    _git(target, env, "add", "proj/greeting.py")
    done = _hook(target, hook_repo, "celerylint", env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "celerylint" in done.stdout and "Passed" in done.stdout
    _git(target, env, "commit", "-q", "-m", "clean")

    # A bad commit fails, with the finding printed, and only the staged file's findings.
    (target / "proj" / "export.py").write_text(BAD_MODULE)
    _git(target, env, "add", "proj/export.py")
    done = _hook(target, hook_repo, "celerylint", env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "proj/export.py:4:22: CEL101" in done.stdout
    assert "pickle is accepted" in done.stdout
    assert "celeryconfig.py:" not in done.stdout and "proj/tasks.py:" not in done.stdout
    _git(target, env, "reset", "-q", "proj/export.py")
    (target / "proj" / "export.py").unlink()

    # The fix hook rewrites the file, and fails because it did; once staged, it passes.
    (target / "proj" / "limits.py").write_text(DEAD_NOQA)
    _git(target, env, "add", "proj/limits.py")
    done = _hook(target, hook_repo, "celerylint-fix", env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "files were modified by this hook" in done.stdout
    assert (target / "proj" / "limits.py").read_text() == "LIMIT = 10\n"
    _git(target, env, "add", "proj/limits.py")
    done = _hook(target, hook_repo, "celerylint-fix", env)
    assert done.returncode == 0, done.stdout + done.stderr

    # The new-only hook compares the staged project with HEAD: a renamed task is reported,
    # the old findings of files the commit does not touch are not.
    _git(target, env, "commit", "-q", "-m", "fixed")
    tasks = target / "proj" / "tasks.py"
    tasks.write_text(tasks.read_text().replace("def add(", "def add_numbers("))
    _git(target, env, "add", "proj/tasks.py")
    done = _hook(target, hook_repo, "celerylint-new-only", env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "proj/celery.py:3:7: CEL406 warning: task 'proj.tasks.add' of HEAD is gone" in (
        done.stdout)
    assert "Found 1 finding." in done.stdout
