"""What the handlers share: settings, auth, the store, the sync worker, the retriever and
the answerer.

Opened in the app's lifespan and closed after it: on shutdown running sync jobs are
cancelled and waited for before the store closes, and the answerer's chat model (its
HTTP connections to the LLM runtime) is closed. The answerer is built once per process,
not per ``/v1/ask`` request: a new client per question paid the connection and the
outbound policy's checks again every time.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar
from litestar.di import NamedDependency

from rrag.api.auth import Auth, Principal
from rrag.api.health import (
    HealthRunner,
    config_check,
    database_check,
    guardrails_check,
    index_check,
    llm_check,
    sync_jobs_check,
)
from rrag.api.worker import SyncWorker
from rrag.cli.context import Context
from rrag.errors import StoreError
from rrag.llm import Answerer, open_answerer
from rrag.logs import get_logger, log_event
from rrag.ops.swap import recover_restore
from rrag.retrieval.caller import Caller
from rrag.settings import Settings
from rrag.store.db import Store, open_store
from rrag.store.locks import ServeLock
from rrag.sync import recover_stale_jobs

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
        self._store: Store | None = None
        self._worker: SyncWorker | None = None
        self._retriever: Any = None
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError("the store is not open (the service is starting or stopping)")
        return self._store

    @property
    def worker(self) -> SyncWorker:
        if self._worker is None:
            raise StoreError("the sync worker is not running")
        return self._worker

    def after_sync(self) -> Callable[[], None] | None:
        """The index hook after a sync: the CLI's, so both bring the index up to date alike."""
        return Context(self.settings, self.store).after_sync()

    def retriever(self) -> Any:
        """The retriever, built on first use (it loads the index)."""
        with self._lock:
            if self._retriever is None:
                from rrag.retrieval import Retriever

                self._retriever = Retriever(self.settings, self.store)
            return self._retriever

    def answerer(self) -> Answerer:
        """The answerer for ``/v1/ask``, built on first use and shared by every request
        (its chat model is safe to call from threads); closed at shutdown."""
        provider = self.retriever().embedder.provider  # outside the lock: it takes it
        with self._lock:
            if self._answerer is None:
                self._answerer = open_answerer(self.settings, provider)
            return self._answerer

    def _close_answerer(self) -> None:
        with self._lock:
            answerer, self._answerer = self._answerer, None
        if answerer is not None:
            answerer.close()

    def health_checks(self) -> dict[str, tuple[Callable[[], dict[str, Any]], str]]:
        store = self._store
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
        data_dir = self.settings.store.data_dir
        recover_restore(data_dir)  # finish or undo a restore a crash interrupted
        serve_lock = ServeLock(data_dir)  # a restore refuses to run under a live server
        serve_lock.acquire()
        self._store = open_store(data_dir)
        recovered = recover_stale_jobs(self._store, self.settings.store.job_lease_s)
        self._worker = SyncWorker(self._store, self.settings, self.after_sync, self._transport)
        log_event(
            log,
            "api_started",
            auth="tokens" if self.auth.enabled else "open",
            tokens=len(self.auth.tokens),
            recovered_jobs=recovered,
        )
        if not self.auth.enabled:
            log_event(
                log,
                "api_auth_disabled",
                level=30,
                hint="set RRAG_API_TOKENS; serving without auth on loopback only",
            )
        try:
            yield
        finally:
            left = self._worker.shutdown(SHUTDOWN_WAIT_S)
            log_event(log, "api_stopped", jobs_still_running=left)
            self._close_answerer()
            self._store.close()
            self._store = None
            serve_lock.release()


def caller_for(principal: Principal) -> Caller:
    """What a principal's searches may return; an admin sees every project."""
    return Caller(
        project_ids=principal.project_ids,
        see_private=principal.see_private,
        every_project=principal.is_admin,
    )


ServicesDep = NamedDependency[Services]

__all__ = ["Services", "ServicesDep", "caller_for"]
