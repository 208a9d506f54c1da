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


def _signals(_: list[int]) -> list[tuple[object, object]]:
    import signal

    return [(signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))]


def _own_handler(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def test_workers_leave_ctrl_c_to_the_parent_and_end_quietly_on_sigterm() -> None:
    """A pool ends its workers with SIGTERM: a handler the parent set (digest serve's raises
    KeyboardInterrupt) must not run in them, or each prints a traceback; Ctrl-C is the parent's."""
    import signal

    from digest.parallel import Feeder, imap_chunks, set_jobs

    parents = signal.getsignal(signal.SIGINT)
    before = signal.signal(signal.SIGTERM, _own_handler)
    try:  # a forked child resets what the parent set
        forked = Forked(lambda: _signals([])[0]).result()
    finally:
        signal.signal(signal.SIGTERM, before)
    assert forked == (signal.SIG_DFL, signal.SIG_IGN)
    set_jobs(2)
    try:  # pool workers run the same reset when they start (SIGINT ignored shows it ran)
        found = [r for _, chunk in imap_chunks(_signals, list(range(500))) for r in chunk]
        with Feeder(_signals, 500) as feeder:
            for i in range(500):
                feeder.add(i)
            found += [r for chunk in feeder.results() for r in chunk]
    finally:
        set_jobs(0)
    assert found and set(found) == {(signal.SIG_DFL, signal.SIG_IGN)}
    assert signal.getsignal(signal.SIGINT) is parents  # the parent's own, untouched
