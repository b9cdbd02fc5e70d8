"""Sync benchmark against a real Redmine seeded with >= 2,000 issues that have journals.

Compares, in the same run and interleaved (noisy machines): a plain sequential httpx
fetch of the same endpoints (list pages with status_id=*, then each issue with its
includes), the same plain fetch with 4 threads (no processing: the floor for any client
here), and ``rrag sync --full`` (a separate process, so its peak RSS is its own);
then, once per round, changes 1% of the issues through REST and times ``rrag sync``
(incremental; medians over the rounds, like the full sync).

    python benchmarks/bench_sync.py --issues 2000 --journals 3 [--rounds 2] [--server puma]

Prints a Markdown table with the ratios the issue sets goals for
(full <= 0.6x sequential; incremental with 1% changed <= 5% of full).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
REDMINE_SH = ROOT / "scripts" / "redmine" / "redmine.sh"
SEED = ROOT / "scripts" / "redmine" / "seed.py"


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.partition("=") for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip().strip("'\"") for k, _, v in pairs}


def start_redmine(
    workdir: Path, port: int, issues: int, journals: int, server: str
) -> dict[str, str]:
    instance = workdir / "redmine"
    env = {**os.environ, "RRAG_REDMINE_SERVER": server}
    if server == "puma":
        subprocess.run(["bash", str(REDMINE_SH), "install"], check=True, env=env)
    subprocess.run(
        ["bash", str(REDMINE_SH), "start", str(instance), str(port)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    subprocess.run(
        [
            sys.executable,
            str(SEED),
            "bulk",
            "--dir",
            str(instance),
            "--issues",
            str(issues),
            "--journals-per-issue",
            str(journals),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return read_env(instance / "env")


def plain_fetch(base_url: str, key: str, workers: int = 1) -> tuple[float, int]:
    """A plain client: list pages, then every issue with its includes, JSON-decoded and
    dropped. ``workers=1`` is the baseline the goal is stated against; with more, the
    issue requests run in that many threads: the floor any client reaches on this machine
    and this Redmine, since the server needs the same CPU the client runs on."""
    started, requests = time.perf_counter(), 0
    headers = {"X-Redmine-API-Key": key}
    limits = httpx.Limits(max_connections=workers + 2)
    with httpx.Client(base_url=base_url, headers=headers, timeout=60, limits=limits) as http:
        projects = http.get("/projects.json", params={"limit": 100}).json()["projects"]
        for project in projects:
            ids, offset, total = [], 0, 1
            while offset < total:
                page = http.get(
                    "/issues.json",
                    params={
                        "project_id": project["id"],
                        "subproject_id": "!*",
                        "status_id": "*",
                        "offset": offset,
                        "limit": 100,
                    },
                ).json()
                requests += 1
                ids += [i["id"] for i in page["issues"]]
                total, offset = page["total_count"], offset + page["limit"]

            def one(issue_id: int) -> None:
                http.get(
                    f"/issues/{issue_id}.json",
                    params={"include": "journals,attachments,relations,children"},
                ).json()

            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one, ids))
            requests += len(ids)
    return time.perf_counter() - started, requests


PEAK_RSS: list[float] = []


def _seconds(job: dict[str, Any]) -> float:
    start, end = (datetime.fromisoformat(job[k]) for k in ("started_at", "finished_at"))
    return (end - start).total_seconds()


def rrag_sync(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Run ``rrag sync --json``: wall seconds of the process and of the job (its own row).

    Also records the process's peak RSS. The job's time excludes interpreter start-up and
    imports (about 0.5 s), which dominate a small incremental sync.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rrag.cli", "sync", "--json", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    watched, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error):
            peak = max(peak, watched.memory_info().rss)
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode:
        raise SystemExit(f"rrag sync failed: {out[-500:]}")
    PEAK_RSS.append(peak / 2**20)
    return elapsed, _seconds(json.loads(out))


def change_issues(base_url: str, key: str, fraction: float) -> int:
    with httpx.Client(base_url=base_url, headers={"X-Redmine-API-Key": key}, timeout=60) as http:
        total = http.get("/issues.json", params={"status_id": "*", "limit": 1}).json()[
            "total_count"
        ]
        count = max(1, int(total * fraction))
        issues = http.get(
            "/issues.json", params={"status_id": "*", "limit": 100, "sort": "id"}
        ).json()["issues"]
        step = max(1, len(issues) // count)
        changed = 0
        for issue in issues[::step][:count]:
            http.put(
                f"/issues/{issue['id']}.json",
                json={"issue": {"notes": f"benchmark change {time.time()}"}},
            )
            changed += 1
        return changed


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="rrag-bench-sync-"))
    redmine = start_redmine(workdir, args.port, args.issues, args.journals, args.server)
    base, key = redmine["REDMINE_BASE_URL"], redmine["REDMINE_API_KEY"]
    env = {
        **os.environ,
        "REDMINE_BASE_URL": base,
        "REDMINE_API_KEY": key,
        "RRAG_LOG_LEVEL": "WARNING",
    }
    try:
        seq, floor, full, full_job = [], [], [], []
        requests = 0
        for n in range(args.rounds):
            seq_s, requests = plain_fetch(base, key)
            seq.append(seq_s)
            floor.append(plain_fetch(base, key, workers=4)[0])
            wall, job = rrag_sync({**env, "RRAG_DATA_DIR": str(workdir / f"data{n}")}, "--full")
            full.append(wall)
            full_job.append(job)
        data = str(workdir / "data0")
        rrag_sync({**env, "RRAG_DATA_DIR": data})  # settle: nothing changed
        incremental, incremental_job = [], []
        for _ in range(args.rounds):  # a fresh 1% each round, synced incrementally
            changed = change_issues(base, key, 0.01)
            wall, job = rrag_sync({**env, "RRAG_DATA_DIR": data})
            incremental.append(wall)
            incremental_job.append(job)
    finally:
        subprocess.run(["bash", str(REDMINE_SH), "stop", str(workdir / "redmine")], check=False)
    return {
        "issues": args.issues,
        "requests": requests,
        "sequential_s": statistics.median(seq),
        "floor_s": statistics.median(floor),
        "full_s": statistics.median(full),
        "incremental_s": statistics.median(incremental),
        "full_job_s": statistics.median(full_job),
        "incremental_job_s": statistics.median(incremental_job),
        "server": args.server,
        "changed": changed,
        "peak_rss_mb": max(PEAK_RSS),
        "concurrency": os.environ.get("REDMINE_MAX_CONCURRENCY", "4"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--journals", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=3199)
    parser.add_argument(
        "--server",
        choices=["webrick", "puma"],
        default="puma",
        help="Redmine app server (webrick serialises requests: no parallelism)",
    )
    r = run(parser.parse_args())
    print(
        f"| server | issues | requests | sequential fetch | plain 4-thread fetch (floor) "
        f"| rrag full sync | ratio (goal <= 0.6) "
        f"| incremental ({r['changed']} changed) | incr/full (goal <= 0.05) | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {r['server']} | {r['issues']} | {r['requests']} | {r['sequential_s']:.1f} s "
        f"| {r['floor_s']:.1f} s ({r['floor_s'] / r['sequential_s']:.2f}) "
        f"| {r['full_s']:.1f} s (job {r['full_job_s']:.1f} s) "
        f"| {r['full_s'] / r['sequential_s']:.2f} (job {r['full_job_s'] / r['sequential_s']:.2f}) "
        f"| {r['incremental_s']:.2f} s (job {r['incremental_job_s']:.2f} s) "
        f"| {r['incremental_s'] / r['full_s']:.3f} (job "
        f"{r['incremental_job_s'] / r['full_job_s']:.3f}) | {r['peak_rss_mb']:.0f} MB |"
    )


if __name__ == "__main__":
    main()
