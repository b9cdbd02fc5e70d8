"""Diagnostics of a data directory and of the link to Redmine, for ``rrag ops health``
and the health-check and incident-response runbooks.

:func:`health_report` answers "is the store usable and in step with its index, what are
the jobs doing, who holds the store, how big is it"; :func:`connectivity` answers "may
we talk to Redmine (outbound policy, allowlist) and does it accept our key". Both return
plain dicts (JSON-ready) with a ``problems`` list of one-line, secret-free findings.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

import httpx

from rrag.errors import RragError
from rrag.logs import redact
from rrag.ops.maintenance import store_sizes
from rrag.ops.wiring import Workbench, store_consistency
from rrag.settings import Settings
from rrag.store.locks import busy_holders
from rrag.store.migrations import SCHEMA_VERSION
from rrag.sync import jobs
from rrag.sync.client import build_client
from rrag.sync.policy import check_url, safe_url


def _store_facts(bench: Workbench) -> dict[str, Any]:
    store = bench.store
    with store.engine.connect() as conn:
        quick = conn.exec_driver_sql("PRAGMA quick_check").scalar_one()
    failed = jobs.list_jobs(store, status="failed", limit=5)
    return {
        "quick_check": str(quick),
        "jobs": jobs.count_by_status(store),
        "recent_failed": [jobs.job_dict(j) for j in failed],
        "consistency": store_consistency(bench.settings, store),
    }


def health_report(settings: Settings) -> dict[str, Any]:
    """The store's health (opens, and so creates and migrates, the store if needed; its
    jobs are reported as they are, not recovered)."""
    data_dir = settings.store.data_dir
    with Workbench(settings, recover_jobs=False) as bench:
        facts = _store_facts(bench)
        recovered = bench.restore_recovery
    problems = [f"quick_check: {facts['quick_check']}"] if facts["quick_check"] != "ok" else []
    problems += facts["consistency"]["problems"]
    if facts["jobs"]["failed"]:
        problems.append(f"{facts['jobs']['failed']} failed sync job(s): see recent_failed")
    return {
        "ok": not problems,
        "data_dir": str(data_dir),
        "schema_version": SCHEMA_VERSION,
        "restore_recovery": recovered,
        "sizes": store_sizes(data_dir),
        "disk_free_bytes": shutil.disk_usage(data_dir).free,
        "locks_held": busy_holders(data_dir),
        "problems": problems,
        **facts,
    }


def connectivity(
    settings: Settings, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """Outbound policy verdict for REDMINE_BASE_URL and a ``/users/current.json`` probe."""
    rs = settings.redmine
    report: dict[str, Any] = {
        "base_url": safe_url(rs.base_url),
        "allowed_hosts": rs.allowed_hosts,
        "policy_ok": False,
        "reachable": False,
        "authenticated": False,
        "latency_ms": None,
        "problems": [],
    }
    try:
        check_url(rs.base_url, rs.allowed_hosts, settings.is_production)
        report["policy_ok"] = True
        client = build_client(settings, transport)
        started = time.perf_counter()
        with client.http:
            user = client.get_json("/users/current.json")
        report["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        report["reachable"] = True
        report["authenticated"] = "user" in user
    except RragError as exc:
        report["reachable"] = getattr(exc, "status", None) is not None
        report["problems"].append(f"{exc.type_name}: {redact(str(exc))}")
    return report


__all__ = ["connectivity", "health_report"]
