"""Spreading per-file work over processes, and reading files without raising.

The work function and its jobs are plain data, so the same code runs in-process or in a
pool; results come back in job order, which keeps the output identical whatever the
number of processes.

Memory is what shapes the pool. A forked worker's resident size counts every page of
the process it was forked from, so the workers fork early, while the process is small,
and within `shared_pools` one pool serves every project of a run rather than one pool
per project forked from a process already holding the earlier projects' models. Jobs
stream to the workers as the caller finds them (`job_stream`), a few chunks at a time,
so the bytes of a project's files are never all held at once.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from celerylint.engine.buffers import absent, buffered
from celerylint.engine.readable import os_reason, read_regular

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

_J = TypeVar("_J")
_R = TypeVar("_R")

# Below this many jobs a pool costs more than it saves.
POOL_THRESHOLD = 16
# Jobs sent to a worker in one message: fewer messages, while still small enough to
# spread a project's files evenly and to keep few bytes in transit.
CHUNK = 16
# Chunks sent per worker and not yet done: enough to keep every worker busy while the
# caller reads on, few enough that the bytes waiting in the queue stay small.
IN_FLIGHT = 4

# The pools `shared_pools` keeps up, by worker count; None outside the block.
_shared: dict[int, ProcessPoolExecutor] | None = None
# Set, every job is held until the end and a pool started per stream, as before jobs
# were streamed: the output must be the same (tests and the bench compare both ways).
NO_STREAM_ENV = "CELERYLINT_NO_JOB_STREAM"


def digest(data: bytes) -> str:
    """The content hash caches are keyed by."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _run_chunk(work: Callable[[_J], _R], jobs: Sequence[_J]) -> list[_R]:
    return [work(job) for job in jobs]


@contextmanager
def shared_pools() -> Iterator[None]:
    """Within the block, a pool once started serves every later stream of the same
    worker count, and shuts down at the end: the workers fork once, when the first
    project needs them, not again for each project from a process that has grown by
    every model built so far. A nested block leaves the pools to the outer one."""
    global _shared
    if _shared is not None or not streaming():
        yield
        return
    _shared = {}
    try:
        yield
    finally:
        pools, _shared = _shared, None
        for pool in pools.values():
            pool.shutdown()


def streaming() -> bool:
    """Do jobs stream to shared workers (`NO_STREAM_ENV` unset)?"""
    return not os.environ.get(NO_STREAM_ENV)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    from concurrent.futures import ProcessPoolExecutor  # costs ~25 ms; only a pool needs it
    from multiprocessing import get_all_start_methods, get_context

    method = "fork" if "fork" in get_all_start_methods() else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context(method))


class JobStream(Generic[_J, _R]):
    """`work` on jobs fed one at a time (`add`), results in feeding order (`results`).

    In-process, each job runs as it comes, so its bytes go at once. With workers, the
    first `POOL_THRESHOLD` jobs are held (fewer run in-process: a pool costs more than
    it saves), then jobs go to the pool in chunks as they come, at most `IN_FLIGHT`
    chunks per worker outstanding: the workers start while the caller still reads, and
    a job's bytes are dropped once its chunk is done."""

    def __init__(self, work: Callable[[_J], _R], workers: int) -> None:
        self._work = work
        self._workers = workers
        self._held: list[_J] = []
        self._parts: list[Future[list[_R]] | list[_R]] = []
        self._running: set[Future[list[_R]]] = set()
        self._pool: ProcessPoolExecutor | None = None
        self._owned = False  # the pool is this stream's own, shut down when it ends
        self._streaming = streaming()

    def add(self, job: _J) -> None:
        if self._workers <= 1:
            self._parts.append([self._work(job)])
            return
        self._held.append(job)
        if self._streaming and len(self._held) >= (
                CHUNK if self._pool is not None else POOL_THRESHOLD):
            self._send()

    def results(self) -> Iterator[_R]:
        """Every job's result, in the order the jobs were added."""
        if self._pool is None and len(self._held) < POOL_THRESHOLD:
            self._parts.append([self._work(job) for job in self._held])
        else:
            self._send()
        self._held = []
        for part in self._parts:
            yield from part if isinstance(part, list) else part.result()

    def close(self) -> None:
        if self._owned and self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _send(self) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait

        if self._pool is None:
            self._pool = _shared.get(self._workers) if _shared is not None else None
            if self._pool is None:
                self._pool = _new_pool(self._workers)
                if _shared is not None:
                    _shared[self._workers] = self._pool
                else:
                    self._owned = True
        run = partial(_run_chunk, self._work)
        for start in range(0, len(self._held), CHUNK):
            while len(self._running) >= IN_FLIGHT * self._workers:
                self._running = wait(self._running, return_when=FIRST_COMPLETED).not_done
            future = self._pool.submit(run, self._held[start:start + CHUNK])
            self._parts.append(future)
            self._running.add(future)
        self._held = []


@contextmanager
def job_stream(work: Callable[[_J], _R], workers: int) -> Iterator[JobStream[_J, _R]]:
    """A `JobStream` whose own pool, if it had to start one, is shut down on leaving."""
    stream: JobStream[_J, _R] = JobStream(work, workers)
    try:
        yield stream
    finally:
        stream.close()


def run_jobs(work: Callable[[_J], _R], jobs: Sequence[_J], workers: int) -> Iterator[_R]:
    """`work` on every job, in-process (workers <= 1, few jobs) or in a process pool;
    `work` must be a module-level function so that the pool can send it."""
    with job_stream(work, workers) as stream:
        for job in jobs:
            stream.add(job)
        yield from stream.results()


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
