"""The ``celerylint`` command: check, config, rule, rules.

Exit codes: 0 no findings, 1 findings, 2 usage or configuration error (a message, never
a traceback).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, NoReturn, TextIO

import click

from celerylint import __version__
from celerylint.catalog.specs import SpecError, default_codes, load_catalog
from celerylint.cli_inputs import (
    NO_INPUTS,
    CheckInputs,
    add_noqa_and_exit,
    exit_code,
    input_options,
    show,
)
from celerylint.engine.configurations import NOT_WRITING, Configurations
from celerylint.engine.discover import ProjectRoot, locate_project, under
from celerylint.engine.links import url_base_problem
from celerylint.engine.options import (
    CACHE_DIR,
    FileOptions,
    OptionsError,
    Selection,
    merge,
    select_layers,
)
from celerylint.engine.pool import default_jobs, shared_pools
from celerylint.findings import SEVERITY_ORDER, Finding
from celerylint.fixes.view import skipping_fixes
from celerylint.integrations.baseline import (
    BaselineError,
    new_findings,
    read_baseline,
    write_baseline,
)
from celerylint.model.celery_version import TargetVersion
from celerylint.model.loading import LoadSettings
from celerylint.pipeline.base_ref import BaseComparison, BaseRequest
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
from celerylint.pipeline.inputs import split_missing
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
from celerylint.report import progress, rule_doc, severity_of
from celerylint.report import sarif as sarif_report
from celerylint.report import text as text_report
from celerylint.report import verbose as verbose_log
from celerylint.report.destination import OutputError, report_stream, write_atomically
from celerylint.report.fixable import FixView
from celerylint.report.settings import ResolvedSettings
from celerylint.vcs.git import GitError

EXIT_FINDINGS = 1
# Formats that show neither a fix nor whether a finding has one: without --fix/--diff,
# a run for them builds no fix at all.
FORMATS_WITHOUT_FIXES = ("github", "gitlab")
EXIT_USAGE = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"celerylint: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _codes_list(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _configurations() -> Configurations:
    """The run's configuration files: each mistake an error on stderr, once; the run
    goes on with the defaults in its place and exits 2 at the end."""
    return Configurations(list(load_catalog()),
                          lambda problem: click.echo(f"celerylint: error: {problem}", err=True))


def _project_options(project: ProjectRoot, config: Path | None,
                     configs: Configurations) -> FileOptions:
    """The options of `config` when given (``--config``), else of the configuration that
    defined the project's root (none: the defaults)."""
    if config is not None and not config.is_file():
        _fail(f"config file {config} does not exist")
    return configs.options(config if config is not None else project.config)


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
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", help="Rule codes or prefixes to run (comma-separated; ALL).")
@click.option("--ignore", help="Rule codes or prefixes to skip.")
@click.option("--extend-select", help="Codes or prefixes to add to the selection.")
@click.option("--output-format",
              type=click.Choice(["text", "concise", "json", "sarif", "github", "gitlab"]),
              default="text", show_default=True)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file (whole or not at all), not to stdout.")
@click.option("-q", "--quiet", count=True,
              help="Only the findings, no summary (-qq: nothing, only the exit code).")
@click.option("-v", "--verbose", is_flag=True,
              help="Say on stderr what is done: projects, files, cache hits, timings.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour text output (auto: on a terminal).")
@click.option("--rule-url-base", metavar="URL", callback=lambda _c, _p, v: _url_base(v),
              help="Where docs/rules.md is published; findings link to its anchors.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "note"]), default="note",
              show_default=True, help="The lowest severity that makes the exit code 1.")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(path_type=Path),
              help="Record today's findings in this file (report nothing, exit 0).")
@click.option("--base-ref", metavar="REF",
              help="Compare with the merge base of REF and HEAD (git): tasks removed or "
                   "with incompatible signatures since then (CEL406, CEL407).")
