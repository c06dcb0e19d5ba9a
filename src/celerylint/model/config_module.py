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

from celerylint.facts.imports import ImportMap, absolute_module, collect_imports
from celerylint.facts.schema import ModuleFacts
from celerylint.facts.values import Evaluator, Value, unknown
from celerylint.model.config import Binding
from celerylint.parsing.source import SourceFile

Names = dict[str, tuple[Binding, ...]]

_OPEN_CALLS = {"include", "split_settings.tools.include", "exec", "locals", "globals", "vars"}
# Bases outside the project known to define no Celery setting: django-configurations'
# Configuration holds Django's own defaults only.
EMPTY_BASES = {"object", "builtins.object", "configurations.Configuration",
               "configurations.base.Configuration"}
CONFIGURATION_BASES = {"configurations.Configuration", "configurations.base.Configuration"}
# Class methods through which a django-configurations class may set any setting.
_SETUP_METHODS = {"setup", "pre_setup", "post_setup"}


@dataclass(frozen=True)
class ClassState:
    """A module-level class as a settings holder: its attribute bindings (an upper-case
    method is an attribute computed at run time: unknown), its bases as dotted names,
    and why it may hold more than its attributes show."""

    names: Names
    bases: tuple[str, ...]
    open_reason: str = ""


@dataclass
class ModuleState:
    """A module's names after it ran, and whether something could have set any name."""

    names: Names = field(default_factory=dict)
    open_reason: str = ""
    mutated: set[str] = field(default_factory=set)
    classes: dict[str, ClassState] = field(default_factory=dict)


Loader = Callable[[str], Optional[ModuleState]]


def import_map_of(facts: ModuleFacts, module: str, is_package: bool) -> ImportMap:
    """The import table the extraction built for the module of `facts` (it keeps its
    names and star imports), rebuilt rather than collected again from the whole tree."""
    imports = ImportMap(module, is_package)
    imports.aliases.update(facts.imports)
    imports.star_imports.extend(facts.star_imports)
    return imports


class ModuleInterpreter:
    """Replays one module's top-level statements into a ModuleState; `facts`, when
    given, were extracted from this very tree, and their import table spares walking
    the whole tree again."""

    def __init__(
        self, source: SourceFile, tree: ast.Module, module: str, is_package: bool,
        loader: Loader, origin: str, facts: ModuleFacts | None = None,
    ) -> None:
        self.source = source
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.loader = loader
        self.origin = origin
        self.state = ModuleState()
        self._current: Names = {}
        self._outer: Names = {}  # the module's names, while a class body runs
        self._in_class = False
        self.imports = collect_imports(tree, module, is_package) if facts is None else (
            import_map_of(facts, module, is_package))
        self.evaluator = Evaluator(source.span, self._lookup, self.imports.resolve_bound)

    def run(self) -> ModuleState:
        """Interpret the whole module."""
        self.state.names = self._block(self.tree.body, {})
        return self.state

    def _lookup(self, name: str) -> Value | None:
        bindings = self._current.get(name) or self._outer.get(name)
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
        if isinstance(stmt, ast.ClassDef):
            if not self._in_class:  # a module-level class (nested ones are not settings)
                self._class(stmt, names)
            return names
        return self._simple(stmt, names)

    def _class(self, stmt: ast.ClassDef, names: Names) -> None:
        """Remember a class's attributes (its body runs with the module's names seen)."""
        saved = self.state.mutated, self.state.open_reason
        self.state.mutated = set()
        self._outer = names
        self._in_class = True
        try:
            attributes = self._block(stmt.body, {})
        finally:
            self._outer = {}
            self._in_class = False
            self._current = names
            self.state.mutated, self.state.open_reason = saved
        open_reason = ""
        for method in stmt.body:
            if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if method.name.isupper():
                    attributes = self._set(method.name, unknown(
                        "computed by a method"), method, attributes)
                elif method.name in _SETUP_METHODS:
                    open_reason = f"{stmt.name}.{method.name}() can set any setting"
        bases = tuple(self.imports.resolve_bound(base) or "<expression>" for base in stmt.bases)
        self.state.classes[stmt.name] = ClassState(attributes, bases, open_reason)

    def _simple(self, stmt: ast.stmt, names: Names) -> Names:
        value_node = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value_node, ast.Call) and _hands_namespace(value_node):
            # ``ns = SettingNamespace(global_symbol_table=globals())``: the object may
            # write any name into the module, now or through a later method call
            self.state.open_reason = "a call is given the module's globals() and can set any name"
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
            names = self._call(stmt.value, names)
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

    def _set(self, name: str, value: Value, target: ast.AST, names: Names) -> Names:
        span = value.span or self.source.span(target)
        binding = Binding("", name, value, self.source.path, span, self.origin)
        updated = dict(names)
        updated[name] = (binding,)
        return updated

    def _call(self, call: ast.Call, names: Names) -> Names:
        """Run-time mutation of a name, a call that can set any name, or a settings class
        copied onto the module (``Settings.load_settings(__name__)``)."""
        func = call.func
        copied = self._copied_class(call)
        found = class_names(self.loader, copied, self.module, self.state) if copied else None
        if found is not None:
            attributes, reason = found
            if reason:
                self.state.open_reason = reason
            updated = dict(names)
            updated.update({k: v for k, v in attributes.items() if not k.startswith("_")})
            return updated
        if copied and copied.rpartition(".")[2][:1].isupper():  # a class we cannot read
            self.state.open_reason = f"{copied} is copied onto the module but cannot be read"
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            self.state.mutated.add(func.value.id)
        dotted = self.evaluator_dotted(func)
        if dotted in _OPEN_CALLS or (dotted or "").endswith("split_settings.tools.include"):
            self.state.open_reason = f"{dotted}() can set any name"
        return names

    def _copied_class(self, call: ast.Call) -> str | None:
        """The dotted class of ``Class.method(__name__)`` / ``Class().method(globals())``:
        a call on a class that is given the module itself."""
        if not isinstance(call.func, ast.Attribute) or not any(
                _names_this_module(arg) for arg in [*call.args, *(k.value for k in call.keywords)]):
            return None
        holder = call.func.value
        if isinstance(holder, ast.Call) and not holder.args and not holder.keywords:
            holder = holder.func
        if not isinstance(holder, (ast.Name, ast.Attribute)):
            return None
        return self.imports.resolve_bound(holder)

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
            self.state.classes.update(
                {k: v for k, v in state.classes.items() if not k.startswith("_")})
            return updated
        for alias in stmt.names:
            if alias.name in state.names:
                updated[alias.asname or alias.name] = state.names[alias.name]
            if alias.name in state.classes:
                self.state.classes[alias.asname or alias.name] = state.classes[alias.name]
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


