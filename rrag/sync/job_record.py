"""What a job looks like to its readers, typed: :class:`Job` (and its :class:`JobError`).

One shape for ``rrag jobs`` / ``rrag job`` / ``rrag sync --json``, ``GET /v1/sync/jobs``
and ``GET /v1/sync/jobs/{id}`` (the OpenAPI schema documents it from these classes),
built from a job row by :func:`rrag.sync.jobs.job_record`. Two kinds share it: a
``sync`` counts Redmine objects, an ``extract`` counts issues through the LLM.
"""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

JobStatus = Literal["queued", "running", "finished", "failed", "cancelled"]
#: every job state, in lifecycle order
STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
JobKind = Literal["sync", "extract"]
#: a sync's modes: ``full`` refetches every issue (edited notes, deletions)
SyncMode = Literal["incremental", "full"]
#: an extraction's modes: ``force`` extracts again issues whose extraction is current
ExtractMode = Literal["incremental", "force"]


class JobError(msgspec.Struct, frozen=True, kw_only=True):
    """Why a job failed: the error's type (``worker_lost`` for a vanished worker) and one
    secret-free line, files named within ``RRAG_DATA_DIR``."""

    type: str
    message: str | None


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """One job: lifecycle, counters, progress (0..1), timestamps (ISO, UTC) and error.

    ``project_ids`` null means every project. ``counters``: a sync's ``projects``,
    ``issues_seen``, ``issues_changed``, ``issues_deleted``, ``journals``,
    ``wiki_pages``, ``errors``; an extraction's ``issues``, ``extracted``, ``unchanged``,
    ``failed``, ``ungrounded_claim``, ``schema_violation``.
    """

    job_id: str
    kind: JobKind
    status: JobStatus
    mode: str
    project_ids: list[int] | None
    counters: dict[str, int]
    progress: float
    created_at: str
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None
    error: JobError | None


class SyncRun(Job, frozen=True, kw_only=True, omit_defaults=True):
    """``rrag sync --json``: the sync job, and the extraction that ran after it when
    ``LLM_EXTRACT_AFTER_SYNC`` is on (absent otherwise)."""

    extract_job: Job | None = None


__all__ = [
    "STATUSES",
    "ExtractMode",
    "Job",
    "JobError",
    "JobKind",
    "JobStatus",
    "SyncMode",
    "SyncRun",
]
