"""Fix rounds to a fixed point: apply, re-check, repeat.

One round takes the findings of a check, keeps the fixes the user enabled, and writes
each file once with every fix that fits: fixes whose edits touch the same text as an
earlier one wait for the next round, where they are computed again on the new text. A
fix whose result would not parse is dropped and reported. After a round the project is
checked again (a fix can change other findings: a removed ``"pickle"`` makes its
``# noqa: CEL101`` dead), until no fix is left, or a bound is reached. A fix that does
not make its finding go away is applied once and then reported, never repeated.

``--diff`` runs the same rounds on a private copy of the project's files (hard links
where possible: files are always replaced, never written in place, so the originals
cannot change) and compares the copy with the original afterwards; it therefore shows
exactly what ``--fix`` would write.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

from celerylint.engine.pathnames import as_named, printable
from celerylint.findings import Edit, Finding, Fix
from celerylint.fixes.view import checked_digest, digest
from celerylint.pipeline.apply import (
    FileChanged,
    FixError,
    WriteFailed,
    apply_edits,
    encode,
    parse_problem,
    read_snapshot,
    write_atomically,
)
from celerylint.pipeline.check import RunResult

MAX_ROUNDS = 10

Recheck = Callable[[Path], RunResult]
EditKey = tuple[tuple[str, int, int, int, int], ...]


class Fingerprint(NamedTuple):
    """A finding and its fix, independent of positions (which move as files change)."""

    path: str
    code: str
    message: str
    fix: str
    contents: tuple[str, ...]


@dataclass(frozen=True)
class AppliedFix:
    """A finding whose fix was written."""

    path: str
    code: str


@dataclass
class FixOutcome:
    """What fixing did: the check after the last round, and every fix applied.

    `originals` holds the bytes of every changed file (project-relative path) before
    the first round; `problems` the fixes that were not applied and why.
    """

    result: RunResult
    applied: list[AppliedFix] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    originals: dict[str, bytes] = field(default_factory=dict)
    rounds: int = 0


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    """Does the user's choice (``--unsafe-fixes`` or not) let this fix be applied?"""
    return fix is not None and fix.applies(unsafe)


def fingerprint(finding: Finding) -> Fingerprint:
    """What identifies a finding from one round to the next."""
    fix = finding.fix
    return Fingerprint(finding.path, finding.code, finding.message, fix.message if fix else "",
                       tuple(e.content for e in fix.edits) if fix else ())


def fix_project(first: RunResult, recheck: Recheck, base: Path, unsafe: bool,
                confine: Path | None = None) -> FixOutcome:
    """Apply fixes under `base` until none applies; `first` is a check of `base`.

    `recheck(base)` checks the project again; `confine` refuses writes to real paths
    outside that folder (the private copy of ``--diff``).
    """
    outcome = FixOutcome(first)
    blocked: set[Fingerprint] = set()
    while True:
        pending = [f for f in outcome.result.findings
                   if applicable(f.fix, unsafe) and fingerprint(f) not in blocked]
        if not pending:
            return outcome
        if outcome.rounds == MAX_ROUNDS:
            outcome.problems.append(f"stopped after {MAX_ROUNDS} rounds of fixes; "
                                    f"{len(pending)} fixable finding(s) left")
            return outcome
        outcome.rounds += 1
        applied, failed = _round(base, pending, outcome, confine)
        blocked.update(fingerprint(f) for f in failed)
        if not applied:
            return outcome
        before = Counter(fingerprint(f) for f in outcome.result.findings)
        outcome.result = recheck(base)
        after = Counter(fingerprint(f) for f in outcome.result.findings)
        for mark, count in Counter(fingerprint(f) for f in applied).items():
            if after[mark] > before[mark] - count:
                blocked.add(mark)
                outcome.problems.append(f"{mark.path}: the {mark.code} fix ({mark.fix}) did "
                                        "not resolve its finding; not applied again")


