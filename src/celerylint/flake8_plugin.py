"""celerylint as a flake8 plugin: ``CEL`` codes in ``flake8`` output, on by default.

flake8 hands a plugin one file at a time, but most celerylint findings depend on other
files (the app, its config module, the task a view calls). So the plugin works per
*project*, not per file:

* The project context (apps, effective config, tasks) and the findings of every rule are
  computed once per flake8 run, in ``parse_options``, which flake8 calls in its main
  process before it starts ``-j`` workers. With the ``fork`` start method (Linux) workers
  inherit the result; where workers are spawned (macOS, Windows) each one builds it again
  in its own ``parse_options``, from celerylint's facts cache when it is warm.
* Checking a file is then a look-up of that file's findings. The file is not parsed
  again: flake8 parsed it, and the model holds its facts already. Only when the text
  flake8 checks differs from the file on disk (an editor piping an unsaved buffer through
  ``--stdin-display-name``) are the file's facts rebuilt, from the ``ast`` tree flake8
  parsed, and the project relinked around them.
* Findings are yielded *before* ``# noqa`` filtering, because flake8 applies ``# noqa``
  itself (with ``--disable-noqa``, its prefix rules and its blanket forms); filtering here
  as well would break those. ``# celerylint: noqa``, which flake8 does not know, still
  skips the file; ``# flake8: noqa`` is flake8's own (``celerylint check`` honours it
  too). CEL002 (unused noqa) never runs under flake8: flake8 does not tell a plugin what
  it suppressed, so the plugin cannot know which codes are dead.
* Each file belongs to the project ``celerylint check`` finds for it (the nearest
  celerylint configuration above it, else the nearest project marker), so flake8 on one
  file reports what ``celerylint check`` reports there. That project's configuration
  chooses the rules, per-file ignores, excludes and target Celery version exactly as
  for ``celerylint check``; flake8's own selection then applies on top,
  and rules that flake8 would not report are not run at all. A code that flake8's
  ``select`` or ``extend-select`` names in full (``CEL211``, not ``CEL2``) is added to the
  project's selection as ``celerylint check --extend-select CEL211`` would add it, so an
  off-by-default rule can be turned on from flake8.
* A mistake in the project's configuration is said once on stderr (``celerylint: error:
  ...``, as ``celerylint check`` says it), and the project is checked with the defaults
  in place of what is broken: a plugin cannot set flake8's exit code, and stopping flake8
  would hide every other plugin's findings.
* Columns are 0-based character offsets, which flake8 shows 1-based: the same columns as
  ``celerylint check``. CEL001 (syntax error) does not appear either: flake8 reports E999
  and runs no tree plugin on a file that does not parse.
"""

from __future__ import annotations

import ast
import copy
import multiprocessing
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from celerylint import __version__
from celerylint.catalog.specs import default_codes, load_catalog
from celerylint.checks.meta.unused_noqa import UnusedNoqa
from celerylint.engine.buffers import reading_buffer
from celerylint.engine.configurations import Configurations
from celerylint.engine.discover import ProjectRoot, locate_project
from celerylint.engine.noqa import scan_noqa
from celerylint.engine.options import (
    CACHE_DIR,
    FileOptions,
    Selection,
    select_layers,
)
from celerylint.engine.pool import default_jobs, digest
from celerylint.facts.extract import extract
from celerylint.findings import Finding
from celerylint.fixes.view import skipping_fixes
from celerylint.model.build import Model, Need, link
from celerylint.model.loading import LoadSettings
from celerylint.model.project import Project
from celerylint.parsing.parse import SourceDecodeError, decode_source
from celerylint.parsing.source import SourceFile
from celerylint.pipeline.check import build_model, check_model, needs_of, target_version

Report = tuple[int, int, str, type[Any]]
Selected = Callable[[str], bool]


