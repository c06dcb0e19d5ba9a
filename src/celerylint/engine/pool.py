"""Spreading per-file work over processes, and reading files without raising.

The work function and its jobs are plain data, so the same code runs in-process or in a
pool; results come back in job order, which keeps the output identical whatever the
number of processes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import TypeVar

from celerylint.engine.buffers import absent, buffered
from celerylint.engine.readable import os_reason, read_regular

_J = TypeVar("_J")
_R = TypeVar("_R")

# Below this many jobs a pool costs more than it saves.
POOL_THRESHOLD = 16


def digest(data: bytes) -> str:
    """The content hash caches are keyed by."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _run_chunk(work: Callable[[_J], _R], jobs: Sequence[_J]) -> list[_R]:
    return [work(job) for job in jobs]


def _chunks(jobs: Sequence[_J], count: int) -> list[list[_J]]:
    """Interleaved chunks, so large and small files spread evenly over the workers."""
    return [list(jobs[i::count]) for i in range(count)]


def run_jobs(work: Callable[[_J], _R], jobs: Sequence[_J], workers: int) -> Iterator[_R]:
    """`work` on every job, in-process (workers <= 1, few jobs) or in a process pool;
    `work` must be a module-level function so that the pool can send it."""
    if workers <= 1 or len(jobs) < POOL_THRESHOLD:
        for job in jobs:
            yield work(job)
        return
    method = "fork" if "fork" in get_all_start_methods() else None
    context = get_context(method)
    chunks = _chunks(jobs, workers * 4)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for results in pool.map(partial(_run_chunk, work), chunks):
            yield from results


def read_files(root: Path, paths: Iterable[str]) -> Iterator[tuple[str, bytes | None, str]]:
    """(path, bytes or None, error) for each file, never raising."""
    top = str(root)
    for path in paths:
        yield (path, *read_file(os.path.join(top, path)))


def read_file(path: str) -> tuple[bytes | None, str]:
    """(bytes or None, error) of one file, never raising."""
    try:
        return read_regular(path), ""
    except OSError as exc:
        return None, os_reason(exc)


#: What says a file is unchanged without reading it: size, mtime_ns, inode, ctime_ns.
Signature = tuple[int, int, int, int]
# A file changed this recently may change again within the clock's grain (a second on
# some file systems, two on FAT) and keep its signature: it is read and hashed instead.
_SETTLED_NS = 2_000_000_000


def file_signature(path: str) -> Signature | None:
    """The signature of a regular file on disk that no editor buffer or other version
    (``--base-ref``) stands for and that has not changed in the last two seconds; None
    otherwise, and the file is then read and hashed as ever.

    Size, mtime and inode alone miss an edit that keeps the size and restores the mtime
    (``touch -d``, an editor rewriting in place): the inode change time, which no call
    can set back, is part of the signature."""
    if buffered(path) is not None or absent(path):
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    settled = time.time_ns() - _SETTLED_NS
    if not stat.S_ISREG(info.st_mode) or max(info.st_mtime_ns, info.st_ctime_ns) > settled:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1
