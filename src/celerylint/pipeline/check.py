"""One lint run: discover, load the project model, run the selected rules, then apply
per-file ignores and ``# noqa`` comments (reporting the dead ones as CEL002).

The CLI, and later the flake8 plugin and pre-commit hooks, all go through here, so they
see the same model and agree on every finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from celerylint.catalog.specs import load_catalog
from celerylint.checks import Model, all_rules
from celerylint.engine.discover import DEFAULT_EXCLUDES, discover, find_project_root, under
from celerylint.engine.noqa import NoqaComment, NoqaMap, matching_codes, noqa_for_row
from celerylint.engine.options import FileOptions, ignored_for_file, is_code_ignored
from celerylint.findings import Finding, Span
from celerylint.fixes.builders import unused_noqa
from celerylint.model.apps import find_apps
from celerylint.model.celery_version import TargetVersion, detect_target_version, parse_version
from celerylint.model.project import LoadSettings, Project, load_project
from celerylint.model.tasks import Task, find_tasks

UNUSED_NOQA = "CEL002"


@dataclass
class RunResult:
    """Findings to show, plus the model for commands that print it."""

    findings: list[Finding]
    model: Model
    root: Path
    files_checked: int = 0
    suppressed: int = 0
    targets: list[str] = field(default_factory=list)


def target_version(root: Path, options: FileOptions, given: str | None) -> TargetVersion:
    """``--celery-version`` > ``celery-version`` in the config > the declared requirement."""
    if given:
        return TargetVersion(parse_version(given), "--celery-version")
    if options.celery_version:
        return TargetVersion(parse_version(options.celery_version), "[tool.celerylint]")
    return detect_target_version(root)


def build_model(root: Path, options: FileOptions, version: TargetVersion,
                load: LoadSettings | None = None) -> Model:
    """Load every file under `root` and link apps and tasks."""
    excludes = options.exclude if options.exclude is not None else DEFAULT_EXCLUDES
    files = discover(root, excludes, options.extend_exclude)
    project = load_project(root, files, version, options.test_patterns,
                           options.task_decorators, options.django_settings_module, load)
    apps = find_apps(project)
    tasks = find_tasks(project, apps)
    project.prefetch(_called_modules(project, tasks), load.jobs if load else 1)
    return Model(project, apps, tasks)


def _called_modules(project: Project, tasks: list[Task]) -> set[str]:
    """Files holding the functions task bodies call (CEL501 reads them)."""
    paths = set()
    for task in tasks:
        for origin, _ in task.facts.calls if task.facts else ():
            split = project.index.split(origin)
            if split is not None and split[1] and "." not in split[1] and (
                    project.may_increment(origin)):
                paths.add(split[0])
    return paths


def relative_targets(root: Path, paths: Sequence[Path]) -> list[str]:
    """The user's paths relative to the project root ('.' for the whole project)."""
    targets = []
    for path in paths:
        try:
            rel = path.resolve().relative_to(root)
        except ValueError:
            continue
        targets.append(rel.as_posix() if str(rel) != "." else ".")
    return targets or ["."]


def run(
    paths: Sequence[Path],
    options: FileOptions,
    selected: frozenset[str],
    version: TargetVersion | None = None,
    root: Path | None = None,
    load: LoadSettings | None = None,
) -> RunResult:
    """Check the project that holds `paths`; report findings in `paths` only."""
    root = root or find_project_root(list(paths))
    version = version or target_version(root, options, None)
    model = build_model(root, options, version, load)
    targets = relative_targets(root, paths)
    raw = [f for f in check_model(model, options, selected) if under(f.path, targets)]
    shown, suppressed = apply_noqa(model.project, raw, selected)
    shown = [f for f in shown if under(f.path, targets)]
    model.project.save_cache()
    checked = sum(1 for p in model.project.files if p.endswith(".py") and under(p, targets))
    return RunResult(sorted(shown, key=Finding.sort_key), model, root, checked, suppressed,
                     targets)


def check_model(model: Model, options: FileOptions, selected: frozenset[str]) -> list[Finding]:
    """Every finding of the `selected` rules in the whole project, per-file ignores
    applied, before ``# noqa`` (the flake8 plugin leaves noqa to flake8)."""
    rules = all_rules()
    raw: list[Finding] = []
    # CEL001 last: files the other rules load on demand may add syntax errors.
    for code in sorted(selected, key=lambda c: (c == "CEL001", c)):
        rule = rules.get(code)
        if rule is None:
            continue
        try:
            raw.extend(rule.check(model))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not hide the others
            model.project.internal_errors.append(f"rule {code}: {type(exc).__name__}: {exc}")
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
        if comment is None:
            shown.append(finding)
            continue
        matches = matching_codes(comment, finding.code) if comment.codes is not None else []
        if comment.codes is None or matches:
            suppressed += 1
            used.setdefault((finding.path, comment.row), set()).update(m.code for m in matches)
        else:
            shown.append(finding)
    if UNUSED_NOQA in selected:
        shown.extend(_unused_noqa(project, used, selected, known))
    return shown, suppressed


def _unused_noqa(
    project: Project, used: dict[tuple[str, int], set[str]], selected: frozenset[str], known: set[str]
) -> list[Finding]:
    """CEL002: CEL codes in a noqa comment that silenced nothing on their line.

    A code for a rule that did not run this time is left alone (it may well be needed);
    a code that names no rule at all is always dead.
    """
    found = []
    for path in sorted(project.cel_noqa):
        noqa: NoqaMap = project.noqa_of(path)
        if noqa.skip_file:
            continue
        for row in sorted(noqa.comments):
            comment: NoqaComment = noqa.comments[row]
            dead = [c for c in comment.codes or () if c.code.startswith("CEL")
                    and c.code not in used.get((path, row), set())
                    and _could_matter(c.code, selected, known)]
            if dead:
                listed = ", ".join(c.code for c in dead)
                unknown = [c.code for c in dead if not any(k.startswith(c.code) for k in known)]
                why = f" ({', '.join(unknown)}: no such rule)" if unknown else ""
                message = f"unused noqa code{'s' if len(dead) > 1 else ''}: {listed}{why}"
                span = Span(row, dead[0].column, row, dead[-1].end_column)
                found.append(Finding(UNUSED_NOQA, message, path, span,
                                     fix=unused_noqa(project.root, path, comment, dead)))
    return found


def _could_matter(code: str, selected: frozenset[str], known: set[str]) -> bool:
    """Dead unless it names no rule, or every rule it names ran."""
    named = [k for k in known if k.startswith(code)]
    if not named:
        return True
    return all(k in selected for k in named)

