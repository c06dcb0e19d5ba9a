"""``--output-format json``: the stable contract of CATALOG.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celerylint.findings import Finding, Fix, Span
from celerylint.model.notices import Notice
from celerylint.report import display_path, notice_where, rule_of, rule_url, severity_of


def _position(span: Span, end: bool = False) -> dict[str, int]:
    if end:
        return {"row": span.end_row, "column": span.end_column}
    return {"row": span.row, "column": span.column}


def _fix(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {"content": e.content, "location": _position(e.span),
             "end_location": _position(e.span, end=True)}
            for e in fix.edits
        ],
    }


def finding_dict(root: Path, finding: Finding, url_base: str | None = None
                 ) -> dict[str, Any]:
    """One finding as the JSON contract spells it (`url` null without ``rule-url-base``)."""
    return {
        "code": finding.code,
        "name": rule_of(finding).name,
        "severity": severity_of(finding),
        "message": finding.message,
        "filename": display_path(root, finding.path),
        "location": _position(finding.span),
        "end_location": _position(finding.span, end=True),
        "url": rule_url(finding.code, url_base),
        "hint": finding.hint,
        "fix": _fix(finding.fix),
    }


def render(root: Path, findings: list[Finding], url_base: str | None = None) -> str:
    """A JSON array sorted by filename, row, column, code."""
    items = [finding_dict(root, f, url_base) for f in findings]
    items.sort(key=lambda d: (d["filename"], d["location"]["row"], d["location"]["column"],
                              d["code"], d["message"]))
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def stderr_notices(root: Path, notices: Sequence[Notice]) -> list[str]:
    """Notices for formats whose stdout is a JSON array (json, gitlab): one stderr line
    each, ``celerylint: notice: file:row: reason; skipped CODES. Fix.``"""
    lines = []
    for notice in notices:
        where = notice_where(root, notice)
        lines.append(f"celerylint: notice: {where + ': ' if where else ''}{notice.text()}")
    return lines