def _hands_namespace(call: ast.Call) -> bool:
    """Is the call given the module's writable namespace (``globals()``,
    ``sys.modules[__name__]``), not merely its name?"""
    return any(_names_this_module(arg) and not isinstance(arg, ast.Name)
               for arg in [*call.args, *(k.value for k in call.keywords)])


def _names_this_module(node: ast.expr) -> bool:
    """``__name__``, ``globals()``, ``sys.modules[__name__]``."""
    if isinstance(node, ast.Name):
        return node.id == "__name__"
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "globals"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Name) and node.slice.id == "__name__"
    return False


def class_names(loader: Loader, dotted: str, module: str = "",
                own: ModuleState | None = None) -> tuple[Names, str] | None:
    """The attributes of a project class with those of its project bases beneath (None if
    the class is not found), and why it may hold more: a base outside the project other
    than those known to define no setting, or a setup method."""
    names: Names = {}
    reason = ""
    chain: list[ClassState] = []
    pending, seen = [dotted], set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        state = _class_state(loader, current, module, own)
        if state is None:
            if current == dotted:
                return None
            if current not in EMPTY_BASES:
                reason = reason or f"{dotted} inherits from {current}, which is not in the project"
            continue
        chain.append(state)
        reason = reason or state.open_reason
        pending.extend(state.bases)
    for state in reversed(chain):  # the most basic first; nearer classes override
        names.update(state.names)
    return names, reason


def _class_state(loader: Loader, dotted: str, module: str, own: ModuleState | None
                 ) -> ClassState | None:
    holder, _, name = dotted.rpartition(".")
    if own is not None and holder == module:
        return own.classes.get(name)
    if not holder or dotted in EMPTY_BASES:
        return None
    state = loader(holder)
    return state.classes.get(name) if state is not None else None


def configuration_classes(loader: Loader, module: str, state: ModuleState) -> list[str]:
    """Names of the module's django-configurations classes (``Configuration`` reached
    through project classes)."""
    found = []
    for name in state.classes:
        pending, seen = [f"{module}.{name}"], set()
        while pending:
            current = pending.pop(0)
            if current in CONFIGURATION_BASES:
                found.append(name)
                break
            if current in seen:
                continue
            seen.add(current)
            klass = _class_state(loader, current, module, state)
            if klass is not None:
                pending.extend(klass.bases)
    return found
