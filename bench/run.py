"""Benchmark celerylint against ruff, flake8 and celery-audit on the real-world corpus.

    python bench/run.py [--repeats N] [--quick] [--projects a,b] [--output PATH]

Why a harness and not a test: timings depend on the machine, so they are measured on
demand and written to bench/results.md (absolute seconds next to the core count and
Python version), where the ratios celerylint / peer are checked against the project's
performance targets. Nothing here is part of the test suite; tests/test_bench.py only
checks the pure helpers (median, ratios, rendering).

What it does, in order:

* fetches the corpus with ../shared/corpus/fetch-corpus.sh (idempotent; a no-op when the
  projects are already unpacked in $CELERYLINT_CORPUS or ~/.cache/celerylint-corpus);
* installs the peers, pinned, in their own virtualenv bench/.peers-venv, so that they
  never become dependencies of celerylint;
* times every tool on every project, interleaved (each repeat runs each tool once in a
  fixed rotation, so machine noise hits all tools alike), and keeps median, min and max;
* measures celerylint's peak memory, and its time and peak memory on 1x, 2x and 4x
  copies of the corpus;
* checks a tree mixing the corpus projects against each of them checked alone;
* times a generated file in 3.12 syntax against its 3.11 twin (the cost of lowering);
* builds celerylint as a wheel into bench/.celerylint-venv (with flake8, whose plugin
  it is) and times one task module checked after an edit, warm, against flake8.

The celerylint under test is the one installed beside the interpreter running this
script. Only POSIX systems are supported (memory is read through wait4 and /proc).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FETCH = REPO.parent / "shared" / "corpus" / "fetch-corpus.sh"
PEERS_VENV = BENCH / ".peers-venv"
CELERYLINT_VENV = BENCH / ".celerylint-venv"  # celerylint as a wheel, + flake8 for the plugin
# Pinned so that figures stay comparable from run to run.
PEERS = ("ruff==0.17.5", "flake8==7.5.0", "celery-audit==0.1.0")
FLAKE8_PIN = PEERS[1]

WHOLE = "corpus"
COLD = "celerylint cold"
WARM = "celerylint warm"
RUFF = "ruff"
FLAKE8 = "flake8"
AUDIT = "celery-audit"
# The fixed rotation of every repeat, and the column order of the tables.
TOOLS = (COLD, WARM, RUFF, FLAKE8, AUDIT)
PEER_TOOLS = (RUFF, FLAKE8, AUDIT)
CELERYLINT_FLAGS = ("--no-cache", "--cache-dir", "--jobs")

RSS_LIMIT_MB = 300.0
SCALES = (1, 2, 4)
SCALE_TOLERANCE = 0.20
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class Project:
    """A benchmark target, with paths relative to the corpus folder.

    celery-audit discovers nothing by itself: its configuration modules are named by
    hand here (read from the corpus), in the order they take effect, Django settings
    first and then the module that builds the Celery app. A project without them has
    no celery-audit column.
    """

    name: str
    paths: tuple[str, ...]
    configs: tuple[str, ...] = ()
    namespace: str | None = None


_PRETIX = ("pretix/pretix/settings.py", "pretix/pretix/celery_app.py")
_WEBLATE = ("weblate/weblate/settings_example.py", "weblate/weblate/utils/celery.py")
_MAYAN = ("mayan-edms/mayan/settings/base.py", "mayan-edms/mayan/settings/production.py",
          "mayan-edms/mayan/celery.py")

PROJECTS = {
    "pretix": Project("pretix", ("pretix",), _PRETIX, "CELERY"),
    "weblate": Project("weblate", ("weblate",), _WEBLATE, "CELERY"),
    "mayan-edms": Project("mayan-edms", ("mayan-edms",), _MAYAN, "CELERY"),
    WHOLE: Project(WHOLE, (".",), _PRETIX + _WEBLATE + _MAYAN, "CELERY"),
}
_AIRFLOW_EXECUTORS = "apache-airflow-providers-celery/airflow/providers/celery/executors/"
_AIRFLOW = (_AIRFLOW_EXECUTORS + "default_celery.py",)

# Small projects for --quick, a smoke run of the harness itself.
QUICK_PROJECTS = {
    "apache-airflow-providers-celery": Project(
        "apache-airflow-providers-celery", ("apache-airflow-providers-celery",), _AIRFLOW),
    "django-celery-beat": Project("django-celery-beat", ("django-celery-beat",)),
}


@dataclass(frozen=True)
class RatioTarget:
    """A performance target: celerylint's median over a peer's median, at most `limit`."""

    project: str
    tool: str
    peer: str
    limit: float


RATIO_TARGETS = (  # issue 14's targets
    RatioTarget("pretix", COLD, FLAKE8, 0.05),
    RatioTarget("pretix", COLD, AUDIT, 0.05),
    RatioTarget("pretix", COLD, RUFF, 2.0),
    RatioTarget(WHOLE, COLD, RUFF, 1.7),
    RatioTarget(WHOLE, WARM, RUFF, 0.4),
)
ONE_FILE_LIMIT = 0.25  # seconds: one file checked after an edit, warm, wheel install
# The one-file and newer-syntax cases are runs of a fraction of a second judged to tens of
# milliseconds: three samples of each cannot resolve that, and more cost only seconds.
SHORT_CASE_FACTOR = 5
ONE_FILE_FLAKE8_LIMIT = 0.5  # x flake8 --select CEL on the same file
NEWER_SYNTAX_LIMIT = 0.030  # seconds over the same file written in 3.11 syntax
MIX_TOLERANCE = 0.20  # a mixed tree vs the sum of its projects checked alone


@dataclass(frozen=True)
class Summary:
    """Median, minimum and maximum of repeated timings (seconds)."""

    median: float
    low: float
    high: float


def summarize(samples: Sequence[float]) -> Summary | None:
    """The median (robust to one noisy run) with the range, None without samples."""
    if not samples:
        return None
    return Summary(statistics.median(samples), min(samples), max(samples))


def ratio(numerator: Summary | None, denominator: Summary | None) -> float | None:
    """Ratio of medians, None when either side was not measured."""
    if numerator is None or denominator is None or denominator.median <= 0:
        return None
    return numerator.median / denominator.median


def verdict(value: float | None, limit: float) -> str:
    """PASS or FAIL against an upper limit; n/a when nothing was measured."""
    if value is None:
        return NOT_APPLICABLE
    return "PASS" if value <= limit else "FAIL"


@dataclass
class Outcome:
    """The timings of one tool on one project, or why there are none."""

    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def summary(self) -> Summary | None:
        """None when the tool failed or does not apply, so no ratio uses a partial run."""
        return None if self.note else summarize(self.samples)


@dataclass(frozen=True)
class Memory:
    """Peak memory of one run, in bytes; tree is None where /proc cannot be read."""

    tree: int | None
    largest: int
    note: str = ""


@dataclass
class ProjectResult:
    """Everything measured on one project."""

    name: str
    files: int
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    memory: Memory | None = None

    def summary(self, tool: str) -> Summary | None:
        """The tool's summary, None when it was not measured."""
        outcome = self.outcomes.get(tool)
        return None if outcome is None else outcome.summary


