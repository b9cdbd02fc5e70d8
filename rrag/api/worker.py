"""Sync and extract jobs started over HTTP run here, each in a background thread.

:func:`rrag.sync.jobs.create_job` decides conflicts (409) and :func:`rrag.sync.run_job`
does the work under the store's sync lock, so two jobs never write at once. On shutdown
the shared cancel event stops running jobs at their next batch boundary (each batch
commits atomically) and they end ``cancelled``: never half-committed, resumable by the
next incremental sync.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from rrag.errors import JobConflict
from rrag.logs import get_logger, log_event
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.models import SyncJob
from rrag.sync import create_job, run_job
from rrag.sync.job_record import Job

log = get_logger("api.worker")
AfterSyncFactory = Callable[[], Callable[[], None] | None]


class SyncWorker:
    """Starts sync jobs in threads; :meth:`shutdown` cancels and waits for them."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        after_sync: AfterSyncFactory,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store, self.settings, self._after_sync = store, settings, after_sync
        self._transport = transport  # tests inject Redmine faults here (network edge only)
        self.cancel = threading.Event()
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def submit(self, mode: str, project_ids: list[int] | None) -> SyncJob:
        """Queue a job (JobConflict when one overlaps) and start it in the background."""
        job = create_job(self.store, mode, project_ids)
        log_event(log, "sync_job_accepted", job_id=job.id, project_ids=project_ids, mode=mode)
        self._start(job, self._run)
        return job

    def submit_extract(self, project_ids: list[int] | None, force: bool) -> SyncJob:
        """Queue an extract job (JobConflict when one overlaps) and start it."""
        from rrag.extract import EXTRACTOR_VERSION

        mode = "force" if force else "incremental"
        job = create_job(self.store, mode, project_ids, kind="extract")
        log_event(
            log,
            "extract_job_accepted",
            job_id=job.id,
            project_ids=project_ids,
            mode=mode,
            extractor_version=EXTRACTOR_VERSION,
        )
        self._start(job, self._run_extract)
        return job

    def _start(self, job: SyncJob, target: Callable[[str, list[int] | None], None]) -> None:
        project_ids = json.loads(job.project_ids)
        thread = threading.Thread(
            target=target,
            args=(job.id, project_ids),
            name=f"rrag-{job.kind}-{job.id[:8]}",
            daemon=True,
        )
        with self._lock:
            self._threads[job.id] = thread
        thread.start()

    def _run_extract(self, job_id: str, project_ids: list[int] | None) -> None:
        from rrag.extract import run_extract_job

        with self._guarded(job_id, project_ids, "extract_job_crashed"):
            run_extract_job(
                self.store, self.settings, job_id, cancel=self.cancel, after=self._after_sync()
            )

    def _run(self, job_id: str, project_ids: list[int] | None) -> None:
        with self._guarded(job_id, project_ids, "sync_job_crashed"):
            job = run_job(
                self.store,
                self.settings,
                job_id,
                cancel=self.cancel,
                after_sync=self._after_sync(),
                transport=self._transport,
            )
            if self._extract_next(job):
                try:
                    self.submit_extract(project_ids, force=False)
                except JobConflict as exc:  # an extraction of these projects is running
                    log_event(log, "extract_after_sync_skipped", job_id=job_id, error=str(exc))

    def _extract_next(self, sync_job: Job) -> bool:
        """Whether an extract job follows this sync (``LLM_EXTRACT_AFTER_SYNC``)."""
        llm = self.settings.llm
        finished = sync_job.status == "finished" and not self.cancel.is_set()
        return llm.extract_after_sync and llm.provider != "none" and finished

    @contextmanager
    def _guarded(self, job_id: str, project_ids: list[int] | None, event: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:  # the runner ends the job row itself; this is a last resort
            log_event(
                log,
                event,
                level=logging.ERROR,
                job_id=job_id,
                project_ids=project_ids,
                exc_type=type(exc).__name__,
                error=str(exc)[:500],
            )
        finally:
            with self._lock:
                self._threads.pop(job_id, None)

    def active(self) -> list[str]:
        with self._lock:
            return list(self._threads)

    def shutdown(self, timeout_s: float = 30.0) -> list[str]:
        """Cancel every running job and wait for each to end; returns ids still running."""
        self.cancel.set()
        with self._lock:
            threads = list(self._threads.items())
        for job_id, thread in threads:
            thread.join(timeout_s)
            log_event(log, "sync_job_stopped", job_id=job_id, alive=thread.is_alive())
        return [job_id for job_id, thread in threads if thread.is_alive()]


__all__ = ["SyncWorker"]
