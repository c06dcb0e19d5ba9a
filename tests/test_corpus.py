"""Opt-in robustness run over the real corpus (pytest -m corpus): zero internal errors.

Fetches ../shared/corpus/fetch-corpus.sh's projects on first use (network to the package
index); not part of the default run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.corpus
def test_corpus_has_no_internal_errors() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "corpus_report.py"), "--check"],
        capture_output=True, text=True, check=False, timeout=1800,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.corpus
def test_prefilter_never_changes_findings_on_the_corpus() -> None:
    """Every project of the corpus, with and without the byte prefilter (and its
    text-level shortcut for helpers), gives byte-identical JSON."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from corpus_report import celerylint, corpus_dir

    corpus = corpus_dir()
    for project in sorted(p.parent.name for p in corpus.glob("*/.done")):
        outputs = []
        for extra in ({}, {"CELERYLINT_NO_PREFILTER": "1"}):
            done = subprocess.run(
                [celerylint(), "check", project, "--select", "ALL", "--output-format", "json",
                 "--no-cache", "--exit-zero"],
                cwd=corpus, capture_output=True, text=True, check=False, timeout=900,
                env={**os.environ, **extra},
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
        assert outputs[0] == outputs[1], project
