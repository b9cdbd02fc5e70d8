"""Run one extract job end to end: lock, heartbeat, batches, index hook, final status.

Issues are taken in id order, in batches of ``LLM_EXTRACT_BATCH_SIZE``; each batch
commits atomically (:func:`rrag.extract.records.commit_batch`). An issue whose content
hash and extractor version match its stored extraction is skipped (``unchanged``)
unless the job is forced, so a run after a crash or an outage ("re-run extraction after
runtime recovery") redoes only the batch that was in flight. The job row (kind
``extract``) ends ``finished``, ``failed`` (``llm_unavailable`` / ``llm_timeout`` when
the runtime went away) or ``cancelled``; a killed process is caught by
:func:`~rrag.sync.jobs.recover_stale_jobs`, like a sync.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, cast

from rrag.errors import ConfigError, JobConflict
from rrag.extract.extractor import Extracted, Extractor
from rrag.extract.records import candidates, commit_batch, load_issues
from rrag.extract.schema import EXTRACTOR_VERSION
from rrag.guardrails.events import record_event
from rrag.llm.runtime import ChatModel, build_chat_model
from rrag.logs import get_logger, log_event, redact
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.locks import StoreLock
from rrag.sync import jobs
from rrag.sync.job_record import Job

log = get_logger("extract.runner")
AfterExtract = Callable[[], None]


@dataclass
class ExtractCounters:
    issues: int = 0  # issues in the job's projects
    extracted: int = 0
    unchanged: int = 0
    failed: int = 0
    ungrounded_claim: int = 0
    schema_violation: int = 0


class ExtractCancelled(Exception):
    """The job was cancelled between batches (nothing half-committed)."""


def require_model(settings: Settings) -> ChatModel:
    """The ChatModel extraction uses; ConfigError when ``LLM_PROVIDER`` is ``none``."""
    model = build_chat_model(settings)
    if model is None:
        raise ConfigError("extraction needs an LLM: set LLM_PROVIDER to ollama or openai")
    return model


@contextmanager
def _extract_lock(settings: Settings) -> Iterator[None]:
    lock = StoreLock(settings.store.data_dir, jobs.KIND_LOCKS["extract"])
    if not lock.acquire(blocking=True):  # pragma: no cover - blocking acquire waits
        raise JobConflict("another extraction holds the store")
    try:
        yield
    finally:
        lock.release()


def run_new_extract_job(
    store: Store,
    settings: Settings,
    project_ids: list[int] | None,
    *,
    force: bool = False,
    after: AfterExtract | None = None,
    version: str = EXTRACTOR_VERSION,
) -> Job:
    """Create an extract job and run it in this process (the CLI); returns it as it ended.

    As with a sync, the lock is taken before the row exists and the row is written
    running, so a killed process never leaves a job that looks queued.
    """
    model = require_model(settings)
    try:
        with store.session() as session:
            jobs.check_conflicts(session, project_ids, "extract")
        with _extract_lock(settings):
            mode = "force" if force else "incremental"
            job = jobs.create_job(store, mode, project_ids, running=True, kind="extract")
            _execute(store, settings, job, model, version, None, after)
    finally:
        model.close()
    return jobs.job_record(jobs.get_job(store, job.id))


def run_extract_job(
    store: Store,
    settings: Settings,
    job_id: str,
    *,
    cancel: threading.Event | None = None,
    after: AfterExtract | None = None,
    version: str = EXTRACTOR_VERSION,
) -> Job:
    """Run the queued extract job ``job_id`` (the API's worker); returns it as it ended."""
    job = jobs.get_job(store, job_id)
    with _extract_lock(settings):
        try:
            model = require_model(settings)
        except ConfigError as exc:
            _finish(store, job.id, "failed", ExtractCounters(), exc)
            raise
        try:
            _execute(store, settings, job, model, version, cancel, after)
        finally:
            model.close()
    return jobs.job_record(jobs.get_job(store, job_id))


def extract_after_sync(
    store: Store, settings: Settings, sync_job: Job, after: AfterExtract | None
) -> Job | None:
    """With ``LLM_EXTRACT_AFTER_SYNC`` on, the extract job run after a finished sync, over
    the same projects (``None`` when off, the sync did not finish, or there is no LLM)."""
    if not settings.llm.extract_after_sync or sync_job.status != "finished":
        return None
    if settings.llm.provider == "none":
        log_event(log, "extract_after_sync_skipped", reason="LLM_PROVIDER is none",
                  job_id=sync_job.job_id, extractor_version=EXTRACTOR_VERSION)  # fmt: skip
        return None
    return run_new_extract_job(store, settings, sync_job.project_ids, after=after)


class _Heartbeat(threading.Thread):
    """Keeps the job's lease alive while a batch waits on the model."""

    def __init__(self, store: Store, job_id: str, every_s: float) -> None:
        super().__init__(name="rrag-extract-heartbeat", daemon=True)
        self.store, self.job_id, self.every_s = store, job_id, every_s
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.every_s):
            try:
                jobs.update_job(self.store, self.job_id, heartbeat_at=jobs.now())
            except Exception as exc:  # a missed beat must not kill the job
                log_event(log, "heartbeat_failed", job_id=self.job_id, error=str(exc))


