"""Side work: it runs on an idle worker, or in the caller when none is idle, and its
result or error reaches the caller either way."""

from __future__ import annotations

import threading

import pytest

from rrag.retrieval import sidework


def _thread() -> str:
    return threading.current_thread().name


def test_side_work_runs_on_a_worker_and_returns_its_result_or_error() -> None:
    assert sidework.submit(_thread).result(timeout=10).startswith("rrag-side")

    def fail() -> None:
        raise ValueError("side failure")

    with pytest.raises(ValueError, match="side failure"):
        sidework.submit(fail).result(timeout=10)


def test_with_every_worker_taken_side_work_runs_in_the_caller() -> None:
    release = threading.Event()
    started = threading.Barrier(sidework.WORKERS + 1)

    def hold() -> str:
        started.wait(timeout=10)
        release.wait(timeout=10)
        return _thread()

    held = [sidework.submit(hold) for _ in range(sidework.WORKERS)]
    try:
        started.wait(timeout=10)  # every worker is inside hold()
        assert sidework.submit(_thread).result(timeout=10) == _thread()

        def fail() -> None:
            raise ValueError("inline failure")

        with pytest.raises(ValueError, match="inline failure"):
            sidework.submit(fail).result(timeout=10)
    finally:
        release.set()
    assert all(f.result(timeout=10).startswith("rrag-side") for f in held)
    # the workers are free again, so side work goes back to them
    assert sidework.submit(_thread).result(timeout=10).startswith("rrag-side")


def test_a_forked_child_starts_its_own_pool() -> None:
    import os

    assert sidework.submit(_thread).result(timeout=10).startswith("rrag-side")  # parent's pool
    pid = os.fork()
    if pid == 0:  # child: the parent's workers do not exist here
        try:
            ok = sidework.submit(_thread).result(timeout=5).startswith("rrag-side")
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
