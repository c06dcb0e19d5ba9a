"""Finding a project's definitions by dotted name, following re-exports.

Facts name things by *resolved dotted origin* (``proj.celery.app``); a name imported
from a package that re-exports it (``proj.app``) is followed to where it is defined.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from celerylint.facts.schema import CallAssign, ClassFacts, FunctionFacts, ModuleFacts
from celerylint.model.store import FileStore

_T = TypeVar("_T")


class SymbolLookups(FileStore):
    """Look-ups by dotted name; a look-up loads the module it reaches (while the model
    is being built)."""

    def module_of(self, path: str) -> str:
        """The dotted module name of a Python file."""
        name = self.names.get(path)
        return name.name if name else ""

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

    def top_packages(self) -> set[str]:
        return self.index.top_packages()
