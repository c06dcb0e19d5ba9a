"""The project model: every file's facts, linked across modules.

Built once per run from the files below the project root. Rules read it; they never
parse or walk the filesystem themselves. Config modules that apps point at are
interpreted on demand (they may mention nothing Celery-ish).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TypeVar

from celerylint.engine.noqa import NoqaMap, relevant_noqa
from celerylint.engine.pool import digest, read_files, run_jobs
from celerylint.facts import prefilter
from celerylint.facts.filework import FileJob, FileResult, process
from celerylint.facts.schema import CallAssign, ClassFacts, FunctionFacts, ModuleFacts
from celerylint.model.cache import FactsCache
from celerylint.model.celery_version import TargetVersion
from celerylint.model.config_module import ModuleInterpreter, ModuleState
from celerylint.model.modules import ModuleIndex, ModuleName, module_names
from celerylint.model.workers import WorkerCommand, is_process_file, worker_commands
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.parsing.source import SourceFile

_T = TypeVar("_T")
_TEST_WORDS = re.compile(r"(^|[._/-])(tests?|testing|testutils|conftest)([._/-]|$)")


@dataclass
class Project:
    """Everything celerylint knows about the code below `root`."""

    root: Path
    files: list[str]
    names: dict[str, ModuleName]
    index: ModuleIndex
    modules: dict[str, ModuleFacts] = field(default_factory=dict)
    parse_errors: dict[str, ParseFailure] = field(default_factory=dict)
    read_errors: dict[str, str] = field(default_factory=dict)
    internal_errors: list[str] = field(default_factory=list)
    noqa: dict[str, NoqaMap] = field(default_factory=dict)  # scanned on demand
    cel_noqa: set[str] = field(default_factory=set)  # files whose noqa may name CEL codes
    workers: list[WorkerCommand] = field(default_factory=list)
    version: TargetVersion = field(default_factory=lambda: TargetVersion(None, "unknown"))
    test_patterns: tuple[str, ...] = ()
    task_decorators: tuple[str, ...] = ()
    django_settings_module: str | None = None
    cache: FactsCache | None = None
    prefilter: bool = True
    _states: dict[str, ModuleState | None] = field(default_factory=dict)
    _state_deps: dict[str, dict[str, str]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # content hash of every .py file
    _loaded: set[str] = field(default_factory=set)

    # -- loading --------------------------------------------------------------------

    def absorb(self, result: FileResult) -> None:
        """Take one file's result into the model."""
        if result.facts is not None:
            self.modules[result.path] = result.facts
        if result.parse_error is not None:
            self.parse_errors[result.path] = result.parse_error
        if result.read_error is not None:
            self.read_errors[result.path] = result.read_error
        if result.internal_error is not None:
            self.internal_errors.append(result.internal_error)
        self._loaded.add(result.path)

    def job(self, path: str, data: bytes) -> FileJob:
        name = self.names[path]
        return FileJob(path, data, name.name, name.is_package)

    def ensure(self, path: str) -> None:
        """Extract a file the prefilter passed over, now that the model needs it."""
        self.prefetch((path,), jobs=1)

    def prefetch(self, paths: Iterable[str], jobs: int) -> None:
        """Extract files the model needs that the prefilter passed over: several at once
        (the helpers tasks call) in parallel, rather than one at a time as each lookup
        reaches them. A cached result counts when it holds facts or a syntax error."""
        missing = [p for p in sorted(set(paths)) if p in self.names and p not in self.modules
                   and p not in self.parse_errors and p not in self.read_errors]
        work = []
        for path, data, error in read_files(self.root, missing):
            if data is None:
                self.read_errors[path] = error
                continue
            job = self.job(path, data)
            cached = self.cached(job)
            if cached is not None and (cached.facts is not None or cached.parse_error is not None):
                self.absorb(cached)
            else:
                work.append(job)
        by_path = {job.path: job for job in work}
        for result in run_jobs(process, work, jobs):
            self.remember(by_path[result.path], result)
            self.absorb(result)

    def cached(self, job: FileJob) -> FileResult | None:
        if self.cache is None:
            return None
        return self.cache.get(job.path, self._key(job))

    def remember(self, job: FileJob, result: FileResult) -> None:
        if self.cache is not None:
            self.cache.put(self._key(job), result)

    def _key(self, job: FileJob) -> str:
        return FactsCache.entry_key(digest(job.data), job.module, job.is_package)

    def may_increment(self, origin: str) -> bool:
        """Could the project function `origin` hold a CEL501 event? Answered from its text
        when its module was not extracted, so that helpers a task calls are parsed only
        when they might matter (False only when certainly not)."""
        if not self.prefilter:
            return True
        split = self.index.split(origin)
        if split is None or not split[1] or "." in split[1]:
            return False  # not a top-level function of the project
        path, name = split
        if path in self.modules:
            return True
        try:
            text = prefilter.function_text((self.root / path).read_bytes(), name)
        except OSError:
            return True
        if text is None:  # not defined there: maybe re-exported from another module
            canonical = self.canonical(origin)
            return canonical == origin or self.may_increment(canonical)
        return prefilter.may_increment(text)

    def noqa_of(self, path: str) -> NoqaMap:
        """The file's noqa directives, scanned the first time a finding or CEL002 needs
        them: tokenizing is costly and most files never have a finding."""
        found = self.noqa.get(path)
        if found is not None:
            return found
        try:
            data = (self.root / path).read_bytes()
        except OSError:
            return self.noqa.setdefault(path, NoqaMap(comments={}, skip_file=False))
        job = self.job(path, data) if path in self.names else None
        cached = self.cached(job) if job is not None else None
        if cached is not None and cached.noqa is not None:
            found = cached.noqa
        else:
            try:
                found = relevant_noqa(decode_source(data))
            except (SourceDecodeError, UnicodeDecodeError, SyntaxError):
                found = NoqaMap(comments={}, skip_file=False)
            if job is not None and cached is not None:
                cached.noqa = found
                self.remember(job, cached)
        self.noqa[path] = found
        return found

    def save_cache(self) -> None:
        if self.cache is not None:
            self.cache.save()

    def parse(self, path: str) -> tuple[SourceFile, ast.Module] | None:
        """Parse a Python file the model reads directly (config and settings modules)."""
        self.ensure(path)
        if path in self.parse_errors or path in self.read_errors:
            return None
        try:
            text = decode_source((self.root / path).read_bytes())
        except (OSError, SourceDecodeError, UnicodeDecodeError, SyntaxError) as exc:
            self.read_errors[path] = str(exc) or type(exc).__name__
            return None
        tree = parse_python(text, path)
        if isinstance(tree, ParseFailure):
            self.parse_errors[path] = tree
            return None
        return SourceFile(path, text), tree

    def load_other(self, path: str) -> None:
        """Worker command lines from a process definition file."""
        try:
            data = (self.root / path).read_bytes()
        except OSError as exc:
            self.read_errors[path] = exc.strerror or str(exc)
            return
        if is_process_file(path, data[:4096]):
            self.workers.extend(worker_commands(path, data.decode("utf-8", "replace")))

    # -- lookups --------------------------------------------------------------------

    def module_of(self, path: str) -> str:
        """The dotted module name of a Python file."""
        name = self.names.get(path)
        return name.name if name else ""

    def facts_of_module(self, module: str) -> ModuleFacts | None:
        path = self.index.path_of(module)
        return self.modules.get(path) if path else None

    def canonical(self, dotted: str, depth: int = 0) -> str:
        """Follow re-exports: ``proj.app`` -> ``proj.celery.app`` when proj imports it."""
        if depth > 8:
            return dotted
        split = self.index.split(dotted)
        if split is None:
            return dotted
        path, rest = split
        if not rest:
            return dotted
        self.ensure(path)
        facts = self.modules.get(path)
        if facts is None:
            return dotted
        head, _, tail = rest.partition(".")
        origin = facts.imports.get(head)
        own = f"{facts.module}.{head}" if facts.module else head
        if origin is None or origin == own:
            return dotted
        target = f"{origin}.{tail}" if tail else origin
        return self.canonical(target, depth + 1)

    def member(self, dotted: str) -> tuple[str, ModuleFacts, str] | None:
        """(path, module facts, name) of a top-level name of a project module, following
        re-exports; None for names outside the project or attributes of attributes."""
        split = self.index.split(self.canonical(dotted))
        if split is None:
            return None
        path, rest = split
        if not rest or "." in rest:
            return None
        self.ensure(path)
        facts = self.modules.get(path)
        return (path, facts, rest) if facts is not None else None

    def _named(self, dotted: str, pick: Callable[[ModuleFacts, str], _T | None]
               ) -> tuple[str, _T] | None:
        """(path, fact) of the top-level definition `pick` finds for a dotted origin."""
        found = self.member(dotted)
        if found is None:
            return None
        path, facts, name = found
        fact = pick(facts, name)
        return (path, fact) if fact is not None else None

    def class_of(self, dotted: str) -> tuple[str, ClassFacts] | None:
        """(path, class facts) of a project class by dotted origin."""
        return self._named(dotted, lambda facts, name: next(
            (k for k in facts.classes if k.name == name), None))

    def function_of(self, dotted: str) -> tuple[str, FunctionFacts] | None:
        """(path, function facts) of a project top-level function by dotted origin."""
        return self._named(dotted, lambda facts, name: next(
            (f for f in facts.functions if f.name == name), None))

    def call_assign_of(self, dotted: str) -> tuple[str, CallAssign] | None:
        """(path, assignment) of a module-level ``name = callee(...)`` by dotted origin."""
        return self._named(dotted, lambda facts, name: next(
            (a for a in facts.call_assigns if a.var == name), None))

    def ancestry(self, dotted: str) -> tuple[list[tuple[str, ClassFacts]], list[str]]:
        """Project classes from `dotted` up its bases (nearest first), and the external
        bases where the chain leaves the project (as canonical dotted names)."""
        chain: list[tuple[str, ClassFacts]] = []
        external: list[str] = []
        pending = [self.canonical(dotted)]
        seen: set[str] = set()
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.add(current)
            found = self.class_of(current)
            if found is None:
                external.append(current)
                continue
            chain.append(found)
            _path, klass = found
            pending.extend(self.canonical(base) for base in klass.bases)
        return chain, external

    def module_state(self, module: str) -> ModuleState | None:
        """A config/settings module interpreted statically (None if absent); remembered
        in the cache with the content hash of every module its star imports read."""
        if module in self._states:
            return self._states[module]
        self._states[module] = None  # guards import cycles
        path = self.index.path_of(module)
        if path is None:
            return None
        state = self._cached_state(module)
        if state is not None:
            self._states[module] = state
            return state
        parsed = self.parse(path)
        if parsed is None:
            return None
        source, tree = parsed
        name = self.names[path]
        used: list[str] = []

        def load(target: str) -> ModuleState | None:
            used.append(target)
            return self.module_state(target)

        state = ModuleInterpreter(source, tree, name.name, name.is_package, load,
                                  "settings").run()
        deps = {path: self.digests.get(path, "")}
        for target in used:
            deps.update(self._state_deps.get(target, {}))
        self._state_deps[module] = deps
        if self.cache is not None and all(deps.values()):
            self.cache.put_state(module, deps, state)
        self._states[module] = state
        return state

    def _cached_state(self, module: str) -> ModuleState | None:
        """The cached state of a module whose files (and imported ones) are unchanged."""
        found = self.cache.get_state(module) if self.cache is not None else None
        if found is None:
            return None
        deps, state = found
        if any(self.digests.get(path) != digest for path, digest in deps.items()):
            return None
        for path in deps:
            self.ensure(path)  # facts and syntax errors of every file it read
        self._state_deps[module] = deps
        return state

    def is_test_path(self, path: str) -> bool:
        """Test code by path: tests/ folders, test_*.py, *_test.py, conftest.py, patterns."""
        parts = path.split("/")
        base = parts[-1]
        if any(p in ("tests", "test") for p in parts[:-1]):
            return True
        if base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py":
            return True
        return any(fnmatch(path, pattern) for pattern in self.test_patterns)

    def is_test_config(self, path: str) -> bool:
        """Test code for a config or settings module: also by its dotted module path."""
        return self.is_test_path(path) or bool(_TEST_WORDS.search(self.module_of(path)))

    def top_packages(self) -> set[str]:
        return self.index.top_packages()


