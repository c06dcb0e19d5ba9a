"""The project's own standards, checked like any test: ruff and mypy --strict clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_ruff_clean() -> None:
    done = _run("ruff", "check", "src", "tests", "scripts", "bench")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_clean() -> None:
    done = _run("mypy", "--strict", "src/celerylint")
    assert done.returncode == 0, done.stdout + done.stderr
