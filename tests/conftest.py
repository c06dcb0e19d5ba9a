"""Shared helpers: run the real `celerylint` command on a project written to disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


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


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write a {relative path: text} project below root."""
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


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
