"""Baselines: adopt celerylint on an existing codebase without fixing everything first.

``--write-baseline FILE`` records the findings of today; ``--baseline FILE`` then reports
only findings that are not in it. Findings are matched by fingerprint
(:mod:`celerylint.integrations.fingerprints`), never by line number, so adding or removing
lines above
an old finding does not bring it back, while a new finding of the same rule elsewhere in
the file is reported. Matching counts: a fingerprint recorded once absorbs one finding.

The file is JSON meant to be committed: sorted, with paths relative to the project root
(so it works from any current directory), and with each finding's code and message beside
its fingerprint so a reviewer can read what was accepted. Line numbers are left out: they
would change the file whenever unrelated code moves.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celerylint.engine.leftovers import remove_stale
from celerylint.engine.pathnames import printable
from celerylint.engine.readable import os_reason
from celerylint.findings import Finding
from celerylint.integrations.fingerprints import FINGERPRINT_KEY, fingerprints

FORMAT = "celerylint-baseline"
FORMAT_VERSION = 1
TEMP_SUFFIX = ".celerylint-baseline"  # a killed run's leftover is recognisable by it


class BaselineError(Exception):
    """A baseline file that cannot be read or is not a celerylint baseline."""


def write_baseline(path: Path, root: Path, findings: Sequence[Finding]) -> int:
    """Record `findings` in `path`; returns how many were recorded."""
    prints = fingerprints(root, findings)
    entries = sorted(
        ({"fingerprint": p, "code": f.code, "path": printable(f.path), "message": f.message}
         for f, p in zip(findings, prints)),
        key=lambda e: (e["path"], e["code"], e["fingerprint"]),
    )
    document = {"format": FORMAT, "version": FORMAT_VERSION, "fingerprint": FINGERPRINT_KEY,
                "findings": entries}
    _write_whole(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return len(entries)


def _write_whole(path: Path, text: str) -> None:
    """Write `path` through a temporary file renamed over it, so a failure leaves no
    half-written baseline; BaselineError names the file and the system's reason."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}{TEMP_SUFFIX}")
    remove_stale(path.parent, re.compile(re.escape(f".{path.name}.") + r"[0-9]+"
                                         + re.escape(TEMP_SUFFIX), re.DOTALL))
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise BaselineError(f"cannot write {printable(str(path))}: {os_reason(exc)}") from None


def read_baseline(path: Path) -> Counter[str]:
    """The fingerprints recorded in `path`, with how often each was recorded."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BaselineError(f"{path} is not a celerylint baseline (write one with "
                            "--write-baseline)")
    if document.get("fingerprint") != FINGERPRINT_KEY:
        raise BaselineError(f"baseline {path} was written with fingerprints "
                            f"{document.get('fingerprint')!r}; this celerylint uses "
                            f"{FINGERPRINT_KEY!r}: write it again with --write-baseline")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries):
        raise BaselineError(f"baseline {path} has no valid 'findings' list")
    return Counter(e["fingerprint"] for e in entries)


def new_findings(root: Path, findings: Sequence[Finding], baseline: Counter[str]
                 ) -> list[Finding]:
    """The findings the baseline does not account for, in their original order."""
    remaining = Counter(baseline)
    fresh = []
    for finding, fingerprint in zip(findings, fingerprints(root, findings)):
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
        else:
            fresh.append(finding)
    return fresh
