"""How the project model gets file contents: extracted facts on demand, the facts cache,
noqa maps, interpreted settings modules, and the freeze that ends loading.

Most files are loaded up front (``loading``); a file the prefilter passed over is
extracted here when the model first needs it (the config module an app names, the
helpers a rule's need asks for). Once the model is frozen nothing more may be loaded:
a request then is a bug, raised as ``ModelFrozenError``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from celerylint.engine.noqa import NoqaMap, relevant_noqa
from celerylint.engine.pool import digest, read_files, run_jobs
from celerylint.engine.readable import os_reason, read_regular
from celerylint.facts.filework import FileJob, FileResult, process, process_parsed
from celerylint.facts.schema import ModuleFacts
from celerylint.model.cache import FactsCache
from celerylint.model.config_module import ModuleInterpreter, ModuleState
from celerylint.model.modules import ModuleIndex, ModuleName
from celerylint.model.workers import WorkerCommand, is_process_file, worker_commands
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.parsing.source import SourceFile


class ModelFrozenError(RuntimeError):
    """A file was requested after the model was frozen: a bug in a rule's `needs`."""


class FileStore:
    """The loading half of ``Project``: its fields are declared there."""

    root: Path
    names: dict[str, ModuleName]
    index: ModuleIndex
    modules: dict[str, ModuleFacts]
    parse_errors: dict[str, ParseFailure]
    read_errors: dict[str, str]
    unreadable: dict[str, str]
    internal_errors: list[str]
    noqa: dict[str, NoqaMap]
    workers: list[WorkerCommand]
    cache: FactsCache | None
    digests: dict[str, str]
    frozen: bool
    _states: dict[str, ModuleState | None]
    _state_deps: dict[str, dict[str, str]]
    _loaded: set[str]

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
        """Extract a file the prefilter passed over, now that the model needs it.
        Look-ups ask this tens of thousands of times, nearly always of a file that is
        settled already: that answer comes first, without `prefetch`'s batch set-up."""
        if not self._settled(path):
            self.prefetch((path,), jobs=1)

    def _settled(self, path: str) -> bool:
        """Nothing more to load for `path`: not a project module, or its facts, syntax
        error or read error are known."""
        return (path not in self.names or path in self.modules or path in self.parse_errors
                or path in self.read_errors)

    def freeze(self) -> None:
        """The model is complete: from now on nothing may be loaded (rules only read)."""
        self.frozen = True

    def _check_not_frozen(self, what: str) -> None:
        if self.frozen:
            raise ModelFrozenError(f"{what} requested after the model was frozen: load it "
                                   "while building the model (a rule's `needs`)")

    def prefetch(self, paths: Iterable[str], jobs: int) -> None:
        """Extract files the model needs that the prefilter passed over: several at once
        (the helpers tasks call) in parallel, rather than one at a time as each lookup
        reaches them. A cached result counts when it holds facts or a syntax error."""
        missing = [p for p in sorted(set(paths)) if not self._settled(p)]
        if missing:
            self._check_not_frozen(f"{missing[0]}")
        work = []
        for path, data, error in read_files(self.root, missing):
            if data is None:
                self.read_errors[path] = self.unreadable[path] = error
                continue
            job = self.job(path, data)
            cached = self.cached(job)
            if cached is not None and (cached.facts is not None or cached.parse_error is not None):
                self.absorb(cached)
            else:
                work.append(job)
        for result in run_jobs(process, work, jobs):
            self.remember(result)
            self.absorb(result)

    def cached(self, job: FileJob) -> FileResult | None:
        if self.cache is None:
            return None
        return self.cache.get(job.path, self._key(job))

    def remember(self, result: FileResult) -> None:
        """Cache a file's result, keyed by the digest it carries: its job's bytes may be
        gone (sent to a worker and dropped)."""
        if self.cache is not None:
            name = self.names[result.path]
            self.cache.put(FactsCache.entry_key(result.digest, name.name, name.is_package),
                           result)

    def _key(self, job: FileJob) -> str:
        return FactsCache.entry_key(digest(job.data), job.module, job.is_package)

    def noqa_of(self, path: str) -> NoqaMap:
        """The file's noqa directives, scanned the first time a finding or CEL002 needs
        them: tokenizing is costly and most files never have a finding."""
        found = self.noqa.get(path)
        if found is not None:
            return found
        try:
            data = read_regular(self.root / path)
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
                self.remember(cached)
        self.noqa[path] = found
        return found

    def save_cache(self) -> None:
        if self.cache is not None:
            self.cache.save()

    def parse(self, path: str) -> tuple[SourceFile, ast.Module] | None:
        """Parse a Python file the model reads directly (config and settings modules)."""
        fresh = self._extract_for_parse(path)
        if fresh is not None:
            return fresh
        self.ensure(path)
        if path in self.parse_errors or path in self.read_errors:
            return None
        try:
            text = decode_source(read_regular(self.root / path))
        except OSError as exc:
            self.read_errors[path] = self.unreadable[path] = os_reason(exc)
            return None
        except (SourceDecodeError, UnicodeDecodeError, SyntaxError) as exc:
            self.read_errors[path] = str(exc) or type(exc).__name__
            return None
        tree = parse_python(text, path)
        if isinstance(tree, ParseFailure):
            self.parse_errors[path] = tree
            return None
        return SourceFile(path, text), tree

    def _extract_for_parse(self, path: str) -> tuple[SourceFile, ast.Module] | None:
        """Extract a file nothing has loaded yet and give its tree, so that `parse` reads
        it once (as `ensure` would, but keeping the tree); None when the file is loaded
        already, has cached facts, or did not parse (its error is then recorded)."""
        if self._settled(path):
            return None
        self._check_not_frozen(path)
        try:
            data = read_regular(self.root / path)
        except OSError:
            return None  # `ensure` records why
        job = self.job(path, data)
        cached = self.cached(job)
        if cached is not None and (cached.facts is not None or cached.parse_error is not None):
            return None
        result, parsed = process_parsed(job)
        self.remember(result)
        self.absorb(result)
        return parsed

    def load_other(self, path: str) -> None:
        """Worker command lines from a process definition file."""
        try:
            data = read_regular(self.root / path)
        except OSError as exc:
            self.read_errors[path] = self.unreadable[path] = os_reason(exc)
            return
        if is_process_file(path, data[:4096]):
            self.workers.extend(worker_commands(path, data.decode("utf-8", "replace")))

    def module_state(self, module: str) -> ModuleState | None:
        """A config/settings module interpreted statically (None if absent); remembered
        in the cache with the content hash of every module its star imports read."""
        if module in self._states:
            return self._states[module]
        self._check_not_frozen(f"the settings module {module}")
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

        state = ModuleInterpreter(source, tree, name.name, name.is_package, load, "settings",
                                  self.modules.get(path)).run()
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
