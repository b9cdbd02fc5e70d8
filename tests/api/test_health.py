"""``/healthz?detail=1`` through the app: every check present, each failure mode reported.

What the public form hides, and who may ask for detail, is in ``test_health_views.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.api import create_app
from rrag.index import IndexUpdater
from rrag.settings import LLMSettings, OllamaSettings, RedmineSettings, Settings
from rrag.store.db import open_store
from tests.api.conftest import LOOPBACK_URL, OPS_TOKEN, api_settings, auth
from tests.index.seed import small_corpus
from tests.llm.ollama_standin import OllamaStandIn, running
from tests.llm.test_ollama_probe import free_port

CHECKS = ["database", "sync_jobs", "config", "index", "llm_runtime", "guardrails"]


def health(settings: Settings, before: Any = None) -> tuple[int, dict[str, Any]]:
    """Status and body of ``/healthz?detail=1`` asked with the ops token."""
    with TestClient(create_app(settings), base_url=LOOPBACK_URL) as client:
        if before:
            before()
        response = client.get("/healthz?detail=1", headers=auth())
    return response.status_code, response.json()


def good(tmp_path: Path, **update: Any) -> Settings:
    settings = api_settings(
        tmp_path / "data", OPS_TOKEN, allowed_hosts=["127.0.0.1"], api_key="a1b2c3d4e5f6a7b8c9d0"
    )
    return settings.model_copy(update=update)


def indexed(tmp_path: Path) -> Settings:
    """``good`` settings whose data dir holds the small corpus, indexed."""
    settings = good(tmp_path)
    store = open_store(settings.store.data_dir)
    small_corpus(store)
    IndexUpdater(settings, store).drain()
    store.close()
    return settings


def test_all_checks_ok_on_a_good_setup(tmp_path: Path) -> None:
    settings = indexed(tmp_path)
    status, body = health(settings)
    assert (status, body["status"]) == (200, "ok"), body
    assert list(body["checks"]) == CHECKS
    checks = body["checks"]
    assert checks["database"]["latency_ms"] >= 0
    assert checks["sync_jobs"] == {
        "status": "ok",
        "queued": 0,
        "running": 0,
        "finished": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert checks["index"]["loaded"] and checks["index"]["chunks"] > 0
    assert checks["index"]["generation_matches"]
    assert checks["index"]["embedder"]["provider"] == "hashing"
    assert checks["guardrails"]["prompt_injection"] == 0
    assert "a1b2c3d4e5f6a7b8c9d0" not in str(body)


def test_unreadable_database_fails_with_503(tmp_path: Path) -> None:
    settings = good(tmp_path)

    def corrupt() -> None:
        # what a bad disk or a wrong restore leaves behind: not a database any more
        settings.store.db_path.write_bytes(b"\x00garbage" * 512)
        for suffix in ("-wal", "-shm"):
            Path(f"{settings.store.db_path}{suffix}").unlink(missing_ok=True)

    status, body = health(settings, corrupt)
    assert status == 503 and body["status"] == "fail"
    assert body["checks"]["database"]["status"] == "fail"
    assert "DatabaseError" in body["checks"]["database"]["error"]


HOLD_WAL_LOCKS = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1] + "-shm", os.O_RDWR)
# the WAL index's write, checkpoint, recover and read-mark locks (bytes 120..127 of -shm):
# while another process holds them, no reader can start (what a wedged writer looks like)
fcntl.lockf(fd, fcntl.LOCK_EX, 8, 120, 0)
print("locked", flush=True)
time.sleep(60)
"""


def test_hung_database_times_out_instead_of_hanging(tmp_path: Path) -> None:
    settings = good(tmp_path)
    holders: list[subprocess.Popen[str]] = []

    def hang() -> None:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_WAL_LOCKS, str(settings.store.db_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"

    try:
        status, body = health(settings, hang)
    finally:
        for holder in holders:
            holder.kill()
            holder.communicate()
    assert status == 503
    assert body["checks"]["database"] == {"status": "fail", "error": "timed out after 0.8 s"}
    assert body["checks"]["config"]["status"] == "ok"  # the other checks still answered


def test_missing_index_is_degraded(tmp_path: Path) -> None:
    settings = indexed(tmp_path)
    settings.store.index_path.unlink()
    status, body = health(settings)
    assert (status, body["status"]) == (200, "degraded")
    index = body["checks"]["index"]
    assert index["status"] == "degraded" and not index["loaded"] and index["problems"]


@pytest.mark.parametrize(
    "standin, expected",
    [
        (OllamaStandIn(), {"status": "ok", "reachable": True, "model_ready": True}),
        (OllamaStandIn(models=[]), {"status": "degraded", "reachable": True, "model_ready": False}),
        (OllamaStandIn(delay_s=3.0), {"status": "degraded", "reachable": False}),
    ],
)
def test_ollama_states(tmp_path: Path, standin: OllamaStandIn, expected: dict[str, Any]) -> None:
    with running(standin) as ollama:
        settings = good(
            tmp_path,
            llm=LLMSettings(provider="ollama"),
            ollama=OllamaSettings(base_url=ollama.base_url),
        )
        status, body = health(settings)
    llm = body["checks"]["llm_runtime"]
    assert {k: llm.get(k) for k in expected} == expected, llm
    assert status == 200 and body["status"] == expected["status"]


def test_ollama_down_is_degraded(tmp_path: Path) -> None:
    settings = good(
        tmp_path,
        llm=LLMSettings(provider="ollama"),
        ollama=OllamaSettings(base_url=f"http://127.0.0.1:{free_port()}"),
    )
    status, body = health(settings)
    assert status == 200 and body["checks"]["llm_runtime"]["reachable"] is False
    assert body["status"] == "degraded"


@pytest.mark.parametrize(
    "app_env, redmine, path, expected",
    [
        ("development", {"api_key": "changeme"}, ["secrets", "status"], "degraded"),
        (
            "production",
            {"api_key": "changeme", "allowed_hosts": ["127.0.0.1"]},
            ["secrets", "status"],
            "fail",
        ),
        ("production", {"allowed_hosts": []}, ["outbound_policy", "status"], "fail"),
        (
            "development",
            {"base_url": "http://redmine.example.org"},
            ["outbound_policy", "status"],
            "degraded",
        ),
        (
            "production",
            {"base_url": "https://redmine.example.org", "allowed_hosts": ["redmine.example.org"]},
            ["outbound_policy", "status"],
            "ok",
        ),
    ],
)
def test_config_checks(
    tmp_path: Path, app_env: str, redmine: dict[str, Any], path: list[str], expected: str
) -> None:
    base = good(tmp_path)
    fields = {**base.redmine.model_dump(), "api_key": "a1b2c3d4e5f6a7b8c9d0", **redmine}
    settings = base.model_copy(update={"app_env": app_env, "redmine": RedmineSettings(**fields)})
    _status, body = health(settings)
    found: Any = body["checks"]["config"]
    for key in path:
        found = found[key]
    assert found == expected, body["checks"]["config"]
    assert "changeme" not in str(body)
