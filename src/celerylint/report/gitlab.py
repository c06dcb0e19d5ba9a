"""``--output-format gitlab``: a GitLab Code Quality report (a JSON array of issues).

GitLab reads ``description``, ``check_name``, ``fingerprint``, ``severity`` and
``location`` and ignores the rest of the Code Climate format. It merges issues with the
same fingerprint and compares fingerprints between the source and target branches of a
merge request, so they must be unique within a report and stable when code moves: the
finding fingerprints of :mod:`celerylint.integrations.fingerprints` are both. GitLab does not show
``check_name``, so the description starts with the rule code; the finding's hint follows
its message there, as a second sentence. Paths are relative to the checkout
(``CI_PROJECT_DIR``), the base GitLab resolves them against.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from celerylint.findings import Finding
from celerylint.integrations.fingerprints import fingerprints
from celerylint.report import severity_of
from celerylint.report.repository import relative_path, report_base

_SEVERITY = {"error": "major", "warning": "minor", "note": "info"}
_SECURITY_FAMILY = "CEL1"


def gitlab_severity(finding: Finding) -> str:
    """note -> info, warning -> minor, error -> major; an error in a security rule
    (the CEL1 family) -> critical."""
    severity = severity_of(finding)
    if severity == "error" and finding.code.startswith(_SECURITY_FAMILY):
        return "critical"
    return _SEVERITY[severity]


def _issue(root: Path, base: Path, finding: Finding, fingerprint: str) -> dict[str, Any]:
    span = finding.span
    return {
        "type": "issue",
        "description": f"{finding.code}: {finding.message_with_hint()}",
        "check_name": finding.code,
        "fingerprint": fingerprint,
        "severity": gitlab_severity(finding),
        "location": {
            "path": relative_path(root, finding.path, base),
            "positions": {"begin": {"line": span.row, "column": span.column},
                          "end": {"line": span.end_row, "column": span.end_column}},
        },
    }


def render(root: Path, findings: Sequence[Finding]) -> str:
    """The report as JSON text (no byte-order mark; ``[]`` when clean)."""
    base = report_base(root, "CI_PROJECT_DIR")
    prints = fingerprints(root, findings)
    issues = [_issue(root, base, f, p) for f, p in zip(findings, prints)]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