@dataclass
class LoadSettings:
    """How a run reads files: processes, cache, prefilter, progress callback."""

    jobs: int = 1
    cache_dir: Path | None = None
    prefilter: bool = True
    progress: Callable[[int, int], None] | None = None  # (files done, total files)


def load_project(
    root: Path,
    files: Sequence[str],
    version: TargetVersion,
    test_patterns: Sequence[str] = (),
    task_decorators: Sequence[str] = (),
    django_settings_module: str | None = None,
    settings: LoadSettings | None = None,
) -> Project:
    """Read every file of the project: Python facts (prefiltered, cached, in parallel)
    and worker commands."""
    settings = settings or LoadSettings()
    names = module_names(files)
    project = Project(
        root=root,
        files=list(files),
        names=names,
        index=ModuleIndex(names),
        version=version,
        test_patterns=tuple(test_patterns),
        task_decorators=tuple(task_decorators),
        django_settings_module=django_settings_module,
    )
    decorator_names = sorted({d.rsplit(".", 1)[-1] for d in task_decorators})
    project.prefilter = settings.prefilter
    if settings.cache_dir is not None:
        project.cache = FactsCache(settings.cache_dir, ",".join(decorator_names))
    _load_python(project, [p for p in files if p.endswith(".py")], decorator_names, settings)
    for path in files:
        if not path.endswith(".py"):
            project.load_other(path)
    return project


