"""The README's promises: its configuration example is valid as written."""

from __future__ import annotations

import re
from pathlib import Path

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
