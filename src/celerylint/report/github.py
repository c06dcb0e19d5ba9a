"""``--output-format github``: GitHub Actions workflow commands, one annotation per finding.

``::error file=F,line=L,endLine=EL,col=C,endColumn=EC,title=T::MESSAGE`` (``warning`` and
``notice`` for the other severities). The runner splits properties on ``,`` and ``=`` and
the command from its data on the first ``::``, so values are escaped the way the Actions
toolkit escapes them. Columns are sent only for single-line ranges because the runner
drops them for multi-line ones anyway. Paths are relative to the checkout
(``GITHUB_WORKSPACE``) so the annotation lands on the file in a pull request's diff. The
annotation text is the message and then the hint, as a second sentence on the same line
(the log keeps one line per finding).

GitHub shows at most 10 annotations of each level per step; the runner still prints every
command in the log, and the closing summary line gives the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from celerylint.findings import Finding
from celerylint.model.notices import Notice
from celerylint.report import rule_of, severity_of
from celerylint.report.repository import relative_path, report_base
from celerylint.report.text import summary

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    """The message part: ``%``, CR and LF are escaped (``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus ``:`` and ``,``, which end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(root: Path, base: Path, finding: Finding) -> str:
    """One workflow command for `finding`."""
    span = finding.span
    properties = [("file", relative_path(root, finding.path, base)),
                  ("line", str(span.row)), ("endLine", str(span.end_row))]
    if span.end_row == span.row:
        properties += [("col", str(span.column)), ("endColumn", str(span.end_column))]
    properties.append(("title", f"{finding.code} {rule_of(finding).name}"))
    listed = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    text = escape_data(finding.message_with_hint())
    return f"::{_COMMAND[severity_of(finding)]} {listed}::{text}"


def notice_annotation(root: Path, base: Path, notice: Notice) -> str:
    """A blind spot as a ``::notice`` command, on its app's (or first task's) line."""
    properties: list[tuple[str, str]] = []
    if notice.path is not None:
        properties.append(("file", relative_path(root, notice.path, base)))
        if notice.row:
            properties.append(("line", str(notice.row)))
    properties.append(("title", f"celerylint {notice.kind}"))
    listed = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::notice {listed}::{escape_data(notice.text())}"


def render(root: Path, findings: Sequence[Finding], notices: Sequence[Notice] = ()) -> str:
    """Every annotation, the notices, then the summary line."""
    base = report_base(root, "GITHUB_WORKSPACE")
    lines = [annotation(root, base, finding) for finding in findings]
    lines.extend(notice_annotation(root, base, notice) for notice in notices)
    lines.append(summary(list(findings), notices=len(notices)))
    return "\n".join(lines) + "\n"
