"""Job rows: lifecycle, counters, heartbeats and lease recovery.

Two kinds of job share the table: ``sync`` (Redmine into the store) and ``extract``
(the LLM over stored issues, :mod:`rrag.extract`). Jobs conflict with active jobs of
their own kind on overlapping projects; each kind has its own lock file.

Lifecycle: ``queued → running → finished | failed | cancelled``. A running job writes a
heartbeat; :func:`recover_stale_jobs` (run at every start-up) fails any job whose
heartbeat is older than its lease with ``worker_lost``, so no job stays ``running``
forever. Only one job of a kind runs against a store at a time: its runner holds the
kind's lock file (:data:`KIND_LOCKS`, :class:`rrag.store.locks.StoreLock`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast, get_args

import msgspec
from sqlalchemy import or_
from sqlmodel import col, select

from rrag.errors import InputError, JobConflict, JobNotFound
from rrag.logs import redact
from rrag.store.db import Store
from rrag.store.locks import EXTRACT_LOCK, SYNC_LOCK, StoreLock
from rrag.store.models import SyncJob
from rrag.sync.job_record import (
    STATUSES,
    ExtractMode,
    Job,
    JobError,
    JobKind,
    JobStatus,
    SyncMode,
)

ACTIVE = ("queued", "running")
MODES: tuple[SyncMode, ...] = get_args(SyncMode)
#: job kinds, each with its modes and the lock file its runner holds
KINDS: tuple[JobKind, ...] = get_args(JobKind)
KIND_MODES: dict[str, tuple[str, ...]] = {"sync": MODES, "extract": get_args(ExtractMode)}
KIND_LOCKS = {"sync": SYNC_LOCK, "extract": EXTRACT_LOCK}


@dataclass
class Counters:
    projects: int = 0
    issues_seen: int = 0
    issues_changed: int = 0
    issues_deleted: int = 0
    journals: int = 0
    wiki_pages: int = 0
    errors: int = 0


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def job_record(job: SyncJob) -> Job:
    """The public shape of a job (CLI ``--json`` and the API)."""
    if job.kind == "extract":
        counters: dict[str, int] = json.loads(job.extract_counters or "{}")
    else:
        counters = {k: getattr(job, k) for k in Counters.__dataclass_fields__}
    error = JobError(type=job.error_type, message=job.error_message) if job.error_type else None
    return Job(
        job_id=job.id,
        kind=cast(JobKind, job.kind),  # the row holds what create_job checked
        status=cast(JobStatus, job.status),
        mode=job.mode,
        project_ids=json.loads(job.project_ids),
        counters=counters,
        progress=round(job.progress, 4),
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        heartbeat_at=job.heartbeat_at,
        error=error,
    )


def job_dict(job: SyncJob) -> dict[str, Any]:
    """:func:`job_record` as plain JSON data, for callers that keep dicts (runbooks)."""
    data: dict[str, Any] = msgspec.to_builtins(job_record(job))
    return data


def _overlaps(a: list[int] | None, b: list[int] | None) -> bool:
    return a is None or b is None or bool(set(a) & set(b))


def create_job(
    store: Store,
    mode: str,
    project_ids: list[int] | None,
    running: bool = False,
    kind: str = "sync",
) -> SyncJob:
    """Queue a job; JobConflict when an active job of ``kind`` covers any of the same
    projects.

    ``running`` writes the row as already running, for a caller that holds the kind's
    lock and runs the job at once (:func:`rrag.sync.runner.run_new_job`).
    """
    modes = KIND_MODES.get(kind, ())
    if mode not in modes:
        raise InputError(f"mode must be one of {', '.join(modes)}, got {mode!r}")
    ids = _normalised(project_ids)
    with store.write() as session:
        check_conflicts(session, ids, kind)
        stamp = now()
        job = SyncJob(
            id=str(uuid.uuid4()),
            kind=kind,
            mode=mode,
            project_ids=json.dumps(ids),
            status="running" if running else "queued",
            created_at=stamp,
            started_at=stamp if running else None,
            heartbeat_at=stamp if running else None,
        )
        session.add(job)
        session.flush()
        session.expunge(job)
    return job


def _normalised(project_ids: list[int] | None) -> list[int] | None:
    return sorted(set(project_ids)) if project_ids else None


def check_conflicts(session: Any, project_ids: list[int] | None, kind: str = "sync") -> None:
    """JobConflict when an active job of ``kind`` covers any of ``project_ids`` (None:
    every project)."""
    ids = _normalised(project_ids)
    active = select(SyncJob).where(col(SyncJob.status).in_(ACTIVE), SyncJob.kind == kind)
    for other in session.exec(active):
        other_ids = json.loads(other.project_ids)
        if _overlaps(ids, other_ids):
            # project_ids stays out of API bodies; the API uses it to decide whether the
            # caller may see this job's id at all (rrag.api.scope.visible_conflict)
            raise JobConflict(
                f"{kind} job {other.id} is already {other.status} for overlapping projects",
                job_id=other.id,
                project_ids=other_ids,
            )


def get_job(store: Store, job_id: str) -> SyncJob:
    try:
        uuid.UUID(job_id)
    except (ValueError, AttributeError, TypeError):
        raise InputError(f"not a job id (expected a UUID): {str(job_id)[:64]!r}") from None
    with store.session() as session:
        job = session.get(SyncJob, job_id)
    if job is None:
        raise JobNotFound(f"no sync job {job_id}", job_id=job_id)
    return job


def list_jobs(store: Store, status: str | None = None, limit: int = 20) -> list[SyncJob]:
    if status is not None and status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if not 1 <= limit <= 100:
        raise InputError(f"limit must be between 1 and 100, got {limit}")
    query = select(SyncJob).order_by(col(SyncJob.created_at).desc()).limit(limit)
    if status:
        query = query.where(SyncJob.status == status)
    with store.session() as session:
        return list(session.exec(query).all())


def count_by_status(store: Store) -> dict[str, int]:
    from sqlalchemy import func

    with store.session() as session:
        rows = session.exec(select(SyncJob.status, func.count()).group_by(SyncJob.status)).all()
    found = {str(r[0]): int(r[1]) for r in rows}
    return {s: found.get(s, 0) for s in STATUSES}


def update_job(store: Store, job_id: str, **fields: Any) -> None:
    with store.write() as session:
        job = session.get(SyncJob, job_id)
        if job is None:
            raise JobNotFound(f"no sync job {job_id}", job_id=job_id)
        for key, value in fields.items():
            setattr(job, key, value)
        session.add(job)


def mark_running(store: Store, job_id: str) -> None:
    stamp = now()
    update_job(store, job_id, status="running", started_at=stamp, heartbeat_at=stamp)


def heartbeat(store: Store, job_id: str, progress: float, counters: Counters) -> None:
    update_job(store, job_id, heartbeat_at=now(), progress=progress, **asdict(counters))


def mark_done(
    store: Store, job_id: str, status: str, counters: Counters, error: BaseException | None = None
) -> None:
    fields: dict[str, Any] = {"status": status, "finished_at": now(), **asdict(counters)}
    if status == "finished":
        fields["progress"] = 1.0
    if error is not None:
        fields["error_type"] = getattr(error, "type_name", type(error).__name__)
        # clients read this (GET /v1/sync/jobs/{id}): a file is named within the data dir
        message = redact(str(error)).replace(str(store.path.parent), "RRAG_DATA_DIR")
        fields["error_message"] = message[:1000]
    update_job(store, job_id, **fields)


def recover_stale_jobs(store: Store, lease_s: int) -> list[str]:
    """Fail jobs whose worker is gone, with error ``worker_lost``.

    A job is stale when its heartbeat (or, never started, its creation) is older than the
    lease. A ``running`` job is also stale at once when nobody holds its kind's lock
    (:data:`KIND_LOCKS`): every runner holds it while a job runs, and the lock dies with
    its process.
    """
    cutoff = (datetime.now(UTC) - timedelta(seconds=lease_s)).isoformat(timespec="milliseconds")
    stale = or_(
        col(SyncJob.heartbeat_at) < cutoff,
        (col(SyncJob.heartbeat_at).is_(None)) & (col(SyncJob.created_at) < cutoff),
    )
    for kind, lock_name in KIND_LOCKS.items():
        if not StoreLock(store.path.parent, lock_name).held_elsewhere():
            stale = or_(stale, (col(SyncJob.status) == "running") & (SyncJob.kind == kind))
    with store.write() as session:
        jobs = session.exec(select(SyncJob).where(col(SyncJob.status).in_(ACTIVE), stale)).all()
        for job in jobs:
            job.status, job.finished_at = "failed", now()
            job.error_type = "worker_lost"
            job.error_message = f"no heartbeat for more than {lease_s} s; the worker is gone"
            session.add(job)
        return [j.id for j in jobs]


__all__ = [
    "ACTIVE",
    "KINDS",
    "KIND_LOCKS",
    "KIND_MODES",
    "MODES",
    "STATUSES",
    "Counters",
    "check_conflicts",
    "count_by_status",
    "create_job",
    "get_job",
    "heartbeat",
    "job_dict",
    "job_record",
    "list_jobs",
    "mark_done",
    "mark_running",
    "recover_stale_jobs",
    "update_job",
]
