"""Redmine sync: the REST client, outbound policy, the sync engine and sync jobs."""

from rrag.sync.client import RedmineClient, build_client
from rrag.sync.job_record import Job, JobError, SyncRun
from rrag.sync.jobs import (
    Counters,
    count_by_status,
    create_job,
    get_job,
    job_dict,
    job_record,
    list_jobs,
    recover_stale_jobs,
)
from rrag.sync.pipeline import SyncCancelled, SyncEngine
from rrag.sync.policy import check_url
from rrag.sync.runner import run_job, run_new_job

__all__ = [
    "Counters",
    "Job",
    "JobError",
    "RedmineClient",
    "SyncCancelled",
    "SyncEngine",
    "SyncRun",
    "build_client",
    "check_url",
    "count_by_status",
    "create_job",
    "get_job",
    "job_dict",
    "job_record",
    "list_jobs",
    "recover_stale_jobs",
    "run_job",
    "run_new_job",
]