@dataclass
class ScaleResult:
    """celerylint cold on `copies` copies of the corpus, and its peak memory there."""

    copies: int
    files: int
    outcome: Outcome = field(default_factory=Outcome)
    memory: Memory | None = None


@dataclass
class PairResult:
    """celerylint and a reference timed interleaved on one input: the one-file case
    (reference: flake8 with the plugin) or the newer-syntax file (reference: the same
    file in 3.11 syntax)."""

    subject: str
    ours: Outcome = field(default_factory=Outcome)
    reference: Outcome = field(default_factory=Outcome)


@dataclass
class MixResult:
    """celerylint cold on a tree mixing several real projects, on each alone, and on an
    empty project (the start-up every run pays once)."""

    files: int
    whole: Outcome = field(default_factory=Outcome)
    parts: dict[str, Outcome] = field(default_factory=dict)
    startup: Outcome = field(default_factory=Outcome)

    def parts_seconds(self) -> float | None:
        """What the tree should cost if nothing grows faster than the input: the sum of
        the medians of the projects checked alone, with one start-up instead of one per
        project."""
        summaries = [outcome.summary for outcome in self.parts.values()]
        startup = self.startup.summary
        if not summaries or startup is None or any(s is None for s in summaries):
            return None
        return startup.median + sum(s.median - startup.median
                                    for s in summaries if s is not None)

    def deviation(self) -> float | None:
        """The mixed tree's time over the sum of its parts, minus 1 (superlinear > 0)."""
        whole, parts = self.whole.summary, self.parts_seconds()
        return None if whole is None or not parts else whole.median / parts - 1


@dataclass(frozen=True)
class Environment:
    """What the figures depend on, printed above them."""

    cores: int
    python: str
    system: str
    celerylint: str
    commit: str
    flags: tuple[str, ...]
    peers: tuple[tuple[str, str], ...]
    repeats: int
    quick: bool
    load: tuple[float, ...] = ()


@dataclass
class Results:
    """One run of the harness, as rendered into results.md."""

    env: Environment
    projects: list[ProjectResult]
    scaling: list[ScaleResult]
    scaled: str = WHOLE
    commands: list[str] = field(default_factory=list)
    one_file: PairResult | None = None
    newer_syntax: PairResult | None = None
    mix: MixResult | None = None


# ---------------------------------------------------------------- rendering (pure)


def fmt_seconds(summary: Summary | None, note: str = "") -> str:
    """'7.41 (7.30-7.60)': median with the range, so noise is visible next to the value."""
    if summary is None:
        return note or NOT_APPLICABLE
    return f"{summary.median:.2f} ({summary.low:.2f}-{summary.high:.2f})"


def fmt_ratio(value: float | None) -> str:
    """'0.05x'; n/a when a side is missing."""
    return NOT_APPLICABLE if value is None else f"{value:.2f}x"


def fmt_mb(size: int | None) -> str:
    """Bytes as whole megabytes (10^6, as the 300 MB target is written)."""
    return NOT_APPLICABLE if size is None else f"{size / 1e6:.0f} MB"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table whose columns are padded, so it also reads well in a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def find_project(results: Results, name: str) -> ProjectResult | None:
    """The named project's result, None when it was not part of this run."""
    return next((p for p in results.projects if p.name == name), None)


def target_ratio(results: Results, target: RatioTarget) -> float | None:
    """The measured ratio a target is about."""
    project = find_project(results, target.project)
    if project is None:
        return None
    return ratio(project.summary(target.tool), project.summary(target.peer))


def ratio_cell(results: Results, project: ProjectResult, tool: str, peer: str) -> str:
    """A ratio, with PASS/FAIL and the limit when a target is set on it."""
    value = ratio(project.summary(tool), project.summary(peer))
    text = fmt_ratio(value)
    for target in RATIO_TARGETS:
        key = (target.project, target.tool, target.peer)
        if value is not None and key == (project.name, tool, peer):
            text += f" {verdict(value, target.limit)} (<= {target.limit:g}x)"
    return text


