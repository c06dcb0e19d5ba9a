"""The ``celerylint`` command: check, config, rule, rules.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error (a message, never
a traceback).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, NoReturn

import click

from celerylint import __version__
from celerylint.catalog.docs import render_rule
from celerylint.catalog.specs import SpecError, default_codes, load_catalog
from celerylint.engine.discover import ProjectRoot, locate_project
from celerylint.engine.options import (
    CACHE_DIR,
    FileOptions,
    OptionsError,
    load_options,
    merge,
    select_codes,
)
from celerylint.engine.pool import default_jobs
from celerylint.findings import SEVERITY_ORDER, Finding
from celerylint.integrations.baseline import (
    BaselineError,
    new_findings,
    read_baseline,
    write_baseline,
)
from celerylint.model.celery_version import TargetVersion
from celerylint.model.loading import LoadSettings
from celerylint.pipeline.check import (
    ProjectPaths,
    RunResult,
    build_model,
    combine,
    projects_of,
    run,
    target_version,
)
from celerylint.pipeline.fixing import FixOutcome, retarget
from celerylint.pipeline.session import (
    FixMode,
    FixReport,
    diff_summary,
    fixed_lines,
    run_fixes,
    unsafe_left,
)
from celerylint.report import config as config_report
from celerylint.report import github as github_report
from celerylint.report import gitlab as gitlab_report
from celerylint.report import json as json_report
from celerylint.report import progress, severity_of
from celerylint.report import sarif as sarif_report
from celerylint.report import text as text_report

EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"celerylint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _codes_list(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _options(paths: Sequence[Path], config: Path | None) -> tuple[Path, FileOptions]:
    """The project of the first path and its options."""
    try:
        project = locate_project(paths[0] if paths else Path.cwd())
    except OptionsError as exc:
        _fail(str(exc))
    return project.root, _project_options(project, config)


def _project_options(project: ProjectRoot, config: Path | None) -> FileOptions:
    """The options of `config` when given (``--config``), else of the configuration that
    defined the project's root (none: the defaults)."""
    if config is not None and not config.is_file():
        _fail(f"config file {config} does not exist")
    try:
        return load_options(config if config is not None else project.config,
                            list(load_catalog()))
    except OptionsError as exc:
        _fail(str(exc))


