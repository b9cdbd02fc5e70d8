"""Sync jobs over HTTP: accept, follow, conflict, failure details, graceful shutdown."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import TestClient

from rrag.store.db import open_store
from rrag.store.locks import StoreLock
from rrag.sync import get_job
from tests.api.conftest import APP_TOKEN, OPS_TOKEN, PLAIN_TOKEN, AppFactory, auth
from tests.sync.fake_redmine import FakeRedmine

TOKENS = f"{OPS_TOKEN}:admin,{APP_TOKEN}:projects=1|2,{PLAIN_TOKEN}"


def wait_for(
    client: TestClient[Any],
    job_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/v1/sync/jobs/{job_id}", headers=auth()).json()
        if done(job) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in {"finished", "failed", "cancelled"}


def fake_with(issues: int) -> FakeRedmine:
    fake = FakeRedmine()
    for n in range(1, issues + 1):
        fake.add_issue(n)
    return fake


def test_sync_is_accepted_and_runs_to_finished(make_client: AppFactory) -> None:
    client = make_client(TOKENS, transport=fake_with(30).transport())
    response = client.post("/v1/sync/redmine", json={"mode": "full"}, headers=auth())
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["status"] == "queued" and set(accepted) == {"job_id", "status"}
    job = wait_for(client, accepted["job_id"], finished)
    assert job["status"] == "finished", job
    assert job["counters"]["issues_seen"] == 30 and job["progress"] == 1.0
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    listed = client.get("/v1/sync/jobs?status=finished&limit=5", headers=auth()).json()
    assert [j["job_id"] for j in listed["jobs"]] == [accepted["job_id"]]


def test_overlapping_sync_gets_409_with_the_running_jobs_id(
    make_client: AppFactory, tmp_path: Path
) -> None:
    client = make_client(TOKENS, transport=fake_with(3).transport())
    lock = StoreLock(tmp_path / "data")
    assert lock.acquire()  # another sync holds the store: the first job waits, active
    try:
        first = client.post("/v1/sync/redmine", json={"project_ids": [1]}, headers=auth()).json()
        second = client.post("/v1/sync/redmine", json={"project_ids": [1, 2]}, headers=auth())
        assert second.status_code == 409
        error = second.json()["error"]
        assert error["type"] == "job_conflict" and error["job_id"] == first["job_id"]
        assert first["job_id"] in error["message"]
    finally:
        lock.release()
    assert wait_for(client, first["job_id"], finished)["status"] == "finished"


def test_failed_job_reports_error_details_without_secrets(make_client: AppFactory) -> None:
    def refuse(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    client = make_client(TOKENS, transport=httpx.MockTransport(refuse))
    job_id = client.post("/v1/sync/redmine", json={}, headers=auth()).json()["job_id"]
    job = wait_for(client, job_id, finished)
    assert job["status"] == "failed"
    assert job["error"]["type"] == "redmine_transport" and job["error"]["message"]
    assert "test-key-0000" not in str(job)


def test_scoped_token_sees_only_jobs_of_its_projects(make_client: AppFactory) -> None:
    client = make_client(TOKENS, transport=fake_with(2).transport())
    everything = client.post("/v1/sync/redmine", json={}, headers=auth()).json()["job_id"]
    wait_for(client, everything, finished)
    mine = client.post(
        "/v1/sync/redmine", json={"project_ids": [1, 2]}, headers=auth(APP_TOKEN)
    ).json()["job_id"]
    listed = client.get("/v1/sync/jobs", headers=auth(APP_TOKEN)).json()["jobs"]
    assert [j["job_id"] for j in listed] == [mine]
    hidden = client.get(f"/v1/sync/jobs/{everything}", headers=auth(APP_TOKEN))
    assert hidden.status_code == 404
    wait_for(client, mine, finished)


def test_shutdown_cancels_a_running_job_cleanly(make_client: AppFactory, tmp_path: Path) -> None:
    fake = fake_with(400)
    slow_started = threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/issues/"):
            slow_started.set()
            time.sleep(0.05)  # a slow Redmine: the sync takes seconds
        return fake.handle(request)

    client = make_client(TOKENS, transport=httpx.MockTransport(slow))
    job_id = client.post("/v1/sync/redmine", json={"mode": "full"}, headers=auth()).json()["job_id"]
    assert slow_started.wait(10)
    client.__exit__(None, None, None)  # lifespan shutdown: cancel and wait
    store = open_store(tmp_path / "data")
    job = get_job(store, job_id)
    with store.engine.connect() as conn:
        saved = conn.exec_driver_sql("SELECT COUNT(*) FROM issues").scalar_one()
    store.close()
    assert job.status == "cancelled" and job.error_type == "cancelled"
    assert 0 <= saved < 400  # committed batches only; the rest waits for the next sync
    assert job.finished_at is not None
