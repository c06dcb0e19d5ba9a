"""CEL208 unbound-task-uses-self: a task body uses ``self.retry``, ``self.request``,
``self.update_state`` or ``self.backend`` while the task is not ``bind=True``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.task_options import bodies
from celerylint.findings import Edit, Finding, Fix
from celerylint.fixes import brackets
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.minimal import minimal_edit
from celerylint.fixes.view import load_view
from celerylint.model.build import Model
from celerylint.model.tasks import Task


def _bound(model: Model, task: Task) -> bool | None:
    """Is the task bound? ``bind`` is a decorator parameter only (a class attribute does
    nothing), so it comes from the decorator or the alias; None when options may hide it
    (``**`` options, a wrapper whose options are open, a configured project decorator)."""
    decorator, alias = task.decorator, task.alias
    if decorator is None:
        return None
    project = model.project
    if project.canonical(decorator.callee) in {project.canonical(d)
                                               for d in project.task_decorators}:
        return None
    if task.wrapper is not None and task.wrapper.open:
        return None
    for keywords, splat in ((decorator.keywords, decorator.has_splat),
                            (alias.assign.call.keywords if alias else {},
                             alias.assign.call.has_splat if alias else False)):
        if "bind" in keywords:
            ok, data = keywords["bind"].try_plain()
            return bool(data) if ok else None
        if splat:
            return None
    return False


def _self_bound_in_module(model: Model, task: Task) -> bool:
    """Does the module bind a global ``self`` (an import or an assignment)?"""
    facts = model.project.modules[task.path]
    return ("self" in facts.imports or any(a.var == "self" for a in facts.call_assigns)
            or any(a.var == "self" for a in facts.name_assigns))


_HINTS = {
    True: "Add bind=True to the decorator so that self is the task.",
    False: "Add bind=True with self as the first parameter, or use celery.current_task.",
}


class UnboundTaskUsesSelf(Rule):
    """CEL208: ``self`` in a task that is not bound is not the task."""

    code = "CEL208"

    def check(self, model: Model) -> Iterator[Finding]:
        for task in model.production_tasks():
            if task.kind != "function" or task.facts is None:
                continue
            uses = [use for body in bodies(model, task) for use in body.unbound_self]
            if not uses or _bound(model, task) is not False or _self_bound_in_module(
                    model, task):
                continue
            attribute = min(uses, key=lambda use: use[1])[0]
            first = task.facts.params[0] if task.facts.params else ""
            what = "the caller's first argument" if first == "self" else "undefined"
            yield Finding(
                self.code,
                f"task {task.function!r} uses self.{attribute} without bind=True: self is "
                f"{what}, not the task",
                task.path, task.span,
                fix=add_bind(model.project.root, task) if first == "self" else None,
                hint=_HINTS[first == "self"])


@no_fix_on_mismatch
def add_bind(root: Path, task: Task) -> Fix | None:
    """``bind=True`` added to the task's decorator (``@shared_task`` becomes
    ``@shared_task(bind=True)``). Only offered when the first parameter is named
    ``self``: Celery then passes the task there, and the caller's arguments still fill
    the other parameters."""
    assert task.decorator is not None
    view = load_view(root, task.path)
    if view is None:
        return None
    span = task.decorator.span
    text = view.slice(span)
    nodes = view.nodes_at(span)
    if any(isinstance(n, ast.Call) for n in nodes):
        node = brackets.parse(text, call=True)
        if node is None:
            return None
        if node.items:
            changed = brackets.insert_after(node, len(node.items) - 1, "bind=True")
            new = changed.render() if changed is not None else None
        else:
            new = f"{node.head}{node.tail}bind=True{node.close}"
    elif any(isinstance(n, (ast.Name, ast.Attribute)) for n in nodes):
        new = f"{text}(bind=True)"
    else:
        return None
    if new is None:
        return None
    edit: Edit | None = minimal_edit(view, view.offset(span.row, span.column), text, new)
    return fix("safe", "Add bind=True", edit)
