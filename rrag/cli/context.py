"""What every CLI command starts from: settings, logging, the store, job recovery."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rrag.logs import configure_logging, register_secrets
from rrag.ops.swap import recover_restore
from rrag.settings import Settings, get_settings
from rrag.store.db import Store, open_store
from rrag.sync.jobs import recover_stale_jobs


@dataclass
class Context:
    settings: Settings
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        """The store, opened (and migrated, and stale jobs recovered) on first use."""
        if self._store is None:
            # finish (or clean up after) a restore that crashed mid-swap before opening
            recover_restore(self.settings.store.data_dir)
            self._store = open_store(self.settings.store.data_dir)
            recover_stale_jobs(self._store, self.settings.store.job_lease_s)
        return self._store

    def after_sync(self) -> Callable[[], None] | None:
        """The hook that brings the index up to date after a sync: drains ``index_queue``
        (embedding ahead while the sync fetches, see :mod:`rrag.index.hook`)."""
        return _DeferredIndexHook(self.settings, self.store)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


class _DeferredIndexHook:
    """:class:`rrag.index.hook.IndexHook`, imported on first use rather than up front.

    The sync runner calls :meth:`prefetch` in a thread as the sync starts, so importing
    the index (NumPy, FAISS, maybe torch: ~0.15 s without a model) overlaps the sync's
    first requests instead of delaying the job; parsing the CLI never pays for it.
    """

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self._hook: Callable[[], None] | None = None
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


def make_context() -> Context:
    settings = get_settings()
    register_secrets(*settings.secrets())
    configure_logging(settings.store.log_level)
    return Context(settings)


__all__ = ["Context", "make_context"]
