"""Setting names a module reads as code (CEL702): a key that Celery ignores may still be a
project setting read by the project itself, which is no mistake.

Recorded from the nodes of each class the one extraction walk indexed: ``CELERY_*`` and
upper-case names read anywhere (``settings.CELERY_X``, ``getattr(settings, "BROKER_URL",
...)``, a bare ``CELERY_X``; old setting names are upper-case too, ``CELERYD_CONCURRENCY``),
any name imported from a module (``from .settings import CELERY_X``; imported into a config
module, it is a module import, not a setting), and any name the module both assigns and
reads (a helper variable of a config module such as ``redis_host``, used to build
``broker_url``).
"""

from __future__ import annotations

import ast

from celerylint.facts.walk import TreeIndex

PREFIX = "CELERY_"
_READERS = {"getattr", "hasattr"}


def names_read(index: TreeIndex) -> tuple[str, ...]:
    """The setting-like names the module reads, sorted (from the walk's nodes of the four
    classes that can read one, not from every node)."""
    names = index.each(ast.Name)
    stored = {node.id for node in names if node.ctx.__class__ is ast.Store}
    loaded = {node.id for node in names if node.ctx.__class__ is not ast.Store}
    found = {node.attr for node in index.each(ast.Attribute) if node.ctx.__class__ is ast.Load}
    imported = {alias.name for node in index.each(ast.ImportFrom)
                for alias in node.names if alias.name != "*"}
    for call in index.each(ast.Call):
        if isinstance(call.func, ast.Name) and call.func.id in _READERS and len(call.args) >= 2:
            key = call.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    found = {name for name in found | loaded if name.startswith(PREFIX) or name.isupper()}
    return tuple(sorted(found | imported | (loaded & stored)))
