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
