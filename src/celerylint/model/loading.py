"""Loading a project: every file read once, Python files prefiltered, taken from the
facts cache or extracted in parallel, process definition files read for worker commands.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from celerylint.engine.pool import Signature, digest, file_signature, job_stream, read_file
from celerylint.facts import prefilter
from celerylint.facts.filework import FileResult, process
from celerylint.model.cache import FactsCache
from celerylint.model.celery_version import TargetVersion
from celerylint.model.modules import ModuleIndex, module_names
from celerylint.model.project import Project


@dataclass
class LoadSettings:
    """How a run reads files: processes, cache, prefilter, progress callback."""

    jobs: int = 1
    cache_dir: Path | None = None
    prefilter: bool = True
    progress: Callable[[int, int], None] | None = None  # (files done, total files)
    rules_progress: Callable[[int, int], None] | None = None  # (rules done, rules to run)


def load_project(
    root: Path,
    files: Sequence[str],
    version: TargetVersion,
    test_patterns: Sequence[str] = (),
    task_decorators: Sequence[str] = (),
    django_settings_module: str | None = None,
    settings: LoadSettings | None = None,
    cache: FactsCache | None = None,
) -> Project:
    """Read every file of the project: Python facts (prefiltered, cached, in parallel)
    and worker commands; `cache` (a read-only view for ``--base-ref``) stands in for the
    cache `settings` names."""
    settings = settings or LoadSettings()
    names = module_names(files)
    project = Project(
        root=root,
        files=list(files),
        names=names,
        index=ModuleIndex(names),
        version=version,
        test_patterns=tuple(test_patterns),
        task_decorators=tuple(task_decorators),
        django_settings_module=django_settings_module,
    )
    decorator_names = sorted({d.rsplit(".", 1)[-1] for d in task_decorators})
    project.prefilter = settings.prefilter
    if cache is not None:
        project.cache = cache
    elif settings.cache_dir is not None:
        project.cache = FactsCache(settings.cache_dir, ",".join(decorator_names))
    _load_python(project, [p for p in files if p.endswith(".py")], decorator_names, settings)
    for path in files:
        if not path.endswith(".py"):
            project.load_other(path)
    return project


def _load_python(project: Project, paths: list[str], decorator_names: list[str],
                 settings: LoadSettings) -> None:
    """Cached results first; the prefilter decides what the rest costs. Files to extract
    stream to the workers as they are found (`job_stream`); their results are taken in
    path order after the cached ones, as ever, whatever the number of processes. No
    file's bytes are kept: a passed-over file is read again if an alias search needs it."""
    signs = prefilter.pattern(decorator_names)
    names = [name.encode() for name in decorator_names]
    passed_over: set[str] = set()
    cache = project.cache if by_signature() else None
    top = str(project.root)
    with job_stream(process, settings.jobs) as stream:
        for path in paths:
            full = os.path.join(top, path)
            signature = file_signature(full) if cache is not None else None
            if signature is not None and _unchanged(project, path, signature, passed_over):
                _done(settings, len(paths))
                continue
            data, error = read_file(full)
            if data is None:
                project.read_errors[path] = project.unreadable[path] = error
                continue
            job = project.job(path, data)
            cached = project.cached(job)
            project.digests[path] = cached.digest if cached is not None else digest(data)
            relevant = cached.relevant if cached is not None else (
                prefilter.may_hold_facts(data, signs, names))
            if not relevant:
                passed_over.add(path)
            cel_noqa = prefilter.may_hold_noqa_codes(data)
            if cel_noqa:
                project.cel_noqa.add(path)
            if cache is not None and signature is not None:
                cache.note(path, FactsCache.entry_key(project.digests[path], job.module,
                                                      job.is_package), signature, cel_noqa)
            if cached is None and (relevant or not settings.prefilter):
                stream.add(job)
                continue
            if cached is None:
                cached = FileResult(path, project.digests[path], relevant=False)
                project.remember(cached)
            project.absorb(cached)
            _done(settings, len(paths))
        for result in stream.results():
            if result.path in passed_over:
                result.parse_error = None  # CEL001 speaks only of files that can hold facts
                result.relevant = False
            project.remember(result)
            project.absorb(result)
            _done(settings, len(paths))
    _load_alias_users(project, passed_over)


def _done(settings: LoadSettings, total: int) -> None:
    """One more file loaded, for the progress bar."""
    if settings.progress is not None:
        settings.progress(1, total)


def by_signature() -> bool:
    """Take unchanged files by their signature (`file_signature`) rather than by reading
    and hashing them; ``CELERYLINT_NO_STAT_CACHE=1`` turns that off (tests and the bench
    compare the output both ways)."""
    return not os.environ.get("CELERYLINT_NO_STAT_CACHE")


def _unchanged(project: Project, path: str, signature: Signature,
               passed_over: set[str]) -> bool:
    """Take the cached result of a file whose signature is unchanged, as a file read
    and found in the cache is taken; False when the cache cannot vouch for it. Only the
    working tree's own cache does: a read-only view (``--base-ref``) never."""
    cache = project.cache
    if cache is None or not cache.writable:
        return False
    name = project.names[path]
    found = cache.unchanged(path, signature, name.name, name.is_package)
    if found is None:
        return False
    result, cel_noqa = found
    project.digests[path] = result.digest
    if not result.relevant:
        passed_over.add(path)
    if cel_noqa:
        project.cel_noqa.add(path)
    project.absorb(result)
    return True


def _load_alias_users(project: Project, passed_over: set[str]) -> None:
    """Files using a decorator alias defined elsewhere (``@retrying``, ``@my_task`` of
    ``my_task = shared_task``, a wrapper function ``@my_task(...)``, also reached as
    ``@decorators.my_task``) show no sign of their own: search them for the names the
    loaded files define."""
    makers = ("task", "shared_task")
    names = sorted({
        assign.var for facts in project.modules.values() for assign in facts.call_assigns
        if assign.call.callee.rsplit(".", 1)[-1] in makers
    } | {
        assign.var for facts in project.modules.values() for assign in facts.name_assigns
        if assign.target.rsplit(".", 1)[-1] in makers
    } | {
        wrapper.function for facts in project.modules.values()
        for wrapper in facts.task_wrappers
    })
    if not names:
        return
    signs = re.compile(b"|".join(rb"@\s*(?:\w+\s*\.\s*)*" + re.escape(n.encode()) + rb"\b"
                                 for n in names))
    top = str(project.root)
    for path in sorted(passed_over):
        if path in project.modules:
            continue
        data = read_file(os.path.join(top, path))[0] or b""  # not kept: read it again
        if signs.search(data):
            project.ensure(path)
