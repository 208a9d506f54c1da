"""Work spread over every core, with results in input order (so output is deterministic).

Worker processes are forked, so they share what the parent already built (the
site model, compiled templates) without pickling it. Small jobs run in-process:
starting workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_PARALLEL = 400  # items; below this a single process is faster
_jobs_override: int | None = None


def set_jobs(jobs: int) -> None:
    """0: every core; 1: no worker processes."""
    global _jobs_override
    _jobs_override = jobs or None


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def workers_for(n_items: int) -> int:
    jobs = _jobs_override or cpu_count()
    if jobs <= 1 or n_items < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return jobs


def _worker_started() -> None:
    """In each worker process: Ctrl-C is the parent's to handle (it stops the workers), and SIGTERM,
    with which a pool stops them, ends them quietly (not a handler the parent set, such as the
    preview server's, which would print a KeyboardInterrupt traceback from every worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _chunk_size(n_items: int, workers: int) -> int:
    return max(1, n_items // 20) if workers == 1 else max(8, min(200, n_items // (workers * 16)))


def imap_chunks(fn: Callable[[list[T]], list[R]], items: Sequence[T]) -> Iterator[tuple[int, list[R]]]:
    """``fn`` over chunks of ``items`` on one pool of workers; yields (items done, results of a chunk)
    as chunks finish, in order."""
    if not items:
        return
    workers = workers_for(len(items))
    size = _chunk_size(len(items), workers)
    if workers == 1:
        for i in range(0, len(items), size):
            yield min(i + size, len(items)), fn(list(items[i:i + size]))
        return
    chunks = [list(items[i:i + size]) for i in range(0, len(items), size)]
    done = 0
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_started) as pool:
        for chunk, results in zip(chunks, pool.imap(fn, chunks), strict=True):
            done += len(chunk)
            yield done, results


class Feeder(Generic[T, R]):
    """``fn`` over chunks of items handed in one by one (``add``), while they are still being made:
    the workers start on the first chunk while the caller reads the next files. ``results`` yields
    each chunk's results in order. ``expected``: about how many items will come (an upper bound),
    which decides whether worker processes pay. A context manager: leaving it stops the workers."""

    def __init__(self, fn: Callable[[list[T]], list[R]], expected: int):
        self.fn = fn
        workers = workers_for(expected)
        self.size = _chunk_size(expected, workers)
        self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_started) \
            if workers > 1 else None
        self.handed: list[Any] = []  # AsyncResult per chunk (or the chunk itself, run here when asked)
        self.chunk: list[T] = []

    def __enter__(self) -> Feeder[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def add(self, item: T) -> None:
        self.chunk.append(item)
        if len(self.chunk) >= self.size:
            self._hand()

    def _hand(self) -> None:
        if self.chunk:
            self.handed.append(self.pool.apply_async(self.fn, (self.chunk,)) if self.pool is not None else self.chunk)
            self.chunk = []

    def results(self) -> Iterator[list[R]]:
        self._hand()
        for handed in self.handed:
            yield handed.get() if self.pool is not None else self.fn(handed)


class Forked:
    """``fn()`` run in a forked child process while this one goes on; ``result()`` waits for its
    return value (pickled through a pipe). Exceptions come back as a RuntimeError with the child's
    traceback: a bug, not the site's fault (site problems are returned as values)."""

    def __init__(self, fn: Callable[[], Any], nice: int = 0):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage does not follow it
            os.close(read)
            _worker_started()
            if nice:
                os.nice(nice)
            try:
                payload = pickle.dumps((True, fn()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:  # every failure goes back to the parent
                import traceback

                payload = pickle.dumps((False, traceback.format_exc()))
            with os.fdopen(write, "wb") as fh:
                fh.write(payload)
            os._exit(0)  # nothing else of the parent's: no exit handlers, no buffered output
        os.close(write)
        self.pid: int | None = pid
        self.fd = read

    def result(self) -> Any:
        assert self.pid is not None, "result() was already taken, or the process cancelled"
        with os.fdopen(self.fd, "rb") as fh:
            data = fh.read()
        os.waitpid(self.pid, 0)
        self.pid = None
        if not data:
            raise RuntimeError("a worker process ended without its result")
        ok, value = pickle.loads(data)
        if not ok:
            raise RuntimeError(f"a worker process failed:\n{value}")
        return value

    def cancel(self) -> None:
        if self.pid is None:
            return
        os.close(self.fd)
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self.pid = None
