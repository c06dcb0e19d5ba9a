"""Human output: ``path:row:col: CODE [*] severity: message`` with the source line, a
marker and the hint on a ``= help:`` line, as ruff shows them (``text``), or one line per
finding with the message only (``concise``). The severity is a word, not only a colour
(colour is lost in logs and to colour-blind readers); ``[*]`` marks what ``--fix`` would
fix (see `report.fixable`). Colour: ``--color auto`` (a real terminal; NO_COLOR and
FORCE_COLOR respected), ``always`` or ``never``."""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from celerylint.catalog.specs import load_catalog
from celerylint.engine.readable import read_regular
from celerylint.findings import Finding
from celerylint.model.notices import Notice
from celerylint.parsing.source import split_lines
from celerylint.report import count_notices, display_path, notice_line, notice_where, severity_of
from celerylint.report.cells import display_line
from celerylint.report.fixable import MARKER, FixView, fixable_line, is_fixable

if TYPE_CHECKING:  # rich (~30 ms to import) loads only where text is rendered: a JSON,
    # SARIF or GitHub report never needs it
    from rich.console import Console
    from rich.text import Text

_STYLE = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan"}


def console(stream: TextIO | None = None, color: str = "auto") -> Console:
    """A console for `color`: ``auto`` colours only a real terminal (or FORCE_COLOR),
    never with NO_COLOR set; ``always`` and ``never`` win over both variables, as an
    explicit option should."""
    from rich.console import Console

    if color == "auto":
        no_color = bool(os.environ.get("NO_COLOR"))
        force: bool | None = None
    else:
        no_color = color == "never"
        force = color == "always"
    return Console(
        file=stream or sys.stdout,
        no_color=no_color,
        force_terminal=force,
        color_system=None if no_color else "auto",
        highlight=False,
        soft_wrap=True,
        emoji=False,
        markup=False,
    )


def _text() -> Text:
    """An empty rich text to append styled parts to."""
    from rich.text import Text

    return Text()


def _heading(root: Path, finding: Finding, view: FixView) -> Text:
    """``path:row:col: CODE [*] severity: message``."""
    severity = severity_of(finding)
    text = _text()
    text.append(display_path(root, finding.path), style="bold")
    text.append(f":{finding.span.row}:{finding.span.column}: ")
    text.append(finding.code, style=_STYLE[severity])
    if is_fixable(finding, view):
        text.append(" ")
        text.append(MARKER, style="cyan")
    text.append(" ")
    text.append(severity, style=_STYLE[severity])
    text.append(f": {finding.message}")
    return text


def _excerpt(lines: list[str], finding: Finding) -> Text:
    """The source line under a gutter, the marker, and the ``= help:`` line of the hint."""
    span = finding.span
    if span.row > len(lines) or span.row < 1:
        return _help(finding, "")
    line = display_line(lines[span.row - 1].rstrip())
    start = line.cell(span.column)
    end = line.cell(span.end_column) if span.end_row == span.row else line.width
    width = max(1, end - start)
    gutter = str(span.row)
    pad = " " * len(gutter)
    text = _text()
    text.append(f"{pad} |\n", style="blue")
    text.append(f"{gutter} | ", style="blue")
    text.append(line.text + "\n")
    text.append(f"{pad} | ", style="blue")
    text.append(" " * start + "^" * width, style=_STYLE[severity_of(finding)])
    if finding.hint:
        text.append(f"\n{pad} |\n", style="blue")
        text.append_text(_help(finding, pad))
    return text


def _help(finding: Finding, pad: str) -> Text:
    """``= help: <hint>``, under the gutter `pad`; nothing without a hint."""
    text = _text()
    if finding.hint:
        text.append(f"{pad} = ", style="blue")
        text.append("help", style="bold")
        text.append(f": {finding.hint}")
    return text


def _lines(root: Path, path: str, cache: dict[str, list[str]]) -> list[str]:
    if path not in cache:
        try:
            data = read_regular(root / path)  # never blocks on a FIFO (CEL003)
            cache[path] = split_lines(data.decode("utf-8", errors="replace"))
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
    text = _text()
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


@dataclass(frozen=True)
class Closing:
    """What the end of a human report says: `fixed` findings fixed by ``--fix``, `unsafe`
    of those left fixable with ``--unsafe-fixes``, how fixes are shown (`view`); with
    `quiet` (``-q``) nothing at all, only the findings."""

    fixed: int = 0
    unsafe: int = 0
    view: FixView = field(default_factory=FixView)
    quiet: bool = False


def _close(out: Console, findings: list[Finding], closing: Closing, notices: int) -> None:
    """The summary line, then the fixable line when there is something to fix."""
    if closing.quiet:
        return
    out.print(summary(findings, closing.fixed, closing.unsafe, notices))
    fixable = fixable_line(findings, closing.view)
    if fixable:
        out.print(fixable)


def render_full(out: Console, root: Path, findings: list[Finding],
                closing: Closing = Closing(), notices: Sequence[Notice] = ()) -> None:
    cache: dict[str, list[str]] = {}
    for finding in findings:
        out.print(_heading(root, finding, closing.view))
        out.print(_excerpt(_lines(root, finding.path, cache), finding))
        out.print()
    shown = () if closing.quiet else notices
    for notice in shown:
        out.print(_notice(root, notice))
        out.print()
    _close(out, findings, closing, len(shown))


def render_concise(out: Console, root: Path, findings: list[Finding],
                   closing: Closing = Closing(), notices: Sequence[Notice] = ()) -> None:
    for finding in findings:
        out.print(_heading(root, finding, closing.view))
    shown = () if closing.quiet else notices
    for notice in shown:
        out.print(notice_line(root, notice))
    _close(out, findings, closing, len(shown))


def render_statistics(out: Console, findings: list[Finding], closing: Closing = Closing(),
                      notices: int = 0) -> None:
    """A count per rule, most frequent first; as in ruff, when some rule is fixable a
    ``[*]`` (or ``[ ]``) column says which ones ``--fix`` would fix."""
    catalog = load_catalog()
    counts = Counter(f.code for f in findings)
    fixable = {f.code for f in findings if is_fixable(f, closing.view)}
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        mark = "" if not fixable else f"{MARKER} " if code in fixable else "[ ] "
        out.print(f"{count:>5}\t{code}\t{mark}{catalog[code].name}")
    _close(out, findings, closing, 0 if closing.quiet else notices)