def _load_settings(root: Path, options: FileOptions, jobs: int | None, no_cache: bool,
                   cache_dir: Path | None) -> LoadSettings:
    """``--jobs`` (default: every CPU), the cache (``--cache-dir`` > ``cache-dir`` in the
    config > ``.celerylint_cache`` at the root; none with ``--no-cache``)."""
    directory: Path | None = None
    if not no_cache:
        configured = root / options.cache_dir if options.cache_dir else None
        directory = cache_dir or configured or root / CACHE_DIR
    return LoadSettings(jobs=jobs or default_jobs(), cache_dir=directory,
                        prefilter=not os.environ.get("CELERYLINT_NO_PREFILTER"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="celerylint")
def cli() -> None:
    """Static linter and configuration auditor for Celery codebases."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--select", help="Rule codes or prefixes to run (comma-separated; ALL).")
@click.option("--ignore", help="Rule codes or prefixes to skip.")
@click.option("--extend-select", help="Codes or prefixes to add to the selection.")
@click.option("--output-format",
              type=click.Choice(["text", "concise", "json", "sarif", "github", "gitlab"]),
              default="text", show_default=True)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default="note",
              show_default=True, help="The lowest severity that makes the exit code 1.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(path_type=Path),
              help="Record today's findings in this file (report nothing, exit 0).")
@click.option("--statistics", is_flag=True, help="Show a count per rule instead of findings.")
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="A pyproject.toml to read [tool.celerylint] from, or a celerylint.toml.")
@click.option("--celery-version", help="Target Celery version (X.Y).")
@click.option("--jobs", type=click.IntRange(min=1),
              help="Processes reading files (default: the number of CPUs; 1: in-process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where the facts cache lives (default: .celerylint_cache in the project).")
@click.option("--fix/--no-fix", "fix", default=None,
              help="Apply safe fixes, then report what remains.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", "unsafe_fixes", default=None,
              help="Also apply fixes that change behaviour (with --fix or --diff).")
@click.option("--diff", is_flag=True,
              help="Print what --fix would change as a diff (patch -p0); write nothing.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied.")
@click.option("--no-notices", is_flag=True,
              help="Hide notices (blind spots: rules skipped for an app or tasks).")
def check(
    paths: tuple[Path, ...], select: str | None, ignore: str | None,
    extend_select: str | None, output_format: str, exit_zero: bool, statistics: bool,
    config_file: Path | None, celery_version: str | None,
    jobs: int | None, no_cache: bool, cache_dir: Path | None,
    fail_on: str, baseline_file: Path | None, write_baseline_file: Path | None,
    fix: bool | None, unsafe_fixes: bool | None, diff: bool, show_fixes: bool,
    no_notices: bool = False,
) -> None:
    """Check PATHS (default: the current directory) for Celery problems."""
    if baseline_file is not None and write_baseline_file is not None:
        _fail("--baseline and --write-baseline cannot be used together")
    known = _read_baseline(baseline_file) if baseline_file is not None else None
    targets = list(paths) or [Path(".")]
    catalog = load_catalog()
    read: dict[Path, FileOptions] = {}

    def options_of(project: ProjectRoot) -> FileOptions:
        """Each project's configuration, read once for discovery and for the run."""
        if project.root not in read:
            read[project.root] = _project_options(project, config_file)
        return read[project.root]

    try:
        projects = projects_of(targets, options_of)
    except OptionsError as exc:
        _fail(str(exc))
    prepared: list[_Prepared] = []
    for group in projects:
        options = merge(options_of(group.project),
                        select=_codes_list(select), ignore=_codes_list(ignore),
                        extend_select=_codes_list(extend_select))
        try:
            selected = select_codes(list(catalog), default_codes(catalog), options.select,
                                    options.ignore, options.extend_select, list(catalog))
            version = target_version(group.root, options, celery_version)
        except (OptionsError, ValueError) as exc:
            _fail(str(exc))
        cache = cache_dir if cache_dir is None or len(projects) == 1 else (
            cache_dir / _cache_name(group.root))
        load = _load_settings(group.root, options, jobs, no_cache, cache)
        mode = FixMode(options.fix if fix is None else fix,
                       options.unsafe_fixes if unsafe_fixes is None else unsafe_fixes,
                       diff, show_fixes)
        prepared.append(_Prepared(group, options, selected, version, load, mode))
    fix_mode = _overall_mode(prepared)
    machine_output = output_format not in ("text", "concise")
    with progress.progress_bar(progress.wanted(machine_output)) as advance:
        results = []
        for each in prepared:
            each.load.progress = advance
            results.append(run(list(each.group.paths), each.options, each.selected,
                               each.version, each.group.root, each.load))
    fixed = 0
    if fix_mode.active:
        results, fixed = _fix_each(prepared, results, fix_mode, machine_output, exit_zero)
    errors = [problem for r in results for problem in r.model.project.internal_errors]
    result = combine(results)
    if write_baseline_file is not None:
        count = write_baseline(write_baseline_file, result.root, result.findings)
        click.echo(f"celerylint: recorded {count} finding(s) in {write_baseline_file}",
                   err=True)
        result.findings = []
    if known is not None:
        result.findings = _new_findings(result, known)
    if no_notices:
        result.notices = []
    _report(result, output_format, statistics, fixed, unsafe_left(result.findings, fix_mode),
            errors)
    for problem in errors:
        click.echo(f"celerylint: internal error: {problem}", err=True)
    if errors:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if _fails(result.findings, fail_on) and not exit_zero else 0)


