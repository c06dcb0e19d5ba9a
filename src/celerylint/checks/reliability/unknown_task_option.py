"""CEL213 unknown-task-option: a task decorator keyword or a per-task ``task_annotations``
key that Celery never reads and the task's class does not define or read."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from celerylint.checks.registry import Rule
from celerylint.facts.values import Value
from celerylint.findings import Edit, Finding, Fix, Span
from celerylint.fixes.builders import fix, no_fix_on_mismatch
from celerylint.fixes.view import load_view
from celerylint.model.apps import CELERY_CLASSES
from celerylint.model.build import Model
from celerylint.model.task_options_table import task_options
from celerylint.model.tasks import Task, annotation_maps

# Methods of a Celery subclass that see every decorator keyword before Celery does.
_APP_HOOKS = ("task", "_task_from_fun")


@dataclass(frozen=True)
class Keyword:
    """One option written for a task: its name, the file and the span it lands on, and
    whether a rename fix can edit it (a decorator or alias keyword)."""

    name: str
    path: str
    span: Span
    renamable: bool


def _verdict(name: str, version: tuple[int, int] | None) -> str | None:
    """Why Celery ignores `name` on the target version (None: it reads it, or the answer
    depends on a version that is not known)."""
    since = task_options().get(name)
    if since is None:
        return "unknown"
    if version is None or since <= version:
        return None
    return f"new in Celery {since[0]}.{since[1]}"


def closest(name: str) -> list[str]:
    """The real options a misspelt `name` most likely meant (public names only)."""
    public = [option for option in task_options() if not option.startswith("_")]
    return difflib.get_close_matches(name, public, n=2, cutoff=0.8)


class UnknownTaskOption(Rule):
    """CEL213: an option Celery stores as a class attribute and never reads."""

    code = "CEL213"

    def check(self, model: Model) -> Iterator[Finding]:
        version = model.project.version.version
        seen: set[tuple[str, Span]] = set()
        for keyword in _keywords(model):
            verdict = _verdict(keyword.name, version)
            if verdict is None or (keyword.path, keyword.span) in seen:
                continue
            seen.add((keyword.path, keyword.span))
            yield _finding(self.code, model.project.root, keyword, verdict, version)


def _finding(code: str, root: Path, keyword: Keyword, verdict: str,
             version: tuple[int, int] | None) -> Finding:
    if verdict != "unknown":
        assert version is not None
        return Finding(code, f"task option {keyword.name!r} is {verdict}; the target "
                       f"{version[0]}.{version[1]} ignores it", keyword.path, keyword.span,
                       hint="Raise the Celery requirement, or drop the option.")
    close = closest(keyword.name)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    rename = (rename_keyword(root, keyword, close[0])
              if len(close) == 1 and keyword.renamable else None)
    return Finding(code, f"unknown task option {keyword.name!r}: Celery never reads it"
                   f"{suggestion}", keyword.path, keyword.span, fix=rename,
                   hint="Use a real task option, or read it in a project base class.")


def _keywords(model: Model) -> Iterator[Keyword]:
    """Options written for tasks whose whole class is known and does not use them."""
    for task in model.production_tasks():
        if _open(model, task):
            continue
        used = _class_names(model, task)
        for name, path, span in _written(task):
            if name not in used:
                yield Keyword(name, path, span, renamable=True)
    yield from _annotation_keys(model)


def _open(model: Model, task: Task) -> bool:
    """Can something outside Celery see the task's options? A class not entirely known
    (or one a ``**`` splat may choose), a configured project decorator, a method of the
    app's class that makes tasks, or an app class that overrides how Celery makes them."""
    if not task.class_known or task.decorator is None or task.decorator.has_splat:
        return True  # a splat may hold ``base=``
    if task.alias is not None and task.alias.assign.call.has_splat:
        return True
    project = model.project
    if project.canonical(task.decorator.callee) in {project.canonical(d)
                                                    for d in project.task_decorators}:
        return True
    if task.wrapper is not None and task.wrapper.klass:
        return True
    if task.app is None:
        return False
    chain, external = project.ancestry(task.app.cls)
    return any(base not in CELERY_CLASSES for base in external) or any(
        hook in klass.methods for _path, klass in chain for hook in _APP_HOOKS)


def _class_names(model: Model, task: Task) -> set[str]:
    """What the task's project classes define or read on themselves."""
    names: set[str] = set()
    for path, klass in task.class_chain:
        names.update(klass.attributes, klass.methods)
        names.update(model.project.modules[path].class_reads.get(klass.name, ()))
    return names


def _written(task: Task) -> Iterator[tuple[str, str, Span]]:
    """The decorator's keywords (at the use site) and the alias's, each once."""
    assert task.decorator is not None
    for name, span in task.decorator.keyword_spans.items():
        yield name, task.path, span
    if task.alias is not None:
        call = task.alias.assign.call
        for name, span in call.keyword_spans.items():
            if name not in task.decorator.keywords:
                yield name, task.alias.path, span


def _annotation_keys(model: Model) -> Iterator[Keyword]:
    """Keys of ``task_annotations`` entries for one task name, when every task of that
    name has a known class that does not use the key."""
    for app in model.production_apps():
        for binding in app.config.certain("task_annotations"):
            for entry in annotation_maps(binding.value):
                for name, options in (entry.data.items() if entry is not None else ()):
                    tasks = model.names.tasks(name) if isinstance(name, str) else ()
                    if name == "*" or not tasks or any(_open(model, t) for t in tasks):
                        continue
                    used = set().union(*(_class_names(model, t) for t in tasks))
                    yield from _entry_keys(binding.path, options, used)


def _entry_keys(path: str, options: Value, used: set[str]) -> Iterator[Keyword]:
    if not options.known or options.partial or not isinstance(options.data, dict):
        return
    for key, value in options.data.items():
        if isinstance(key, str) and key not in used and value.span is not None:
            yield Keyword(key, path, value.span, renamable=False)


@no_fix_on_mismatch
def rename_keyword(root: Path, keyword: Keyword, new: str) -> Fix | None:
    """CEL213 (unsafe): the keyword renamed to the one close real option; unsafe because
    the option starts to act (``acks_late=True`` changes when messages are acked)."""
    view = load_view(root, keyword.path)
    if view is None:
        return None
    span = keyword.span
    start = view.offset(span.row, span.column)
    if not view.text[start:].startswith(keyword.name):
        return None
    end = view.position(start + len(keyword.name))
    return fix("unsafe", f"Rename to {new}", Edit(new, Span(span.row, span.column, *end)))
