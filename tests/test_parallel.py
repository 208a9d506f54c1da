"""Forked work: results and failures come back to the parent."""

from __future__ import annotations

import os

import pytest

from digest.parallel import Forked


def test_forked_returns_its_value_from_another_process() -> None:
    work = Forked(lambda: (os.getpid(), ["é", "हिंदी", 3]))
    pid, value = work.result()
    assert pid != os.getpid() and value == ["é", "हिंदी", 3] and work.pid is None


def test_forked_failure_comes_back_with_its_traceback() -> None:
    def broken() -> None:
        raise ValueError("the early pages broke")

    with pytest.raises(RuntimeError, match="ValueError: the early pages broke"):
        Forked(broken).result()


def test_cancel_stops_the_process() -> None:
    import time

    work = Forked(lambda: time.sleep(60))
    pid = work.pid
    work.cancel()
    assert work.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie
    work.cancel()  # twice is harmless


def _pids(chunk: list[int]) -> list[int]:
    return [os.getpid() for _ in chunk]


def test_meanwhile_runs_in_a_thread_once_the_workers_are_forked_and_ends_with_them(monkeypatch) -> None:
    import multiprocessing
    import threading

    from digest import parallel

    monkeypatch.setattr(parallel, "MIN_PARALLEL", 4)
    parallel.set_jobs(2)
    seen: list[tuple[int, bool]] = []

    def meanwhile() -> None:
        seen.append((len(multiprocessing.active_children()), threading.current_thread() is threading.main_thread()))
        raise ValueError("a failure here is only work not done ahead")

    try:
        results = [pid for _, pids in parallel.imap_chunks(_pids, list(range(400)), meanwhile) for pid in pids]
    finally:
        parallel.set_jobs(0)
    assert len(results) == 400 and os.getpid() not in results  # the workers did the work
    assert seen == [(2, False)]  # both workers were there before it started, and it ran (and ended) in a thread
    assert threading.active_count() == 1


def test_meanwhile_runs_after_the_work_without_workers() -> None:
    from digest import parallel

    order: list[str] = []
    for _ in parallel.imap_chunks(lambda chunk: order.append("chunk") or chunk, [1, 2], lambda: order.append("then")):
        pass
    assert order[-1] == "then" and "chunk" in order