def _round(base: Path, pending: Sequence[Finding], outcome: FixOutcome,
           confine: Path | None) -> tuple[list[Finding], list[Finding]]:
    """Write every file that has pending fixes once: (findings whose fix was written,
    findings whose fix cannot be applied)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in pending:
        by_path.setdefault(finding.path, []).append(finding)
    applied: list[Finding] = []
    failed: list[Finding] = []
    for path in sorted(by_path):
        real = _real_name(base, path)
        if real is None:
            outcome.problems.append(f"{printable(path)}: not fixed: it is a symlink to a "
                                    "file outside the project")
            failed.extend(by_path[path])
            continue
        if real != path and real in by_path:
            continue  # the file it links to carries the same fixes, written once
        try:
            done, dropped = _fix_file(base, path, by_path[path], outcome, confine, real)
        except WriteFailed as exc:
            outcome.problems.append(f"cannot write {printable(path)}: {exc}")
            failed.extend(by_path[path])
            continue
        except FixError as exc:
            outcome.problems.append(f"{printable(path)}: not fixed: {exc}")
            failed.extend(by_path[path])
            continue
        applied.extend(done)
        failed.extend(dropped)
    outcome.applied.extend(AppliedFix(finding.path, finding.code) for finding in applied)
    return applied, failed


def _real_name(base: Path, path: str) -> str | None:
    """The project-relative name of the file `path` is (itself, or the target of the
    symlink it is), which fixes write and diffs name; None when that lies outside `base`
    (a fix never writes outside the project)."""
    real = Path(os.path.realpath(base / path))
    top = base.resolve()
    return real.relative_to(top).as_posix() if _inside(real, top) else None


def _fix_file(base: Path, path: str, findings: list[Finding], outcome: FixOutcome,
              confine: Path | None, real: str) -> tuple[list[Finding], list[Finding]]:
    """Fix the file of `findings` (at `path`), written under its `real` name."""
    snapshot = read_snapshot(base / real)
    if confine is not None and not _inside(snapshot.path, confine):
        raise FixError("the file is outside the folder being fixed")
    if checked_digest(path) != digest(snapshot.data):
        raise FileChanged("the file changed on disk since it was checked")
    problem = parse_problem(snapshot.text, path)
    if problem is not None:
        raise FixError(f"the file does not parse ({problem})")
    chosen = _compatible(findings)
    kept = _valid(snapshot.text, path, chosen, outcome)
    kept_keys = {_key(fix) for fix in kept}
    dropped_keys = {_key(fix) for fix in chosen} - kept_keys
    dropped = [f for f in findings if f.fix is not None and _key(f.fix) in dropped_keys]
    if not kept:
        return [], dropped
    text = apply_edits(snapshot.text, [e for fix in kept for e in fix.edits])
    write_atomically(snapshot, encode(snapshot, text))
    outcome.originals.setdefault(real, snapshot.data)
    return [f for f in findings if f.fix is not None and _key(f.fix) in kept_keys], dropped


def _key(fix: Fix) -> EditKey:
    return tuple((e.content, e.span.row, e.span.column, e.span.end_row, e.span.end_column)
                 for e in fix.edits)


def _compatible(findings: Iterable[Finding]) -> list[Fix]:
    """Distinct fixes, in file order, leaving out any that touches text an earlier one
    edits (it is computed again next round, on the changed text)."""
    fixes: dict[EditKey, Fix] = {}
    for finding in findings:
        assert finding.fix is not None
        fixes.setdefault(_key(finding.fix), finding.fix)
    ordered = sorted(fixes.values(), key=lambda fix: min(e.span for e in fix.edits))
    taken: list[Edit] = []
    chosen: list[Fix] = []
    for fix in ordered:
        if any(_touch(edit, other) for edit in fix.edits for other in taken):
            continue
        taken.extend(fix.edits)
        chosen.append(fix)
    return chosen


def _touch(one: Edit, other: Edit) -> bool:
    first = ((one.span.row, one.span.column), (one.span.end_row, one.span.end_column))
    second = ((other.span.row, other.span.column), (other.span.end_row, other.span.end_column))
    return first[0] <= second[1] and second[0] <= first[1]


def _valid(text: str, path: str, fixes: list[Fix], outcome: FixOutcome) -> list[Fix]:
    """The fixes whose result parses, alone and together; the others are reported."""
    alone: list[Fix] = []
    for fix in fixes:
        problem = _problem(text, path, fix.edits)
        if problem is None:
            alone.append(fix)
        else:
            outcome.problems.append(f"{path}: fix dropped ({fix.message}): {problem}")
    if _problem(text, path, [e for fix in alone for e in fix.edits]) is None:
        return alone
    together: list[Fix] = []
    for fix in alone:
        trial = [*together, fix]
        problem = _problem(text, path, [e for f in trial for e in f.edits])
        if problem is None:
            together = trial
        else:
            outcome.problems.append(f"{path}: fix dropped ({fix.message}): {problem}")
    return together


def _problem(text: str, path: str, edits: Sequence[Edit]) -> str | None:
    try:
        fixed = apply_edits(text, edits)
    except FixError as exc:
        return str(exc)
    problem = parse_problem(fixed, path)
    return f"the fixed file would not parse: {problem}" if problem else None


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


# -- --diff: the same rounds on a private copy -----------------------------------------


@contextmanager
def private_copy(root: Path, files: Iterable[str]) -> Iterator[Path]:
    """A temporary folder holding the project's files at the same relative paths.

    A symlink stays a symlink: to the copy of its target when that is inside the project
    (so the copy is fixed once, as ``--fix`` would fix it), else to the outside file
    itself, which a confined fix refuses to write. Special files (a FIFO) are left out.
    """
    folder = Path(tempfile.mkdtemp(prefix="celerylint-diff-")).resolve()
    top = root.resolve()
    try:
        for path in files:
            source, target = root / path, folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                _mirror_link(source, target, top, folder)
            else:
                _link_or_copy(source, target)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (files are replaced, never written in place), else a copy; nothing
    for what is no regular file, or already there (the target of a mirrored link)."""
    if target.exists() or not source.is_file():
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _mirror_link(source: Path, target: Path, top: Path, folder: Path) -> None:
    real = Path(os.path.realpath(source))
    if not _inside(real, top):
        os.symlink(real, target)
        return
    mirrored = folder / real.relative_to(top)
    mirrored.parent.mkdir(parents=True, exist_ok=True)
    _link_or_copy(real, mirrored)
    os.symlink(os.path.relpath(mirrored, target.parent), target)


def retarget(paths: Sequence[Path], root: Path, base: Path) -> list[Path]:
    """The user's paths (inside `root`) as the same paths inside `base`."""
    moved = []
    for path in paths:
        try:
            moved.append(base / as_named(path).relative_to(root.resolve()))
        except ValueError:
            continue
    return moved or [base]
