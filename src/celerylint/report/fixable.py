"""Which findings ``--fix`` would handle, as ruff shows it: a ``[*]`` marker on each
finding whose fix the current options let ``--fix`` apply, and a closing line
``[*] N fixable with --fix (M more with --unsafe-fixes).``

Like ruff, a finding whose only fix is unsafe carries no marker unless ``--unsafe-fixes``
is on (then ``--fix`` applies it and it gets ``[*]``): the closing line counts it among
the "more with --unsafe-fixes", so no one is led to expect ``--fix`` to change it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from celerylint.findings import Finding

MARKER = "[*]"


@dataclass(frozen=True)
class FixView:
    """What the reports say about fixes: `unsafe` when ``--unsafe-fixes`` is on;
    `fixing` after ``--fix`` ran (its own summary says what is left, so no closing line)."""

    unsafe: bool = False
    fixing: bool = False


def is_fixable(finding: Finding, view: FixView) -> bool:
    """Would ``--fix`` with the current options fix this finding?"""
    return finding.fix is not None and finding.fix.applies(view.unsafe)


def hidden_fix(finding: Finding, view: FixView) -> bool:
    """Has the finding a fix that only ``--unsafe-fixes`` would apply?"""
    return (finding.fix is not None and not is_fixable(finding, view)
            and finding.fix.applies(True))


def fixable_line(findings: Sequence[Finding], view: FixView) -> str:
    """``[*] N fixable with --fix (M more with --unsafe-fixes).`` (``No fixes available``
    when only unsafe ones are), or empty when no finding has a fix, or after ``--fix``."""
    if view.fixing:
        return ""
    fixable = sum(1 for f in findings if is_fixable(f, view))
    hidden = sum(1 for f in findings if hidden_fix(f, view))
    if not fixable and not hidden:
        return ""
    if not fixable:
        return f"No fixes available ({hidden} fixable with --unsafe-fixes)."
    more = f" ({hidden} more with --unsafe-fixes)" if hidden else ""
    return f"{MARKER} {fixable} fixable with --fix{more}."
