"""Extraction benchmark against an instant Ollama stand-in (no model time at all).

1. Throughput: ``run_new_extract_job`` over N seeded issues, in process, through the real
   ``ollama`` client over loopback HTTP: issues/s is rrag's own overhead per issue (prompt,
   request, parse, grounding, batch commit) plus the stand-in's, so a lower bound of
   rrag's rate. The stand-in counts the requests in flight on its side.
2. Kill mid-run: ``rrag extract`` in a subprocess, SIGKILLed once the stand-in has
   answered ``--kill-after`` requests; then ``rrag extract`` again (its start-up fails the
   dead job with worker_lost). Counts the issues the model was asked about twice (goal:
   at most one batch) and checks every issue ends extracted exactly once in the store.

    python benchmarks/bench_extract.py --issues 2000 --batch 20 --concurrency 2

Prints a Markdown table (goals: >= 200 issues/s; max in flight = OLLAMA_MAX_CONCURRENCY;
duplicates after a kill <= one batch).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rrag.extract import run_new_extract_job  # noqa: E402
from rrag.settings import LLMSettings, OllamaSettings, Settings, StoreSettings  # noqa: E402
from rrag.store.db import Store, open_store  # noqa: E402
from rrag.sync import writer  # noqa: E402
from rrag.sync.normalize import issue_bundle  # noqa: E402
from tests.extract.conftest import grounded_reply, issue_of  # noqa: E402
from tests.index import seed  # noqa: E402
from tests.llm.ollama_standin import OllamaStandIn, running  # noqa: E402

MODEL = "llama3.1:8b"


def seed_store(store: Store, issues: int) -> None:
    seed.project(store, 1)
    for start in range(1, issues + 1, 500):
        bundles = []
        for n in range(start, min(start + 500, issues + 1)):
            raw = {
                "id": n,
                "project": {"id": 1},
                "tracker": {"id": 1, "name": "Bug"},
                "status": {"id": 1, "name": "New"},
                "subject": f"Importer crash {n}",
                "description": f"The importer stops with ERR_IMPORT_{n} on blank lines (case {n}).",
                "is_private": False,
                "updated_on": "2026-01-01T00:00:00Z",
                "journals": [
                    {
                        "id": 100_000 + n,
                        "notes": "Fixed by skipping blank lines.",
                        "private_notes": False,
                        "created_on": "2026-01-02T00:00:00Z",
                    }
                ],
            }
            bundles.append(issue_bundle(raw, set(), index_private=False, max_bytes=100_000))
        with store.write() as session:
            writer.save_bundles(session, bundles)


def settings_for(data: Path, url: str, batch: int, concurrency: int) -> Settings:
    return Settings(
        store=StoreSettings(data_dir=data),
        llm=LLMSettings(provider="ollama", extract_batch_size=batch),
        ollama=OllamaSettings(base_url=url, model=MODEL, max_concurrency=concurrency),
    )


def throughput(issues: int, batch: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, running(OllamaStandIn(reply=grounded_reply)) as si:
        store = open_store(Path(tmp))
        seed_store(store, issues)
        settings = settings_for(Path(tmp), si.base_url, batch, concurrency)
        started = time.perf_counter()
        job = run_new_extract_job(store, settings, None)
        seconds = time.perf_counter() - started
        store.close()
    assert job.status == "finished" and job.counters["extracted"] == issues, job
    return {
        "seconds": round(seconds, 2),
        "issues_per_s": round(issues / seconds, 1),
        "max_in_flight": si.max_in_flight,
        "chat_calls": si.chat_calls,
    }


def _cli(data: Path, url: str, batch: int, concurrency: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RRAG_DATA_DIR": str(data),
        "EMBEDDING_PROVIDER": "hashing",
        "LLM_PROVIDER": "ollama",
        "OLLAMA_BASE_URL": url,
        "OLLAMA_MODEL": MODEL,
        "LLM_EXTRACT_BATCH_SIZE": str(batch),
        "OLLAMA_MAX_CONCURRENCY": str(concurrency),
        "RRAG_LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "rrag.cli", "extract", "--json"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_and_resume(issues: int, batch: int, concurrency: int, kill_after: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, running(OllamaStandIn(reply=grounded_reply)) as si:
        data = Path(tmp)
        store = open_store(data)
        seed_store(store, issues)
        si.delay_s = 0.002  # slow enough for the kill to land mid-run
        first = _cli(data, si.base_url, batch, concurrency)
        while si.chat_calls < kill_after and first.poll() is None:
            time.sleep(0.001)
        first.send_signal(signal.SIGKILL)
        first.wait()
        before = [issue_of(r) for r in si.received]
        committed = _count(store, "SELECT COUNT(*) FROM extractions")
        second = _cli(data, si.base_url, batch, concurrency)
        code = second.wait()
        after = [issue_of(r) for r in si.received[len(before) :]]
        stored = _count(store, "SELECT COUNT(DISTINCT issue_id) FROM extractions WHERE status='ok'")
        store.close()
    asked_twice = set(before) & set(after)
    return {
        "asked_before_kill": len(before),
        "committed_before_kill": committed,
        "asked_on_resume": len(after),
        "duplicates": len(asked_twice),
        "resume_exit": code,
        "stored_ok": stored,
    }


def _count(store: Store, sql: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql(sql).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=500)
    args = parser.parse_args()
    speed = throughput(args.issues, args.batch, args.concurrency)
    killed = kill_and_resume(args.issues, args.batch, args.concurrency, args.kill_after)
    print("| issues | batch | concurrency | seconds | issues/s | max in flight (server) |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.issues} | {args.batch} | {args.concurrency} | {speed['seconds']} | "
        f"{speed['issues_per_s']} | {speed['max_in_flight']} |"
    )
    print()
    print("| asked before kill | committed before kill | asked on resume | asked twice | "
          "stored ok after resume | resume exit |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    print(
        f"| {killed['asked_before_kill']} | {killed['committed_before_kill']} | "
        f"{killed['asked_on_resume']} | {killed['duplicates']} | {killed['stored_ok']} | "
        f"{killed['resume_exit']} |"
    )


if __name__ == "__main__":
    main()
