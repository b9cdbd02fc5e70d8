"""What the handlers share: settings, auth, the store, the sync worker, the retriever and
the answerer.

The data directory is opened in the app's lifespan through the one wiring place
(:class:`rrag.ops.wiring.Workbench`, holding the server's shared ``serve.lock``) and
closed after it: on shutdown running sync jobs are cancelled and waited for before the
store closes, and the answerer's chat model (its HTTP connections to the LLM runtime)
is closed. The answerer is built once per process, not per ``/v1/ask`` request, so the
connection and the outbound policy's checks are paid once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar
from litestar.di import NamedDependency

from rrag.api.auth import Auth, Principal
from rrag.api.checks import (
    HealthRunner,
    config_check,
    database_check,
    guardrails_check,
    index_check,
    llm_check,
    sync_jobs_check,
)
from rrag.api.worker import SyncWorker
from rrag.errors import StoreError
from rrag.llm import Answerer, open_answerer
from rrag.logs import get_logger, log_event
from rrag.ops.wiring import Workbench
from rrag.retrieval.caller import Caller
from rrag.settings import Settings
from rrag.store.db import Store

log = get_logger("api")
SHUTDOWN_WAIT_S = 30.0
_STORE_CHECKS = ("sync_jobs", "index", "guardrails")


class Services:
    """Resources of one running app; :meth:`lifespan` opens and closes them."""

    def __init__(
        self, settings: Settings, auth: Auth, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings, self.auth, self._transport = settings, auth, transport
        self.health = HealthRunner()
        self._bench: Workbench | None = None
        self._worker: SyncWorker | None = None
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        return self._open_bench().store

    def _open_bench(self) -> Workbench:
        bench = self._bench
        if bench is None or not bench.is_open:
            raise StoreError("the store is not open (the service is starting or stopping)")
        return bench

    @property
    def worker(self) -> SyncWorker:
        if self._worker is None:
            raise StoreError("the sync worker is not running")
        return self._worker

    def after_sync(self) -> Callable[[], None] | None:
        """The index hook after a sync: the wiring's, so the CLI and the API bring the
        index up to date alike."""
        return self._open_bench().after_sync()

    def retriever(self) -> Any:
        """The retriever, built on first use (it loads the index)."""
        return self._open_bench().retriever()

    def answerer(self) -> Answerer:
        """The answerer for ``/v1/ask``, built on first use and shared by every request
        (its chat model is safe to call from threads); closed at shutdown."""
        provider = self.retriever().embedder.provider  # outside the lock: it takes it
        with self._lock:
            if self._answerer is None:
                self._answerer = open_answerer(self.settings, provider)
            return self._answerer

    def _warm_up(self) -> None:
        """Build the retriever and load its indexes, so the first search after a start does
        not wait for them; a failure is logged and left for a search to report."""
        started = time.perf_counter()
        try:
            self.retriever().reload_if_stale()
        except Exception as exc:  # the first search meets it too, and says it to its caller
            log_event(log, "warm_up_failed", logging.WARNING, error=str(exc))
            return
        log_event(log, "warm_up_done", seconds=round(time.perf_counter() - started, 3))

    def _close_answerer(self) -> None:
        with self._lock:
            answerer, self._answerer = self._answerer, None
        if answerer is not None:
            answerer.close()

    def health_checks(self) -> dict[str, tuple[Callable[[], dict[str, Any]], str]]:
        store = self._bench.store if self._bench and self._bench.is_open else None
        checks: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
            "database": (lambda: database_check(str(self.settings.store.db_path)), "fail"),
            "config": (config_check(self.settings, len(self.auth.tokens)), "fail"),
            "llm_runtime": (llm_check(self.settings), "degraded"),
        }
        if store is None:
            closed = {"status": "fail", "error": "the store is not open"}
            return {**checks, **{n: (lambda: closed, "fail") for n in _STORE_CHECKS}}
        checks["sync_jobs"] = (sync_jobs_check(store), "fail")
        checks["index"] = (index_check(self.settings, store), "degraded")
        checks["guardrails"] = (guardrails_check(store), "degraded")
        return checks

    @asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        bench = Workbench(self.settings, serve=True)  # a restore refuses to run under it
        store = bench.open()  # restore recovery, serve lock, open, stale jobs failed
        self._bench = bench
        self._worker = SyncWorker(store, self.settings, self.after_sync, self._transport)
        log_event(
            log,
            "api_started",
            auth="tokens" if self.auth.enabled else "open",
            tokens=len(self.auth.tokens),
            recovered_jobs=bench.recovered_jobs,
        )
        if not self.auth.enabled:
            log_event(
                log,
                "api_auth_disabled",
                level=30,
                hint="set RRAG_API_TOKENS; serving without auth on loopback only",
            )
        # before the first request is accepted: a search then never waits for the load, and
        # a health check never sees an index half caught up by it
        self._warm_up()
        try:
            yield
        finally:
            left = self._worker.shutdown(SHUTDOWN_WAIT_S)
            log_event(log, "api_stopped", jobs_still_running=left)
            self._close_answerer()
            self._bench = None
            bench.close()


def caller_for(principal: Principal) -> Caller:
    """What a principal's searches may return; an admin sees every project."""
    return Caller(
        project_ids=principal.project_ids,
        see_private=principal.see_private,
        every_project=principal.is_admin,
    )


ServicesDep = NamedDependency[Services]

__all__ = ["Services", "ServicesDep", "caller_for"]
