"""One lint run: discover, load the project model, run the selected rules, then apply
per-file ignores and ``# noqa`` comments (reporting the dead ones as CEL002).

The CLI, the flake8 plugin and the pre-commit hooks all go through here, so they see the
same model and agree on every finding. Each path belongs to the project found from the
path itself (`projects_of`), so several projects can be checked in one invocation, each
modelled on its own; `combine` puts their findings in one report. The model is built and
frozen before any rule runs, so the order rules run in never changes a finding.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from celerylint.catalog.specs import load_catalog
from celerylint.checks.meta.unused_noqa import UnusedNoqa
from celerylint.checks.registry import all_rules
from celerylint.engine.discover import (
    DEFAULT_EXCLUDES,
    ProjectRoot,
    find_project_root,
    locate_project,
    nested_projects,
    under,
)
from celerylint.engine.noqa import matching_codes, noqa_for_row, suppresses
from celerylint.engine.options import FileOptions, ignored_for_file, is_code_ignored
from celerylint.engine.pathnames import as_named
from celerylint.findings import Finding
from celerylint.fixes.view import fixes_only_in
from celerylint.model import build
from celerylint.model.build import Model, Need
from celerylint.model.celery_version import TargetVersion, resolve_target_version
from celerylint.model.loading import LoadSettings
from celerylint.model.notices import Notice, notices
from celerylint.model.project import Project
from celerylint.pipeline.apply import remove_leftovers
from celerylint.pipeline.base_ref import COMPARING, BaseComparison, BaseInputs


@dataclass
class RunResult:
    """Findings to show, plus the model for commands that print it."""

    findings: list[Finding]
    model: Model
    root: Path
    files_checked: int = 0
    suppressed: int = 0
    targets: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)  # blind spots (never the exit code)
    compared: bool = False  # only the findings new since a base (--new-only)


@dataclass(frozen=True)
class ProjectPaths:
    """One project of an invocation and the user's paths that fall in it."""

    project: ProjectRoot
    paths: tuple[Path, ...]

    @property
    def root(self) -> Path:
        return self.project.root


def projects_of(paths: Sequence[Path],
                options_of: Callable[[ProjectRoot], FileOptions]) -> list[ProjectPaths]:
    """The projects holding `paths`, sorted by root: each path in its own project, and a
    folder also brings every project nested below it (found with the excludes of the
    project it is in, read through `options_of`)."""
    groups: dict[Path, tuple[ProjectRoot, list[Path]]] = {}
    walked: dict[Path, list[Path]] = {}
    pending = [(locate_project(path), path) for path in paths]
    while pending:
        project, path = pending.pop(0)
        _, members = groups.setdefault(project.root, (project, []))
        resolved = as_named(path)
        if any(as_named(p) == resolved for p in members):
            continue
        members.append(path)
        if not resolved.is_dir():
            continue
        if project.root not in walked:
            options = options_of(project)
            excludes = options.exclude if options.exclude is not None else DEFAULT_EXCLUDES
            walked[project.root] = [
                nested.resolve()
                for nested in nested_projects(project.root, excludes, options.extend_exclude)]
        for nested in walked[project.root]:
            if nested == resolved or resolved in nested.parents:
                pending.append((locate_project(nested), nested))
    return [ProjectPaths(project, tuple(members))
            for _, (project, members) in sorted(groups.items())]


def combine(results: Sequence[RunResult]) -> RunResult:
    """One result for several projects: paths relative to the folder holding every root,
    findings sorted; the first project's model stands for the run."""
    if len(results) == 1:
        return results[0]
    base = Path(os.path.commonpath([result.root for result in results]))
    findings = [replace(f, path=_rebased(result.root / f.path, base))
                for result in results for f in result.findings]
    first = results[0]
    notes = [replace(n, path=_rebased(result.root / n.path, base)) if n.path is not None
             else n for result in results for n in result.notices]
    return RunResult(sorted(findings, key=Finding.sort_key), first.model, base,
                     sum(r.files_checked for r in results), sum(r.suppressed for r in results),
                     [_rebased(r.root / t, base) for r in results for t in r.targets], notes,
                     any(r.compared for r in results))


def _rebased(path: Path, base: Path) -> str:
    """`path` relative to `base`, `/`-separated ('.' for `base` itself)."""
    return path.relative_to(base).as_posix()


def target_version(root: Path, options: FileOptions, given: str | None) -> TargetVersion:
    """``--celery-version`` > ``celery-version`` in the config > the declared requirement."""
    if given:
        return resolve_target_version(root, given)
    return resolve_target_version(root, options.celery_version, "[tool.celerylint]")


def needs_of(selected: frozenset[str]) -> list[Need]:
    """What the selected rules need loaded beyond apps and tasks, in code order."""
    rules = all_rules()
    return [need for code in sorted(selected) if code in rules for need in rules[code].needs]


