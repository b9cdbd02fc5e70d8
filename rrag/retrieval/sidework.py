"""Side work: what one request can hand to another core while it goes on with its own.

A hybrid search is two independent pieces of CPU work (the tantivy query and the FAISS
search), and FAISS releases the GIL while it runs, so on a machine with a spare core a
query finishes sooner when they overlap. :func:`submit` runs a function on a small
process-wide worker pool. Callers use side work only for ranking and check what they show
(visibility, chunk rows) on their own connection.

Side work only uses idle capacity: when every worker is taken (a loaded API server, where
other requests already keep the cores busy), :func:`submit` runs the function at once in
the calling thread instead of queueing it behind other requests' pieces.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from threading import Lock
from typing import TypeVar

T = TypeVar("T")

#: a search hands off one piece (the vector search); the pool
#: is shared by every request, so more workers would only queue more CPU work on 2 cores
WORKERS = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = Lock()
_busy = 0  # side tasks submitted and not yet finished, under _pool_lock


def _forget_pool() -> None:
    # a forked child has none of the parent's worker threads: it starts its own pool
    global _pool, _busy, _pool_lock
    _pool, _busy, _pool_lock = None, 0, Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="rrag-side")
    return _pool


def submit(fn: Callable[[], T]) -> Future[T]:
    """Run ``fn()`` on an idle worker, or now in this thread when none is idle; the future
    holds its result or its exception either way."""
    global _busy
    with _pool_lock:
        idle = _busy < WORKERS
        if idle:
            _busy += 1
    if not idle:
        return _run_here(fn)

    def task() -> T:
        try:
            return fn()
        finally:
            # before the result is set: whoever it wakes already sees the worker idle
            _release()

    return _executor().submit(task)


def _release() -> None:
    global _busy
    with _pool_lock:
        _busy -= 1


def _run_here(fn: Callable[[], T]) -> Future[T]:
    future: Future[T] = Future()
    try:
        future.set_result(fn())
    except BaseException as exc:  # the caller sees it from result(), as from a worker
        future.set_exception(exc)
    return future


__all__ = ["WORKERS", "submit"]