@dataclass
class ProjectContext:
    """One project's model and its findings by file, before noqa."""

    root: Path
    options: FileOptions
    selected: frozenset[str]
    model: Model
    findings: dict[str, list[Finding]]

    @classmethod
    def build(cls, project: ProjectRoot, flake8_selected: Selected, named: Sequence[str],
              configs: Configurations) -> ProjectContext:
        """Read the project's configuration (through `configs`, which reports its
        mistakes), load the project and run the rules flake8 reports; `named` are the
        codes flake8's selection names in full."""
        root = project.root
        catalog = load_catalog()
        options = configs.options(project.config)
        chosen = select_layers(list(catalog), default_codes(catalog),
                               [Selection.of(options), Selection(extend_select=named)])
        selected = frozenset(c for c in chosen if c != UnusedNoqa.code and flake8_selected(c))
        model = build_model(root, options, target_version(root, options, None),
                            _load_settings(root, options), selected)
        model.project.save_cache()
        context = cls(root, options, selected, model, {})
        context.findings = context.by_file(model)
        for problem in model.project.internal_errors:
            sys.stderr.write(f"celerylint: internal error: {problem}\n")
        return context

    def by_file(self, model: Model) -> dict[str, list[Finding]]:
        """The findings of `model`, grouped by file; files with ``# celerylint: noqa``
        have none (``# flake8: noqa`` is flake8's to apply, or not with --disable-noqa)."""
        grouped: dict[str, list[Finding]] = {}
        with skipping_fixes(True):  # flake8 shows no fix, nor whether there is one
            findings = check_model(model, self.options, self.selected)
        for finding in findings:
            if not model.project.noqa_of(finding.path).celerylint_skip:
                grouped.setdefault(finding.path, []).append(finding)
        for found in grouped.values():
            found.sort(key=Finding.sort_key)
        return grouped

    def findings_in(self, path: str, text: str, tree: ast.AST) -> list[Finding]:
        """The findings in one project file as flake8 sees it (`text`, parsed as `tree`)."""
        if path not in self.model.project.names:
            return []  # excluded from the project: `celerylint check` reports nothing there
        if _same_text(_disk_text(self.root / path), text) or not isinstance(tree, ast.Module):
            return self.findings.get(path, [])
        # Every reader of project files (rules reading text, fixes, requirements) sees
        # the buffer too, as under ``celerylint check -``.
        with reading_buffer(self.root / path, text.encode("utf-8")):
            model = _with_buffer(self.model.project, path, text, tree,
                                 needs_of(self.selected))
            return self.by_file(model).get(path, [])


def _load_settings(root: Path, options: FileOptions) -> LoadSettings:
    """The CLI's facts cache, so flake8 and ``celerylint check`` warm it for each other;
    file loading spreads over the CPUs only in flake8's main process, never inside one of
    its ``-j`` workers."""
    in_worker = multiprocessing.current_process().name != "MainProcess"
    return LoadSettings(jobs=1 if in_worker else default_jobs(),
                        cache_dir=root / (options.cache_dir or CACHE_DIR))


class _BufferedProject(Project):
    """A project that reads one file from flake8's buffer instead of the disk."""

    buffer: tuple[str, SourceFile, ast.Module]

    def parse(self, path: str) -> tuple[SourceFile, ast.Module] | None:
        if path == self.buffer[0]:
            return self.buffer[1], self.buffer[2]
        return super().parse(path)


def _with_buffer(project: Project, path: str, text: str, tree: ast.Module,
                 needs: list[Need]) -> Model:
    """The project relinked with `path` holding `text`, its facts taken from `tree`.

    Containers are copied so the shared context stays as it was; interpreted config
    modules are dropped, since any of them may read the buffered file. The file's content
    hash becomes the buffer's, so no cached interpretation of the file on disk (a settings
    module, or one that star-imports it) stands in for the buffer.
    """
    copied = {f.name: _detached(getattr(project, f.name)) for f in fields(project)}
    copied.update(_states={}, internal_errors=[], frozen=False)
    buffered = _BufferedProject(**copied)
    buffered.digests[path] = digest(text.encode("utf-8"))
    buffered.parse_errors.pop(path, None)
    buffered.read_errors.pop(path, None)
    source = SourceFile(path, text)
    buffered.buffer = (path, source, tree)
    name = project.names[path]
    buffered.modules[path] = extract(source, tree, name.name, name.is_package)
    buffered.noqa[path] = scan_noqa(text)
    return link(buffered, needs)


def _detached(value: Any) -> Any:
    return copy.copy(value) if isinstance(value, (dict, list, set)) else value


def _disk_text(path: Path) -> str | None:
    try:
        return decode_source(path.read_bytes())
    except (OSError, SourceDecodeError):
        return None


