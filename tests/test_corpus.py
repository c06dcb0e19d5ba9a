"""Opt-in robustness run over the real corpus (pytest -m corpus): zero internal errors.

The corpus is the projects ../shared/corpus/fetch-corpus.sh unpacks into
$CELERYLINT_CORPUS (default ~/.cache/celerylint-corpus). Without it these tests skip,
saying so; they never fetch it themselves. Not part of the default run.
"""

from __future__ import annotations

import os
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


@pytest.mark.corpus
def test_prefilter_never_changes_findings_on_the_corpus() -> None:
    """Every project of the corpus, with and without the byte prefilter (and its
    text-level shortcut for helpers), gives byte-identical JSON."""
    corpus, names = corpus_projects()
    for project in names:
        outputs = []
        for extra in ({}, {"CELERYLINT_NO_PREFILTER": "1"}):
            done = subprocess.run(
                [celerylint_executable(), "check", project, "--select", "ALL",
                 "--output-format", "json", "--no-cache", "--exit-zero"],
                cwd=corpus, capture_output=True, text=True, check=False, timeout=900,
                env={**os.environ, **extra},
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
        assert outputs[0] == outputs[1], project