def _execute(
    store: Store,
    settings: Settings,
    job: jobs.SyncJob,
    model: ChatModel,
    version: str,
    cancel: threading.Event | None,
    after: AfterExtract | None,
) -> None:
    project_ids: list[int] | None = json.loads(job.project_ids)
    fields: dict[str, Any] = {
        "job_id": job.id,
        "project_ids": project_ids,
        "extractor_version": version,
    }
    jobs.mark_running(store, job.id)
    log_event(log, "extract_started", mode=job.mode, model=model.model, **fields)
    counters = ExtractCounters()
    status, error = "finished", cast(BaseException | None, None)
    beat = _Heartbeat(store, job.id, min(5.0, settings.store.job_lease_s / 4))
    beat.start()
    try:
        extractor = Extractor(model, settings.ollama.max_concurrency, version)
        _run_batches(store, settings, job, extractor, counters, cancel, fields)
        if after is not None and counters.extracted + counters.failed:
            after()  # index the new extractions' chunks
    except ExtractCancelled as exc:
        status, error = "cancelled", exc
    except Exception as exc:  # LLMError, RragError, or unexpected: end the job cleanly
        status, error = "failed", exc
        if not hasattr(exc, "type_name"):
            log.exception("extract_crashed", extra=fields)
    finally:
        beat.stop.set()
        beat.join()
        _finish(store, job.id, status, counters, error)
        log_event(
            log,
            f"extract_{status}",
            counters=asdict(counters),
            error=type(error).__name__ if error else None,
            **fields,
        )


def _run_batches(
    store: Store,
    settings: Settings,
    job: jobs.SyncJob,
    extractor: Extractor,
    counters: ExtractCounters,
    cancel: threading.Event | None,
    fields: dict[str, Any],
) -> None:
    found = candidates(store, json.loads(job.project_ids), extractor.version)
    todo = [c.issue_id for c in found if job.mode == "force" or not c.current]
    counters.issues, counters.unchanged = len(found), len(found) - len(todo)
    size = settings.llm.extract_batch_size
    for start in range(0, len(todo), size):
        if cancel is not None and cancel.is_set():
            raise ExtractCancelled("cancelled between batches")
        results = extractor.batch(load_issues(store, todo[start : start + size]))
        _count(counters, results)
        progress = min(1.0, (start + size) / len(todo))
        commit_batch(store, [r.row for r in results], job.id, asdict(counters), progress)
        for result in results:
            for kind, source, detail in result.events:
                record_event(
                    store, kind, source, {**detail, "extractor_version": extractor.version}
                )
        log_event(
            log,
            "extract_batch_committed",
            issues=len(results),
            failed=sum(not r.ok for r in results),
            progress=round(progress, 4),
            **fields,
        )


def _count(counters: ExtractCounters, results: list[Extracted]) -> None:
    for result in results:
        counters.extracted += result.ok
        counters.failed += not result.ok
        for kind, *_ in result.events:
            if kind == "ungrounded_claim":
                counters.ungrounded_claim += 1
            elif kind == "schema_violation":
                counters.schema_violation += 1


def _finish(
    store: Store, job_id: str, status: str, counters: ExtractCounters, error: BaseException | None
) -> None:
    done: dict[str, Any] = {
        "status": status,
        "finished_at": jobs.now(),
        "extract_counters": json.dumps(asdict(counters)),
    }
    if status == "finished":
        done["progress"] = 1.0
    if error is not None:
        done["errors"] = 1
        done["error_type"] = getattr(error, "type_name", type(error).__name__)
        done["error_message"] = redact(str(error))[:1000]
    jobs.update_job(store, job_id, **done)


__all__ = [
    "ExtractCancelled",
    "ExtractCounters",
    "extract_after_sync",
    "require_model",
    "run_extract_job",
    "run_new_extract_job",
]
