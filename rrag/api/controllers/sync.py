"""Sync job routes: start a sync, read one job, list jobs.

A token limited to some projects may start syncs of those projects only and sees only
the jobs confined to them (other jobs answer 404, as if absent).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from rrag.api.auth import PrincipalDep, allowed_projects
from rrag.api.schemas import JobStatus, SyncRequest
from rrag.api.services import ServicesDep
from rrag.errors import JobNotFound
from rrag.sync import get_job, job_dict, list_jobs


def _visible(principal: PrincipalDep, job: dict[str, Any]) -> bool:
    if principal.project_ids is None:
        return True
    ids = job["project_ids"]
    return ids is not None and set(ids) <= principal.project_ids


@post(
    "/v1/sync/redmine",
    status_code=202,
    summary="Start a sync job",
    tags=["sync"],
    sync_to_thread=True,
)
def start_sync(
    data: JSONBody[SyncRequest], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Queue a sync and run it in the background; 409 while an overlapping job runs."""
    project_ids = allowed_projects(principal, data.project_ids)
    job = services.worker.submit(data.mode, project_ids)
    return {"job_id": job.id, "status": job.status}


@get("/v1/sync/jobs/{job_id:str}", summary="One sync job", tags=["sync"], sync_to_thread=True)
def get_sync_job(
    job_id: FromPath[str], services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Lifecycle, counters, progress, timestamps and error details of one job."""
    job = job_dict(get_job(services.store, job_id))
    if not _visible(principal, job):
        raise JobNotFound(f"no sync job {job_id}", job_id=job_id)
    return job


@get("/v1/sync/jobs", summary="Sync jobs, newest first", tags=["sync"], sync_to_thread=True)
def list_sync_jobs(
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, QueryParameter(ge=1, le=100, description="at most this many")] = 20,
    status: Annotated[JobStatus | None, QueryParameter(description="only this state")] = None,
) -> dict[str, Any]:
    rows = [job_dict(j) for j in list_jobs(services.store, status, limit)]
    return {"jobs": [row for row in rows if _visible(principal, row)]}


__all__ = ["get_sync_job", "list_sync_jobs", "start_sync"]
