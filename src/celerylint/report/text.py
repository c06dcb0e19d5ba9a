"""Human output: ``path:row:col: CODE message`` with the source line, a marker and the
hint on a ``= help:`` line, as ruff shows them (``text``), or one line per finding with
the message only (``concise``). Colour only on a terminal, never with NO_COLOR."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from celerylint.catalog.specs import load_catalog
from celerylint.findings import Finding
from celerylint.model.notices import Notice
from celerylint.parsing.source import split_lines
from celerylint.report import count_notices, display_path, notice_line, notice_where, severity_of

_STYLE = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan"}


def console(stream: TextIO | None = None) -> Console:
    """A console that colours only a real terminal, and never with NO_COLOR set."""
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(
        file=stream or sys.stdout,
        no_color=no_color,
        color_system=None if no_color else "auto",
        highlight=False,
        soft_wrap=True,
        emoji=False,
        markup=False,
    )


def _heading(root: Path, finding: Finding) -> Text:
    text = Text()
    text.append(display_path(root, finding.path), style="bold")
    text.append(f":{finding.span.row}:{finding.span.column}: ")
    text.append(finding.code, style=_STYLE[severity_of(finding)])
    text.append(f" {finding.message}")
    return text


def _excerpt(lines: list[str], finding: Finding) -> Text:
    """The source line under a gutter, the marker, and the ``= help:`` line of the hint."""
    span = finding.span
    if span.row > len(lines) or span.row < 1:
        return _help(finding, "")
    line = lines[span.row - 1].expandtabs(1).rstrip()
    end = span.end_column if span.end_row == span.row else len(line) + 1
    width = max(1, min(end, len(line) + 1) - span.column)
    gutter = str(span.row)
    pad = " " * len(gutter)
    text = Text()
    text.append(f"{pad} |\n", style="blue")
    text.append(f"{gutter} | ", style="blue")
    text.append(line + "\n")
    text.append(f"{pad} | ", style="blue")
    text.append(" " * (span.column - 1) + "^" * width, style=_STYLE[severity_of(finding)])
    if finding.hint:
        text.append(f"\n{pad} |\n", style="blue")
        text.append_text(_help(finding, pad))
    return text


def _help(finding: Finding, pad: str) -> Text:
    """``= help: <hint>``, under the gutter `pad`; nothing without a hint."""
    text = Text()
    if finding.hint:
        text.append(f"{pad} = ", style="blue")
        text.append("help", style="bold")
        text.append(f": {finding.hint}")
    return text


def _lines(root: Path, path: str, cache: dict[str, list[str]]) -> list[str]:
    if path not in cache:
        try:
            cache[path] = split_lines((root / path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            cache[path] = []
    return cache[path]


def summary(findings: list[Finding], fixed: int = 0, unsafe: int = 0, notices: int = 0
            ) -> str:
    """The closing line of human output. After ``--fix``: `fixed` findings were fixed
    before the check, and `unsafe` of those left have a fix ``--unsafe-fixes`` applies.
    `notices` blind spots are counted too: never "All checks passed." when there is one."""
    line = _findings_summary(findings, fixed, unsafe)
    if not notices:
        return line
    if line == "All checks passed.":
        return f"No findings; {count_notices(notices)}."
    return f"{line[:-1]}; {count_notices(notices)}."


def _findings_summary(findings: list[Finding], fixed: int, unsafe: int) -> str:
    notes = [f"{fixed} fixed", f"{len(findings)} remaining"] if fixed else []
    if unsafe:
        notes.append(f"{unsafe} fixable with --unsafe-fixes")
    if notes:
        total = fixed + len(findings)
        return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(notes)})."
    if not findings:
        return "All checks passed."
    count = len(findings)
    return f"Found {count} finding{'s' if count != 1 else ''}."


def _notice(root: Path, notice: Notice) -> Text:
    """A notice as the text report shows it: where and why, the skipped rules, the fix."""
    text = Text()
    where = notice_where(root, notice)
    if where:
        text.append(where, style="bold")
        text.append(": ")
    text.append("notice", style=_STYLE["note"])
    text.append(f": {notice.reason}\n")
    text.append("  = ", style="blue")
    text.append("skipped", style="bold")
    text.append(f": {', '.join(notice.skipped)} (silent for it)\n")
    text.append("  = ", style="blue")
    text.append("help", style="bold")
    text.append(f": {notice.fix}")
    return text


def render_full(out: Console, root: Path, findings: list[Finding], fixed: int = 0,
                unsafe: int = 0, notices: Sequence[Notice] = ()) -> None:
    cache: dict[str, list[str]] = {}
    for finding in findings:
        out.print(_heading(root, finding))
        out.print(_excerpt(_lines(root, finding.path, cache), finding))
        out.print()
    for notice in notices:
        out.print(_notice(root, notice))
        out.print()
    out.print(summary(findings, fixed, unsafe, len(notices)))


def render_concise(out: Console, root: Path, findings: list[Finding], fixed: int = 0,
                   unsafe: int = 0, notices: Sequence[Notice] = ()) -> None:
    for finding in findings:
        out.print(_heading(root, finding))
    for notice in notices:
        out.print(notice_line(root, notice))
    out.print(summary(findings, fixed, unsafe, len(notices)))


def render_statistics(out: Console, findings: list[Finding], fixed: int = 0,
                      unsafe: int = 0, notices: int = 0) -> None:
    """A count per rule, most frequent first."""
    catalog = load_catalog()
    counts = Counter(f.code for f in findings)
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        out.print(f"{count:>5}\t{code}\t{catalog[code].name}")
    out.print(summary(findings, fixed, unsafe, notices))