def _load_python(project: Project, paths: list[str], decorator_names: list[str],
                 settings: LoadSettings) -> None:
    """Cached results first; the prefilter decides what the rest costs."""
    signs = prefilter.pattern(decorator_names)
    names = [name.encode() for name in decorator_names]
    pending: list[FileJob] = []
    passed_over: dict[str, bytes] = {}
    for path, data, error in read_files(project.root, paths):
        if data is None:
            project.read_errors[path] = error
            continue
        job = project.job(path, data)
        cached = project.cached(job)
        project.digests[path] = cached.digest if cached is not None else digest(data)
        relevant = cached.relevant if cached is not None else (
            prefilter.may_hold_facts(data, signs, names))
        if not relevant:
            passed_over[path] = data
        if cached is None and (relevant or not settings.prefilter):
            if prefilter.may_hold_noqa_codes(data):
                project.cel_noqa.add(path)
            pending.append(job)
            continue
        if prefilter.may_hold_noqa_codes(data):
            project.cel_noqa.add(path)
        if cached is None:
            cached = FileResult(path, digest(data), relevant=False)
            project.remember(job, cached)
        project.absorb(cached)
        if settings.progress is not None:
            settings.progress(1, len(paths))
    by_path = {job.path: job for job in pending}
    for result in run_jobs(process, pending, settings.jobs):
        if result.path in passed_over:
            result.parse_error = None  # CEL001 speaks only of files that can hold facts
            result.relevant = False
        project.remember(by_path[result.path], result)
        project.absorb(result)
        if settings.progress is not None:
            settings.progress(1, len(paths))
    _load_alias_users(project, passed_over)


def _load_alias_users(project: Project, passed_over: dict[str, bytes]) -> None:
    """Files using a decorator alias defined elsewhere (``@retrying``) show no sign of
    their own: search them for the alias names the loaded files define."""
    names = sorted({
        assign.var for facts in project.modules.values() for assign in facts.call_assigns
        if assign.call.callee.rsplit(".", 1)[-1] in ("task", "shared_task")
    })
    if not names:
        return
    signs = re.compile(b"|".join(rb"@\s*" + re.escape(n.encode()) + rb"\b" for n in names))
    for path in sorted(passed_over):
        if path not in project.modules and signs.search(passed_over[path]):
            project.ensure(path)