def per_file(result: ScaleResult) -> float | None:
    """Median seconds per file, the quantity that must stay flat as the input grows."""
    summary = result.outcome.summary
    return None if summary is None or result.files == 0 else summary.median / result.files


def deviations(scaling: Sequence[ScaleResult]) -> list[float | None]:
    """Each scale's time per file relative to the 1x one (0.1 = 10% slower per file)."""
    base = per_file(scaling[0]) if scaling else None
    out: list[float | None] = []
    for result in scaling:
        value = per_file(result)
        out.append(None if value is None or not base else value / base - 1)
    return out


def fmt_deviation(value: float | None) -> str:
    """'+3%' or '-12%'."""
    return NOT_APPLICABLE if value is None else f"{value * 100:+.0f}%"


def targets_rows(results: Results) -> list[list[str]]:
    """One row per performance target: what was measured, the limit, and the verdict."""
    rows = []
    for target in RATIO_TARGETS:
        value = target_ratio(results, target)
        label = f"{target.project}, {target.tool.split()[-1]}: celerylint / {target.peer}"
        rows.append([label, fmt_ratio(value), f"<= {target.limit:g}x",
                     verdict(value, target.limit)])
    rows += one_file_rows(results.one_file) + newer_syntax_rows(results.newer_syntax)
    largest = results.scaling[-1] if results.scaling else None
    memory = largest.memory if largest is not None else None
    tree = memory.tree if memory is not None and not memory.note else None
    rows.append([f"{largest.copies if largest else SCALES[-1]}x copies, peak RSS of "
                 "celerylint (process tree)", fmt_mb(tree), f"<= {RSS_LIMIT_MB:g} MB",
                 verdict(None if tree is None else tree / 1e6, RSS_LIMIT_MB)])
    for result, dev in zip(results.scaling[1:], deviations(results.scaling)[1:]):
        rows.append([f"{result.copies}x copies: time per file vs 1x", fmt_deviation(dev),
                     f"+/- {SCALE_TOLERANCE:.0%}",
                     verdict(None if dev is None else abs(dev), SCALE_TOLERANCE)])
    mix = results.mix.deviation() if results.mix is not None else None
    rows.append(["mixed tree: time vs its projects checked alone", fmt_deviation(mix),
                 f"<= {MIX_TOLERANCE:+.0%}", verdict(mix, MIX_TOLERANCE)])
    return rows


def one_file_rows(pair: PairResult | None) -> list[list[str]]:
    """The one-file case: absolute seconds, and the ratio to flake8 with the plugin."""
    ours = pair.ours.summary if pair is not None else None
    seconds = None if ours is None else ours.median
    versus = ratio(ours, pair.reference.summary) if pair is not None else None
    return [["one file after an edit, warm (wheel): celerylint",
             NOT_APPLICABLE if seconds is None else f"{seconds:.3f} s",
             f"<= {ONE_FILE_LIMIT:g} s", verdict(seconds, ONE_FILE_LIMIT)],
            ["one file after an edit: celerylint / flake8 --select CEL", fmt_ratio(versus),
             f"<= {ONE_FILE_FLAKE8_LIMIT:g}x", verdict(versus, ONE_FILE_FLAKE8_LIMIT)]]


def newer_syntax_rows(pair: PairResult | None) -> list[list[str]]:
    """The file in 3.12 syntax: seconds over its 3.11 twin (the cost of lowering)."""
    ours = pair.ours.summary if pair is not None else None
    twin = pair.reference.summary if pair is not None else None
    extra = None if ours is None or twin is None else ours.median - twin.median
    return [["newer-syntax file: seconds over its 3.11 twin",
             NOT_APPLICABLE if extra is None else f"{extra * 1000:+.0f} ms",
             f"<= {NEWER_SYNTAX_LIMIT * 1000:g} ms", verdict(extra, NEWER_SYNTAX_LIMIT)]]


def times_rows(results: Results) -> list[list[str]]:
    """Absolute seconds per tool and project."""
    rows = []
    for project in results.projects:
        cells = [project.name, str(project.files)]
        for tool in TOOLS:
            outcome = project.outcomes.get(tool, Outcome(note=NOT_APPLICABLE))
            cells.append(fmt_seconds(outcome.summary, outcome.note))
        rows.append(cells)
    return rows


def ratio_rows(results: Results) -> list[list[str]]:
    """celerylint (cold and warm) over each peer, per project."""
    return [[project.name, *(ratio_cell(results, project, tool, peer)
                             for tool in (COLD, WARM) for peer in PEER_TOOLS)]
            for project in results.projects]


def memory_rows(results: Results) -> list[list[str]]:
    """Peak memory of one cold celerylint run per project."""
    rows = []
    for project in results.projects:
        memory = project.memory
        if memory is None or memory.note:
            note = NOT_APPLICABLE if memory is None else memory.note
            rows.append([project.name, note, note])
        else:
            rows.append([project.name, fmt_mb(memory.tree), fmt_mb(memory.largest)])
    return rows


def scaling_rows(results: Results) -> list[list[str]]:
    """Time and time per file on 1x, 2x and 4x copies."""
    rows = []
    for result, dev in zip(results.scaling, deviations(results.scaling)):
        value = per_file(result)
        memory = result.memory
        rows.append([f"{result.copies}x", str(result.files),
                     fmt_seconds(result.outcome.summary, result.outcome.note),
                     NOT_APPLICABLE if value is None else f"{value * 1000:.2f}",
                     fmt_deviation(dev),
                     memory.note or fmt_mb(memory.tree) if memory else NOT_APPLICABLE])
    return rows


