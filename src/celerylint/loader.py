"""Per-file work of a run: read, prefilter, parse, extract.

Each file is handled on its own and yields plain data (a FileResult), so the work spreads
over a process pool and is cached by content hash; results are merged in path order,
which keeps the output identical whatever the number of processes or the cache state.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from celerylint.extract import extract
from celerylint.facts import ModuleFacts
from celerylint.noqa import NoqaMap
from celerylint.parsing import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.source import SourceFile

# Below this many files a pool costs more than it saves.
POOL_THRESHOLD = 16


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


def digest(data: bytes) -> str:
    """The content hash the cache is keyed by."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


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


def _process_chunk(jobs: Sequence[FileJob]) -> list[FileResult]:
    return [process(job) for job in jobs]


def _chunks(jobs: Sequence[FileJob], count: int) -> list[list[FileJob]]:
    """Interleaved chunks, so large and small files spread evenly over the workers."""
    return [list(jobs[i::count]) for i in range(count)]


def run_jobs(jobs: Sequence[FileJob], workers: int) -> Iterator[FileResult]:
    """Process the jobs in-process (workers <= 1, few jobs) or in a process pool."""
    if workers <= 1 or len(jobs) < POOL_THRESHOLD:
        for job in jobs:
            yield process(job)
        return
    method = "fork" if "fork" in get_all_start_methods() else None
    context = get_context(method)
    chunks = _chunks(jobs, workers * 4)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for results in pool.map(_process_chunk, chunks):
            yield from results


def read_files(root: Path, paths: Iterable[str]) -> Iterator[tuple[str, bytes | None, str]]:
    """(path, bytes or None, error) for each file, never raising."""
    for path in paths:
        try:
            yield path, (root / path).read_bytes(), ""
        except OSError as exc:
            yield path, None, exc.strerror or str(exc)


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1
