"""``POST /v1/extract`` over the real app: a job (202) run in the background against the
stand-in, scoped like a sync, listed with the sync jobs under its kind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.settings import ApiSettings, EmbeddingSettings, LLMSettings, Settings
from rrag.store.db import Store
from tests.extract.conftest import extract_settings, seed_issues
from tests.index import seed
from tests.llm.ollama_standin import OllamaStandIn

ADMIN = "admin-token-0123456789abcdef"
SCOPED = "scoped-token-0123456789abcdef"  # projects=1
PLAIN = "plain-token-0123456789abcdef"  # the public projects


def _settings(tmp_path: Path, standin: OllamaStandIn) -> Settings:
    return extract_settings(tmp_path, standin.base_url).model_copy(
        update={
            "api": ApiSettings(tokens=f"{ADMIN}:admin,{SCOPED}:projects=1,{PLAIN}"),
            "embedding": EmbeddingSettings(provider="hashing"),
        }
    )


def _client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def client(tmp_path: Path, store: Store, standin: OllamaStandIn) -> Iterator[TestClient[Any]]:
    seed.project(store, 3, public=False)
    seed_issues(store, range(1, 4))
    seed_issues(store, range(4, 6), project_id=3)
    yield from _client(_settings(tmp_path, standin))


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait(client: TestClient[Any], job_id: str) -> dict[str, Any]:
    for _ in range(400):
        job: dict[str, Any] = client.get(f"/v1/sync/jobs/{job_id}", headers=_as(ADMIN)).json()
        if job["status"] not in {"queued", "running"}:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


def test_post_extract_runs_a_job_listed_with_the_sync_jobs(client: TestClient[Any]) -> None:
    response = client.post("/v1/extract", json={}, headers=_as(ADMIN))
    assert response.status_code == 202, response.text
    job = _wait(client, response.json()["job_id"])
    assert job["kind"] == "extract" and job["status"] == "finished", job
    assert job["counters"]["extracted"] == 5 and job["project_ids"] is None
    listed = client.get("/v1/sync/jobs", headers=_as(ADMIN)).json()["jobs"]
    assert [j["kind"] for j in listed] == ["extract"]
    again = client.post("/v1/extract", json={"force": True}, headers=_as(ADMIN))
    assert _wait(client, again.json()["job_id"])["counters"]["unchanged"] == 0


@pytest.mark.parametrize(
    ("token", "body", "status"),
    [
        (SCOPED, {"project_ids": [1]}, 202),
        (PLAIN, {"project_ids": [1]}, 202),
        (SCOPED, {}, 403),
        (PLAIN, {}, 403),
        (PLAIN, {"project_ids": [3]}, 403),  # not public
        (SCOPED, {"project_ids": [2]}, 403),  # outside its projects
        (ADMIN, {"project_ids": [3]}, 202),
        (ADMIN, {"project_ids": []}, 422),
        (ADMIN, {"force": "yes"}, 422),
        (ADMIN, {"projects": [1]}, 422),
    ],
)
def test_post_extract_is_scoped_like_a_sync(
    client: TestClient[Any], token: str, body: dict[str, Any], status: int
) -> None:
    response = client.post("/v1/extract", json=body, headers=_as(token))
    assert response.status_code == status, response.text
    if status == 202:
        assert _wait(client, response.json()["job_id"])["status"] == "finished"
    if status == 403:
        assert "extract" in response.json()["error"]["message"]


def test_a_scoped_caller_sees_its_extract_job_and_not_the_admins(client: TestClient[Any]) -> None:
    mine = client.post("/v1/extract", json={"project_ids": [1]}, headers=_as(SCOPED))
    _wait(client, mine.json()["job_id"])
    admins = client.post("/v1/extract", json={}, headers=_as(ADMIN)).json()["job_id"]
    _wait(client, admins)
    seen = client.get("/v1/sync/jobs", headers=_as(SCOPED)).json()["jobs"]
    assert [j["job_id"] for j in seen] == [mine.json()["job_id"]]
    assert client.get(f"/v1/sync/jobs/{admins}", headers=_as(SCOPED)).status_code == 404


def test_without_an_llm_post_extract_is_a_503_and_no_job(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    settings = _settings(tmp_path, standin)
    settings = settings.model_copy(update={"llm": LLMSettings(provider="none")})
    for client in _client(settings):
        response = client.post("/v1/extract", json={}, headers=_as(ADMIN))
        assert response.status_code == 503, response.text
        assert "LLM_PROVIDER" in response.text
        assert client.get("/v1/sync/jobs", headers=_as(ADMIN)).json()["jobs"] == []
