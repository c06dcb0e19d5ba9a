"""Stable identities for findings, for baselines, SARIF and GitLab Code Quality.

A finding is "the same finding" from one run to the next when the same rule fires on the
same code in the same file, even after unrelated lines above it were added or removed. So
a fingerprint hashes the rule code, the project-relative path and the text at the finding
(its first line, and the part of that line the finding starts at), with all whitespace
removed so re-indenting or re-spacing does not count as a change; it never hashes the
line number or the message (messages name counts and other places that change when
unrelated code does). Findings whose hashed parts are identical are told apart by their
order in the file: the first is occurrence 1, the next 2, and so on.

The key under which SARIF carries it is versioned (``celerylint/v1``): a change to what is
hashed must bump it, so consumers never compare fingerprints of two different recipes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from celerylint.engine.pathnames import printable
from celerylint.engine.readable import read_regular
from celerylint.findings import Finding, Span
from celerylint.parsing.parse import SourceDecodeError, decode_source
from celerylint.parsing.source import SourceFile

FINGERPRINT_KEY = "celerylint/v1"
_SEPARATOR = "\x1f"


def fingerprints(root: Path, findings: Sequence[Finding]) -> list[str]:
    """One fingerprint per finding, in the order of `findings`; unique within the list.

    Occurrence numbers follow file order (`Finding.sort_key`), whatever order the list
    is in, so the same findings always get the same fingerprints.
    """
    lines: dict[str, list[str]] = {}
    seen: Counter[tuple[str, str, str, str]] = Counter()
    result = [""] * len(findings)
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    for index in order:
        finding = findings[index]
        line, snippet = _context(_file_lines(root, finding.path, lines), finding.span)
        key = (finding.code, printable(finding.path), line, snippet)
        seen[key] += 1
        result[index] = _digest(*key, str(seen[key]))
    return result


def _file_lines(root: Path, path: str, cache: dict[str, list[str]]) -> list[str]:
    """The file's lines as rules number them; none when it cannot be read."""
    if path not in cache:
        try:
            cache[path] = SourceFile(path, decode_source(read_regular(root / path))).lines
        except (OSError, SourceDecodeError):
            cache[path] = []
    return cache[path]


def _context(lines: list[str], span: Span) -> tuple[str, str]:
    """The finding's first line and the text from its start to the end of that line."""
    if not 1 <= span.row <= len(lines):
        return "", ""
    line = lines[span.row - 1]
    end = span.end_column - 1 if span.end_row == span.row else len(line)
    return _squeeze(line), _squeeze(line[span.column - 1:end])


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _digest(*parts: str) -> str:
    return hashlib.sha256(_SEPARATOR.join(parts).encode("utf-8")).hexdigest()[:32]