def pair_rows(results: Results) -> list[list[str]]:
    """The one-file and newer-syntax timings, each beside its reference."""
    rows = []
    for label, pair, reference in (
            ("one file after an edit (warm, wheel)", results.one_file,
             "flake8 --select CEL"),
            ("newer-syntax file (3.12 syntax, cold)", results.newer_syntax,
             "same file, 3.11 syntax")):
        if pair is not None:
            rows.append([label, pair.subject, fmt_seconds(pair.ours.summary, pair.ours.note),
                         reference,
                         fmt_seconds(pair.reference.summary, pair.reference.note)])
    return rows


def mix_rows(mix: MixResult | None) -> list[list[str]]:
    """Each project of the mixed tree alone, then the sum, then the tree itself."""
    if mix is None:
        return []
    rows = [["an empty project (start-up)", fmt_seconds(mix.startup.summary, mix.startup.note)]]
    rows += [[name, fmt_seconds(outcome.summary, outcome.note)]
             for name, outcome in mix.parts.items()]
    parts = mix.parts_seconds()
    rows.append(["sum of the projects, one start-up",
                 NOT_APPLICABLE if parts is None else f"{parts:.2f}"])
    rows.append([f"all together ({mix.files} .py files)",
                 fmt_seconds(mix.whole.summary, mix.whole.note)])
    return rows


def header_lines(env: Environment) -> list[str]:
    """The conditions of the run: the figures mean nothing without them."""
    peers = ", ".join(f"{name} {version}" for name, version in env.peers)
    flags = ", ".join(env.flags) or "none"
    source = f"HEAD {env.commit}, plus any uncommitted edits"
    lines = [
        "# celerylint benchmark",
        "",
        "Written by `python bench/run.py`; re-run it rather than editing this file.",
        "",
        f"- Machine: {env.cores} cores, {env.system}, Python {env.python}",
        f"- celerylint {env.celerylint} ({source}), flags available: {flags}",
        f"- Peers (bench/.peers-venv): {peers}",
        f"- Repeats: {env.repeats}, interleaved ({env.repeats * SHORT_CASE_FACTOR} for the "
        "one-file and newer-syntax cases); wall-clock seconds as median (min-max)",
    ]
    if env.load:
        # Other work on the machine skews absolute times; this shows how busy it was.
        loads = " / ".join(f"{value:.1f}" for value in env.load)
        lines.append(f"- Load average (1 min) at start / end: {loads}")
    if env.quick:
        lines += ["", "**Quick smoke run: small projects, one repeat; not a measurement.**"]
    return lines


METHOD = """\
- The celerylint under test is byte-compiled first (`python -m compileall`), as pip
  does when it installs a wheel: an editable checkout under PYTHONDONTWRITEBYTECODE
  would otherwise compile every module on every run.
- Every repeat runs each tool once on each project in the fixed order of the columns,
  so that noise from the machine falls on all tools alike. Output goes to /dev/null.
- cold: `--no-cache` (or a fresh empty `--cache-dir` when only that flag exists).
  warm: a `--cache-dir` filled by one untimed run before the first repeat, which also
  brings the files into the OS page cache for every tool. `--jobs` is the core count,
  as is flake8's `-j`. Without `--cache-dir`, warm is n/a.
- ruff runs with `--isolated --no-cache` (default rules, no configuration file, no
  cache); flake8 with `--isolated`; celery-audit with each project's configuration
  modules named by hand (the whole corpus: all of them), namespace `CELERY`.
- Memory: one extra cold run per project, not timed. "Process tree" is the peak of the
  sum of the resident set sizes of celerylint and all its descendants, sampled every
  20 ms from /proc (pages shared by forked workers count once per process, so this
  overstates); "largest process" is ru_maxrss from wait4, the peak of the single
  largest process among celerylint and the workers it reaped.
- Scaling: the corpus hard-linked 1, 2 and 4 times into copyN/ folders of a temporary
  directory, each checked cold as a whole; time per file is the median over the number
  of .py files, compared with the 1x one. Peak RSS: one extra cold run per scale, as
  above; the target is on the largest.
- Mixed tree: an empty project (the start-up every run pays), every corpus project
  checked cold alone, then all of them in one run (several real projects, not copies
  of one); the run together must not cost more than the sum of the runs alone with one
  start-up instead of one each (+20%), or some step grows faster than the input.
- One file: celerylint built as a wheel and installed with flake8 in bench/.celerylint-venv;
  the first project hard-linked into a temporary folder, a warm `--cache-dir` filled by
  one untimed run; each repeat appends a comment to its first task module, then times
  `celerylint check FILE --select ALL --exit-zero --cache-dir ...` and
  `flake8 --isolated --select CEL FILE` (the plugin) on it.
- Newer syntax: a generated task module in 3.12 syntax (PEP 695 aliases and generics,
  PEP 701 f-strings) and its 3.11 twin, each alone in a folder, checked cold; the
  target is the difference of the medians (the cost of lowering)."""


