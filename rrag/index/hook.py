"""The index step of a sync: embed ahead while the sync fetches, then drain.

:class:`IndexHook` is what ``rrag sync``, the API's sync worker and the runbooks hand to
:func:`rrag.sync.runner.run_job`. While the engine fetches, the runner runs
:meth:`IndexHook.prefetch` in a thread: it reads the sources the sync has queued so far
(read-only: no lock, no writes) and embeds their chunks into an
:class:`~rrag.index.cache.EmbeddingCache`. When the sync is done the runner calls the hook
itself, which drains the queue under ``index.lock`` as before, taking vectors from the
cache. So the pairing of store and index generation, and everything backup relies on,
is unchanged; only the embedding moved earlier. Measured in benchmarks/RESULTS.md (Sync).
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import text

from rrag.index.cache import EmbeddingCache
from rrag.index.chunking import vector_texts
from rrag.index.embedders import Embedder, make_embedder
from rrag.index.sources import load_sources
from rrag.index.updater import IndexUpdater
from rrag.logs import get_logger, log_event
from rrag.settings import Settings
from rrag.store.db import Store

log = get_logger("index.hook")
POLL_S = 0.25
PREFETCH_SOURCES = 256  # per read: bounds the memory one pass holds besides the cache
EMBED_BATCH = 64  # texts per embed call: a cancelled sync waits for one batch at most


class IndexHook:
    """Drain the index queue after a sync, with chunk vectors embedded during it."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self.cache = EmbeddingCache()
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()

    def embedder(self) -> Embedder:
        with self._embedder_lock:  # loading a model twice would cost seconds and memory
            if self._embedder is None:
                self._embedder = make_embedder(self.settings)
            return self._embedder

    def __call__(self) -> None:
        updater = IndexUpdater(self.settings, self.store, self.embedder(), cache=self.cache)
        updater.drain()
        log_event(log, "index_prefetch_used", hits=self.cache.hits, misses=self.cache.misses)

    def prefetch(self, done: threading.Event) -> None:
        """Until ``done`` is set, embed the chunks of newly queued sources into the cache."""
        seen: set[tuple[str, int]] = set()
        while not done.wait(POLL_S):
            while not done.is_set() and not self.cache.full():
                if not self._prefetch_once(seen, done):
                    break

    def _prefetch_once(self, seen: set[tuple[str, int]], done: threading.Event) -> int:
        """Embed up to PREFETCH_SOURCES unseen queued sources; returns how many were read."""
        with self.store.session() as session:
            rows = session.execute(
                text("SELECT source_kind, source_id FROM index_queue WHERE op = 'upsert'")
            ).all()
            fresh = [(str(k), int(i)) for k, i in rows if (str(k), int(i)) not in seen]
            fresh = fresh[:PREFETCH_SOURCES]
            chunks: list[Any] = []
            for kind in ("issue", "wiki"):
                ids = [i for k, i in fresh if k == kind]
                if ids:
                    base = self.settings.redmine.base_url
                    for _digest, found in load_sources(session, kind, ids, base).values():
                        chunks += found
        seen.update(fresh)
        texts = [t for c in chunks for t in vector_texts(c)]
        texts = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for start in range(0, len(texts), EMBED_BATCH):
            if done.is_set():
                break  # the sync ended: the drain embeds the rest itself
            part = texts[start : start + EMBED_BATCH]
            self.cache.put(part, self.embedder().embed(part))
        return len(fresh)


__all__ = ["IndexHook"]