def _same_text(disk: str | None, checked: str) -> bool:
    """flake8 reads with universal newlines; celerylint keeps line endings as they are."""
    return disk is not None and _newlines(disk) == _newlines(checked)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@lru_cache(maxsize=4096)
def _root_of(folder: Path) -> ProjectRoot:
    return locate_project(folder)


def _configurations() -> Configurations:
    """The configuration files of a flake8 run. A mistake in one is said once on stderr,
    as ``celerylint check`` says it, and the project is checked with the defaults in its
    place (a plugin cannot set flake8's exit code, and stopping flake8 would hide every
    other plugin's findings)."""
    return Configurations(list(load_catalog()),
                          lambda problem: sys.stderr.write(f"celerylint: error: {problem}\n"))


def _named_codes(options: Any) -> tuple[str, ...]:
    """The catalog codes flake8's ``select`` or ``extend-select`` (command line or
    configuration) names in full; a prefix such as ``CEL`` or ``CEL2`` names none, so it
    keeps celerylint's own selection. flake8 compares codes case-sensitively."""
    given = [*(getattr(options, "select", None) or ()),
             *(getattr(options, "extend_select", None) or ())]
    catalog = load_catalog()
    return tuple(sorted({code.strip() for code in given if code.strip() in catalog}))


def _flake8_selection(options: Any) -> Selected:
    """Whether flake8 would report a code, by flake8's own select/ignore decision."""
    from flake8.style_guide import Decision, DecisionEngine  # type: ignore[import-untyped]

    engine = DecisionEngine(options)

    def selected(code: str) -> bool:
        return bool(engine.decision_for(code) is Decision.Selected)

    return selected


@dataclass
class _RunState:
    """What one flake8 run knows: module-level, so forked workers inherit it."""

    selected: Selected = lambda code: True
    active: bool = True
    contexts: dict[Path, ProjectContext] = field(default_factory=dict)
    named: tuple[str, ...] = ()
    configs: Configurations = field(default_factory=_configurations)

    def context(self, project: ProjectRoot) -> ProjectContext:
        root = project.root
        if root not in self.contexts:
            self.contexts[root] = ProjectContext.build(project, self.selected, self.named,
                                                       self.configs)
        return self.contexts[root]

    def context_of(self, path: Path) -> ProjectContext:
        """The context of the project holding the file `path`, found from the file as
        ``celerylint check`` finds it (built on first use). Where no configuration or
        marker says where a project starts, the innermost context already built that
        holds the file (``celerylint check .`` checks every file below the folder)."""
        project = _root_of(path.parent)
        if not project.marked:
            holding = [root for root in self.contexts if root in path.parents]
            if holding:
                return self.contexts[max(holding, key=lambda root: len(root.parts))]
        return self.context(project)


_STATE = _RunState()


def _first_root(options: Any, args: Sequence[str]) -> ProjectRoot:
    """The project of the first path flake8 checks (the CLI picks its root the same way)."""
    first = args[0] if args else "."
    if first == "-":
        display = options.stdin_display_name
        first = display if display and display != "stdin" else "."
    path = Path(first).resolve()
    return _root_of(path if path.is_dir() else path.parent)


class CeleryLintChecker:
    """The flake8 tree plugin (entry point ``CEL``)."""

    name = "celerylint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @staticmethod
    def parse_options(option_manager: Any, options: Any, args: Sequence[str]) -> None:
        """Build the project context now, in flake8's main process, so ``-j`` workers
        inherit it instead of each building it again."""
        global _STATE
        selected = _flake8_selection(options)
        _STATE = _RunState(selected, any(selected(code) for code in load_catalog()),
                           named=_named_codes(options))
        if _STATE.active:  # with every CEL code deselected, the plugin costs nothing
            _STATE.context(_first_root(options, args))

    def run(self) -> Iterator[Report]:
        """``(row, 0-based column, "CELnnn message", type)`` for each finding in the file."""
        if not _STATE.active:
            return
        path = Path(self.filename).resolve()
        context = _STATE.context_of(path)
        relpath = path.relative_to(context.root).as_posix()
        for finding in context.findings_in(relpath, "".join(self.lines), self.tree):
            yield (finding.span.row, max(finding.span.column - 1, 0),
                   f"{finding.code} {finding.message}", type(self))
