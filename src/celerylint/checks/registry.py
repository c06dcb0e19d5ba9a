"""What a rule is, and the registry every rule joins by being defined.

A rule is a small class: its catalog ``code``, the model parts it needs loaded beyond
apps and tasks (``needs``), and ``check(model)``, which reads the frozen model and yields
findings. Rules never parse, walk the filesystem or format output. Subclassing ``Rule``
with a ``code`` registers the class; ``all_rules()`` imports every module under
``celerylint.checks`` so that adding a rule means adding a module to its family folder
(and its ``rules/CELnnn.toml`` spec), never editing a list.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from functools import lru_cache
from typing import ClassVar

from celerylint.findings import Finding
from celerylint.model.build import Model, Need

_REGISTRY: dict[str, type[Rule]] = {}


class Rule:
    """Base of every rule; a subclass with a ``code`` is registered under that code."""

    code: ClassVar[str]
    needs: ClassVar[tuple[Need, ...]] = ()
    # Blind spots the rule stays silent on ("config": an app's configuration is unknown;
    # "app": tasks not linked to an app): a notice names the rule when one exists.
    blind_on: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        code = cls.__dict__.get("code")
        if code is None:
            return
        known = _REGISTRY.get(code)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise TypeError(f"{code} is registered twice: {known.__qualname__} and "
                            f"{cls.__qualname__}")
        _REGISTRY[code] = cls

    def check(self, model: Model) -> Iterator[Finding]:
        """The rule's findings in the whole project."""
        raise NotImplementedError


@lru_cache(maxsize=1)
def _import_families() -> None:
    """Import every module below this package: defining a rule registers it."""
    package = importlib.import_module("celerylint.checks")
    for info in pkgutil.walk_packages(package.__path__, "celerylint.checks."):
        importlib.import_module(info.name)


def all_rules() -> dict[str, Rule]:
    """Every registered rule by code, in code order."""
    _import_families()
    return {code: _REGISTRY[code]() for code in sorted(_REGISTRY)}