@click.option("--new-only", is_flag=True,
              help="With --base-ref: report only findings the base did not have.")
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
@input_options
def check(
    paths: tuple[Path, ...], select: str | None, ignore: str | None,
    extend_select: str | None, output_format: str, exit_zero: bool, statistics: bool,
    config_file: Path | None, celery_version: str | None,
    jobs: int | None, no_cache: bool, cache_dir: Path | None,
    fail_on: str, baseline_file: Path | None, write_baseline_file: Path | None,
    fix: bool | None, unsafe_fixes: bool | None, diff: bool, show_fixes: bool,
    no_notices: bool = False, rule_url_base: str | None = None,
    output_file: Path | None = None, quiet: int = 0, verbose: bool = False,
    color: str = "auto", inputs: CheckInputs = NO_INPUTS,
    base_ref: str | None = None, new_only: bool = False,
) -> None:
    """Check PATHS (default: the current directory) for Celery problems (``-``: stdin,
    as the file ``--stdin-filename`` names)."""
    fix = inputs.fix(fix)
    if baseline_file is not None and write_baseline_file is not None:
        _fail("--baseline and --write-baseline cannot be used together")
    known = _read_baseline(baseline_file) if baseline_file is not None else None
    targets, failures = _existing(paths)  # failures: errors that make the exit code 2
    catalog = load_catalog()
    read: dict[Path, FileOptions] = {}
    configs = _configurations()

    def options_of(project: ProjectRoot) -> FileOptions:
        """Each project's configuration, read once for discovery and for the run."""
        if project.root not in read:
            read[project.root] = inputs.options(
                _project_options(project, config_file, configs), catalog)
        return read[project.root]

    try:
        projects = projects_of(targets, options_of)
    except OptionsError as exc:
        _fail(str(exc))
    prepared: list[_Prepared] = []
    for group in projects:
        options = merge(options_of(group.project), rule_url_base=rule_url_base,
                        base_ref=base_ref)
        command_line = Selection(_codes_list(select), _codes_list(ignore) or (),
                                 _codes_list(extend_select) or ())
        try:
            selected = select_layers(list(catalog), default_codes(catalog),
                                     [Selection.of(options), command_line], list(catalog))
            version = target_version(group.root, options, celery_version)
        except (OptionsError, ValueError) as exc:
            _fail(str(exc))
        cache = cache_dir if cache_dir is None or len(projects) == 1 else (
            cache_dir / _cache_name(group.root))
        load = _load_settings(group.root, options, jobs, no_cache, cache)
        mode = FixMode(options.fix if fix is None else fix,
                       options.unsafe_fixes if unsafe_fixes is None else unsafe_fixes,
                       diff, show_fixes)
        prepared.append(_Prepared(group, options, selected, version, load, mode,
                                  _comparison(options.base_ref, new_only)))
    if inputs.shows:
        show(inputs, [(each.settings(), each.group.paths) for each in prepared],
             configs.failed)
    if configs.failed and _writes(prepared, inputs.add_noqa, write_baseline_file):
        _fail(NOT_WRITING)
    fix_mode = _overall_mode(prepared)
    machine_output = output_format not in ("text", "concise")
    log = verbose_log.Log(verbose)
    with progress.progress_bar(progress.wanted(machine_output)) as tracker, skipping_fixes(
            output_format in FORMATS_WITHOUT_FIXES and not fix_mode.active), shared_pools():
        results = []
        for each in prepared:
            if tracker is not None:
                each.load.progress, each.load.rules_progress = tracker.files, tracker.rules
            results.append(_run_logged(each, log))
    if inputs.add_noqa:
        add_noqa_and_exit(results)
    failed = bool(failures) or configs.failed or _nothing_read(results)  # exit 2 at the end
    fixed = 0
    if fix_mode.active:
        results, fixed = _fix_each(prepared, results, fix_mode,
                                   machine_output or output_file is not None, exit_zero,
                                   failed, output_file)
    errors = [problem for r in results for problem in r.model.project.internal_errors]
    result = combine(results)
    recorded: int | None = None  # None: no baseline written (not asked, or it failed)
    if write_baseline_file is not None:
        recorded = _write_baseline(write_baseline_file, result)
    if known is not None:
        result.findings = _new_findings(result, known)
        result.compared = True
    if no_notices or inputs.fix_only:
        result.notices = []
    if inputs.fix_only:
        result.findings = []
    output = _Output(output_file, quiet, color, FixView(fix_mode.unsafe, fix_mode.fix))

    def write(stream: TextIO) -> None:
        if write_baseline_file is not None and recorded is not None:
            stream.write(_recorded_line(recorded, write_baseline_file))
            return
        _report(result, output_format, statistics, fixed,
                unsafe_left(result.findings, fix_mode), errors,
                next((p.options.rule_url_base for p in prepared), None), stream, output)

    _deliver(output, write)
    for problem in errors:
        click.echo(f"celerylint: internal error: {problem}", err=True)
    if errors or failed:
        sys.exit(EXIT_USAGE)
    if write_baseline_file is not None and recorded is None:
        sys.exit(EXIT_FINDINGS)  # the findings were not recorded: they still stand
    sys.exit(exit_code(inputs, fixed, _fails(result.findings, fail_on), exit_zero))


