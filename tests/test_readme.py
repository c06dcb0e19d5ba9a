"""The README's promises: its configuration example is valid as written, and its two
opening commands work pasted one after the other."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from checkouts import fresh_checkout, install_env
from conftest import run_celerylint, write_tree

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_configuration_example_is_accepted(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    project = write_tree(tmp_path / "p", {
        "pyproject.toml": block.group(1),
        "myproj/__init__.py": "",
        "myproj/celery.py": "from celery import Celery\n\napp = Celery('myproj')\n",
    })
    run = run_celerylint(["check", "--output-format", "json"], project)
    assert run.code in (0, 1), run.stderr


def _top_commands() -> list[str]:
    """The two command blocks that open the README, as a user copies them."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [block.strip() for block in blocks[:2]]


def test_the_two_top_commands_work_pasted_one_after_the_other(tmp_path: Path) -> None:
    """Both blocks pasted into ONE shell in a fresh clone: the demo check must not leave
    the shell elsewhere, so the second command still installs and tests the repository.
    The second command's pytest only collects (PYTEST_ADDOPTS, which pytest reads): the
    suite running itself would take minutes and prove nothing more about the README."""
    first, second = _top_commands()
    assert first.startswith("python3 -m venv .venv") and "celerylint check" in first
    assert second.endswith(".venv/bin/python -m pytest -n auto")
    clone = fresh_checkout(tmp_path / "celerylint")
    path = os.pathsep.join(part for part in os.environ["PATH"].split(os.pathsep)
                           if Path(part) != Path(sys.executable).parent)
    done = subprocess.run(["bash", "-c", f"{first}\necho \"demo exit: $?\"\n{second}\n"],
                          cwd=clone, capture_output=True, text=True, check=False, timeout=900,
                          env=install_env(PATH=path, PYTEST_ADDOPTS="--collect-only -q"))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "demo exit: 1" in done.stdout  # the demo has findings
    assert "examples/shop/orders/tasks.py:" in done.stdout
    assert "tests/test_readme.py::test_the_two_top_commands_work_pasted_one_after_the_other" \
        in done.stdout
    assert not (clone / "examples" / "shop" / ".venv").exists()
