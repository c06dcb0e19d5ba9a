"""Opt-in robustness run over the real corpus (pytest -m corpus): zero internal errors.

The corpus is the projects ../shared/corpus/fetch-corpus.sh unpacks into
$CELERYLINT_CORPUS (default ~/.cache/celerylint-corpus). Without it these tests skip,
saying so; they never fetch it themselves. Not part of the default run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import celerylint_executable, corpus_projects

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.corpus
def test_corpus_has_no_internal_errors() -> None:
    corpus, names = corpus_projects()
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "corpus_report.py"), "--check"],
        capture_output=True, text=True, check=False, timeout=1800,
        env={**os.environ, "CELERYLINT_CORPUS": str(corpus)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in names:  # the report has a row for every project: each one was checked
        assert f"\n| {name} | " in done.stdout, done.stdout


def _run(cwd: Path, args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([celerylint_executable(), "check", *args, "--select", "ALL",
                           "--exit-zero"], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=900, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


# Each speed lever of issue 14 with the switch that turns it off, and the output format
# where the lever acts (lazy fixes skip building fixes for github and gitlab only).
LEVERS = {
    "prefilter": ("CELERYLINT_NO_PREFILTER", "json"),
    "lazy fixes": ("CELERYLINT_EAGER_FIXES", "github"),
    "warm path": ("CELERYLINT_NO_STAT_CACHE", "json"),
    # fixes only for the files reported: one task module named, as after an edit
    "fix scope": ("CELERYLINT_EAGER_FIXES", "json"),
    # the settings-name search answered from the facts cache (CEL702, CEL703)
    "search cache": ("CELERYLINT_NO_MENTIONS_CACHE", "json"),
    # jobs streamed to workers forked once per run (memory): all held, a pool per project
    "job stream": ("CELERYLINT_NO_JOB_STREAM", "json"),
    # extraction's text signs searched for literals first (facts/signs.py)
    "literal signs": ("CELERYLINT_NO_LITERAL_SIGNS", "json"),
}
# The levers acting on a warm run only: compared warm (a cache filled by a first run).
WARM_LEVERS = {"warm path", "search cache"}
_TASK = re.compile(r"^\s*@(?:\w+\.)*(?:shared_task|task)\b", re.MULTILINE)


def _first_task_module(project: Path) -> str:
    """The first module (by path) defining a task, relative to the corpus folder."""
    for path in sorted(project.rglob("*.py")):
        if _TASK.search(path.read_text(encoding="utf-8", errors="replace")):
            return str(path.relative_to(project.parent))
    return project.name


@pytest.mark.corpus
@pytest.mark.parametrize("lever", sorted(LEVERS))
def test_a_speed_lever_never_changes_the_output_on_the_corpus(lever: str,
                                                               tmp_path: Path) -> None:
    """Every project of the corpus gives byte-identical output (stdout and stderr) with
    the lever and without it; the warm levers are compared warm (a cache filled by a
    first run) against a warm run without them (one that reads and hashes every file,
    one that searches every file for setting names)."""
    corpus, names = corpus_projects()
    switch, output_format = LEVERS[lever]
    for project in names:
        target = _first_task_module(corpus / project) if lever == "fix scope" else project
        args = [target, "--output-format", output_format]
        if lever in WARM_LEVERS:
            args += ["--cache-dir", str(tmp_path / project)]
            _run(corpus, args, {})  # fills the cache
        else:
            args.append("--no-cache")
        assert _run(corpus, args, {}) == _run(corpus, args, {switch: "1"}), project
