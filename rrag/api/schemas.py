"""Request bodies and response envelopes of the API; unknown request fields are 422.

The bounds are declared as msgspec constraints so Litestar enforces them and the
OpenAPI schema at ``/schema`` states them; the search limits and modes come from
:mod:`rrag.retrieval.query`, where the CLI and the library read them too. Responses are
the library's own types (:class:`rrag.retrieval.SearchResults`, :class:`rrag.llm.Answer`,
:class:`rrag.sync.Job`); the envelopes only the API answers with are here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from rrag.retrieval.query import (
    DEFAULT_ASK_K,
    DEFAULT_K,
    DEFAULT_MODE,
    MAX_ID,
    MAX_K,
    MAX_QUERY_CHARS,
    Mode,
)
from rrag.sync.job_record import Job, JobKind, JobStatus, SyncMode

MAX_IDS = 100

PositiveId = Annotated[int, Meta(ge=1, le=MAX_ID, description="a Redmine id")]
ProjectIds = Annotated[list[PositiveId], Meta(max_length=MAX_IDS)]
# an empty list is refused: it must never come to mean "every project"
SyncProjectIds = Annotated[list[PositiveId], Meta(min_length=1, max_length=MAX_IDS)]
K = Annotated[int, Meta(ge=1, le=MAX_K, description="how many results")]
QueryText = Annotated[str, Meta(min_length=1, max_length=MAX_QUERY_CHARS)]
Status = Literal["ok", "degraded", "fail"]


class SyncRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/sync/redmine``: which projects (null: every project, admin only) and how."""

    project_ids: SyncProjectIds | None = None
    mode: SyncMode = "incremental"


class ExtractRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/extract``: which projects (null: every project, admin only); ``force``
    extracts again issues whose extraction is current."""

    project_ids: SyncProjectIds | None = None
    force: bool = False


class SearchRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/search``."""

    query: QueryText
    k: K = DEFAULT_K
    mode: Mode = DEFAULT_MODE
    project_ids: ProjectIds | None = None


class AskRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/ask``."""

    question: QueryText
    k: K = DEFAULT_ASK_K
    project_ids: ProjectIds | None = None


class SyncStarted(Struct, frozen=True, kw_only=True):
    """``POST /v1/sync/redmine`` (202): the queued job; read it at ``/v1/sync/jobs/{id}``."""

    job_id: str
    status: JobStatus


class ExtractStarted(Struct, frozen=True, kw_only=True):
    """``POST /v1/extract`` (202): the queued job, listed with the sync jobs."""

    job_id: str
    kind: JobKind
    status: JobStatus


class JobList(Struct, frozen=True, kw_only=True):
    """``GET /v1/sync/jobs``: jobs the caller may see, newest first."""

    jobs: list[Job]


class Health(Struct, frozen=True, kw_only=True):
    """``GET /healthz``: the worst status of all checks, and a report per check
    (``database``, ``sync_jobs``, ``config``, ``index``, ``llm_runtime``, ``guardrails``).

    Each report has a ``status`` (``ok``, ``degraded``, ``fail``) and, only with
    ``?detail=1``, every other field of the check (they depend on the check), with no
    credential in any of them. One type for both views: the public view is the detail
    view with the other fields left out, so a schema could not tell two types apart.
    """

    status: Status
    checks: dict[str, dict[str, Any]]


__all__ = [
    "MAX_ID",
    "MAX_IDS",
    "AskRequest",
    "ExtractRequest",
    "ExtractStarted",
    "Health",
    "JobList",
    "K",
    "PositiveId",
    "ProjectIds",
    "SearchRequest",
    "Status",
    "SyncProjectIds",
    "SyncRequest",
    "SyncStarted",
]
