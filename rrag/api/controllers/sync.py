"""Sync job routes: start a sync, read one job, list jobs.

A token starts syncs only inside its scope and sees only the jobs confined to it (other
jobs answer 404, as if absent; a conflict with one does not name it). The scope rules
live in :mod:`rrag.api.scope`.
"""

from __future__ import annotations

from typing import Annotated, cast

from litestar import get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from rrag.api.auth import PrincipalDep
from rrag.api.schemas import JobList, SyncRequest, SyncStarted
from rrag.api.scope import check_sync_request, sync_scope, visible_conflict, within
from rrag.api.services import ServicesDep
from rrag.errors import JobConflict, JobNotFound
from rrag.sync import Job, get_job, job_record, list_jobs
from rrag.sync.job_record import JobStatus

MOST_JOBS = 100  # the most list_jobs returns at once


@post(
    "/v1/sync/redmine",
    status_code=202,
    summary="Start a sync job",
    tags=["sync"],
    sync_to_thread=True,
)
def start_sync(
    data: JSONBody[SyncRequest], services: ServicesDep, principal: PrincipalDep
) -> SyncStarted:
    """Queue a sync and run it in the background; 409 while an overlapping job runs."""
    scope = sync_scope(principal, services.store)
    project_ids = check_sync_request(scope, data.project_ids)
    try:
        job = services.worker.submit(data.mode, project_ids)
    except JobConflict as conflict:
        raise visible_conflict(scope, conflict) from None
    return SyncStarted(job_id=job.id, status=cast(JobStatus, job.status))  # "queued"


@get("/v1/sync/jobs/{job_id:str}", summary="One sync job", tags=["sync"], sync_to_thread=True)
def get_sync_job(job_id: FromPath[str], services: ServicesDep, principal: PrincipalDep) -> Job:
    """Lifecycle, counters, progress, timestamps and error details of one job."""
    job = job_record(get_job(services.store, job_id))
    if not within(sync_scope(principal, services.store), job.project_ids):
        raise JobNotFound(f"no sync job {job_id}", job_id=job_id)
    return job


@get("/v1/sync/jobs", summary="Sync jobs, newest first", tags=["sync"], sync_to_thread=True)
def list_sync_jobs(
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, QueryParameter(ge=1, le=MOST_JOBS, description="at most this many")] = 20,
    status: Annotated[JobStatus | None, QueryParameter(description="only this state")] = None,
) -> JobList:
    scope = sync_scope(principal, services.store)
    # read the most the store lists, then cut: hidden jobs must not eat a scoped caller's page
    rows = [job_record(j) for j in list_jobs(services.store, status, MOST_JOBS)]
    return JobList(jobs=[row for row in rows if within(scope, row.project_ids)][:limit])


__all__ = ["get_sync_job", "list_sync_jobs", "start_sync"]
