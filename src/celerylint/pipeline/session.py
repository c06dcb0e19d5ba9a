"""What ``check --fix`` / ``--diff`` / ``--show-fixes`` do around a check, and the lines
they print: kept out of the CLI module so the command stays a thin layer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from celerylint.catalog.specs import load_catalog
from celerylint.findings import Finding
from celerylint.pipeline.check import RunResult
from celerylint.pipeline.diff import diff_name, unified_diff
from celerylint.pipeline.fixing import (
    AppliedFix,
    FixOutcome,
    Recheck,
    applicable,
    fix_project,
    private_copy,
)
from celerylint.report import display_path


@dataclass(frozen=True)
class FixMode:
    """The user's fix options (command line over ``[tool.celerylint]``)."""

    fix: bool = False
    unsafe: bool = False
    diff: bool = False
    show_fixes: bool = False

    @property
    def active(self) -> bool:
        return self.fix or self.diff


@dataclass
class FixReport:
    """The outcome of fixing, plus the diff when ``--diff`` asked for one."""

    outcome: FixOutcome
    diff: bytes = b""


def run_fixes(first: RunResult, recheck: Recheck, mode: FixMode) -> FixReport:
    """Fix the project `first` checked (``--fix``), or a private copy of it (``--diff``)."""
    if not mode.diff:
        return FixReport(fix_project(first, recheck, first.root, mode.unsafe))
    if not any(applicable(f.fix, mode.unsafe) for f in first.findings):
        return FixReport(FixOutcome(first))
    with private_copy(first.root, first.model.project.files) as copy:
        outcome = fix_project(first, recheck, copy, mode.unsafe, confine=copy)
        pieces = [unified_diff(diff_name(first.root, path), outcome.originals[path],
                               (copy / path).read_bytes())
                  for path in sorted(outcome.originals)]
    return FixReport(outcome, b"".join(pieces))


def unsafe_left(findings: Sequence[Finding], mode: FixMode) -> int:
    """After ``--fix`` without ``--unsafe-fixes``: how many findings left an unsafe fix
    would handle (the text summary says so); 0 otherwise."""
    if not mode.fix or mode.unsafe:
        return 0
    return sum(1 for f in findings if applicable(f.fix, True) and not applicable(f.fix, False))


def fixed_lines(root: Path, applied: Sequence[AppliedFix], would: bool = False) -> list[str]:
    """``--show-fixes``: the fixes applied, per file and rule."""
    if not applied:
        return ["No fixes would be applied." if would else "No fixes applied."]
    catalog = load_catalog()
    count = len(applied)
    verb = "Would fix" if would else "Fixed"
    lines = [f"{verb} {count} finding{'s' if count != 1 else ''}:"]
    per_file: dict[str, Counter[str]] = {}
    for fix in applied:
        per_file.setdefault(fix.path, Counter())[fix.code] += 1
    for path in sorted(per_file):
        lines.append(f"- {display_path(root, path)}:")
        for code, times in sorted(per_file[path].items()):
            lines.append(f"    {times} × {code} ({catalog[code].name})")
    return lines


def diff_summary(report: FixReport) -> str:
    """The stderr line after ``--diff``."""
    count = len(report.outcome.applied)
    if not count:
        return "No fixes available." if not report.outcome.problems else "No fixes applied."
    files = len(report.outcome.originals)
    return (f"Would fix {count} finding{'s' if count != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''}.")
