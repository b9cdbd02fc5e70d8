"""``POST /v1/extract``: start an extract job (rrag.extract) in the background.

Scoped like a sync (:mod:`rrag.api.scope`): a token extracts only projects inside its
sync scope, and every project (no ``project_ids``) is for admins only. The job is read
and listed with the sync jobs (``/v1/sync/jobs``), where its ``kind`` is ``extract``.
"""

from __future__ import annotations

from typing import cast

from litestar import post
from litestar.exceptions import PermissionDeniedException
from litestar.params import JSONBody

from rrag.api.auth import PrincipalDep
from rrag.api.schemas import ExtractRequest, ExtractStarted
from rrag.api.scope import sync_scope, visible_conflict, within
from rrag.api.services import ServicesDep
from rrag.errors import JobConflict, LLMUnavailable
from rrag.sync.job_record import JobStatus

ALL_PROJECTS_DENIED = "extracting every project needs an admin token"
OUT_OF_SCOPE = "this token may not extract one or more of the requested projects"


@post(
    "/v1/extract",
    status_code=202,
    summary="Start an extract job",
    tags=["extract"],
    sync_to_thread=True,
)
def start_extract(
    data: JSONBody[ExtractRequest], services: ServicesDep, principal: PrincipalDep
) -> ExtractStarted:
    """Queue an extraction and run it in the background; 409 while an overlapping one
    runs, 503 when no LLM is configured."""
    scope = sync_scope(principal, services.store)
    if data.project_ids is None and scope is not None:
        raise PermissionDeniedException(ALL_PROJECTS_DENIED)
    if not within(scope, data.project_ids):
        raise PermissionDeniedException(OUT_OF_SCOPE)
    if services.settings.llm.provider == "none":
        raise LLMUnavailable("extraction needs an LLM: LLM_PROVIDER is none")
    try:
        job = services.worker.submit_extract(data.project_ids, data.force)
    except JobConflict as conflict:
        raise visible_conflict(scope, conflict) from None
    return ExtractStarted(job_id=job.id, kind="extract", status=cast(JobStatus, job.status))


__all__ = ["start_extract"]
