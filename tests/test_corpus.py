"""Opt-in robustness run over the real corpus (pytest -m corpus): zero internal errors.

Fetches ../shared/corpus/fetch-corpus.sh's projects on first use (network to the package
index); not part of the default run.
"""

from __future__ import annotations

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
