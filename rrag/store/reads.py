"""Side reads: work one request can hand to another core while it goes on with its own.

A search is a few independent pieces of CPU work (two FTS5 queries, a FAISS search), and
SQLite and FAISS both release the GIL while they run, so on a machine with a spare core a
query finishes sooner when those pieces overlap. :func:`submit` runs a function on a small
process-wide worker pool; :func:`submit_read` runs one on its own pooled connection of
``engine`` (under WAL, readers never block each other or the writer).

A side read is its own read transaction: if a sync commits while a search runs, the side
read may see the newer state. Callers use side reads only for ranking and check what they
show (visibility, chunk rows) on their own connection.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from threading import Lock
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

T = TypeVar("T")

#: a search hands off at most two pieces (one FTS5 query and the vector search); the pool
#: is shared by every request, so more workers would only queue more CPU work on 2 cores
WORKERS = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="rrag-side")
    return _pool


def submit(fn: Callable[[], T]) -> Future[T]:
    """Run ``fn()`` on a worker; the future holds its result or its exception."""
    return _executor().submit(fn)


def submit_read(engine: Engine, fn: Callable[[Connection], T]) -> Future[T]:
    """Run ``fn(conn)`` on a worker, with a connection of ``engine`` for the call only."""

    def task() -> T:
        with engine.connect() as conn:
            return fn(conn)

    return submit(task)


__all__ = ["WORKERS", "submit", "submit_read"]
