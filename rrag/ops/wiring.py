"""The one wiring place: open a data directory safely and hand out the shared parts.

:class:`Workbench` is what the CLI (``rrag.cli.context``), the API (``rrag.api.services``),
the runbooks (``rrag.ops.runbook``) and the ops procedures open a data directory with.
Opening is always the same sequence: finish or clean up a restore a crash interrupted,
take the API server's shared lock when serving, open (creating and migrating) the store,
and fail the jobs whose worker is gone. The retriever and the index hook are built on
first use, so a command that only parses or syncs never imports NumPy or FAISS.

It lives in ``rrag.ops`` because that is the lowest layer that may see everything it
wires (restore recovery is an ops procedure; it also builds ``rrag.retrieval`` and
``rrag.index`` parts), and the highest one the runbooks and ops procedures may import:
``rrag.cli`` and ``rrag.api`` sit above it and use it without importing each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rrag.errors import StoreError
from rrag.ops.swap import recover_restore
from rrag.settings import Settings
from rrag.store.db import Store, open_store
from rrag.store.locks import ServeLock
from rrag.sync.jobs import recover_stale_jobs

if TYPE_CHECKING:
    from rrag.retrieval import Retriever


class Workbench:
    """The shared parts of one data directory, opened safely on first use.

    Args:
        settings: whose ``store.data_dir`` is opened.
        serve: hold the API server's shared ``serve.lock`` while open (a restore refuses
            to run under it).
        recover_jobs: fail stale jobs on open; read-only reports pass False so looking
            at a store does not change its jobs.
    """

    def __init__(
        self, settings: Settings, *, serve: bool = False, recover_jobs: bool = True
    ) -> None:
        self.settings = settings
        self.restore_recovery = "none"
        self.recovered_jobs: list[str] = []
        self._serve, self._recover_jobs = serve, recover_jobs
        self._store: Store | None = None
        self._closed = False
        self._serve_lock: ServeLock | None = None
        self._retriever: Retriever | None = None
        # two locks: a request that needs the store must not wait while the retriever loads
        self._open_lock = threading.Lock()
        self._retriever_lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> Store:
        """The store, opened (and migrated, and stale jobs recovered) on first use."""
        store = self._store
        if store is not None:
            return store
        with self._open_lock:
            if self._closed:  # a request racing a shutdown must not reopen the store
                raise StoreError("the store is closed (the process is stopping)")
            if self._store is None:
                self._store = self._open()
            return self._store

    def open(self) -> Store:
        """Open now (the store is otherwise opened on first use); returns it."""
        return self.store

    def _open(self) -> Store:
        data_dir = self.settings.store.data_dir
        # finish (or clean up after) a restore that crashed mid-swap before opening
        self.restore_recovery = recover_restore(data_dir)
        if self._serve:
            self._serve_lock = ServeLock(data_dir)
            self._serve_lock.acquire()
        store: Store | None = None
        try:
            store = open_store(data_dir)
            if self._recover_jobs:
                lease_s = self.settings.store.job_lease_s
                self.recovered_jobs = recover_stale_jobs(store, lease_s)
        except BaseException:  # a half-open data dir holds nothing: a retry starts clean
            if store is not None:
                store.close()
            self._release_serve_lock()
            raise
        return store

    def after_sync(self) -> Callable[[], None]:
        """The hook that brings the index up to date after a sync or an extraction."""
        return DeferredIndexHook(self.settings, self.store)

    def retriever(self) -> Retriever:
        """The retriever, built on first use (it loads the index) and shared after."""
        store = self.store
        with self._retriever_lock:
            if self._retriever is None:
                from rrag.retrieval import Retriever

                self._retriever = Retriever(self.settings, store)
            return self._retriever

    def close(self) -> None:
        """Close the store and release the serve lock, for good: a later use raises
        StoreError rather than opening the store again."""
        with self._open_lock, self._retriever_lock:
            self._closed = True
            store, self._store, self._retriever = self._store, None, None
            if store is not None:
                store.close()
            self._release_serve_lock()

    def _release_serve_lock(self) -> None:
        if self._serve_lock is not None:
            self._serve_lock.release()
            self._serve_lock = None

    def __enter__(self) -> Workbench:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class DeferredIndexHook:
    """:class:`rrag.index.hook.IndexHook`, imported on first use rather than up front.

    The sync runner calls :meth:`prefetch` in a thread as the sync starts, so importing
    the index (NumPy, FAISS, maybe torch) overlaps the sync's first requests instead of
    delaying the job; parsing the CLI never pays for it.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self._hook: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._hook is None:
                from rrag.index.hook import IndexHook

                self._hook = IndexHook(self.settings, self.store)
            return self._hook

    def prefetch(self, done: threading.Event) -> None:
        self._get().prefetch(done)

    def __call__(self) -> None:
        self._get()()


def store_consistency(settings: Settings, store: Store | None = None) -> dict[str, Any]:
    """Is the live index the one the store expects (generations, counts, exact id sets)?

    Opens ``settings``' data dir safely, without touching its jobs, when ``store`` is
    not given.
    """
    from rrag.index import check_consistency

    if store is not None:
        return check_consistency(settings, store)
    with Workbench(settings, recover_jobs=False) as bench:
        return check_consistency(settings, bench.store)


__all__ = ["DeferredIndexHook", "Workbench", "store_consistency"]
