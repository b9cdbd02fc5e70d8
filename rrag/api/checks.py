"""``/healthz``: independent checks, each in its own thread with its own time limit.

A check that hangs (a locked database, a silent Ollama) is reported ``fail`` or
``degraded`` with "timed out" once its limit passes; the others still report, so the
endpoint answers within about :data:`CHECK_TIMEOUT_S`. A check still hanging from an
earlier request is not started again (no pile-up of stuck threads).

Two views of one report: :func:`public_view` (a status per check, nothing else: no URL,
path, host, count or error text an outsider could use) and :func:`detail_view` (every
field, for a caller with a token, with user-info stripped from every URL in it).
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import text

from rrag.api.schemas import Health, Status
from rrag.errors import OutboundPolicyError
from rrag.guardrails import count_events
from rrag.index import check_consistency, store_generation
from rrag.llm.ollama_probe import llm_runtime_check
from rrag.logs import redact
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.migrations import SCHEMA_VERSION
from rrag.sync import check_url, count_by_status

CHECK_TIMEOUT_S = 0.8
_PLACEHOLDER_KEYS = (
    "changeme",
    "change-me",
    "your-api-key",
    "your_api_key",
    "xxx",
    "secret",
    "placeholder",
    "api-key",
    "apikey",
    "todo",
)
_ORDER: dict[Status, int] = {"ok": 0, "degraded": 1, "fail": 2}
# scheme://user:password@ — greedy up to the last @ before the path, as urlsplit reads it
_USERINFO_RX = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/]*@")
Check = Callable[[], dict[str, Any]]


def database_check(db_path: str) -> dict[str, Any]:
    """Open the file read-write (never create it) and read the schema version."""
    started = time.perf_counter()
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=rw", uri=True, timeout=5)
        try:
            version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return {"status": "fail", "error": f"{type(exc).__name__}: {exc}"}
    latency = round((time.perf_counter() - started) * 1000, 1)
    status = "ok" if version == SCHEMA_VERSION else "fail"
    return {"status": status, "latency_ms": latency, "schema_version": version}


def outbound_policy_check(settings: Settings) -> dict[str, Any]:
    allowlist = bool(settings.redmine.allowed_hosts)
    result: dict[str, Any] = {"allowlist_set": allowlist}
    try:
        check_url(settings.redmine.base_url, settings.redmine.allowed_hosts, settings.is_production)
    except OutboundPolicyError as exc:
        result.update(status="fail" if settings.is_production else "degraded", error=str(exc))
        return result
    result["https_or_local"] = True
    result["status"] = "ok" if allowlist or not settings.is_production else "fail"
    return result


def secrets_check(settings: Settings) -> dict[str, Any]:
    key = settings.redmine.api_key.get_secret_value().strip()
    if not key:
        problem = "REDMINE_API_KEY is not set"
    elif any(p in key.lower() for p in _PLACEHOLDER_KEYS) or len(set(key)) <= 2:
        problem = "REDMINE_API_KEY is a placeholder"
    else:
        return {"status": "ok", "redmine_api_key": "set"}
    return {"status": "fail" if settings.is_production else "degraded", "error": problem}


def auth_check(token_count: int) -> dict[str, Any]:
    if token_count:
        return {"status": "ok", "tokens": token_count}
    return {
        "status": "degraded",
        "tokens": 0,
        "error": "RRAG_API_TOKENS is not set: serving without auth, on loopback only",
    }


def combine(checks: dict[str, dict[str, Any]]) -> Status:
    """The worst status among ``checks`` (a check without one counts as ``fail``)."""
    worst = max((_ORDER.get(c.get("status", "fail"), 2) for c in checks.values()), default=0)
    return next(name for name, rank in _ORDER.items() if rank == worst)


def without_credentials(value: Any) -> Any:
    """``value`` (a JSON-ready report) with user-info cut from every URL in its strings.

    A base URL may carry ``user:password@`` (``OLLAMA_BASE_URL`` behind a proxy); any check
    may quote one in a field or an error text. Registered secrets are redacted too.
    """
    if isinstance(value, str):
        return redact(_USERINFO_RX.sub(r"\1", value))
    if isinstance(value, dict):
        return {key: without_credentials(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_credentials(item) for item in value]
    return value


def public_view(checks: dict[str, dict[str, Any]]) -> Health:
    """What anyone may read: the overall status and one status per check."""
    statuses = {name: {"status": combine({name: check})} for name, check in checks.items()}
    return Health(status=combine(checks), checks=statuses)


def detail_view(checks: dict[str, dict[str, Any]]) -> Health:
    """Every field of every check, for a caller holding a token; never a credential."""
    return Health(status=combine(checks), checks=without_credentials(checks))


class HealthRunner:
    """Runs named checks concurrently, each bounded by its own timeout."""

    def __init__(self, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._inflight: dict[str, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _start(self, name: str, check: Check) -> Future[dict[str, Any]]:
        with self._lock:
            previous = self._inflight.get(name)
            if previous is not None and not previous.done():
                return previous  # still hanging from an earlier request: wait on that one
            future: Future[dict[str, Any]] = Future()
            self._inflight[name] = future

        def run() -> None:
            try:
                future.set_result(check())
            except Exception as exc:  # a check's own failure is its result
                future.set_result({"status": "fail", "error": f"{type(exc).__name__}: {exc}"})

        threading.Thread(target=run, name=f"rrag-health-{name}", daemon=True).start()
        return future

    async def run(self, checks: dict[str, tuple[Check, str]]) -> dict[str, dict[str, Any]]:
        """``checks`` maps name → (function, status to report when it times out)."""
        futures = {name: self._start(name, fn) for name, (fn, _) in checks.items()}
        waits = [
            asyncio.wait_for(asyncio.shield(asyncio.wrap_future(f)), self.timeout_s)
            for f in futures.values()
        ]
        outcomes = await asyncio.gather(*waits, return_exceptions=True)
        report = {}
        for (name, (_, on_timeout)), outcome in zip(checks.items(), outcomes, strict=True):
            if isinstance(outcome, dict):
                report[name] = outcome
            else:
                report[name] = {
                    "status": on_timeout,
                    "error": f"timed out after {self.timeout_s} s",
                }
        return report


def config_check(settings: Settings, token_count: int) -> Check:
    def run() -> dict[str, Any]:
        parts = {
            "outbound_policy": outbound_policy_check(settings),
            "secrets": secrets_check(settings),
            "auth": auth_check(token_count),
        }
        return {"status": combine(parts), **parts}

    return run


def index_report(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``index`` check from :func:`rrag.index.check_consistency`'s report."""
    return {
        "status": "ok" if raw["ok"] else "degraded",
        "loaded": raw["index_generation"] is not None,
        "chunks": raw["chunks_in_store"],
        "vectors": raw["vectors_in_index"],
        "queued": raw["queued"],
        "generation_matches": raw["index_generation"] == raw["store_generation"],
        "store_generation": raw["store_generation"],
        "index_generation": raw["index_generation"],
        "embedder": {"provider": raw["provider"], "model": raw["model"], "dim": raw["dim"]},
        "problems": raw["problems"],
    }


