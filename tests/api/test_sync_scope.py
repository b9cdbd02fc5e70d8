"""Sync routes obey token scope (issue 12, hole 1), through the real app and store.

The store knows public projects 1 and 2 and non-public project 3. Redmine is a closed
port, so a started job fails at once without touching the store: what matters here is
who may start, see and collide with which job, not the sync itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.api.scope import ALL_PROJECTS_DENIED, HIDDEN_CONFLICT, OUT_OF_SCOPE
from rrag.store.db import Store, open_store
from rrag.sync.jobs import Counters, create_job, list_jobs, mark_done
from tests.api.conftest import APP_TOKEN, OPS_TOKEN, PLAIN_TOKEN, AppFactory, auth
from tests.index.seed import project

ONE_TOKEN = "one-token-0123456789abcdef"  # projects=1
PRIVATE_TOKEN = "private-token-0123456789abcdef"  # :private, no projects=: public ones
TOKENS = (
    f"{OPS_TOKEN}:admin,{APP_TOKEN}:projects=1|2,{ONE_TOKEN}:projects=1,"
    f"{PLAIN_TOKEN},{PRIVATE_TOKEN}:private"
)
NON_ADMINS = (APP_TOKEN, ONE_TOKEN, PLAIN_TOKEN, PRIVATE_TOKEN)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The app's store, seeded before the app starts and open beside it."""
    opened = open_store(tmp_path / "data")
    project(opened, 1)
    project(opened, 2)
    project(opened, 3, public=False)
    yield opened
    opened.close()


@pytest.fixture
def client(make_client: AppFactory, store: Store) -> TestClient[Any]:
    return make_client(TOKENS)


def sync(client: TestClient[Any], token: str, body: dict[str, Any]) -> Any:
    return client.post("/v1/sync/redmine", json=body, headers=auth(token))


