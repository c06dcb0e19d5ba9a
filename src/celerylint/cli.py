"""The ``celerylint`` command: check, config, rule, rules.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error (a message, never
a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Callable, NoReturn

import click

from celerylint import __version__
from celerylint.catalog.docs import render_rule
from celerylint.catalog.specs import SpecError, default_codes, load_catalog
from celerylint.engine.discover import find_project_root
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
from celerylint.model.loading import LoadSettings
from celerylint.pipeline.check import RunResult, build_model, run, target_version
from celerylint.pipeline.fixing import retarget
from celerylint.pipeline.session import FixMode, diff_summary, fixed_lines, run_fixes, unsafe_left
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
    root = find_project_root(list(paths))
    pyproject = config if config is not None else (root / "pyproject.toml")
    if config is not None and not config.is_file():
        _fail(f"config file {config} does not exist")
    try:
        return root, load_options(pyproject if pyproject.is_file() else None,
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
              help="A pyproject.toml to read [tool.celerylint] from.")
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
def check(
    paths: tuple[Path, ...], select: str | None, ignore: str | None,
    extend_select: str | None, output_format: str, exit_zero: bool, statistics: bool,
    config_file: Path | None, celery_version: str | None,
    jobs: int | None, no_cache: bool, cache_dir: Path | None,
    fail_on: str, baseline_file: Path | None, write_baseline_file: Path | None,
    fix: bool | None, unsafe_fixes: bool | None, diff: bool, show_fixes: bool,
) -> None:
    """Check PATHS (default: the current directory) for Celery problems."""
    if baseline_file is not None and write_baseline_file is not None:
        _fail("--baseline and --write-baseline cannot be used together")
    known = _read_baseline(baseline_file) if baseline_file is not None else None
    targets = list(paths) or [Path(".")]
    root, file_options = _options(targets, config_file)
    catalog = load_catalog()
    options = merge(file_options, select=_codes_list(select), ignore=_codes_list(ignore),
                    extend_select=_codes_list(extend_select))
    try:
        selected = select_codes(list(catalog), default_codes(catalog), options.select,
                                options.ignore, options.extend_select, list(catalog))
        version = target_version(root, options, celery_version)
    except (OptionsError, ValueError) as exc:
        _fail(str(exc))
    load = _load_settings(root, options, jobs, no_cache, cache_dir)
    machine_output = output_format not in ("text", "concise")
    with progress.progress_bar(progress.wanted(machine_output)) as advance:
        load.progress = advance
        result = run(targets, options, selected, version, root, load)
    fix_mode = FixMode(options.fix if fix is None else fix,
                       options.unsafe_fixes if unsafe_fixes is None else unsafe_fixes,
                       diff, show_fixes)
    fixed = 0
    if fix_mode.active:
        # --diff fixes a private copy: its facts must not replace the project's in the cache
        recheck_load = replace(load, progress=None,
                               cache_dir=None if fix_mode.diff else load.cache_dir)
        result, fixed = _fix(result, fix_mode, machine_output, exit_zero, lambda base: run(
            retarget(targets, root, base), options, selected, version, base, recheck_load))
    if write_baseline_file is not None:
        count = write_baseline(write_baseline_file, result.root, result.findings)
        click.echo(f"celerylint: recorded {count} finding(s) in {write_baseline_file}",
                   err=True)
        result.findings = []
    if known is not None:
        result.findings = _new_findings(result, known)
    _report(result, output_format, statistics, fixed, unsafe_left(result.findings, fix_mode))
    for problem in result.model.project.internal_errors:
        click.echo(f"celerylint: internal error: {problem}", err=True)
    if result.model.project.internal_errors:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if _fails(result.findings, fail_on) and not exit_zero else 0)


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


def _fix(first: RunResult, mode: FixMode, machine_output: bool, exit_zero: bool,
         recheck: Callable[[Path], RunResult]) -> tuple[RunResult, int]:
    """Apply fixes (or, with --diff, print them and exit); the check after fixing."""
    report = run_fixes(first, recheck, mode)
    outcome = report.outcome
    for problem in outcome.problems:
        click.echo(f"celerylint: warning: {problem}", err=True)
    if mode.diff:
        sys.stdout.flush()
        sys.stdout.buffer.write(report.diff)
        sys.stdout.flush()
        if mode.show_fixes:
            click.echo("\n".join(fixed_lines(first.root, outcome.applied, would=True)), err=True)
        click.echo(diff_summary(report), err=True)
        for problem in outcome.result.model.project.internal_errors:
            click.echo(f"celerylint: internal error: {problem}", err=True)
        if outcome.result.model.project.internal_errors:
            sys.exit(EXIT_USAGE)
        sys.exit(EXIT_FINDINGS if report.diff and not exit_zero else 0)
    if mode.show_fixes:
        click.echo("\n".join(fixed_lines(first.root, outcome.applied)), err=machine_output)
    return outcome.result, len(outcome.applied)


def _report(result: RunResult, output_format: str, statistics: bool, fixed: int = 0,
            unsafe: int = 0) -> None:
    if output_format == "json":
        sys.stdout.write(json_report.render(result.root,
                                            result.findings))
        return
    if output_format == "sarif":
        sys.stdout.write(sarif_report.render(result.root, result.findings,
                                             result.model.project.internal_errors))
        return
    if output_format in ("github", "gitlab"):
        module = github_report if output_format == "github" else gitlab_report
        sys.stdout.write(module.render(result.root, result.findings))
        return
    out = text_report.console()
    if statistics:
        text_report.render_statistics(out, result.findings, fixed, unsafe)
    elif output_format == "concise":
        text_report.render_concise(out, result.root, result.findings, fixed, unsafe)
    else:
        text_report.render_full(out, result.root, result.findings, fixed, unsafe)


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
        sys.stdout.write(config_report.render_json(root, model.apps, version))
        return
    config_report.render_text(text_report.console(), root, model.apps, version)


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
