"""Reading a config or Django settings module the way Python would run it, statically.

Module-level statements are replayed in order: an assignment replaces a name's values,
``if``/``try`` branches each run on their own copy and are merged (a name set in only
some branches keeps every possible value, each marked conditional), ``from .base import
*`` pulls in the other module's final names. Values come from the Evaluator, so an env
lookup with a literal default yields that default and anything else stays unknown.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from celerylint.facts.imports import absolute_module, collect_imports
from celerylint.facts.values import Evaluator, Value, unknown
from celerylint.model.config import Binding
from celerylint.parsing.source import SourceFile

Names = dict[str, tuple[Binding, ...]]

_OPEN_CALLS = {"include", "split_settings.tools.include", "exec", "locals", "globals", "vars"}


@dataclass
class ModuleState:
    """A module's names after it ran, and whether something could have set any name."""

    names: Names = field(default_factory=dict)
    open_reason: str = ""
    mutated: set[str] = field(default_factory=set)


Loader = Callable[[str], Optional[ModuleState]]


class ModuleInterpreter:
    """Replays one module's top-level statements into a ModuleState."""

    def __init__(
        self, source: SourceFile, tree: ast.Module, module: str, is_package: bool,
        loader: Loader, origin: str,
    ) -> None:
        self.source = source
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.loader = loader
        self.origin = origin
        self.state = ModuleState()
        self._current: Names = {}
        imports = collect_imports(tree, module, is_package)
        self.evaluator = Evaluator(source.span, self._lookup, imports.resolve_bound)

    def run(self) -> ModuleState:
        """Interpret the whole module."""
        self.state.names = self._block(self.tree.body, {})
        return self.state

    def _lookup(self, name: str) -> Value | None:
        bindings = self._current.get(name)
        if not bindings:
            return None
        values = {b.value for b in bindings}
        if len(values) == 1:
            return bindings[0].value
        return unknown(f"{name!r} has several possible values")

    def _block(self, body: list[ast.stmt], names: Names) -> Names:
        for stmt in body:
            self._current = names
            names = self._statement(stmt, names)
        self._current = names
        return names

    def _statement(self, stmt: ast.stmt, names: Names) -> Names:
        if isinstance(stmt, ast.If):
            return self._merge(names, [stmt.body, stmt.orelse], keep_before=False)
        if isinstance(stmt, ast.Try):
            blocks = [stmt.body] + [h.body for h in stmt.handlers]
            merged = self._merge(names, blocks, keep_before=True)
            merged = self._merge(merged, [stmt.orelse], keep_before=True) if stmt.orelse else merged
            return self._block(stmt.finalbody, merged)
        if isinstance(stmt, (ast.For, ast.While, ast.AsyncFor)):
            return self._merge(names, [stmt.body], keep_before=True)
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            return self._block(stmt.body, names)
        if isinstance(stmt, ast.ImportFrom):
            return self._import_from(stmt, names)
        return self._simple(stmt, names)

    def _simple(self, stmt: ast.stmt, names: Names) -> Names:
        if isinstance(stmt, ast.Assign):
            value = self.evaluator.eval(stmt.value)
            for target in stmt.targets:
                names = self._assign(target, value, names)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            names = self._assign(stmt.target, self.evaluator.eval(stmt.value), names)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            names = self._set(stmt.target.id, unknown("changed by augmented assignment"),
                              stmt.target, names)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            self._call(stmt.value)
        return names

    def _assign(self, target: ast.expr, value: Value, names: Names) -> Names:
        if isinstance(target, ast.Name):
            return self._set(target.id, value, target, names)
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                if isinstance(element, ast.Name):
                    names = self._set(element.id, unknown("tuple unpacking"), element, names)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            self.state.mutated.add(target.value.id)
        return names

    def _set(self, name: str, value: Value, target: ast.expr, names: Names) -> Names:
        span = value.span or self.source.span(target)
        binding = Binding("", name, value, self.source.path, span, self.origin)
        updated = dict(names)
        updated[name] = (binding,)
        return updated

    def _call(self, call: ast.Call) -> None:
        """Run-time mutation of a name, or a call that can set any name."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            self.state.mutated.add(func.value.id)
        dotted = self.evaluator_dotted(func)
        if dotted in _OPEN_CALLS or (dotted or "").endswith("split_settings.tools.include"):
            self.state.open_reason = f"{dotted}() can set any name"

    def evaluator_dotted(self, func: ast.expr) -> str | None:
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            head = self.evaluator_dotted(func.value)
            return f"{head}.{func.attr}" if head else None
        return None

    def _import_from(self, stmt: ast.ImportFrom, names: Names) -> Names:
        target = absolute_module(self.module, self.is_package, stmt.level, stmt.module)
        state = self.loader(target)
        star = any(alias.name == "*" for alias in stmt.names)
        if state is None:
            if star:
                self.state.open_reason = f"`from {target} import *` names a module not found"
            return names
        if state.open_reason:
            self.state.open_reason = state.open_reason
        self.state.mutated |= state.mutated
        updated = dict(names)
        if star:
            updated.update({k: v for k, v in state.names.items() if not k.startswith("_")})
            return updated
        for alias in stmt.names:
            if alias.name in state.names:
                updated[alias.asname or alias.name] = state.names[alias.name]
        return updated

    def _merge(self, before: Names, blocks: list[list[ast.stmt]], keep_before: bool) -> Names:
        """Run each block on a copy; names that differ between outcomes become conditional."""
        outcomes = [self._block(block, dict(before)) for block in blocks]
        if keep_before or len(outcomes) < 2:
            outcomes.append(before)
        merged: Names = {}
        for name in set().union(*outcomes):
            variants = [o.get(name, ()) for o in outcomes]
            if all(v == variants[0] for v in variants):
                merged[name] = variants[0]
                continue
            seen: list[Binding] = []
            for variant in variants:
                for binding in variant:
                    flagged = replace(binding, conditional=True)
                    if flagged not in seen:
                        seen.append(flagged)
            merged[name] = tuple(seen)
        self._current = merged
        return merged