def ended(client: TestClient[Any], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        job: dict[str, Any] = client.get(f"/v1/sync/jobs/{job_id}", headers=auth()).json()
        if job["status"] not in {"queued", "running"} or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def started(client: TestClient[Any], token: str, body: dict[str, Any]) -> str:
    """Start a job, wait for it to end (it fails: Redmine is a closed port), return its id."""
    response = sync(client, token, body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    assert ended(client, job_id)["status"] == "failed"
    return job_id


def listed(client: TestClient[Any], token: str) -> list[str]:
    jobs = client.get("/v1/sync/jobs?limit=100", headers=auth(token)).json()["jobs"]
    return [job["job_id"] for job in jobs]


def test_an_empty_project_list_is_refused_and_queues_nothing(
    client: TestClient[Any], store: Store
) -> None:
    # before the fix, [] passed the scope check and then meant "every project"
    for token in (ONE_TOKEN, OPS_TOKEN):
        response = sync(client, token, {"project_ids": [], "mode": "full"})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["type"] == "invalid_input" and "project_ids" in error["message"]
    assert list_jobs(store) == []


def test_every_project_needs_an_admin_token(client: TestClient[Any], store: Store) -> None:
    for token in NON_ADMINS:
        for body in ({}, {"project_ids": None, "mode": "full"}):
            response = sync(client, token, body)
            assert response.status_code == 403, (token, body, response.text)
            assert response.json()["error"]["message"] == ALL_PROJECTS_DENIED
    assert list_jobs(store) == []
    everything = started(client, OPS_TOKEN, {"mode": "full"})
    assert [job.id for job in list_jobs(store)] == [everything]


def test_development_without_tokens_may_sync_every_project(make_client: AppFactory) -> None:
    open_app = make_client()  # the operator on loopback, like the CLI
    response = open_app.post("/v1/sync/redmine", json={})
    assert response.status_code == 202, response.text
    ended(open_app, response.json()["job_id"])


def test_out_of_scope_ids_are_refused_alike_whether_they_exist_or_not(
    client: TestClient[Any], store: Store
) -> None:
    refusals = [
        (PLAIN_TOKEN, [3]),  # exists, not public
        (PLAIN_TOKEN, [99]),  # does not exist
        (PLAIN_TOKEN, [1, 3]),
        (PRIVATE_TOKEN, [3]),  # :private sees private issues, not non-public projects
        (ONE_TOKEN, [2]),  # public, but outside projects=1
        (APP_TOKEN, [3]),
    ]
    bodies = set()
    for token, ids in refusals:
        response = sync(client, token, {"project_ids": ids})
        assert response.status_code == 403, (token, ids, response.text)
        bodies.add(response.text)
    assert [*bodies] == [f'{{"error":{{"type":"forbidden","message":"{OUT_OF_SCOPE}"}}}}']
    assert list_jobs(store) == []
    started(client, PLAIN_TOKEN, {"project_ids": [1, 2]})  # the public projects are in scope
    started(client, ONE_TOKEN, {"project_ids": [1]})
    started(client, OPS_TOKEN, {"project_ids": [3, 99]})  # the admin may name any id


def test_jobs_outside_the_scope_are_absent(client: TestClient[Any]) -> None:
    hidden = started(client, OPS_TOKEN, {"project_ids": [3]})
    everything = started(client, OPS_TOKEN, {})
    public = started(client, PLAIN_TOKEN, {"project_ids": [1]})
    for token in (PLAIN_TOKEN, PRIVATE_TOKEN, APP_TOKEN):
        for job_id in (hidden, everything):
            response = client.get(f"/v1/sync/jobs/{job_id}", headers=auth(token))
            assert response.status_code == 404, (token, response.text)
            assert response.json()["error"] == {
                "type": "job_not_found",
                "message": f"no sync job {job_id}",
                "job_id": job_id,
            }
        assert listed(client, token) == [public]
        assert client.get(f"/v1/sync/jobs/{public}", headers=auth(token)).status_code == 200
    assert listed(client, OPS_TOKEN) == [public, everything, hidden]


def test_a_scoped_list_is_not_emptied_by_newer_hidden_jobs(
    client: TestClient[Any], store: Store
) -> None:
    public = started(client, PLAIN_TOKEN, {"project_ids": [1]})
    for _ in range(3):
        job = create_job(store, "incremental", [3])
        mark_done(store, job.id, "finished", Counters())
    jobs = client.get("/v1/sync/jobs?limit=1", headers=auth(PLAIN_TOKEN)).json()["jobs"]
    assert [job["job_id"] for job in jobs] == [public]


@pytest.mark.parametrize(
    "blocking, token",
    [(None, PLAIN_TOKEN), (None, ONE_TOKEN), ([1, 3], PLAIN_TOKEN), ([1, 2], ONE_TOKEN)],
)
def test_a_conflict_with_a_hidden_job_does_not_name_it(
    client: TestClient[Any], store: Store, blocking: list[int] | None, token: str
) -> None:
    queued = create_job(store, "incremental", blocking)  # another scope's job, never run
    try:
        response = sync(client, token, {"project_ids": [1]})
        assert response.status_code == 409, response.text
        assert queued.id not in response.text
        assert response.json() == {"error": {"type": "job_conflict", "message": HIDDEN_CONFLICT}}
        admin = sync(client, OPS_TOKEN, {"project_ids": [1]})
        assert admin.status_code == 409 and admin.json()["error"]["job_id"] == queued.id
    finally:
        mark_done(store, queued.id, "cancelled", Counters())


def test_a_conflict_with_a_visible_job_names_it(client: TestClient[Any], store: Store) -> None:
    queued = create_job(store, "incremental", [1])
    try:
        response = sync(client, ONE_TOKEN, {"project_ids": [1]})
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["job_id"] == queued.id and queued.id in error["message"]
        assert set(error) == {"type", "message", "job_id"}  # project ids stay server-side
    finally:
        mark_done(store, queued.id, "cancelled", Counters())
