"""``check --add-noqa``: silence every current finding with a ``# noqa: CODE`` comment, so
a project can adopt celerylint today and fail only on new code (as ``ruff --add-noqa``).

The comment goes where flake8 (and so celerylint) looks for it: the finding's own line,
or, inside a multi-line string or a backslash continuation, the last line of that range.
A line that already has a ``# noqa: X`` gets its code list extended; other comments are
kept. Only Python files get comments; meta findings (``CEL0``: syntax errors, dead noqa
codes, unreadable files) are not silenced, since a comment cannot fix them. Files are
written like fixes (atomically, in their own encoding and line endings), and a second
run adds nothing, because every finding is then silenced.
"""

from __future__ import annotations

import io
import os
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from celerylint.engine.noqa import NoqaComment, scan_noqa
from celerylint.findings import Edit, Finding, Span
from celerylint.parsing.source import split_lines
from celerylint.pipeline.apply import (
    FixError,
    apply_edits,
    encode,
    parse_problem,
    read_snapshot,
    write_atomically,
)

META_FAMILY = "CEL0"


@dataclass
class NoqaOutcome:
    """How many codes were added, and the files that could not be changed, and why."""

    added: int = 0
    problems: list[str] = field(default_factory=list)


def add_noqa(root: Path, findings: Sequence[Finding], shown: dict[str, str]) -> NoqaOutcome:
    """Add a noqa comment for every finding in a Python file under `root`; `shown` maps a
    project-relative path to the name messages use for it."""
    per_file: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.path.endswith(".py") and not finding.code.startswith(META_FAMILY):
            per_file.setdefault(finding.path, []).append(finding)
    outcome = NoqaOutcome()
    for path in sorted(per_file):
        try:
            outcome.added += _add_to_file(root, path, per_file[path])
        except FixError as exc:
            outcome.problems.append(f"cannot add noqa comments to {shown[path]}: {exc}")
    return outcome


def _add_to_file(root: Path, path: str, findings: list[Finding]) -> int:
    """Write the file with its comments added; the number of codes added."""
    if not _inside(root / path, root):
        raise FixError("it links to a file outside the project")
    snapshot = read_snapshot(root / path)
    text = snapshot.text
    wanted: dict[int, set[str]] = {}
    ends = _range_ends(text, {f.span.row for f in findings})
    for finding in findings:
        wanted.setdefault(ends.get(finding.span.row, finding.span.row), set()).add(finding.code)
    lines = split_lines(text)
    comments = scan_noqa(text).comments
    edits = [_edit(row, lines[row - 1], sorted(codes), comments.get(row))
             for row, codes in sorted(wanted.items())]
    fixed = apply_edits(text, [edit for edit, _ in edits])
    problem = parse_problem(fixed, path)
    if problem:
        raise FixError(f"the result would not parse: {problem}")
    write_atomically(snapshot, encode(snapshot, fixed))
    return sum(count for _, count in edits)


def _edit(row: int, line: str, codes: list[str], comment: NoqaComment | None
          ) -> tuple[Edit, int]:
    """The edit that makes `row` list `codes`, and how many codes it adds."""
    if comment is None or comment.codes is None:
        end = len(line.rstrip()) + 1
        return Edit(f"  # noqa: {', '.join(codes)}", Span(row, end, row, end)), len(codes)
    listed = [listed.code for listed in comment.codes]
    fresh = [code for code in codes if code not in listed]
    content = f"# noqa: {', '.join([*listed, *fresh])}"
    return Edit(content, Span(row, comment.column, row, comment.end_column)), len(fresh)


def _range_ends(text: str, rows: Iterable[int]) -> dict[int, int]:
    """For each of `rows` inside a multi-line token range (a multi-line string, a
    backslash continuation), the range's last row, where flake8 reads its noqa comment.
    A file that does not tokenize keeps its rows."""
    pending = set(rows)
    ends: dict[int, int] = {}
    first: int | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            first = token.start[0] if first is None else first
            if token.type in (tokenize.NL, tokenize.NEWLINE):
                row = token.start[0]
                ends.update({r: row for r in pending if first <= r < row})
                first = None
    except (tokenize.TokenError, SyntaxError):
        pass
    return ends


def _inside(path: Path, root: Path) -> bool:
    """Is the real file (symlinks followed) inside the project?"""
    real, top = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([real, top]) == top
