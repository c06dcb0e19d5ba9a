"""The per-file work of a run: decode, parse and extract one file into a FileResult.

Each file is handled on its own and yields plain data, so the work spreads over a process
pool (``engine.pool``) and is cached by content hash; results are merged in path order,
which keeps the output identical whatever the number of processes or the cache state.
"""

from __future__ import annotations

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
    result = FileResult(job.path, digest(job.data))
    try:
        text = decode_source(job.data)
    except (SourceDecodeError, UnicodeDecodeError, SyntaxError) as exc:
        result.read_error = str(exc) or type(exc).__name__
        return result
    tree = parse_python(text, job.path)
    if isinstance(tree, ParseFailure):
        result.parse_error = tree
        return result
    try:
        result.facts = extract(SourceFile(job.path, text), tree, job.module, job.is_package)
    except (RecursionError, ValueError, TypeError, AttributeError, KeyError) as exc:
        result.internal_error = f"{job.path}: {type(exc).__name__}: {exc}"
    return result