def render_report(results: Results) -> str:
    """The whole of results.md: same sections in the same order on every run."""
    parts = [
        "\n".join(header_lines(results.env)),
        "## Targets\n\n" + render_table(["target", "measured", "limit", "result"],
                                        targets_rows(results)),
        "## Times (seconds)\n\n" + render_table(["project", ".py files", *TOOLS],
                                                times_rows(results)),
        "## Ratios celerylint / peer (medians)\n\n" + render_table(
            ["project", *(f"{tool.split()[-1]} / {peer}" for tool in (COLD, WARM)
                          for peer in PEER_TOOLS)],
            ratio_rows(results)),
        "## Peak memory of celerylint, cold\n\n" + render_table(
            ["project", "process tree", "largest process"], memory_rows(results)),
        f"## Scaling: celerylint cold on copies of {results.scaled}\n\n" + render_table(
            ["copies", ".py files", "seconds", "ms per file", "per file vs 1x",
             "peak RSS (tree)"],
            scaling_rows(results)),
        "## One file, and a file in newer syntax\n\n" + render_table(
            ["case", "file", "celerylint", "reference", "reference seconds"],
            pair_rows(results) or [[NOT_APPLICABLE] * 5]),
        "## Mixed tree: several real projects together\n\n" + render_table(
            ["celerylint cold on", "seconds"], mix_rows(results.mix) or [[NOT_APPLICABLE] * 2]),
        "## Commands\n\nAs run from the corpus folder, for the first project:\n\n```\n"
        + "\n".join(results.commands) + "\n```",
        "## How this is measured\n\n" + METHOD,
    ]
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------- environment


def log(message: str) -> None:
    """Progress on stderr, so that a long run shows it is alive."""
    print(message, file=sys.stderr, flush=True)


def cpu_count() -> int:
    """CPUs this process may use (what a pool sized by default would get)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def load_average() -> float:
    """The 1-minute load average (0.0 where the system does not report one)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def corpus_dir() -> Path:
    """The corpus folder, fetched (or completed) by the shared script when it can be."""
    default = Path.home() / ".cache" / "celerylint-corpus"
    target = Path(os.environ.get("CELERYLINT_CORPUS", default))
    if FETCH.is_file():
        env = {"PYTHON": sys.executable, **os.environ}
        subprocess.run(["bash", str(FETCH), str(target)], check=True, env=env,
                       stdout=sys.stderr)
    elif not any(target.glob("*/.done")):
        sys.exit(f"no corpus in {target} and {FETCH} not found")
    return target


def corpus_projects(corpus: Path) -> list[str]:
    """The unpacked project folders (the script marks each one with .done)."""
    return sorted(p.parent.name for p in corpus.glob("*/.done"))


