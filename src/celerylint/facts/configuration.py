"""Setting names a module reads as code (CEL702): a key that Celery ignores may still be a
project setting read by the project itself, which is no mistake.

Recorded from the node list of the one extraction pass: ``CELERY_*`` and upper-case names
read anywhere (``settings.CELERY_X``, ``getattr(settings, "BROKER_URL", ...)``, a bare
``CELERY_X``; old setting names are upper-case too, ``CELERYD_CONCURRENCY``), any
name imported from a module (``from .settings import CELERY_X``; imported into a config
module, it is a module import, not a setting), and any name the module both assigns and
reads (a helper variable of a config module such as ``redis_host``, used to build
``broker_url``).
"""

from __future__ import annotations

import ast

PREFIX = "CELERY_"
_READERS = {"getattr", "hasattr"}


def names_read(nodes: list[ast.AST]) -> tuple[str, ...]:
    """The setting-like names the module reads, sorted."""
    loaded: set[str] = set()
    stored: set[str] = set()
    found: set[str] = set()
    imported: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            found.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            imported.update(alias.name for alias in node.names if alias.name != "*")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in _READERS and len(node.args) >= 2):
            key = node.args[1]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                found.add(key.value)
    found = {name for name in found | loaded if name.startswith(PREFIX) or name.isupper()}
    return tuple(sorted(found | imported | (loaded & stored)))
