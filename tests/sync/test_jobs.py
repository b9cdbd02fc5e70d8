"""Job rows: lifecycle, conflicts, listing, stale-worker recovery."""

from __future__ import annotations

import httpx
import pytest

from rrag.errors import InputError, JobConflict, JobNotFound
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.locks import StoreLock
from rrag.sync import jobs
from rrag.sync.runner import run_new_job
from tests.sync.fake_redmine import FakeRedmine


def test_overlapping_active_jobs_conflict(store: Store) -> None:
    first = jobs.create_job(store, "incremental", [1, 2])
    with pytest.raises(JobConflict) as err:
        jobs.create_job(store, "full", [2, 3])
    assert err.value.context["job_id"] == first.id
    with pytest.raises(JobConflict):
        jobs.create_job(store, "full", None)  # "all projects" overlaps everything
    assert jobs.create_job(store, "incremental", [4]).status == "queued"


def test_finished_jobs_do_not_conflict(store: Store) -> None:
    job = jobs.create_job(store, "incremental", None)
    jobs.mark_done(store, job.id, "finished", jobs.Counters(issues_seen=3))
    again = jobs.create_job(store, "incremental", None)
    assert again.id != job.id
    assert jobs.job_dict(jobs.get_job(store, job.id))["counters"]["issues_seen"] == 3


def test_list_filters_and_orders_newest_first(store: Store) -> None:
    ids = []
    for _ in range(3):
        job = jobs.create_job(store, "incremental", [9])
        jobs.mark_done(store, job.id, "failed", jobs.Counters(), RuntimeError("boom"))
        ids.append(job.id)
    listed = [j.id for j in jobs.list_jobs(store, status="failed", limit=2)]
    assert listed == ids[::-1][:2]
    assert jobs.list_jobs(store, status="finished") == []
    assert jobs.count_by_status(store)["failed"] == 3


@pytest.mark.parametrize("bad", [{"status": "done"}, {"limit": 0}, {"limit": 101}])
def test_list_rejects_bad_arguments(store: Store, bad: dict) -> None:
    with pytest.raises(InputError):
        jobs.list_jobs(store, **bad)


def test_get_job_errors(store: Store) -> None:
    with pytest.raises(InputError):
        jobs.get_job(store, "not-a-uuid")
    with pytest.raises(JobNotFound):
        jobs.get_job(store, "00000000-0000-0000-0000-000000000000")


def test_running_job_without_a_lock_holder_is_recovered(store: Store) -> None:
    job = jobs.create_job(store, "full", None)
    jobs.mark_running(store, job.id)
    lock = StoreLock(store.path.parent)
    assert lock.acquire()
    try:  # a live worker holds the lock: the job is left alone within its lease
        assert jobs.recover_stale_jobs(store, lease_s=60) == []
    finally:
        lock.release()
    assert jobs.recover_stale_jobs(store, lease_s=60) == [job.id]
    row = jobs.job_dict(jobs.get_job(store, job.id))
    assert row["status"] == "failed"
    assert row["error"]["type"] == "worker_lost"


def test_expired_heartbeat_is_recovered_even_with_the_lock_held(store: Store) -> None:
    job = jobs.create_job(store, "full", None)
    jobs.mark_running(store, job.id)
    jobs.update_job(store, job.id, heartbeat_at="2000-01-01T00:00:00.000+00:00")
    lock = StoreLock(store.path.parent)
    assert lock.acquire()
    try:
        assert jobs.recover_stale_jobs(store, lease_s=60) == [job.id]
    finally:
        lock.release()


def test_error_messages_are_redacted(store: Store) -> None:
    from rrag.logs import register_secrets

    register_secrets("canary-secret-123456")
    job = jobs.create_job(store, "full", None)
    jobs.mark_done(
        store,
        job.id,
        "failed",
        jobs.Counters(),
        RuntimeError("failed with canary-secret-123456 in it"),
    )
    assert "canary" not in (jobs.get_job(store, job.id).error_message or "")


def test_a_job_run_in_process_is_never_a_queued_row(
    store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `rrag sync` (run_new_job) takes the sync lock before the row exists and writes it as
    # running: a process killed at any moment leaves no row, or a running one whose lock
    # died with it, which start-up recovery fails at once. A queued row would wait out the
    # whole lease (tests/sync/test_crash.py caught one).
    rows_at_lock: list[int] = []
    acquire = StoreLock.acquire

    def record(lock: StoreLock, blocking: bool = False) -> bool:
        rows_at_lock.append(len(jobs.list_jobs(store)))
        return acquire(lock, blocking)

    monkeypatch.setattr(StoreLock, "acquire", record)
    fake = FakeRedmine()
    fake.add_issue(1)
    seen: list[tuple[str, bool]] = []

    def first_request(request: httpx.Request) -> httpx.Response:
        (job,) = jobs.list_jobs(store)
        seen.append((job.status, StoreLock(settings.store.data_dir).held_elsewhere()))
        return fake._answer(request, request.url.path)

    fake.faults["/"] = [first_request]
    result = run_new_job(store, settings, "full", None, transport=fake.transport())
    assert result.status == "finished"
    assert rows_at_lock[0] == 0  # the lock came first
    assert seen == [("running", True)]
    with pytest.raises(JobConflict):  # an overlapping active job is refused before the lock
        jobs.create_job(store, "incremental", [1])
        run_new_job(store, settings, "full", None, transport=fake.transport())
