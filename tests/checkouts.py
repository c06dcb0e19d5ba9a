"""A fresh checkout of this repository for tests that install it as a user would.

What a clone holds is the working tree without what git ignores (virtualenvs, caches,
build output), so a copy that leaves those out is what ``git clone`` would give, with
today's uncommitted changes (which are what is under test).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", "venv", ".tox", ".nox", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".celerylint_cache")


def fresh_checkout(target: Path) -> Path:
    """A copy of the repository at `target`, as a clone would have it."""
    shutil.copytree(REPO, target, ignore=NOT_SHIPPED)
    return target


def install_env(**extra: str) -> dict[str, str]:
    """The environment for pip and shells in such a checkout: no state of the test run's
    own virtualenv or tools leaks in."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("VIRTUAL_ENV", "PYTEST_", "GITHUB_", "RUNNER_", "CI_"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_COMPILE="1", NO_COLOR="1", **extra)
    return env
