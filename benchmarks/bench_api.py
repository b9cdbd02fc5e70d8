#!/usr/bin/env python3
"""Load benchmark of ``rrag serve``: throughput and p50/p99 under 1/8/32 clients.

A real ``rrag serve`` process (its default single uvicorn worker) serves a store synced
from the real Redmine; this script is the second process that drives load over loopback
(asyncio + httpx, bounded by request count and time per cell). A sync job runs the
whole time (a new full sync is started whenever the previous one ends). Figures: per
endpoint and client count, requests, errors, requests/s, p50 and p99 in ms; whether the
server log ever said "database is locked"; and the ratio of /v1/search throughput at one
client to calling ``Retriever.search`` in-process (the framework's overhead).

    python benchmarks/bench_api.py --redmine-env /tmp/rr/env [--seconds 5] [--max 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

TOKEN = "bench-token-0123456789abcdef"
ADMIN_TOKEN = "bench-admin-0123456789abcdef"  # only an admin may sync every project
ENDPOINTS = ("/healthz", "/v1/search", "/v1/ask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def rrag_env(data: Path, redmine: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("RRAG_", "REDMINE_"))}
    return {
        **keep,
        "RRAG_DATA_DIR": str(data),
        "EMBEDDING_PROVIDER": "hashing",
        "REDMINE_BASE_URL": redmine["REDMINE_BASE_URL"],
        "REDMINE_API_KEY": redmine["REDMINE_API_KEY"],
        "RRAG_API_TOKENS": f"{TOKEN},{ADMIN_TOKEN}:admin",
        "RRAG_LOG_LEVEL": "WARNING",
    }


def queries(data: Path, n: int = 60) -> list[str]:
    import sqlite3

    with sqlite3.connect(data / "rrag.db") as conn:
        rows = conn.execute("SELECT subject FROM issues ORDER BY id LIMIT ?", (n,)).fetchall()
    return [" ".join(str(r[0]).split()[:4]) for r in rows if r[0]]


IN_PROCESS = """
import json, sys, threading, time
from rrag.settings import load_settings
from rrag.store.db import open_store
from rrag.retrieval import Retriever, Caller
s = load_settings(); st = open_store(s.store.data_dir); r = Retriever(s, st)
qs, seconds = json.loads(sys.argv[1]), float(sys.argv[2])
r.search(qs[0], k=10)
def run(out):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        r.search(qs[n % len(qs)], k=10, caller=Caller.default()); n += 1
    out.append(n / (time.perf_counter() - t0))
main, worker = [], []
run(main)
t = threading.Thread(target=run, args=(worker,)); t.start(); t.join()
print(json.dumps({"main_thread": main[0], "worker_thread": worker[0]}))
"""


def in_process_rates(env: dict[str, str], qs: list[str], seconds: float) -> dict[str, float]:
    """Retriever.search per second in-process, in the main thread and in a worker thread
    (FAISS's OpenMP behaves differently in each; the API calls it from worker threads)."""
    out = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, json.dumps(qs), str(seconds)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rates = json.loads(out.stdout.strip().splitlines()[-1])
    return {k: round(v, 1) for k, v in rates.items()}


def request_for(endpoint: str, q: str) -> tuple[str, dict[str, Any] | None]:
    if endpoint == "/v1/search":
        return "POST", {"query": q, "k": 10}
    if endpoint == "/v1/ask":
        return "POST", {"question": q, "k": 5}
    return "GET", None


async def worker(
    client: httpx.AsyncClient,
    endpoint: str,
    qs: list[str],
    stop: float,
    budget: list[int],
    lat: list[float],
    errors: list[str],
    offset: int,
) -> None:
    n = offset
    while time.perf_counter() < stop and budget[0] > 0:
        budget[0] -= 1
        method, body = request_for(endpoint, qs[n % len(qs)])
        n += 1
        started = time.perf_counter()
        try:
            r = await client.request(method, endpoint, json=body)
            ok = r.status_code == 200
        except httpx.HTTPError as exc:
            ok, r = False, exc  # type: ignore[assignment]
        lat.append((time.perf_counter() - started) * 1000)
        if not ok:
            errors.append(str(getattr(r, "status_code", r))[:80])


async def cell(
    url: str, endpoint: str, clients: int, qs: list[str], seconds: float, max_requests: int
) -> dict[str, Any]:
    lat: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30, limits=limits
    ) as client:
        await client.get("/healthz")
        started = time.perf_counter()
        budget = [max_requests]
        await asyncio.gather(
            *(
                worker(client, endpoint, qs, started + seconds, budget, lat, errors, i * 7)
                for i in range(clients)
            )
        )
        elapsed = time.perf_counter() - started
    lat.sort()
    pct = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None  # noqa: E731
    return {
        "endpoint": endpoint,
        "clients": clients,
        "requests": len(lat),
        "errors": len(errors),
        "rps": round(len(lat) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "error_samples": sorted(set(errors))[:3],
    }


async def keep_syncing(url: str, stop: asyncio.Event, stats: dict[str, int]) -> None:
    """Start a full sync whenever none is active, until ``stop``."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        while not stop.is_set():
            r = await client.post("/v1/sync/redmine", json={"mode": "full"})
            stats["started" if r.status_code == 202 else "busy"] += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)


async def run_load(url: str, qs: list[str], args: argparse.Namespace) -> dict[str, Any]:
    stop, stats = asyncio.Event(), {"started": 0, "busy": 0}
    syncer = asyncio.create_task(keep_syncing(url, stop, stats))
    await asyncio.sleep(1.0)  # the first sync is under way before the load starts
    cells = []
    for endpoint in ENDPOINTS:
        for clients in args.clients:
            cells.append(await cell(url, endpoint, clients, qs, args.seconds, args.max))
            print(json.dumps(cells[-1]), flush=True)
    stop.set()
    await syncer
    return {"cells": cells, "syncs": stats}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redmine-env", type=Path, required=True, help="redmine.sh's DIR/env")
    parser.add_argument("--seconds", type=float, default=5.0, help="time bound per cell")
    parser.add_argument("--max", type=int, default=3000, help="request bound per cell")
    parser.add_argument(
        "--clients", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32]
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = rrag_env(work / "data", read_env(args.redmine_env))
    subprocess.run(
        [sys.executable, "-m", "rrag.cli", "sync", "--full"],
        env=env,
        check=True,
        capture_output=True,
    )
    qs = queries(work / "data")
    baseline = in_process_rates(env, qs, args.seconds)
    port = free_port()
    log = work / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "rrag.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        result = asyncio.run(run_load(url, qs, args))
    finally:
        server.terminate()
        server.wait(120)
    text = log.read_text(errors="replace")
    one = next(c for c in result["cells"] if c["endpoint"] == "/v1/search" and c["clients"] == 1)
    summary = {
        "in_process_search_per_s": baseline,
        "api_search_per_s_1_client": one["rps"],
        "api_to_in_process_ratio": {k: round(one["rps"] / v, 3) for k, v in baseline.items()},
        "database_is_locked_in_log": "database is locked" in text,
        "total_errors": sum(c["errors"] for c in result["cells"]),
        "syncs": result["syncs"],
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