@dataclass
class _Prepared:
    """One project of a ``check`` invocation, ready to run."""

    group: ProjectPaths
    options: FileOptions
    selected: frozenset[str]
    version: TargetVersion
    load: LoadSettings
    mode: FixMode
    comparison: BaseComparison | None = None

    def settings(self) -> ResolvedSettings:
        """What ``--show-settings`` prints for this project."""
        return ResolvedSettings(self.group.root, self.options, self.selected, self.version,
                                self.load.cache_dir, self.mode.fix, self.mode.unsafe)


def _writes(prepared: Sequence[_Prepared], add_noqa: bool, baseline: Path | None) -> bool:
    """Would the run write files (``--fix`` without ``--diff``, ``--add-noqa``,
    ``--write-baseline``)?"""
    fixing = any(each.mode.fix and not each.mode.diff for each in prepared)
    return fixing or add_noqa or baseline is not None


def _nothing_read(results: Sequence[RunResult]) -> bool:
    """Were there Python files to check, and could none of them be read (each one a
    CEL003 finding)? Then nothing was checked: said on stderr, and the run exits 2, not 1."""
    wanted = [(result.model.project, path) for result in results
              for path in result.model.project.files
              if path.endswith(".py") and under(path, result.targets)]
    if not wanted or any(path not in project.unreadable for project, path in wanted):
        return False
    click.echo(f"celerylint: error: no Python file could be read ({len(wanted)} "
               f"unreadable)", err=True)
    return True


def _write_baseline(path: Path, result: RunResult) -> int | None:
    """``--write-baseline``: record the findings (then shown no more) and say how many;
    when the file cannot be written (None), an error, and the findings are shown (exit 1,
    as when ``--fix`` cannot write a file)."""
    try:
        recorded = write_baseline(path, result.root, result.findings)
    except BaselineError as exc:
        click.echo(f"celerylint: error: {exc}", err=True)
        return None
    result.findings = []
    return recorded


