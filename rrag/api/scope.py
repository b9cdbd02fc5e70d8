"""What a token may sync, and which sync jobs (and conflicts) it may see.

A token's *sync scope* is a set of project ids, or ``None`` for "every project":

* an admin token (``:admin``, or development without tokens): ``None``;
* a ``projects=1|2`` token: exactly those projects;
* any other token: the projects the store records as public (``projects.is_public``).

A sync request's project set must lie inside the scope, and "every project" (no
``project_ids``) is for admins only. A job is visible when its project set lies inside
the scope, so an all-projects job is visible to admins only. Refusals never say which of
the requested ids exist or are private: one message covers them all.
"""

from __future__ import annotations

from collections.abc import Collection

from litestar.exceptions import PermissionDeniedException

from rrag.api.auth import Principal
from rrag.errors import InputError, JobConflict
from rrag.store.db import Store

Scope = frozenset[int] | None
ALL_PROJECTS_DENIED = "syncing every project needs an admin token"
OUT_OF_SCOPE = "this token may not sync one or more of the requested projects"
HIDDEN_CONFLICT = (
    "another sync job overlapping these projects is queued or running; retry when it ends"
)


def public_project_ids(store: Store) -> frozenset[int]:
    """The projects the store records as public (what an unscoped, non-admin token sees)."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id FROM projects WHERE is_public = 1")
        return frozenset(int(row[0]) for row in rows)


def sync_scope(principal: Principal, store: Store) -> Scope:
    """The projects ``principal`` may sync and see jobs of; ``None`` means every project."""
    if principal.is_admin:
        return None
    if principal.project_ids is not None:
        return principal.project_ids
    return public_project_ids(store)


def within(scope: Scope, project_ids: Collection[int] | None) -> bool:
    """Whether a job or request over ``project_ids`` (``None``: every project) fits ``scope``."""
    if scope is None:
        return True
    return project_ids is not None and set(project_ids) <= scope


def check_sync_request(scope: Scope, requested: list[int] | None) -> list[int] | None:
    """The project ids a sync request may run for; 403 when it reaches outside ``scope``."""
    if requested is not None and not requested:
        # the schema refuses [] already; an empty list must never come to mean "all"
        raise InputError("project_ids must name at least one project (omit it for all)")
    if requested is None and scope is not None:
        raise PermissionDeniedException(ALL_PROJECTS_DENIED)
    if not within(scope, requested):
        raise PermissionDeniedException(OUT_OF_SCOPE)
    return requested


def visible_conflict(scope: Scope, conflict: JobConflict) -> JobConflict:
    """``conflict`` as the caller may see it: without the job's id when it is out of scope."""
    if within(scope, conflict.context.get("project_ids")):
        return conflict
    return JobConflict(HIDDEN_CONFLICT)


__all__ = [
    "ALL_PROJECTS_DENIED",
    "HIDDEN_CONFLICT",
    "OUT_OF_SCOPE",
    "Scope",
    "check_sync_request",
    "public_project_ids",
    "sync_scope",
    "visible_conflict",
    "within",
]
