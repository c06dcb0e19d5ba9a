"""The project model: every file's facts, linked across modules.

Built once per run from the files below the project root (``loading``), completed with
what rules need and frozen (``build``); rules read it, they never parse or walk the
filesystem themselves. The class is assembled from parts, each in its module: loading
on demand (``store``), look-ups by dotted name (``symbols``, built on the store) and the
test-code policy (``testcode``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from celerylint.engine.noqa import NoqaMap
from celerylint.facts.schema import ModuleFacts
from celerylint.model.cache import FactsCache
from celerylint.model.celery_version import TargetVersion
from celerylint.model.config_module import ModuleState
from celerylint.model.modules import ModuleIndex, ModuleName
from celerylint.model.symbols import SymbolLookups
from celerylint.model.testcode import TestCodePolicy
from celerylint.model.workers import WorkerCommand
from celerylint.parsing.parse import ParseFailure


@dataclass
class Project(SymbolLookups, TestCodePolicy):
    """Everything celerylint knows about the code below `root`."""

    root: Path
    files: list[str]
    names: dict[str, ModuleName]
    index: ModuleIndex
    modules: dict[str, ModuleFacts] = field(default_factory=dict)
    parse_errors: dict[str, ParseFailure] = field(default_factory=dict)
    read_errors: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)  # OS-level reasons (CEL003)
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
    _test_paths: dict[str, bool] = field(default_factory=dict)
    _state_deps: dict[str, dict[str, str]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # content hash of every .py file
    _loaded: set[str] = field(default_factory=set)
    # Word -> the Python files holding it as a whole word, searched once while the model
    # is built for all the rules that ask (`checks.configuration.reads.files_mentioning`).
    mentions: dict[str, frozenset[str]] = field(default_factory=dict)
    frozen: bool = False  # set once the model is built: rules only read
