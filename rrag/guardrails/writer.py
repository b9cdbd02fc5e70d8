"""The background writer of guardrail events: one queue and one daemon thread per store.

A search or ask must never wait on a writer (SQLite has one at a time, and a sync or an
extraction may hold it for a while), so :func:`rrag.guardrails.events.record_event` only
puts a row on this queue. The thread takes what is queued, upserts it in one
``BEGIN IMMEDIATE`` transaction (the one-row-per-(kind, rule, source) semantics live in
the statement it is given), then logs each row. A batch that cannot be written (the
database stayed locked past the busy timeout) is kept and retried, so nothing is lost
while the process lives. :meth:`EventWriter.flush` waits until everything queued before
it is written; :meth:`rrag.store.db.Store.close` flushes and stops the thread through the
store's close hook.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from rrag.logs import get_logger, log_event
from rrag.store.db import Store

Row = dict[str, Any]
WriteBatch = Callable[[Store, Sequence[Row]], None]

MAX_BATCH = 500
RETRY_S = 0.5
CLOSE_TIMEOUT_S = 60.0
_STOP = object()
_log = get_logger("guardrails")
_writers: dict[int, EventWriter] = {}
_writers_lock = threading.Lock()


class EventWriter:
    """Writes queued event rows of one store from a daemon thread, in batches."""

    def __init__(self, store: Store, write_batch: WriteBatch) -> None:
        self._store = store
        self.path = store.path
        self._write_batch = write_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._queued = 0  # rows put on the queue
        self._written = 0  # rows written (or given up at close)
        self._thread = threading.Thread(
            target=self._run, name=f"guardrail-events:{store.path.name}", daemon=True
        )
        self._thread.start()

    def put(self, row: Row) -> None:
        """Queue one row; returns at once."""
        with self._done:
            self._queued += 1
        self._queue.put(row)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row queued so far is written; False when ``timeout`` ran out."""
        with self._done:
            target = self._queued
            return self._done.wait_for(lambda: self._written >= target, timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log_event(
                _log,
                "guardrail_events_unwritten",
                level=logging.ERROR,
                pending=self._queued - self._written,
                reason=f"the store stayed locked for {timeout:g} s at close",
            )

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._take(self._queue.get())
            attempt = 0
            while batch and not self._write(batch, final=stopping):
                attempt += 1  # back off so a broken store is not retried in a tight loop
                stopping = stopping or self._stop_requested(min(RETRY_S * 2**attempt, 30.0))
            with self._done:
                self._written += len(batch)
                self._done.notify_all()

    def _take(self, first: object) -> tuple[list[Row], bool]:
        """``first`` and whatever else is queued (up to :data:`MAX_BATCH`), and whether the
        stop marker was among them."""
        items = [first]
        while len(items) < MAX_BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        rows = [i for i in items if isinstance(i, dict)]
        return rows, any(i is _STOP for i in items)

    def _stop_requested(self, wait: float) -> bool:
        try:
            item = self._queue.get(timeout=wait)
        except queue.Empty:
            return False
        if item is _STOP:
            return True
        self._queue.put(item)  # a row queued meanwhile: the next batch takes it
        return False

    def _write(self, batch: list[Row], *, final: bool) -> bool:
        """One transaction for the batch; False (logged) when it must be retried."""
        try:
            self._write_batch(self._store, batch)
        except Exception as exc:  # a locked or closed store: keep the rows, say why
            log_event(
                _log,
                "guardrail_events_retry" if not final else "guardrail_events_unwritten",
                level=logging.WARNING if not final else logging.ERROR,
                pending=len(batch),
                error=type(exc).__name__,
            )
            return final
        return True


def writer_for(store: Store, write_batch: WriteBatch) -> EventWriter:
    """The store's writer, started (and hooked to :meth:`Store.close`) on first use."""
    with _writers_lock:
        writer = _writers.get(id(store))
        if writer is None:
            writer = _writers[id(store)] = EventWriter(store, write_batch)
            store.on_close(lambda: _close(store))
        return writer


def flush_events(store: Store, timeout: float | None = None) -> bool:
    """Wait until the events this process queued for ``store``'s database (through any
    :class:`Store` on that file, such as the API's while a CLI reads) are written; False
    when ``timeout`` ran out first."""
    with _writers_lock:
        writers = [w for w in _writers.values() if w.path == store.path]
    deadline = None if timeout is None else time.monotonic() + timeout
    for writer in writers:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not writer.flush(left):
            return False
    return True


def _forget_writers() -> None:
    """In a forked child the parent's writer threads do not exist: start afresh there."""
    global _writers_lock
    _writers.clear()
    _writers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_writers)


def _close(store: Store) -> None:
    with _writers_lock:
        writer = _writers.pop(id(store), None)
    if writer is not None:
        writer.close()


__all__ = ["EventWriter", "flush_events", "writer_for"]
