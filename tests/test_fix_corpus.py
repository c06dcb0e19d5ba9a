"""Opt-in autofix robustness run over a copy of the real corpus (pytest -m corpus).

Every project of ../shared/corpus/fetch-corpus.sh (unpacked into $CELERYLINT_CORPUS,
default ~/.cache/celerylint-corpus; without it the test skips, saying so, and never
fetches it itself) is copied to a temporary folder and fixed with
``check --fix --unsafe-fixes --select ALL``. The run proves that every file the
fixer changed still parses, that a second run changes nothing, and that no finding whose
fix was applied (or could be) is left behind. ``pytest -m corpus -s`` prints the table
recorded in docs/corpus-report.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import celerylint_executable, corpus_projects

from celerylint.parsing.parse import ParseFailure, decode_source, parse_python

FIXED = re.compile(r"^Fixed (\d+) findings?:", re.MULTILINE)


def digests(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*.py")) if ".celerylint_cache" not in path.parts}


@dataclass
class Outcome:
    name: str
    files: int
    changed: list[str]
    fixed: int
    seconds: float
    remaining: int


def fix(where: Path, name: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    done = subprocess.run(
        [celerylint_executable(), "check", name, "--select", "ALL", "--fix", "--unsafe-fixes",
         "--show-fixes", "--output-format", "json", "--no-cache"],
        cwd=where, capture_output=True, text=True, check=False, timeout=1800,
    )
    return done, time.perf_counter() - start


def run_project(where: Path, name: str) -> Outcome:
    before = digests(where / name)
    done, seconds = fix(where, name)
    assert done.returncode in (0, 1), done.stderr
    assert "internal error" not in done.stderr and "warning" not in done.stderr, done.stderr
    remaining = json.loads(done.stdout)
    assert [f for f in remaining if f["fix"] is not None] == [], "a fixable finding remains"
    after = digests(where / name)
    changed = sorted(path for path in after if before.get(path) != after[path])
    for path in changed:
        text = decode_source((where / name / path).read_bytes())
        assert not isinstance(parse_python(text, path), ParseFailure), path
    again, _ = fix(where, name)
    assert again.returncode == done.returncode, again.stderr
    assert digests(where / name) == after, "a second run changed files"
    match = FIXED.search(done.stderr)
    return Outcome(name, len(before), changed, int(match.group(1)) if match else 0, seconds,
                   len(remaining))


@pytest.mark.corpus
def test_fixing_the_corpus_is_valid_idempotent_and_complete(tmp_path: Path) -> None:
    source, names = corpus_projects()
    copy = tmp_path / "corpus"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".celerylint_cache"))
    assert sorted(p.parent.name for p in copy.glob("*/.done")) == names
    outcomes = [run_project(copy, name) for name in names]
    print("\n| project | .py files | files changed | fixes applied | findings left "
          "| seconds |\n|---|---:|---:|---:|---:|---:|")
    for item in outcomes:
        print(f"| {item.name} | {item.files} | {len(item.changed)} | {item.fixed} "
              f"| {item.remaining} | {item.seconds:.1f} |")
    for item in outcomes:
        for path in item.changed:
            print(f"changed: {item.name}/{path}")
