"""Faults at the network edge: each ends as a clean retry or a clear error on the job,
never a crash, and the store stays consistent."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from rrag.settings import Settings
from rrag.store.db import Store
from rrag.sync import create_job, run_job
from rrag.sync.client import RedmineClient, build_http
from rrag.sync.job_record import Job
from tests.conftest import make_settings
from tests.sync.fake_redmine import FakeRedmine, _json


def _run(store: Store, settings: Settings, fake: FakeRedmine, mode: str = "full") -> Job:
    job = create_job(store, mode, None)
    return run_job(store, settings, job.id, transport=fake.transport())


def _stored_ids(store: Store) -> set[int]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql("SELECT id FROM issues")}


@pytest.fixture
def fake() -> FakeRedmine:
    fake = FakeRedmine()
    for i in range(1, 251):
        fake.add_issue(i)
    return fake


def test_429_with_retry_after_is_honoured(settings: Settings, fake: FakeRedmine) -> None:
    slept: list[float] = []
    fake.faults["/issues.json"] = [httpx.Response(429, headers={"Retry-After": "7"})]
    client = RedmineClient(
        build_http(settings, fake.transport()), settings.redmine, sleep=slept.append
    )
    pages = list(client.issue_pages(1))
    assert slept == [7.0]
    assert sum(len(items) for items, _ in pages) == 250


def test_503_then_success_finishes(store: Store, settings: Settings, fake: FakeRedmine) -> None:
    fake.faults["/issues/7.json"] = [httpx.Response(503), httpx.Response(503)]
    job = _run(store, settings, fake)
    assert job.status == "finished", job
    assert _stored_ids(store) == set(range(1, 251))


def test_read_timeouts_fail_the_job_cleanly(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    timeout = httpx.ReadTimeout("timed out")
    fake.faults["/issues/120.json"] = [timeout] * (settings.redmine.max_retries + 1)
    job = _run(store, settings, fake)
    assert job.status == "failed"
    assert job.error.type == "redmine_transport"
    assert "/issues/120.json" in job.error.message
    assert store.integrity_check() == "ok"
    # batches before the failing one were committed, the failing one was not
    assert 120 not in _stored_ids(store)
    # and the next run converges
    assert _run(store, settings, fake).status == "finished"
    assert _stored_ids(store) == set(range(1, 251))


def test_malformed_json_is_a_protocol_error(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    fake.faults["/issues/3.json"] = [httpx.Response(200, content=b"{not json")]
    job = _run(store, settings, fake)
    assert job.status == "failed"
    assert job.error.type == "redmine_protocol"
    assert "malformed JSON" in job.error.message
    assert store.integrity_check() == "ok"


def test_total_count_changing_mid_sync(store: Store, settings: Settings, fake: FakeRedmine) -> None:
    fake.total_drift = 40  # pages after the first report 40 more issues than exist
    job = _run(store, settings, fake)
    assert job.status == "finished", job
    assert _stored_ids(store) == set(range(1, 251))


def test_redirect_is_refused_and_names_its_target(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    location = "https://evil.example/steal?key=abc"
    fake.faults["/projects.json"] = [httpx.Response(302, headers={"Location": location})]
    job = _run(store, settings, fake)
    assert job.status == "failed"
    assert "https://evil.example/steal" in job.error.message
    assert "key=abc" not in job.error.message
    assert not any("evil.example" in url for url in fake.seen)


@pytest.mark.parametrize(
    ("base_url", "allowed", "fragment"),
    [
        ("http://redmine.example.com", [], "HTTPS is required"),
        ("https://other.example.com", ["redmine.example.com"], "not in REDMINE_ALLOWED_HOSTS"),
        ("https://169.254.169.254", [], "link-local"),
    ],
)
def test_outbound_policy_refuses_before_any_request(
    tmp_path: Path, base_url: str, allowed: list[str], fragment: str
) -> None:
    settings = make_settings(tmp_path, base_url=base_url, allowed_hosts=allowed)
    store = Store(tmp_path / "rrag.db")
    fake = FakeRedmine()
    job = _run(store, settings, fake)
    assert job.status == "failed"
    assert job.error.type == "outbound_policy"
    assert fragment in job.error.message
    assert fake.seen == []


def test_production_requires_an_allowlist(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, base_url="https://redmine.example.com")
    settings = settings.model_copy(update={"app_env": "production"})
    store = Store(tmp_path / "rrag.db")
    job = _run(store, settings, FakeRedmine())
    assert job.status == "failed"
    assert "REDMINE_ALLOWED_HOSTS must be set" in job.error.message


def test_401_bad_key_is_not_retried(store: Store, settings: Settings, fake: FakeRedmine) -> None:
    fake.faults["/issue_statuses.json"] = [httpx.Response(401)] * 5
    job = _run(store, settings, fake)
    assert job.status == "failed"
    assert job.error.type == "redmine_auth"
    assert len(fake.seen) == 1


def test_deleted_between_list_and_fetch_is_removed(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    assert _run(store, settings, fake).status == "finished"
    fake.issues[10]["updated_on"] = "2026-02-01T00:00:00Z"
    fake.faults["/issues/10.json"] = [httpx.Response(404)]
    job = _run(store, settings, fake, mode="incremental")
    assert job.status == "finished"
    assert job.counters["issues_deleted"] == 1
    assert 10 not in _stored_ids(store)


def test_oversized_text_is_truncated_with_a_marker(
    store: Store, settings: Settings, fake: FakeRedmine
) -> None:
    fake.issues[5]["description"] = "x" * (settings.store.max_text_bytes + 5000)
    assert _run(store, settings, fake).status == "finished"
    with store.engine.connect() as conn:
        text = conn.exec_driver_sql("SELECT description FROM issues WHERE id=5").scalar_one()
    assert text.startswith("x" * 1000)
    assert "[truncated by rrag" in text
    assert len(text.encode()) < settings.store.max_text_bytes + 200


def test_list_page_reads_limit_back(settings: Settings) -> None:
    """A server that caps limit lower than asked is paged by what it says it used."""
    offsets: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        offsets.append(offset)
        rows = [{"id": i} for i in range(offset, min(offset + 25, 60))]
        return _json({"issues": rows, "total_count": 60, "offset": offset, "limit": 25})

    client = RedmineClient(build_http(settings, httpx.MockTransport(handler)), settings.redmine)
    got = [r["id"] for items, _ in client.iter_pages("/issues.json", "issues") for r in items]
    assert got == list(range(60))
    assert offsets == [0, 25, 50]
    assert json.dumps(got)
