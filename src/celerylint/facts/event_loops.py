"""Event loops run inside functions (CEL502): ``asyncio.run(...)`` and
``<loop>.run_until_complete(...)`` (any receiver, ``asyncio.get_event_loop()`` included).

Only module-level functions and methods of module-level classes are read (a task body
is one of those; the model decides which), each without descending into nested
functions, lambdas or classes: a coroutine runner defined in a nested function is not
the body's own statement. A function is walked only when its text shows
``run_until_complete(`` or a ``run(`` call and the module mentions asyncio, so most
functions of a project are never visited.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from celerylint.facts.canvas import named_functions
from celerylint.facts.imports import ImportMap
from celerylint.facts.schema import EventLoopCall
from celerylint.facts.walk import Bodies, body_nodes
from celerylint.parsing.source import SourceFile

_RUNNERS = {"asyncio.run", "asyncio.runners.run"}
_SIGN = re.compile(r"\brun_until_complete\s*\(|\brun\s*\(")


def collect(tree: ast.Module, source: SourceFile, imports: ImportMap,
            bodies: Bodies = body_nodes) -> list[EventLoopCall]:
    """The event-loop calls of the module's functions and methods."""
    if "run_until_complete" not in source.text and "asyncio" not in source.text:
        return []
    found: list[EventLoopCall] = []
    for name, function in named_functions(tree):
        text = "\n".join(source.lines[function.lineno - 1:function.end_lineno])
        if _SIGN.search(text):
            found.extend(EventLoopCall(name, call, source.span(node))
                         for node, call in _loop_calls(bodies(function), imports))
    return sorted(found, key=lambda call: call.span)


def _loop_calls(body: list[ast.AST], imports: ImportMap) -> Iterator[tuple[ast.Call, str]]:
    """(call, what it is) for each event-loop call of the function's own body."""
    for node in body:
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "run_until_complete":
            yield node, "run_until_complete"
        elif imports.resolve_bound(node.func) in _RUNNERS:
            yield node, "asyncio.run"