@dataclass
class _Prepared:
    """One project of a ``check`` invocation, ready to run."""

    group: ProjectPaths
    options: FileOptions
    selected: frozenset[str]
    version: TargetVersion
    load: LoadSettings
    mode: FixMode


def _cache_name(root: Path) -> str:
    """A folder of ``--cache-dir`` per project when one invocation checks several."""
    return f"{root.name}-{hashlib.sha256(os.fsencode(root)).hexdigest()[:12]}"


def _read_baseline(path: Path) -> Counter[str]:
    try:
        return read_baseline(path)
    except BaselineError as exc:
        _fail(str(exc))


def _new_findings(result: RunResult, known: Counter[str]) -> list[Finding]:
    """Findings not in the baseline; says on stderr how many the baseline accounted for."""
    fresh = new_findings(result.root, result.findings, known)
    accepted = len(result.findings) - len(fresh)
    if accepted:
        click.echo(f"celerylint: {accepted} finding(s) recorded in the baseline not shown",
                   err=True)
    return fresh


def _fails(findings: Sequence[Finding], fail_on: str) -> bool:
    """Is any finding at least as severe as `fail_on`?"""
    threshold = SEVERITY_ORDER[fail_on]
    return any(SEVERITY_ORDER[severity_of(f)] >= threshold for f in findings)


def _overall_mode(prepared: Sequence[_Prepared]) -> FixMode:
    """The fix options of the run: one project's, or, over several, fixing when any of
    them fixes and unsafe fixes only when all of them allow them (for the summary)."""
    if len(prepared) == 1:
        return prepared[0].mode
    modes = [each.mode for each in prepared]
    return FixMode(any(m.fix for m in modes), all(m.unsafe for m in modes), modes[0].diff,
                   modes[0].show_fixes)


def _rechecker(each: _Prepared) -> Callable[[Path], RunResult]:
    """The check after a round of fixes, of the project or of its private copy (`base`)."""
    # --diff fixes a private copy: its facts must not replace the project's in the cache
    load = replace(each.load, progress=None,
                   cache_dir=None if each.mode.diff else each.load.cache_dir)
    root, paths = each.group.root, list(each.group.paths)
    return lambda base: run(retarget(paths, root, base), each.options, each.selected,
                            each.version, base, load)


def _fix_each(prepared: Sequence[_Prepared], results: list[RunResult], mode: FixMode,
              machine_output: bool, exit_zero: bool) -> tuple[list[RunResult], int]:
    """Apply the fixes of each project on its own (or, with --diff, print them all and
    exit); the checks after fixing and how many fixes were applied."""
    fixed_results = list(results)
    reports: list[tuple[Path, FixReport]] = []
    for index, each in enumerate(prepared):
        if not each.mode.active:
            continue
        report = run_fixes(results[index], _rechecker(each), each.mode)
        for problem in report.outcome.problems:
            click.echo(f"celerylint: warning: {problem}", err=True)
        reports.append((each.group.root, report))
        fixed_results[index] = report.outcome.result
    if mode.diff:
        _print_diff(reports, mode, exit_zero)
    if mode.show_fixes:
        click.echo("\n".join(_fixed_lines(reports)), err=machine_output)
    return fixed_results, sum(len(report.outcome.applied) for _, report in reports)


def _fixed_lines(reports: Sequence[tuple[Path, FixReport]], would: bool = False) -> list[str]:
    """``--show-fixes`` over every project fixed."""
    lines = [line for root, report in reports if report.outcome.applied
             for line in fixed_lines(root, report.outcome.applied, would)]
    return lines or fixed_lines(reports[0][0], [], would)


