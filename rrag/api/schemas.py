"""Request bodies of the API, with their bounds; unknown fields are rejected (422).

The bounds are declared as msgspec constraints so Litestar enforces them and the
OpenAPI schema at ``/schema`` states them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

MAX_ID = 2**31 - 1
MAX_IDS = 100
MAX_K = 100
MAX_QUERY_CHARS = 2_000

PositiveId = Annotated[int, Meta(ge=1, le=MAX_ID, description="a Redmine id")]
ProjectIds = Annotated[list[PositiveId], Meta(max_length=MAX_IDS)]
# an empty list is refused: it must never come to mean "every project"
SyncProjectIds = Annotated[list[PositiveId], Meta(min_length=1, max_length=MAX_IDS)]
K = Annotated[int, Meta(ge=1, le=MAX_K, description="how many results")]
QueryText = Annotated[str, Meta(min_length=1, max_length=MAX_QUERY_CHARS)]
JobStatus = Literal["queued", "running", "finished", "failed", "cancelled"]


class SyncRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/sync/redmine``: which projects (null: every project, admin only) and how."""

    project_ids: SyncProjectIds | None = None
    mode: Literal["incremental", "full"] = "incremental"


class ExtractRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/extract``: which projects (null: every project, admin only); ``force``
    extracts again issues whose extraction is current."""

    project_ids: SyncProjectIds | None = None
    force: bool = False


class SearchRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/search``."""

    query: QueryText
    k: K = 10
    mode: Literal["hybrid", "lexical", "vector"] = "hybrid"
    project_ids: ProjectIds | None = None


class AskRequest(Struct, forbid_unknown_fields=True):
    """``POST /v1/ask``."""

    question: QueryText
    k: K = 5
    project_ids: ProjectIds | None = None


__all__ = [
    "MAX_ID",
    "MAX_IDS",
    "MAX_K",
    "MAX_QUERY_CHARS",
    "AskRequest",
    "ExtractRequest",
    "JobStatus",
    "K",
    "PositiveId",
    "ProjectIds",
    "SearchRequest",
    "SyncProjectIds",
    "SyncRequest",
]
