"""Signatures and deferral facts for task calls (CEL402, CEL403).

`parameters` records what binding call arguments to a function needs. `method_calls`
records, for the methods of a class that mentions ``on_commit``, which of its own methods
each calls and whether it calls Django's ``transaction.on_commit``: the model follows
those links to decide whether an ``apply_async``/``delay`` override defers the message.
"""

from __future__ import annotations

import ast
import re

from celerylint.facts.imports import ImportMap
from celerylint.facts.schema import DEFERS, Parameters
from celerylint.facts.walk import walk

ON_COMMIT = {"django.db.transaction.on_commit"}
# Either sign: ``on_commit``, or an override of ``apply_async``/``delay`` (this regex
# opens with a literal, which `re` scans for quickly).
_OVERRIDE_HINT = re.compile(r"def\s+(?:apply_async|delay)\b")


def parameters(args: ast.arguments) -> Parameters:
    """The signature of a function with these `args`."""
    positional = [a.arg for a in args.posonlyargs + args.args]
    posonly = len(args.posonlyargs)
    keyword_only = tuple(a.arg for a in args.kwonlyargs)
    required = tuple(a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults)
                     if default is None)
    return Parameters(tuple(positional), posonly, min(len(args.defaults), len(positional)),
                      keyword_only, required, args.vararg is not None, args.kwarg is not None)


def method_calls(node: ast.ClassDef, text: str, imports: ImportMap
                 ) -> dict[str, tuple[str, ...]]:
    """Per method: the ``self.<name>(...)`` calls of its body and DEFERS when it calls
    ``transaction.on_commit``. Empty when the class's `text` neither says ``on_commit``
    nor overrides ``apply_async``/``delay``: then no method of it can matter."""
    if "on_commit" not in text and not _OVERRIDE_HINT.search(text):
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for stmt in node.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        positional = stmt.args.posonlyargs + stmt.args.args
        me = positional[0].arg if positional else None
        calls: list[str] = []
        for sub in walk(stmt):
            if not isinstance(sub, ast.Call):
                continue
            func = sub.func
            if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    and func.value.id == me):
                calls.append(func.attr)
            elif imports.resolve(func) in ON_COMMIT:
                calls.append(DEFERS)
        found[stmt.name] = tuple(sorted(set(calls)))
    return found