def ensure_peers(venv: Path = PEERS_VENV) -> Path:
    """The bin folder of a virtualenv holding the pinned peers, created on first use."""
    stamp = venv / "peers.txt"
    wanted = "\n".join(PEERS) + "\n"
    if not (stamp.is_file() and stamp.read_text() == wanted):
        log(f"installing {', '.join(PEERS)} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        *PEERS], check=True, stdout=sys.stderr)
        stamp.write_text(wanted)
    return venv / "bin"


def peer_versions(bin_dir: Path) -> tuple[tuple[str, str], ...]:
    """Installed versions, read from the peers' own metadata."""
    names = [spec.split("==")[0] for spec in PEERS]
    code = "import sys, importlib.metadata as m; print(*(m.version(n) for n in sys.argv[1:]))"
    done = subprocess.run([str(bin_dir / "python"), "-c", code, *names], check=True,
                          capture_output=True, text=True)
    return tuple(zip(names, done.stdout.split()))


def celerylint_command() -> str:
    """The celerylint script beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "celerylint"
    return str(beside) if beside.exists() else (shutil.which("celerylint") or "celerylint")


def compile_celerylint() -> None:
    """Byte-compile the celerylint under test (the one this interpreter imports), as pip
    does when it installs a wheel. A checkout installed in editable mode under
    PYTHONDONTWRITEBYTECODE=1 otherwise compiles every module on every run (about 0.2 s
    on this machine), a cost no installed copy pays; the .pyc files go to __pycache__
    folders that git ignores."""
    done = subprocess.run([sys.executable, "-c", "import celerylint; print(celerylint.__file__)"],
                          check=True, capture_output=True, text=True)
    package = Path(done.stdout.strip()).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def available_flags(celerylint: str) -> tuple[str, ...]:
    """Which performance flags this celerylint has (they may predate or postdate it)."""
    done = subprocess.run([celerylint, "check", "--help"], capture_output=True, text=True,
                          check=False)
    return tuple(flag for flag in CELERYLINT_FLAGS
                 if re.search(re.escape(flag) + r"(?![\w-])", done.stdout))


def celerylint_version(celerylint: str) -> str:
    """The last word of `celerylint --version`."""
    done = subprocess.run([celerylint, "--version"], capture_output=True, text=True,
                          check=False)
    words = done.stdout.split()
    return words[-1] if words else "unknown"


def git_commit() -> str:
    """Short commit of the repository under test (read-only git call)."""
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def count_files(corpus: Path, paths: Sequence[str]) -> int:
    """The .py files a project holds: the unit of the time-per-file figures."""
    return sum(1 for path in paths for _ in (corpus / path).rglob("*.py"))


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class Setup:
    """What every command line is built from."""

    celerylint: str
    flags: tuple[str, ...]
    peers: Path
    jobs: int
    scratch: Path


def celerylint_argv(setup: Setup, project: Project, tool: str) -> list[str] | None:
    """celerylint cold or warm; None for warm when there is no --cache-dir yet."""
    argv = [setup.celerylint, "check", *project.paths, "--select", "ALL", "--exit-zero"]
    if "--jobs" in setup.flags:
        argv += ["--jobs", str(setup.jobs)]
    if tool == WARM:
        if "--cache-dir" not in setup.flags:
            return None
        return [*argv, "--cache-dir", str(setup.scratch / f"warm-{project.name}")]
    if "--no-cache" in setup.flags:
        return [*argv, "--no-cache"]
    if "--cache-dir" in setup.flags:
        return [*argv, "--cache-dir", tempfile.mkdtemp(dir=setup.scratch, prefix="cold-")]
    return argv


def peer_argv(setup: Setup, project: Project, tool: str) -> list[str] | None:
    """A peer's command line; None for celery-audit on a project without config modules."""
    if tool == RUFF:
        return [str(setup.peers / "ruff"), "check", "--isolated", "--no-cache",
                *project.paths]
    if tool == FLAKE8:
        return [str(setup.peers / "flake8"), "--isolated", "-j", str(setup.jobs),
                *project.paths]
    if not project.configs:
        return None
    argv = [str(setup.peers / "celery-audit"), project.paths[0]]
    for config in project.configs:
        argv += ["--config", config]
    return argv + (["--settings-namespace", project.namespace] if project.namespace else [])


def command(setup: Setup, project: Project, tool: str) -> list[str] | None:
    """The command line timed for `tool` on `project`."""
    if tool in (COLD, WARM):
        return celerylint_argv(setup, project, tool)
    return peer_argv(setup, project, tool)


# Exit codes that mean "ran to the end": celerylint runs with --exit-zero, the peers
# exit 1 on findings (and 2, or a traceback, when they could not run).
OK_CODES = {COLD: (0,), WARM: (0,), RUFF: (0, 1), FLAKE8: (0, 1), AUDIT: (0, 1)}


def shown(argv: Sequence[str], setup: Setup) -> str:
    """A command line as the report shows it: without this machine's paths."""
    text = " ".join(argv)
    text = text.replace(str(setup.peers) + os.sep, "").replace(str(setup.scratch), "$TMP")
    return text.replace(setup.celerylint, "celerylint")


# ---------------------------------------------------------------- measuring


def failure(code: int, stderr: str) -> str:
    """A short reason for a failed run, for the table and the log."""
    last = stderr.strip().splitlines()[-1:] or [""]
    return f"error (exit {code})" + (f": {last[0][:120]}" if last[0] else "")


def time_run(argv: Sequence[str], cwd: Path, ok: Sequence[int]) -> tuple[float, str]:
    """Wall-clock seconds of one run, and a failure note ('' when it ran fine)."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, errors="replace", check=False)
    seconds = time.perf_counter() - start
    return seconds, "" if done.returncode in ok else failure(done.returncode, done.stderr)


def record(outcome: Outcome, argv: Sequence[str], cwd: Path, ok: Sequence[int],
           label: str) -> None:
    """Time one run into `outcome`; a failure stops further runs of that cell."""
    seconds, note = time_run(argv, cwd, ok)
    if note:
        outcome.note = note.split(":")[0]
        log(f"  {label}: {note}")
    else:
        outcome.samples.append(seconds)
        log(f"  {label}: {seconds:.2f}s")


def page_size() -> int:
    """Bytes per page, the unit of /proc/PID/statm."""
    return os.sysconf("SC_PAGE_SIZE")


def parent_map() -> dict[int, list[int]]:
    """Children of every process, from the parent id in /proc/PID/stat (after name, state)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def resident(pid: int) -> int:
    """Resident pages of one process, 0 once it is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    """Sum of the resident set sizes of `root` and all its descendants, in bytes."""
    children = parent_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += resident(pid)
        stack.extend(children.get(pid, ()))
    return total * page_size()


def maxrss_bytes(kilo_or_bytes: int) -> int:
    """ru_maxrss is in KiB on Linux and in bytes on macOS."""
    return kilo_or_bytes if sys.platform == "darwin" else kilo_or_bytes * 1024


def measure_memory(argv: Sequence[str], cwd: Path) -> Memory:
    """Peak memory of one run: sampled process-tree RSS and wait4's ru_maxrss."""
    sample = Path("/proc/self/stat").exists()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if sample:
                peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    note = "" if proc.returncode == 0 else failure(proc.returncode, stderr).split(":")[0]
    return Memory(peak if sample else None, maxrss_bytes(usage.ru_maxrss), note)


def prefill(setup: Setup, projects: Sequence[Project], corpus: Path) -> None:
    """Fill each warm cache once (untimed); this also warms the OS page cache."""
    for project in projects:
        argv = command(setup, project, WARM) or command(setup, project, COLD)
        if argv is not None:
            log(f"prefill {project.name}")
            time_run(argv, corpus, OK_CODES[WARM])


def time_projects(setup: Setup, projects: Sequence[Project], corpus: Path,
                  repeats: int) -> list[ProjectResult]:
    """The interleaved timing loop: repeats, then projects, then tools in rotation."""
    results = [ProjectResult(p.name, count_files(corpus, p.paths)) for p in projects]
    for result in results:
        result.outcomes = {tool: Outcome() for tool in TOOLS}
    for repeat in range(1, repeats + 1):
        for project, result in zip(projects, results):
            log(f"[{repeat}/{repeats}] {project.name}")
            for tool in TOOLS:
                outcome = result.outcomes[tool]
                argv = command(setup, project, tool)
                if argv is None:
                    outcome.note = NOT_APPLICABLE
                elif not outcome.note:
                    record(outcome, argv, corpus, OK_CODES[tool], tool)
    return results


def measure_projects_memory(setup: Setup, projects: Sequence[Project], corpus: Path,
                            results: Sequence[ProjectResult]) -> None:
    """One extra cold run per project, under the memory sampler."""
    for project, result in zip(projects, results):
        argv = command(setup, project, COLD)
        if argv is not None:
            result.memory = measure_memory(argv, corpus)
            log(f"memory {project.name}: {fmt_mb(result.memory.tree)} tree, "
                f"{fmt_mb(result.memory.largest)} largest process {result.memory.note}")


def link_tree(source: Path, dest: Path) -> None:
    """Hard-link (or copy, across file systems) every .py file of `source` into `dest`."""
    for path in source.rglob("*.py"):
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def build_copies(corpus: Path, names: Sequence[str], copies: int, dest: Path) -> int:
    """`copies` copies of the named projects in dest/copy1.../copyN; returns .py files."""
    for index in range(1, copies + 1):
        for name in names:
            link_tree(corpus / name, dest / f"copy{index}" / name)
    return count_files(dest, ["."])


def time_scaling(setup: Setup, corpus: Path, names: Sequence[str],
                 repeats: int) -> list[ScaleResult]:
    """celerylint cold on 1x, 2x and 4x copies, interleaved like the main loop."""
    whole = Project("scale", (".",))
    folders, results = [], []
    for copies in SCALES:
        folder = setup.scratch / f"scale{copies}"
        results.append(ScaleResult(copies, build_copies(corpus, names, copies, folder)))
        folders.append(folder)
    for repeat in range(1, repeats + 1):
        log(f"[{repeat}/{repeats}] scaling")
        for folder, result in zip(folders, results):
            argv = command(setup, whole, COLD)
            if argv is not None and not result.outcome.note:
                record(result.outcome, argv, folder, OK_CODES[COLD], f"{result.copies}x")
    return results


def measure_scaling_memory(setup: Setup, results: Sequence[ScaleResult]) -> None:
    """One extra cold run per scale under the memory sampler (the 4x target)."""
    whole = Project("scale", (".",))
    for result in results:
        argv = command(setup, whole, COLD)
        if argv is not None:
            result.memory = measure_memory(argv, setup.scratch / f"scale{result.copies}")
            log(f"memory {result.copies}x: {fmt_mb(result.memory.tree)} tree")


def time_mix(setup: Setup, corpus: Path, names: Sequence[str], repeats: int) -> MixResult:
    """celerylint cold on each project alone and on all of them together, interleaved: a
    step that grows faster than the input shows as the whole costing more than its parts."""
    mix = MixResult(count_files(corpus, names), parts={name: Outcome() for name in names})
    together = Project("mix", tuple(names))
    empty = setup.scratch / "empty"
    empty.mkdir()
    (empty / "pyproject.toml").write_text("[project]\nname = 'empty'\n")
    (empty / "empty.py").write_text("")
    for repeat in range(1, repeats + 1):
        log(f"[{repeat}/{repeats}] mixed tree")
        argv = command(setup, Project("empty", (".",)), COLD)
        if argv is not None and not mix.startup.note:
            record(mix.startup, argv, empty, OK_CODES[COLD], "start-up (empty project)")
        for name, outcome in mix.parts.items():
            argv = command(setup, Project(name, (name,)), COLD)
            if argv is not None and not outcome.note:
                record(outcome, argv, corpus, OK_CODES[COLD], name)
        argv = command(setup, together, COLD)
        if argv is not None and not mix.whole.note:
            record(mix.whole, argv, corpus, OK_CODES[COLD], "all together")
    return mix


def ensure_wheel_install(scratch: Path, venv: Path = CELERYLINT_VENV) -> Path:
    """The bin folder of a virtualenv holding celerylint built as a wheel from this
    checkout, beside flake8 (whose plugin it then is): the one-file case times what an
    installed celerylint runs, not an editable checkout. The wheel is rebuilt and
    reinstalled on every run, so it is always the code under test."""
    wheels = scratch / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(wheels), str(REPO)], check=True, stdout=sys.stderr)
    wheel = str(next(wheels.glob("celerylint-*.whl")))
    python = str(venv / "bin" / "python")
    if not (venv / "bin" / "flake8").exists():
        log(f"installing celerylint (wheel) and {FLAKE8_PIN} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", wheel, FLAKE8_PIN],
                       check=True, stdout=sys.stderr)
    else:
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--force-reinstall",
                        "--no-deps", wheel], check=True, stdout=sys.stderr)
    return venv / "bin"


