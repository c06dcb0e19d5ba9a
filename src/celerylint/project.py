"""The project model: every file's facts, linked across modules.

Built once per run from the files below the project root. Rules read it; they never
parse or walk the filesystem themselves. Config modules that apps point at are
interpreted on demand (they may mention nothing Celery-ish).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from celerylint.celery_version import TargetVersion
from celerylint.config_module import ModuleInterpreter, ModuleState
from celerylint.extract import extract
from celerylint.facts import CallAssign, ClassFacts, FunctionFacts, ModuleFacts
from celerylint.modules import ModuleIndex, ModuleName, module_names
from celerylint.noqa import NoqaMap, scan_noqa
from celerylint.parsing import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.processes import WorkerCommand, is_process_file, worker_commands
from celerylint.source import SourceFile

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
    noqa: dict[str, NoqaMap] = field(default_factory=dict)
    workers: list[WorkerCommand] = field(default_factory=list)
    version: TargetVersion = field(default_factory=lambda: TargetVersion(None, "unknown"))
    test_patterns: tuple[str, ...] = ()
    task_decorators: tuple[str, ...] = ()
    django_settings_module: str | None = None
    _states: dict[str, ModuleState | None] = field(default_factory=dict)

    # -- loading --------------------------------------------------------------------

    def read(self, path: str) -> str | None:
        """A file's text, or None (the problem is recorded for the report)."""
        try:
            return decode_source((self.root / path).read_bytes())
        except (OSError, SourceDecodeError, UnicodeDecodeError, SyntaxError) as exc:
            self.read_errors[path] = str(exc) or type(exc).__name__
            return None

    def parse(self, path: str) -> tuple[SourceFile, ast.Module] | None:
        """Parse one Python file, recording syntax errors."""
        text = self.read(path)
        if text is None:
            return None
        source = SourceFile(path, text)
        tree = parse_python(text, path)
        if isinstance(tree, ParseFailure):
            self.parse_errors[path] = tree
            return None
        return source, tree

    def load_python(self, path: str) -> None:
        """Extract one Python file's facts and noqa comments."""
        parsed = self.parse(path)
        if parsed is None:
            return
        source, tree = parsed
        self.noqa[path] = scan_noqa(source.text)
        name = self.names[path]
        try:
            self.modules[path] = extract(source, tree, name.name, name.is_package)
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError) as exc:
            # A bug of ours must not end the scan: say which file, go on with the others.
            self.internal_errors.append(f"{path}: {type(exc).__name__}: {exc}")

    def load_other(self, path: str) -> None:
        """Worker command lines from a process definition file."""
        try:
            data = (self.root / path).read_bytes()
        except OSError as exc:
            self.read_errors[path] = str(exc)
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
        facts = self.modules.get(path)
        if not rest or facts is None:
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
        facts = self.modules.get(path)
        if facts is None or not rest or "." in rest:
            return None
        return path, facts, rest

    def class_of(self, dotted: str) -> tuple[str, ClassFacts] | None:
        """(path, class facts) of a project class by dotted origin."""
        found = self.member(dotted)
        if found is None:
            return None
        path, facts, name = found
        klass = next((k for k in facts.classes if k.name == name), None)
        return (path, klass) if klass is not None else None

    def function_of(self, dotted: str) -> tuple[str, FunctionFacts] | None:
        """(path, function facts) of a project top-level function by dotted origin."""
        found = self.member(dotted)
        if found is None:
            return None
        path, facts, name = found
        function = next((f for f in facts.functions if f.name == name), None)
        return (path, function) if function is not None else None

    def call_assign_of(self, dotted: str) -> tuple[str, CallAssign] | None:
        """(path, assignment) of a module-level ``name = callee(...)`` by dotted origin."""
        found = self.member(dotted)
        if found is None:
            return None
        path, facts, name = found
        assign = next((a for a in facts.call_assigns if a.var == name), None)
        return (path, assign) if assign is not None else None

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
        """A config/settings module interpreted statically (cached; None if absent)."""
        if module in self._states:
            return self._states[module]
        self._states[module] = None  # guards import cycles
        path = self.index.path_of(module)
        if path is None:
            return None
        parsed = self.parse(path)
        if parsed is None:
            return None
        source, tree = parsed
        name = self.names[path]
        state = ModuleInterpreter(source, tree, name.name, name.is_package, self.module_state,
                                  "settings").run()
        self._states[module] = state
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


def load_project(
    root: Path,
    files: Sequence[str],
    version: TargetVersion,
    test_patterns: Sequence[str] = (),
    task_decorators: Sequence[str] = (),
    django_settings_module: str | None = None,
) -> Project:
    """Read every file of the project (Python facts, worker commands)."""
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
    for path in files:
        if path.endswith(".py"):
            project.load_python(path)
        else:
            project.load_other(path)
    return project
