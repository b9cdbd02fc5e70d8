"""The typed job record: the fields clients read, the same in a Struct and as JSON."""

from __future__ import annotations

import msgspec

from rrag.store.db import Store
from rrag.sync import Job, SyncRun, jobs

FIELDS = {
    "job_id",
    "kind",
    "status",
    "mode",
    "project_ids",
    "counters",
    "progress",
    "created_at",
    "started_at",
    "finished_at",
    "heartbeat_at",
    "error",
}


def test_a_failed_sync_job_reads_the_same_typed_and_as_json(store: Store) -> None:
    job = jobs.create_job(store, "full", [3, 1])
    jobs.mark_done(store, job.id, "failed", jobs.Counters(errors=1), RuntimeError("down"))
    record = jobs.job_record(jobs.get_job(store, job.id))
    assert isinstance(record, Job) and record.error is not None
    assert (record.kind, record.status, record.project_ids) == ("sync", "failed", [1, 3])
    assert (record.error.type, record.error.message, record.counters["errors"]) == (
        "RuntimeError",
        "down",
        1,
    )
    plain = jobs.job_dict(jobs.get_job(store, job.id))
    assert set(plain) == FIELDS and plain == msgspec.to_builtins(record)
    # what a client decodes is the record again: no field is lost or renamed on the wire
    assert msgspec.json.decode(msgspec.json.encode(record), type=Job) == record


def test_an_extract_job_counts_its_own_counters(store: Store) -> None:
    job = jobs.create_job(store, "force", None, kind="extract")
    jobs.update_job(store, job.id, extract_counters='{"issues": 4, "extracted": 3}')
    record = jobs.job_record(jobs.get_job(store, job.id))
    assert (record.kind, record.project_ids, record.error) == ("extract", None, None)
    assert record.counters == {"issues": 4, "extracted": 3}


def test_a_sync_run_names_its_extraction_only_when_one_ran(store: Store) -> None:
    plain = jobs.job_dict(jobs.create_job(store, "incremental", None))
    alone = msgspec.to_builtins(msgspec.convert({**plain, "extract_job": None}, SyncRun))
    assert set(alone) == FIELDS  # the key is absent, as it always was
    both = msgspec.convert({**plain, "extract_job": plain}, SyncRun)
    assert both.extract_job is not None and both.extract_job.job_id == plain["job_id"]