_TASK_DECORATOR = re.compile(r"^\s*@(?:\w+\.)*(?:shared_task|task)\b", re.MULTILINE)


def task_module(root: Path) -> Path | None:
    """The first module (by path) that defines a Celery task: the file edited."""
    for path in sorted(root.rglob("*.py")):
        if _TASK_DECORATOR.search(path.read_text(encoding="utf-8", errors="replace")):
            return path
    return None


def private_copy(source: Path, dest: Path) -> None:
    """Hard links of every file of `source` (copies across file systems)."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, dest, symlinks=True, copy_function=link)


def time_one_file(bin_dir: Path, corpus: Path, project: Project, scratch: Path,
                  repeats: int) -> PairResult | None:
    """A warm cache, then per repeat: one task module edited (a comment appended), then
    `celerylint check THAT_FILE` and `flake8 --select CEL THAT_FILE`, from the wheel
    install. The project is hard-linked into a scratch folder and the edited file is a
    real copy, so the corpus never changes."""
    root = scratch / "one-file" / project.name
    private_copy(corpus / project.paths[0], root)
    edited = task_module(root)
    if edited is None:
        return None
    data = edited.read_bytes()
    edited.unlink()
    edited.write_bytes(data)  # no longer a link into the corpus
    relative = str(edited.relative_to(root))
    cache = str(scratch / "one-file-cache")
    time_run([str(bin_dir / "celerylint"), "check", ".", "--select", "ALL", "--exit-zero",
              "--cache-dir", cache], root, OK_CODES[WARM])
    pair = PairResult(f"{project.name}/{relative}")
    for repeat in range(1, repeats + 1):
        log(f"[{repeat}/{repeats}] one file")
        with edited.open("a", encoding="utf-8") as handle:
            handle.write(f"# bench edit {repeat}\n")
        if not pair.ours.note:
            record(pair.ours, [str(bin_dir / "celerylint"), "check", relative, "--select",
                               "ALL", "--exit-zero", "--cache-dir", cache],
                   root, OK_CODES[WARM], "celerylint")
        if not pair.reference.note:
            record(pair.reference, [str(bin_dir / "flake8"), "--isolated", "--select",
                                    "CEL", relative], root, OK_CODES[FLAKE8], "flake8")
    return pair


def newer_syntax_source(newer: bool, statements: int = 90) -> str:
    """About 800 lines of task code; about one top-level statement in three has a 3.12
    construct (a ``type`` alias, a generic function, an f-string reusing its quotes)
    when `newer`, else its 3.11 twin, so that the two files differ only by lowering."""
    out = ["from celery import shared_task\n\n"]
    for index in range(statements):
        kind = index % 6
        if kind == 0:
            out.append(f"type Alias{index} = list[int]\n" if newer
                       else f"Alias{index} = list[int]\n")
        elif kind == 3:
            out.append(f"def generic_{index}[T](x: T) -> T:\n    return x\n" if newer
                       else f"def generic_{index}(x):\n    return x\n")
        out.append(f"\n@shared_task(acks_late=True)\ndef task_{index}(order_id, data):\n"
                   "    total = 0\n    for step in range(order_id):\n        total += step\n")
        if kind == 5:
            out.append('    label = f"{data["key"]}"\n' if newer
                       else "    label = f\"{data['key']}\"\n")
        out.append("    return total\n\n")
    return "".join(out)


def time_newer_syntax(setup: Setup, repeats: int) -> PairResult:
    """celerylint cold on the file in 3.12 syntax, and on its 3.11 twin, interleaved."""
    folders = []
    for newer in (True, False):
        folder = setup.scratch / ("newer-312" if newer else "newer-311")
        folder.mkdir()
        (folder / "pyproject.toml").write_text("[project]\nname = 'newer'\n")
        (folder / "tasks.py").write_text(newer_syntax_source(newer))
        folders.append(folder)
    pair = PairResult("tasks.py (generated)")
    argv = [setup.celerylint, "check", "tasks.py", "--select", "ALL", "--exit-zero",
            "--no-cache"]
    for repeat in range(1, repeats + 1):
        log(f"[{repeat}/{repeats}] newer syntax")
        for folder, outcome in zip(folders, (pair.ours, pair.reference)):
            if not outcome.note:
                record(outcome, argv, folder, OK_CODES[COLD], folder.name)
    return pair


# ---------------------------------------------------------------- main


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary folder for caches and corpus copies, removed however the run ends."""
    path = Path(tempfile.mkdtemp(prefix="celerylint-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description="Benchmark celerylint against ruff, flake8 and celery-audit.")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs per tool and project (default 5; median shown)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one repeat on small projects")
    parser.add_argument("--projects", help="comma-separated subset, e.g. pretix,corpus")
    parser.add_argument("--output", type=Path,
                        help="report file (default bench/results.md, "
                             "bench/results-quick.md with --quick)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def chosen_projects(args: argparse.Namespace) -> list[Project]:
    """The projects to time: --projects, else the full or the quick set."""
    known = {**PROJECTS, **QUICK_PROJECTS}
    if not args.projects:
        return list((QUICK_PROJECTS if args.quick else PROJECTS).values())
    names = [name.strip() for name in args.projects.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        sys.exit(f"unknown project(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[name] for name in names]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, then print and write the report."""
    args = parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    output = args.output or BENCH / ("results-quick.md" if args.quick else "results.md")
    projects = chosen_projects(args)
    corpus = corpus_dir()
    peers = ensure_peers()
    celerylint = celerylint_command()
    compile_celerylint()
    scale_names = list(QUICK_PROJECTS)[:1] if args.quick else corpus_projects(corpus)
    mix_names = list(QUICK_PROJECTS) if args.quick else corpus_projects(corpus)
    one_file_project = next(p for p in projects if p.paths != (".",)) if any(
        p.paths != (".",) for p in projects) else PROJECTS["pretix"]
    scaled = scale_names[0] if args.quick else f"the {WHOLE} ({len(scale_names)} projects)"
    with scratch_dir() as scratch:
        setup = Setup(celerylint, available_flags(celerylint), peers, cpu_count(), scratch)
        env = Environment(cpu_count(), platform.python_version(),
                          f"{platform.system()} {platform.machine()}",
                          celerylint_version(celerylint), git_commit(), setup.flags,
                          peer_versions(peers), repeats, args.quick, (load_average(),))
        prefill(setup, projects, corpus)
        project_results = time_projects(setup, projects, corpus, repeats)
        measure_projects_memory(setup, projects, corpus, project_results)
        scaling = time_scaling(setup, corpus, scale_names, repeats)
        measure_scaling_memory(setup, scaling)
        mix = time_mix(setup, corpus, mix_names, repeats)
        short_repeats = repeats * SHORT_CASE_FACTOR
        newer_syntax = time_newer_syntax(setup, short_repeats)
        one_file = time_one_file(ensure_wheel_install(scratch), corpus, one_file_project,
                                 scratch, short_repeats)
        commands = [shown(line, setup) for tool in TOOLS
                    if (line := command(setup, projects[0], tool)) is not None]
    env = replace(env, load=(*env.load, load_average()))
    report = render_report(Results(env, project_results, scaling, scaled, commands,
                                   one_file, newer_syntax, mix))
    output.write_text(report)
    print(report)
    log(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
