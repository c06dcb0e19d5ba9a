"""The per-file work of a run: decode, parse and extract one file into a FileResult.

Each file is handled on its own and yields plain data, so the work spreads over a process
pool (``engine.pool``) and is cached by content hash; results are merged in path order,
which keeps the output identical whatever the number of processes or the cache state.
"""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celerylint.engine.noqa import NoqaMap
from celerylint.engine.pool import digest
from celerylint.facts.extract import extract
from celerylint.facts.schema import ModuleFacts
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.parsing.source import SourceFile


@dataclass
class FileResult:
    """What one Python file contributes; `facts` is None when it was not extracted."""

    path: str
    digest: str
    facts: ModuleFacts | None = None
    noqa: NoqaMap | None = None  # filled in the first time a finding needs it
    parse_error: ParseFailure | None = None
    read_error: str | None = None
    internal_error: str | None = None
    relevant: bool = True  # passed the prefilter (or was needed by the model)


@dataclass(frozen=True)
class FileJob:
    """A file to extract: its text and the import name the project gives it."""

    path: str
    data: bytes
    module: str
    is_package: bool


def process(job: FileJob) -> FileResult:
    """Decode, parse and extract one file; a bug of ours names the file, never aborts."""
    return process_parsed(job)[0]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cycle collector off while one file is parsed and extracted.

    A tree is tens of thousands of objects made at once, each allocation counting towards
    a collection that finds nothing (syntax trees and facts hold no cycles: they go by
    reference counting) while walking every fact kept so far. The few cycles a file's
    extraction leaves are collected once the collector is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def process_parsed(job: FileJob) -> tuple[FileResult, tuple[SourceFile, ast.Module] | None]:
    """`process`, also giving the parsed file (None when it did not parse) to a caller in
    this process that reads the tree itself: the model interprets settings modules, and
    parsing one again right after extracting it would double its cost."""
    with _gc_paused():
        return _process(job)


def _process(job: FileJob) -> tuple[FileResult, tuple[SourceFile, ast.Module] | None]:
    result = FileResult(job.path, digest(job.data))
    try:
        text = decode_source(job.data)
    except (SourceDecodeError, UnicodeDecodeError, SyntaxError) as exc:
        result.read_error = str(exc) or type(exc).__name__
        return result, None
    tree = parse_python(text, job.path)
    if isinstance(tree, ParseFailure):
        result.parse_error = tree
        return result, None
    source = SourceFile(job.path, text)
    try:
        result.facts = extract(source, tree, job.module, job.is_package)
    except (RecursionError, ValueError, TypeError, AttributeError, KeyError) as exc:
        result.internal_error = f"{job.path}: {type(exc).__name__}: {exc}"
    return result, (source, tree)
