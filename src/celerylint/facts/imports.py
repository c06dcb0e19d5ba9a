"""Which dotted origin each name of a module stands for.

Built once per module from its import statements and top-level definitions, so that
``st`` in ``from celery import shared_task as st`` reads as ``celery.shared_task`` and a
module-level ``app`` of ``proj.celery`` reads as ``proj.celery.app``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable


def absolute_module(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve ``from ..x import y``'s module relative to `module`."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    if target:
        parts.append(target)
    return ".".join(parts)


class ImportMap:
    """Local name to dotted origin for one module."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.aliases: dict[str, str] = {}
        self.star_imports: list[str] = []

    def add_import(self, node: ast.Import) -> None:
        """``import a.b`` binds ``a``; ``import a.b as c`` binds ``c`` to ``a.b``."""
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                self.aliases[head] = head

    def add_import_from(self, node: ast.ImportFrom) -> None:
        """``from m import x as y`` binds ``y`` to ``m.x``; star imports are remembered."""
        base = absolute_module(self.module, self.is_package, node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append(base)
            else:
                origin = f"{base}.{alias.name}" if base else alias.name
                self.aliases[alias.asname or alias.name] = origin

    def define(self, name: str) -> None:
        """A module-level definition, unless an import already binds the name."""
        self.aliases.setdefault(name, f"{self.module}.{name}" if self.module else name)

    def resolve_bound(self, node: ast.AST) -> str | None:
        """Like `resolve`, but None unless the chain starts at an imported or defined name
        (``self.name`` or a local variable is no dotted origin)."""
        head = node
        while isinstance(head, ast.Attribute):
            head = head.value
        if not isinstance(head, ast.Name) or head.id not in self.aliases:
            return None
        return self.resolve(node)

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted origin of a name or attribute chain; None for anything else."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            head = self.resolve(node.value)
            return f"{head}.{node.attr}" if head else None
        return None


def collect_imports(
    tree: ast.Module, module: str, is_package: bool, nodes: Iterable[ast.AST] | None = None
) -> ImportMap:
    """Every import anywhere in the file, then the module's top-level definitions.

    `nodes` (the import nodes, in walk order) when the caller already has them."""
    imports = ImportMap(module, is_package)
    for node in ast.walk(tree) if nodes is None else nodes:
        if isinstance(node, ast.Import):
            imports.add_import(node)
        elif isinstance(node, ast.ImportFrom):
            imports.add_import_from(node)
    for name in _top_level_names(tree.body):
        imports.define(name)
    return imports


def _top_level_names(body: list[ast.stmt]) -> list[str]:
    """Names a module binds at its top level, looking into if/try blocks."""
    names: list[str] = []
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names.extend(t.id for t in stmt.targets if isinstance(t, ast.Name))
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and isinstance(stmt.target, ast.Name):
            names.append(stmt.target.id)
        elif isinstance(stmt, ast.If):
            names.extend(_top_level_names(stmt.body) + _top_level_names(stmt.orelse))
        elif isinstance(stmt, ast.Try):
            blocks = stmt.body + stmt.orelse + stmt.finalbody
            for handler in stmt.handlers:
                blocks += handler.body
            names.extend(_top_level_names(blocks))
    return names