def build_model(root: Path, options: FileOptions, version: TargetVersion,
                load: LoadSettings | None, selected: frozenset[str],
                named: Sequence[Path] = ()) -> Model:
    """The frozen model of the project under `root`, with what `selected` rules need
    (and the files the user `named`, even when excluded: `project_files`)."""
    return build.build_model(root, options, version, load, needs_of(selected), named)


def relative_targets(root: Path, paths: Sequence[Path]) -> list[str]:
    """The user's paths relative to the project root ('.' for the whole project)."""
    targets = []
    for path in paths:
        try:
            rel = as_named(path).relative_to(root)
        except ValueError:
            continue
        targets.append(rel.as_posix())  # '.' for the root itself
    return targets or ["."]


def run(
    paths: Sequence[Path],
    options: FileOptions,
    selected: frozenset[str],
    version: TargetVersion | None = None,
    root: Path | None = None,
    load: LoadSettings | None = None,
    comparison: BaseComparison | None = None,
) -> RunResult:
    """Check the project that holds `paths`; report findings in `paths` only (with
    `comparison`, ``--base-ref``: beside the base's model, and with ``--new-only`` only
    the findings the base did not have). GitError when the base cannot be read."""
    root = root or find_project_root(list(paths))
    version = version or target_version(root, options, None)
    model = build_model(root, options, version, load, selected, paths)
    remove_leftovers(root, model.project.files)  # of a --fix killed mid-write
    side = None
    if comparison is not None:
        side = comparison.side(model, BaseInputs(
            options, version, load, needs_of(selected),
            lambda base: base_findings(base, options, selected - COMPARING), selected))
        model = side.attach(model)
    targets = relative_targets(root, paths)
    step = load.rules_progress if load is not None else None
    with fixes_only_in(lambda path: under(path, targets)):
        raw = [f for f in check_model(model, options, selected, step) if under(f.path, targets)]
        shown, suppressed = apply_noqa(model.project, raw, selected)
    shown = [f for f in shown if under(f.path, targets)]
    new_only = comparison is not None and comparison.request.new_only
    if side is not None and new_only:
        shown = side.new_only(root, shown)
    model.project.save_cache()
    checked = sum(1 for p in model.project.files if p.endswith(".py") and under(p, targets))
    notes = notices_of(model, selected)
    if side is not None and side.notice is not None:
        notes.append(side.notice)
    return RunResult(sorted(shown, key=Finding.sort_key), model, root, checked, suppressed,
                     targets, notes, new_only)


def base_findings(model: Model, options: FileOptions, selected: frozenset[str]
                  ) -> list[Finding]:
    """Every finding of the base version (``--new-only`` compares with them)."""
    return apply_noqa(model.project, check_model(model, options, selected), selected)[0]


def notices_of(model: Model, selected: frozenset[str]) -> list[Notice]:
    """The blind spots that silence some of the `selected` rules (their ``blind_on``)."""
    rules = all_rules()
    return notices(model, {code: rules[code].blind_on for code in selected if code in rules})


def check_model(model: Model, options: FileOptions, selected: frozenset[str],
                progress: Callable[[int, int], None] | None = None) -> list[Finding]:
    """Every finding of the `selected` rules in the whole project, per-file ignores
    applied, before ``# noqa`` (the flake8 plugin leaves noqa to flake8); `progress` is
    told of each rule done (rules done, rules to run) for the progress bar."""
    raw: list[Finding] = []
    rules = [(code, rule) for code, rule in all_rules().items() if code in selected]
    for code, rule in rules:
        try:
            raw.extend(rule.check(model))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others
            model.project.internal_errors.append(f"rule {code}: {type(exc).__name__}: {exc}")
        if progress is not None:
            progress(1, len(rules))
    return [f for f in _dedupe(raw) if not is_code_ignored(f.code, ignored_for_file(
        f.path, options.per_file_ignores))]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """The same finding reached through two apps is reported once."""
    seen = set()
    unique = []
    for finding in findings:
        key = (finding.code, finding.path, finding.span, finding.message)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def apply_noqa(
    project: Project, findings: list[Finding], selected: frozenset[str]
) -> tuple[list[Finding], int]:
    """Drop findings that a noqa comment silences; report dead CEL codes as CEL002."""
    known = set(load_catalog())
    used: dict[tuple[str, int], set[str]] = {}
    shown: list[Finding] = []
    suppressed = 0
    for finding in findings:
        noqa = project.noqa_of(finding.path)
        if noqa.skip_file:
            suppressed += 1
            continue
        comment = noqa_for_row(noqa, finding.span.row)
        if comment is None or not suppresses(comment, finding.code):
            shown.append(finding)
            continue
        suppressed += 1
        used.setdefault((finding.path, comment.row), set()).update(
            m.code for m in matching_codes(comment, finding.code))
    if UnusedNoqa.code in selected:
        shown.extend(UnusedNoqa().dead_codes(project, used, selected, known))
    return shown, suppressed
