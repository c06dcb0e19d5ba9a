"""Output formats: one module per format, all fed the same sorted findings."""

from __future__ import annotations

import os
from pathlib import Path

from celerylint.catalog.specs import RuleSpec, load_catalog
from celerylint.engine.links import rule_link
from celerylint.engine.pathnames import printable
from celerylint.findings import Finding
from celerylint.model.notices import Notice


def display_path(root: Path, path: str) -> str:
    """A finding's file relative to the current directory, always `/`-separated, a name
    that is not valid UTF-8 escaped (`printable`)."""
    return printable(Path(os.path.relpath(root / path, Path.cwd())).as_posix())


def rule_of(finding: Finding) -> RuleSpec:
    return load_catalog()[finding.code]


def severity_of(finding: Finding) -> str:
    """The finding's own severity, else its rule's."""
    return finding.severity or rule_of(finding).severity


def rule_url(code: str, base: str | None) -> str | None:
    """The rule's anchor in docs/rules.md published at `base` (``rule-url-base``); None
    without one, as celerylint has no site of its own (see engine.links)."""
    return rule_link(base, load_catalog()[code].anchor)


def notice_where(root: Path, notice: Notice) -> str:
    """A notice's ``file:row`` relative to the current directory, or empty."""
    if notice.path is None:
        return ""
    shown = display_path(root, notice.path)
    return f"{shown}:{notice.row}" if notice.row else shown


def notice_line(root: Path, notice: Notice) -> str:
    """A notice on one line: ``file:row: notice: reason; skipped CODES. Fix.``"""
    where = notice_where(root, notice)
    return f"{where + ': ' if where else ''}notice: {notice.text()}"


def count_notices(count: int) -> str:
    """``1 notice``, ``2 notices``."""
    return f"{count} notice{'s' if count != 1 else ''}"
