"""``rrag serve`` as a real process on loopback, syncing the real Redmine over HTTP.

The runbook's flow, as an operator runs it: start the service, ``POST /v1/sync/redmine``,
follow the job to ``finished``, search and ask, read ``/healthz``, stop with SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from rrag.store.db import open_store
from rrag.sync import get_job
from tests.api.conftest import OPS_TOKEN, auth
from tests.api.live import free_port

pytestmark = [pytest.mark.redmine, pytest.mark.slow]


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    data: Path


def serve_env(data: Path, **extra: str) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RRAG_", "REDMINE_", "EMBEDDING_", "LLM_", "OLLAMA_", "APP_"))
    }
    return {**keep, "RRAG_DATA_DIR": str(data), "EMBEDDING_PROVIDER": "hashing", **extra}


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "rrag.cli", "serve", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"rrag serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"rrag serve did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def served(redmine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = Path(tmp_path_factory.mktemp("serve"))
    port = free_port()
    env = serve_env(
        root / "data",
        REDMINE_BASE_URL=redmine.base_url,
        REDMINE_API_KEY=redmine.api_key,
        RRAG_API_TOKENS=f"{OPS_TOKEN}:admin",
        REDMINE_ALLOWED_HOSTS="127.0.0.1",
    )
    proc = start(env, root / "serve.log", "--port", str(port))
    served = Served(f"http://127.0.0.1:{port}", proc, root / "serve.log", root / "data")
    try:
        wait_ready(served.url, proc, served.log)
        yield served
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def follow(url: str, job_id: str, timeout_s: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}/v1/sync/jobs/{job_id}", headers=auth(), timeout=10).json()
        if job["status"] in {"finished", "failed", "cancelled"}:
            return job
        time.sleep(0.3)
    pytest.fail(f"job {job_id} did not end in {timeout_s} s")


def test_sync_over_http_then_search_ask_and_health(served: Served, redmine: Any) -> None:
    url = served.url
    assert httpx.post(f"{url}/v1/sync/redmine", json={}).status_code == 401
    response = httpx.post(f"{url}/v1/sync/redmine", json={"mode": "full"}, headers=auth())
    assert response.status_code == 202 and response.json()["status"] == "queued"
    job = follow(url, response.json()["job_id"])
    assert job["status"] == "finished", job
    with redmine.client() as client:
        total = client.get("/issues.json", params={"status_id": "*", "limit": 1}).json()
        first = client.get(
            "/issues.json", params={"status_id": "*", "limit": 1, "sort": "id"}
        ).json()["issues"][0]
    assert job["counters"]["issues_seen"] == total["total_count"]
    listed = httpx.get(f"{url}/v1/sync/jobs?status=finished&limit=1", headers=auth()).json()
    assert listed["jobs"][0]["job_id"] == job["job_id"]

    found = httpx.post(
        f"{url}/v1/search", json={"query": first["subject"], "k": 5}, headers=auth()
    ).json()
    assert first["id"] in [r["issue_id"] for r in found["results"][:3]], found
    answer = httpx.post(f"{url}/v1/ask", json={"question": first["subject"]}, headers=auth()).json()
    assert answer["grounded"] and answer["citations"][0]["url"].startswith(redmine.base_url)

    health = httpx.get(f"{url}/healthz?detail=1", headers=auth(), timeout=5)
    checks = health.json()["checks"]
    assert health.status_code == 200, health.text
    assert checks["sync_jobs"]["finished"] == 1 and checks["database"]["status"] == "ok"
    assert checks["index"]["loaded"] and checks["index"]["chunks"] > total["total_count"]
    assert checks["config"]["auth"] == {"status": "ok", "tokens": 1}


def test_logs_carry_job_ids_and_never_the_secrets(served: Served, redmine: Any) -> None:
    log = served.log.read_text()
    assert '"job_id"' in log and '"project_ids"' in log and "sync_job_accepted" in log
    assert redmine.api_key not in log and OPS_TOKEN not in log


def test_sigterm_during_a_sync_ends_the_job_and_the_process_cleanly(served: Served) -> None:
    response = httpx.post(f"{served.url}/v1/sync/redmine", json={"mode": "full"}, headers=auth())
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = httpx.get(f"{served.url}/v1/sync/jobs/{job_id}", headers=auth()).json()
        if job["status"] != "queued":
            break
        time.sleep(0.05)
    served.proc.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal: the conventional status
    assert served.proc.wait(60) in (0, -signal.SIGTERM)
    assert "api_stopped" in served.log.read_text()
    store = open_store(served.data)
    try:
        row = get_job(store, job_id)
    finally:
        store.close()
    # never left running: cancelled at a batch boundary (or done if it won the race)
    assert row.status in {"cancelled", "finished"} and row.finished_at is not None
