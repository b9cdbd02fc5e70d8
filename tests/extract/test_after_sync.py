"""``LLM_EXTRACT_AFTER_SYNC``: a finished sync is followed by an extract job over the same
projects (the API's worker, a Redmine stand-in at the network edge; the LLM stand-in)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.settings import ApiSettings, EmbeddingSettings, Settings
from rrag.sync.job_record import Job
from tests.extract.conftest import extract_settings, fields, issue_of
from tests.llm.ollama_standin import OllamaStandIn
from tests.sync.fake_redmine import FakeRedmine

ADMIN = "admin-token-0123456789abcdef"


def _settings(tmp_path: Path, standin: OllamaStandIn, after_sync: bool) -> Settings:
    base = extract_settings(tmp_path, standin.base_url)
    return base.model_copy(
        update={
            "api": ApiSettings(tokens=f"{ADMIN}:admin"),
            "embedding": EmbeddingSettings(provider="hashing"),
            "llm": base.llm.model_copy(update={"extract_after_sync": after_sync}),
        }
    )


def _jobs_when_idle(client: TestClient[Any], expected: int) -> list[dict[str, Any]]:
    auth = {"Authorization": f"Bearer {ADMIN}"}
    for _ in range(400):
        jobs: list[dict[str, Any]] = client.get("/v1/sync/jobs", headers=auth).json()["jobs"]
        if len(jobs) >= expected and all(j["status"] not in {"queued", "running"} for j in jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError("jobs did not end")


def _sync(tmp_path: Path, standin: OllamaStandIn, after_sync: bool) -> list[dict[str, Any]]:
    fake = FakeRedmine()
    for n in (1, 2, 3):
        fake.add_issue(n)
    # the fake Redmine's issues say "Issue N" / "Body N"; a reply grounded in that
    standin.reply = lambda r: json.dumps(fields(summary=f"Body {issue_of(r)} of the issue."))
    app = create_app(_settings(tmp_path, standin, after_sync), redmine_transport=fake.transport())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        auth = {"Authorization": f"Bearer {ADMIN}"}
        assert client.post("/v1/sync/redmine", json={}, headers=auth).status_code == 202
        return _jobs_when_idle(client, 2 if after_sync else 1)


def test_a_finished_sync_is_followed_by_an_extraction_when_the_setting_is_on(
    tmp_path: Path, standin: OllamaStandIn
) -> None:
    jobs = _sync(tmp_path, standin, after_sync=True)
    assert [(j["kind"], j["status"]) for j in jobs] == [
        ("extract", "finished"),
        ("sync", "finished"),
    ]
    assert jobs[0]["counters"]["extracted"] == 3 and jobs[0]["project_ids"] is None


def test_without_the_setting_a_sync_extracts_nothing(
    tmp_path: Path, standin: OllamaStandIn
) -> None:
    jobs = _sync(tmp_path, standin, after_sync=False)
    time.sleep(0.3)
    assert [j["kind"] for j in jobs] == ["sync"] and standin.chat_calls == 0


def test_the_cli_step_after_a_sync_extracts_only_the_synced_projects(
    tmp_path: Path, standin: OllamaStandIn, store: Any
) -> None:
    from rrag.extract import extract_after_sync
    from tests.extract.conftest import seed_issues

    seed_issues(store, range(1, 3))
    seed_issues(store, range(3, 5), project_id=2)
    on = _settings(tmp_path, standin, after_sync=True)
    finished = Job(
        job_id="s",
        kind="sync",
        status="finished",
        mode="incremental",
        project_ids=[2],
        counters={},
        progress=1.0,
        created_at="2026-01-01T00:00:00+00:00",
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
        error=None,
    )
    failed = msgspec.structs.replace(finished, status="failed")
    assert extract_after_sync(store, on, failed, None) is None
    off = _settings(tmp_path, standin, after_sync=False)
    assert extract_after_sync(store, off, finished, None) is None and standin.chat_calls == 0
    job = extract_after_sync(store, on, finished, None)
    assert job is not None and job.counters["extracted"] == 2 and job.project_ids == [2]