def index_check(settings: Settings, store: Store) -> Check:
    """Re-run the (index-loading) consistency check only when the files or generation moved."""
    cache: dict[str, Any] = {}

    def run() -> dict[str, Any]:
        paths = (settings.store.index_path, settings.store.index_meta_path)
        key = (
            tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths),
            store_generation(store),
            count_chunks(store),
        )
        if cache.get("key") != key:
            cache.update(key=key, report=index_report(check_consistency(settings, store)))
        return dict(cache["report"])

    return run


def count_chunks(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM chunks")).scalar_one())


def llm_check(settings: Settings) -> Check:
    return lambda: llm_runtime_check(settings, timeout_s=CHECK_TIMEOUT_S * 0.6)


def guardrails_check(store: Store) -> Check:
    return lambda: {"status": "ok", **count_events(store)}


def sync_jobs_check(store: Store) -> Check:
    return lambda: {"status": "ok", **count_by_status(store)}


__all__ = [
    "CHECK_TIMEOUT_S",
    "HealthRunner",
    "auth_check",
    "combine",
    "config_check",
    "database_check",
    "detail_view",
    "guardrails_check",
    "index_check",
    "llm_check",
    "outbound_policy_check",
    "public_view",
    "secrets_check",
    "sync_jobs_check",
    "without_credentials",
]
