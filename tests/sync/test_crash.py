"""Crash safety: a sync process killed with SIGKILL at random moments."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.redmine, pytest.mark.slow]
CONTENT = ["projects", "issues", "journals", "wiki_pages", "attachments", "relations"]
KILLS = 20


def _env(redmine: Any, data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "REDMINE_BASE_URL": redmine.base_url,
        "REDMINE_API_KEY": redmine.api_key,
        "RRAG_DATA_DIR": str(data),
        "EMBEDDING_PROVIDER": "hashing",
    }


def _rrag(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rrag.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _content(db: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in CONTENT}
    finally:
        conn.close()


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_during_sync_never_corrupts_and_converges(redmine: Any, tmp_path: Path) -> None:
    reference = _env(redmine, tmp_path / "reference")
    assert _rrag(reference, "sync", "--full").returncode == 0
    env = _env(redmine, tmp_path / "crashed")
    db = tmp_path / "crashed" / "rrag.db"
    rng = random.Random(20261129)
    killed_while_running = 0
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "rrag.cli", "sync", "--full"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.4, 4.0))
        killed_while_running += proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if db.exists():
            assert _integrity(db) == "ok"
        jobs = _rrag(env, "jobs", "--json", "--limit", "100")  # start-up recovery runs here
        assert jobs.returncode == 0, jobs.stderr
        assert not [j for j in json.loads(jobs.stdout) if j["status"] in ("running", "queued")]
    assert killed_while_running >= KILLS // 2, "the kills should land mid-sync"
    failed = json.loads(_rrag(env, "jobs", "--json", "--status", "failed", "--limit", "100").stdout)
    assert any(j["error"]["type"] == "worker_lost" for j in failed)
    final = _rrag(env, "sync", "--json")
    assert final.returncode == 0, final.stderr
    assert _content(db) == _content(tmp_path / "reference" / "rrag.db")
