"""Dotted module names of project files, and the way back from a name to a file.

A file's import name comes from its package chain (directories holding ``__init__.py``);
a file outside any package is also known by its root-relative dotted path (namespace
packages, ``src/`` layouts), so ``proj.settings.base`` finds ``src/proj/settings/base.py``.
Names never depend on the current folder: the root they are relative to is found from
the files themselves (``engine.discover.locate_project``). A name with a part that is not
an identifier (a file below ``my-scripts/`` or ``.semgrep/`` outside any package) is not
importable: a worker cannot load that file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleName:
    """How Python imports a file: its dotted name and whether it is a package."""

    name: str
    is_package: bool


def importable(name: str) -> bool:
    """Could a worker import a module of this dotted name (every part an identifier)?"""
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def module_names(paths: Iterable[str]) -> dict[str, ModuleName]:
    """The import name of every ``.py`` path (root-relative, ``/``-separated)."""
    py_paths = [p for p in paths if p.endswith(".py")]
    packages: set[str] = {_parent(p) for p in py_paths if p.rsplit("/", 1)[-1] == "__init__.py"}
    packages.discard("")
    result: dict[str, ModuleName] = {}
    for path in py_paths:
        parts = path[:-3].split("/")
        is_package = parts[-1] == "__init__"
        stem = parts[:-1] if is_package else parts
        depth = 0
        directory = _parent(path)
        while directory in packages:
            depth += 1
            directory = _parent(directory)
        keep = depth if is_package else depth + 1
        name_parts = stem[-keep:] if depth else _strip_src(stem)
        result[path] = ModuleName(".".join(name_parts), is_package)
    return result


def _strip_src(parts: list[str]) -> list[str]:
    """Root-relative parts of a file outside any package, without a leading ``src``."""
    return parts[1:] if len(parts) > 1 and parts[0] == "src" else parts


class ModuleIndex:
    """Find the file of a dotted module name, trying its known spellings."""

    def __init__(self, names: dict[str, ModuleName]) -> None:
        self._by_name: dict[str, str] = {}
        # `split` answers, remembered: rules ask the same origins over and over (the
        # helpers every task reaches, level after level), tens of thousands of times.
        self._splits: dict[str, tuple[str, str] | None] = {}
        for path in sorted(names):
            for alias in _spellings(path, names[path]):
                self._by_name.setdefault(alias, path)

    def path_of(self, module: str) -> str | None:
        """The file that `module` names in this project, if any."""
        return self._by_name.get(module)

    def split(self, dotted: str) -> tuple[str, str] | None:
        """Split ``pkg.mod.attr.sub`` into (path of the longest module prefix, rest)."""
        if dotted in self._splits:
            return self._splits[dotted]
        found = None
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            path = self._by_name.get(".".join(parts[:cut]))
            if path is not None:
                found = path, ".".join(parts[cut:])
                break
        self._splits[dotted] = found
        return found

    def top_packages(self) -> set[str]:
        """First components of every module name (for 'is this name ours?')."""
        return {name.split(".")[0] for name in self._by_name}


def _spellings(path: str, name: ModuleName) -> list[str]:
    """The package-chain name first, then the root-relative dotted path."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    spellings = [name.name]
    for candidate in (".".join(parts), ".".join(_strip_src(parts))):
        if candidate and candidate not in spellings:
            spellings.append(candidate)
    return spellings
