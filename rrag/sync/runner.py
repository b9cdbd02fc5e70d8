"""Run one sync job end to end: lock, heartbeat, engine, index hook, final status.

Used by the CLI (foreground) and the API (background thread). Whatever happens, the job
row ends ``finished``, ``failed`` or ``cancelled``; a process killed outright is caught by
:func:`~rrag.sync.jobs.recover_stale_jobs` at the next start-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, cast

import httpx

from rrag.errors import JobConflict, RragError
from rrag.logs import get_logger, log_event
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.locks import StoreLock
from rrag.sync import jobs
from rrag.sync.client import build_client
from rrag.sync.job_record import Job
from rrag.sync.pipeline import SyncCancelled, SyncEngine

log = get_logger("sync.runner")
#: Called after a successful sync to bring the index up to date. A hook that also has a
#: ``prefetch(done: threading.Event)`` method (rrag.index.hook.IndexHook) gets it run in a
#: thread while the engine fetches, until ``done`` is set.
AfterSync = Callable[[], None]


class _Prefetch(threading.Thread):
    """Runs the hook's ``prefetch`` during the fetch; a failure only costs the head start."""

    def __init__(self, prefetch: Callable[[threading.Event], None]) -> None:
        super().__init__(name="rrag-index-prefetch", daemon=True)
        self.prefetch, self.done = prefetch, threading.Event()

    def run(self) -> None:
        try:
            self.prefetch(self.done)
        except Exception as exc:  # the drain after the sync embeds whatever is missing
            log_event(log, "index_prefetch_failed", error=f"{type(exc).__name__}: {exc}")

    def finish(self) -> None:
        self.done.set()
        self.join()


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat every few seconds while the engine works."""

    def __init__(
        self,
        store: Store,
        job_id: str,
        engine: SyncEngine,
        progress: dict[str, float],
        every_s: float,
    ) -> None:
        super().__init__(name="rrag-heartbeat", daemon=True)
        self.store, self.job_id, self.engine, self.every_s = store, job_id, engine, every_s
        self.progress = progress
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.every_s):
            try:
                jobs.heartbeat(
                    self.store, self.job_id, self.progress["fraction"], self.engine.counters
                )
            except Exception as exc:  # a missed beat must not kill the sync
                log_event(log, "heartbeat_failed", job_id=self.job_id, error=str(exc))


def run_job(
    store: Store,
    settings: Settings,
    job_id: str,
    transport: httpx.BaseTransport | None = None,
    cancel: threading.Event | None = None,
    after_sync: AfterSync | None = None,
    on_progress: Callable[[float, jobs.Counters], None] | None = None,
) -> Job:
    """Run the queued job ``job_id``; returns it as it ended."""
    job = jobs.get_job(store, job_id)
    with _sync_lock(settings, job_id):
        _execute(store, settings, job, transport, cancel, after_sync, on_progress)
    return jobs.job_record(jobs.get_job(store, job_id))


def run_new_job(
    store: Store,
    settings: Settings,
    mode: str,
    project_ids: list[int] | None,
    after_sync: AfterSync | None = None,
    on_progress: Callable[[float, jobs.Counters], None] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Job:
    """Create a job and run it in this process (the CLI, runbooks, the soak loop).

    The sync lock is taken before the job row exists, and the row is written as running,
    so a process killed at any moment leaves no row, or a running one whose lock died with
    the process: the next start-up fails it at once (``worker_lost``). Queueing the row
    first left a window where a killed process left a job that looked queued until its
    lease ran out. An overlapping active job is still refused before waiting on the lock.
    """
    with store.session() as session:
        jobs.check_conflicts(session, project_ids)
    with _sync_lock(settings):
        job = jobs.create_job(store, mode, project_ids, running=True)
        _execute(store, settings, job, transport, None, after_sync, on_progress)
    return jobs.job_record(jobs.get_job(store, job.id))


@contextmanager
def _sync_lock(settings: Settings, job_id: str | None = None) -> Iterator[None]:
    """Hold the data dir's sync lock (waiting for it) for the block."""
    lock = StoreLock(settings.store.data_dir)
    if not lock.acquire(blocking=True):  # pragma: no cover - blocking acquire waits
        raise JobConflict("another sync holds the store", job_id=job_id)
    try:
        yield
    finally:
        lock.release()


def _execute(
    store: Store,
    settings: Settings,
    job: jobs.SyncJob,
    transport: httpx.BaseTransport | None,
    cancel: threading.Event | None,
    after_sync: AfterSync | None,
    on_progress: Callable[[float, jobs.Counters], None] | None,
) -> None:
    project_ids = jobs.job_record(job).project_ids
    fields: dict[str, Any] = {"job_id": job.id, "project_ids": project_ids, "mode": job.mode}
    jobs.mark_running(store, job.id)
    log_event(log, "sync_started", **fields)
    engine: SyncEngine | None = None
    beat: _Heartbeat | None = None
    prefetch = getattr(after_sync, "prefetch", None)
    ahead = _Prefetch(prefetch) if prefetch is not None else None
    status, error = "finished", cast(BaseException | None, None)
    progress_state = {"fraction": 0.0}

    def progress(fraction: float, counters: jobs.Counters) -> None:
        progress_state["fraction"] = fraction
        if on_progress:
            on_progress(fraction, counters)

    try:
        client = build_client(settings, transport)
        engine = SyncEngine(store, client, settings, progress=progress, cancel=cancel)
        beat = _Heartbeat(
            store, job.id, engine, progress_state, min(5.0, settings.store.job_lease_s / 4)
        )
        beat.start()
        if ahead is not None:
            ahead.start()
        with client.http:
            engine.run(job.mode, project_ids)
        if ahead is not None:
            ahead.finish()
        if after_sync:
            after_sync()
    except SyncCancelled as exc:
        status, error = "cancelled", exc
    except RragError as exc:
        status, error = "failed", exc
    except Exception as exc:  # unexpected: still end the job cleanly, with its type
        status, error = "failed", exc
        log.exception("sync_crashed", extra=fields)
    finally:
        if ahead is not None and ahead.is_alive():
            ahead.finish()  # the sync failed or was cancelled: stop embedding ahead
        if beat is not None:
            beat.stop.set()
            beat.join()
        counters = engine.counters if engine else jobs.Counters()
        if error is not None:
            counters.errors += 1
        jobs.mark_done(store, job.id, status, counters, error)
        log_event(
            log,
            f"sync_{status}",
            counters=asdict(counters),
            error=type(error).__name__ if error else None,
            **fields,
        )


__all__ = ["run_job", "run_new_job"]