def _print_diff(reports: Sequence[tuple[Path, FixReport]], mode: FixMode,
                exit_zero: bool) -> NoReturn:
    """``--diff``: every project's changes as one patch on stdout, a summary on stderr."""
    diff = b"".join(report.diff for _, report in reports)
    sys.stdout.flush()
    sys.stdout.buffer.write(diff)
    sys.stdout.flush()
    if mode.show_fixes:
        click.echo("\n".join(_fixed_lines(reports, would=True)), err=True)
    outcomes = [report.outcome for _, report in reports]
    total = FixOutcome(outcomes[0].result,
                       [fix for outcome in outcomes for fix in outcome.applied],
                       [problem for outcome in outcomes for problem in outcome.problems],
                       {f"{root}/{path}": data for (root, _), outcome in zip(reports, outcomes)
                        for path, data in outcome.originals.items()})
    click.echo(diff_summary(FixReport(total, diff)), err=True)
    errors = [e for outcome in outcomes for e in outcome.result.model.project.internal_errors]
    for problem in errors:
        click.echo(f"celerylint: internal error: {problem}", err=True)
    if errors:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if diff and not exit_zero else 0)


def _report(result: RunResult, output_format: str, statistics: bool, fixed: int = 0,
            unsafe: int = 0, errors: Sequence[str] | None = None) -> None:
    if output_format == "json":
        sys.stdout.write(json_report.render(result.root,
                                            result.findings))
        _stderr_notices(result)
        return
    if output_format == "sarif":
        sys.stdout.write(sarif_report.render(result.root, result.findings,
                                             result.model.project.internal_errors,
                                             result.notices))
        return
    if output_format in ("github", "gitlab"):
        module = github_report if output_format == "github" else gitlab_report
        if output_format == "github":
            sys.stdout.write(github_report.render(result.root, result.findings, result.notices))
            return
        sys.stdout.write(module.render(result.root, result.findings))
        _stderr_notices(result)
        return
    out = text_report.console()
    if statistics:
        text_report.render_statistics(out, result.findings, fixed, unsafe, len(result.notices))
    elif output_format == "concise":
        text_report.render_concise(out, result.root, result.findings, fixed, unsafe,
                                   result.notices)
    else:
        text_report.render_full(out, result.root, result.findings, fixed, unsafe,
                                result.notices)


def _stderr_notices(result: RunResult) -> None:
    """Notices of JSON-array formats go to stderr: stdout stays the array."""
    for line in json_report.stderr_notices(result.root, result.notices):
        click.echo(line, err=True)


@cli.command("config")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--celery-version", help="Target Celery version (X.Y).")
def config_command(path: Path | None, output_format: str, celery_version: str | None
                   ) -> None:
    """Print every app's effective Celery configuration and where each value comes from."""
    target = path or Path(".")
    root, options = _options([target], None)
    try:
        version = target_version(root, options, celery_version)
    except ValueError as exc:
        _fail(str(exc))
    model = build_model(root, options, version, None, frozenset())
    if output_format == "json":
        sys.stdout.write(config_report.render_json(root, model, version))
        return
    config_report.render_text(text_report.console(), root, model, version)


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Show the documentation of one rule."""
    catalog = load_catalog()
    spec = catalog.get(code.upper())
    if spec is None:
        _fail(f"unknown rule {code!r}; `celerylint rules` lists them")
    click.echo(render_rule(spec))


@cli.command()
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def rules(output_format: str) -> None:
    """List every rule."""
    catalog = load_catalog()
    if output_format == "json":
        items = [{"code": s.code, "name": s.name, "severity": s.severity,
                  "default_enabled": s.default_enabled, "fix": s.fix, "summary": s.summary}
                 for s in catalog.values()]
        click.echo(json.dumps(items, indent=2))
        return
    out = text_report.console()
    for spec in catalog.values():
        default = "" if spec.default_enabled else " (off by default)"
        out.print(f"{spec.code}  {spec.name:<40} {spec.severity:<8} fix: {spec.fix:<7}"
                  f"{default}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="celerylint")
    except SpecError as exc:  # a broken installation, not a user error
        click.echo(f"celerylint: internal error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if os.environ.get("CELERYLINT_DEBUG"):
            raise
        click.echo(f"celerylint: internal error: {type(exc).__name__}: {exc} "
                   "(set CELERYLINT_DEBUG=1 for the traceback)", err=True)
        sys.exit(EXIT_USAGE)