def _existing(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The paths to check (default: the current folder); each missing one is an error on
    stderr, and the run exits 2 at once when none is left."""
    targets, missing = split_missing(paths) if paths else ([Path(".")], [])
    for problem in missing:
        click.echo(f"celerylint: error: {problem}", err=True)
    if not targets:
        sys.exit(EXIT_USAGE)
    return targets, missing


def _url_base(value: str | None) -> str | None:
    """``--rule-url-base``, checked like the ``rule-url-base`` key."""
    problem = url_base_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(f"must be {problem}, not {value!r}")
    return value


@dataclass(frozen=True)
class _Output:
    """Where and how the report is shown: ``-o``, ``-q``/``-qq``, ``--color``, and what
    the ``[*]`` markers mean in this run."""

    file: Path | None = None
    quiet: int = 0
    color: str = "auto"
    view: FixView = field(default_factory=FixView)

    @property
    def text_color(self) -> str:
        """A report file gets colour only when asked for (``--color always``)."""
        return self.color if self.file is None or self.color == "always" else "never"


def _comparison(base_ref: str | None, new_only: bool) -> BaseComparison | None:
    """``--base-ref`` (or ``base-ref`` in the configuration) with ``--new-only``."""
    if base_ref is None:
        if new_only:
            _fail("--new-only needs --base-ref REF (or base-ref in [tool.celerylint])")
        return None
    return BaseComparison(BaseRequest(base_ref, new_only))


def _run_logged(each: _Prepared, log: verbose_log.Log) -> RunResult:
    """Check one project; with ``--verbose`` say what and how long on stderr."""
    log.project(each.group.root, each.group.project.config, len(each.selected),
                each.version.version)
    started = time.perf_counter()
    try:
        result = run(list(each.group.paths), each.options, each.selected, each.version,
                     each.group.root, each.load, each.comparison)
    except GitError as exc:
        _fail(f"--base-ref {each.options.base_ref}: {exc}")
    cache = result.model.project.cache
    log.checked(each.group.root, result.files_checked, len(cache.hits) if cache else 0,
                len(result.findings), time.perf_counter() - started)
    side = each.comparison.built if each.comparison is not None else None
    if side is not None:
        log.base(each.group.root, side.describe())
    return result


def _recorded_line(count: int, path: Path) -> str:
    """What ``--write-baseline`` did, in place of a report."""
    return f"Recorded {count} finding{'s' if count != 1 else ''} in {path}.\n"


def _deliver(output: _Output, write: Callable[[TextIO], None]) -> None:
    """Write the report to stdout or, whole, to ``-o FILE``; ``-qq`` keeps stdout empty."""
    if output.quiet >= 2 and output.file is None:
        return
    try:
        with report_stream(output.file) as stream:
            write(stream)
    except OutputError as exc:
        _fail(str(exc))


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
    load = replace(each.load, progress=None, rules_progress=None,
                   cache_dir=None if each.mode.diff else each.load.cache_dir)
    root, paths = each.group.root, list(each.group.paths)
    return lambda base: run(retarget(paths, root, base), each.options, each.selected,
                            each.version, base, load, each.comparison)


def _fix_each(prepared: Sequence[_Prepared], results: list[RunResult], mode: FixMode,
              machine_output: bool, exit_zero: bool, failed: bool,
              output_file: Path | None = None) -> tuple[list[RunResult], int]:
    """Apply the fixes of each project on its own (or, with --diff, print them all, to
    `output_file` when given, and exit, with 2 when `failed`: a path was missing, the
    configuration has errors, nothing could be read); the checks after fixing and how
    many fixes were applied."""
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
        _print_diff(reports, mode, exit_zero, failed, output_file)
    if mode.show_fixes:
        click.echo("\n".join(_fixed_lines(reports)), err=machine_output)
    return fixed_results, sum(len(report.outcome.applied) for _, report in reports)


def _fixed_lines(reports: Sequence[tuple[Path, FixReport]], would: bool = False) -> list[str]:
    """``--show-fixes`` over every project fixed."""
    lines = [line for root, report in reports if report.outcome.applied
             for line in fixed_lines(root, report.outcome.applied, would)]
    return lines or fixed_lines(reports[0][0], [], would)


def _print_diff(reports: Sequence[tuple[Path, FixReport]], mode: FixMode,
                exit_zero: bool, failed: bool, output_file: Path | None = None) -> NoReturn:
    """``--diff``: every project's changes as one patch on stdout (or, whole, in
    ``-o FILE``), a summary on stderr."""
    diff = b"".join(report.diff for _, report in reports)
    _write_patch(diff, output_file)
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
    if errors or failed:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if diff and not exit_zero else 0)


def _write_patch(diff: bytes, output_file: Path | None) -> None:
    """The patch as bytes (file names need not be UTF-8): on stdout, or in `output_file`
    written whole or not at all, like a report."""
    if output_file is not None:
        try:
            write_atomically(output_file, diff)
        except OutputError as exc:
            _fail(str(exc))
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(diff)
    sys.stdout.flush()


def _report(result: RunResult, output_format: str, statistics: bool, fixed: int = 0,
            unsafe: int = 0, errors: Sequence[str] | None = None,
            url_base: str | None = None, stream: TextIO | None = None,
            output: _Output | None = None) -> None:
    """The report in `output_format` on `stream` (stdout by default)."""
    stream = stream or sys.stdout
    output = output or _Output()
    if output_format == "json":
        stream.write(json_report.render(result.root,
                                            result.findings, url_base))
        _stderr_notices(result, output.quiet)
        return
    if output_format == "sarif":
        stream.write(sarif_report.render(result.root, result.findings,
                                             result.model.project.internal_errors,
                                             result.notices, url_base, result.compared))
        return
    if output_format in ("github", "gitlab"):
        module = github_report if output_format == "github" else gitlab_report
        if output_format == "github":
            stream.write(github_report.render(result.root, result.findings, result.notices))
            return
        stream.write(module.render(result.root, result.findings))
        _stderr_notices(result, output.quiet)
        return
    out = text_report.console(stream, output.text_color)
    closing = text_report.Closing(fixed, unsafe, output.view, output.quiet > 0)
    if statistics:
        text_report.render_statistics(out, result.findings, closing, len(result.notices))
    elif output_format == "concise":
        text_report.render_concise(out, result.root, result.findings, closing, result.notices)
    else:
        text_report.render_full(out, result.root, result.findings, closing, result.notices)


def _stderr_notices(result: RunResult, quiet: int = 0) -> None:
    """Notices of JSON-array formats go to stderr: stdout stays the array (``-q``: none)."""
    for line in [] if quiet else json_report.stderr_notices(result.root, result.notices):
        click.echo(line, err=True)


@cli.command("config")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--celery-version", help="Target Celery version (X.Y).")
def config_command(path: Path | None, output_format: str, celery_version: str | None
                   ) -> None:
    """Print every app's effective Celery configuration and where each value comes from
    (exit 2 when celerylint's own configuration has errors: shown with the defaults)."""
    project = locate_project(path or Path("."))
    configs = _configurations()
    root, options = project.root, configs.options(project.config)
    try:
        version = target_version(root, options, celery_version)
    except ValueError as exc:
        _fail(str(exc))
    model = build_model(root, options, version, None, frozenset())
    if output_format == "json":
        sys.stdout.write(config_report.render_json(root, model, version))
    else:
        config_report.render_text(text_report.console(), root, model, version)
    if configs.failed:
        sys.exit(EXIT_USAGE)


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "every", is_flag=True, help="Show every rule's documentation.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def rule(code: str | None, every: bool, output_format: str) -> None:
    """Show the documentation of the rule CODE (a code or a name, such as
    pickle-serializer): rendered through a pager on a terminal, Markdown when piped."""
    if (code is None) == (not every):
        _fail("give a rule code or name, or --all (not both)")
    catalog = load_catalog()
    try:
        specs = list(catalog.values()) if every else [rule_doc.find_rule(catalog, code or "")]
    except rule_doc.UnknownRule as exc:
        _fail(str(exc))
    if output_format == "json":
        sys.stdout.write(rule_doc.as_json(specs, single=not every))
        return
    rule_doc.show(text_report.console(), rule_doc.markdown(specs))


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
