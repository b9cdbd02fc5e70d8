"""Keeping chunks, the lexical index and FAISS in step with the store: drain, catch-up,
rebuild.

The sync queues changed sources in ``index_queue`` in its own transactions. :meth:`drain`
turns a batch of queue rows into chunk rows, deletes those queue rows and bumps the
store's ``index_generation`` in one transaction; the batch's lexical documents are then
handed to tantivy, committed with the store's generation every few thousand documents
and at the end of the drain, when the FAISS file is saved with it too. A crash between
them leaves the store ahead of an index, which the
next drain (or :meth:`repair`) detects by generation and repairs from the store: chunk
ids are never reused, and the FAISS ids a chunk should have follow from its row
(:func:`rrag.index.chunkstore.vector_ids`), so the set difference of ids says exactly
what to add and remove; the lexical side compares ids and digests
(:mod:`rrag.index.lexsync`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy import text

from rrag.index import chunkstore
from rrag.index.cache import EmbeddingCache
from rrag.index.chunking import Chunk, vector_entries
from rrag.index.embedders import Embedder, make_embedder
from rrag.index.lexsync import LexicalWriter, catch_up, lexical_generation
from rrag.index.manifest import Manifest
from rrag.index.sources import current_hashes, load_sources
from rrag.index.textindex import lexical_dir
from rrag.index.vectors import VectorIndex
from rrag.index.vectorsync import align, open_vectors
from rrag.logs import get_logger, log_event
from rrag.settings import Settings
from rrag.store.db import Store
from rrag.store.locks import INDEX_LOCK, StoreLock

log = get_logger("index.updater")
GENERATION_KEY = "index_generation"
BATCH_SOURCES = 256
#: a drain commits the lexical index once this many documents are pending (and at its
#: end): a commit per batch made tantivy merge ~100 small segments at 100k chunks
LEXICAL_COMMIT_DOCS = 5_000


def store_generation(store: Store) -> int:
    return int(store.get_meta(GENERATION_KEY, "0") or 0)


class IndexUpdater:
    """Writes the index for one data dir; one writer at a time (``index.lock``)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        embedder: Embedder | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.settings, self.store = settings, store
        self.embedder = embedder or make_embedder(settings)
        self.cache = cache  # vectors computed ahead (rrag.index.hook), keyed by chunk text
        self._lock = StoreLock(settings.store.data_dir, name=INDEX_LOCK)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self._lock.acquire(blocking=True)
        try:
            yield
        finally:
            self._lock.release()

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self.cache is None:
            return self.embedder.embed(texts)
        return self.cache.embed(self.embedder, texts)

    def _save(self, vectors: VectorIndex, generation: int) -> None:
        vectors.manifest.generation = generation
        vectors.save(self.settings.store.index_path, self.settings.store.index_meta_path)

    def drain(self) -> dict[str, Any]:
        """Apply every queued change; returns counters (sources, added, removed, seconds)."""
        started = time.perf_counter()
        with self.locked(), self._lexical() as lexical:
            vectors = open_vectors(self.settings, self.embedder, heal=True)
            stats: dict[str, Any] = {"sources": 0, "added": 0, "removed": 0, "repaired": 0}
            stats["repaired"] = self._catch_up(vectors) + self._catch_up_lexical(lexical)
            while batch := self._next_batch():
                done, added, removed = self._apply(vectors, lexical, batch)
                stats["sources"] += done
                stats["added"] += added
                stats["removed"] += removed
                if not done:
                    break  # every row in the batch changed under us; the next sync retries
            self._commit_lexical(lexical)
            if (
                vectors.manifest.generation != store_generation(self.store)
                or not self.settings.store.index_path.exists()
            ):
                self._save(vectors, store_generation(self.store))
        stats["seconds"] = round(time.perf_counter() - started, 3)
        log_event(log, "index_drained", **stats)
        return stats

    def _next_batch(self) -> list[tuple[str, int, str]]:
        with self.store.session() as session:
            rows = session.execute(
                text(
                    "SELECT source_kind, source_id, op FROM index_queue "
                    "ORDER BY source_kind, source_id LIMIT :n"
                ),
                {"n": BATCH_SOURCES},
            ).all()
        return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]

    def _lexical(self) -> LexicalWriter:
        return LexicalWriter(lexical_dir(self.settings.store.data_dir))

    def _apply(
        self, vectors: VectorIndex, lexical: LexicalWriter, batch: list[tuple[str, int, str]]
    ) -> tuple[int, int, int]:
        done, change, generation = self._write_store(batch)
        # a crash from here on leaves the store ahead of both indexes: the next drain (or
        # a reader, for the lexical one) catches them up from the store
        lexical.delete(change.removed)
        lexical.put((i, c.row()) for i, c in [*change.added, *change.updated])
        # Embedding happens after the store's commit so the write lock is held briefly,
        # and while tantivy's indexing thread works on the documents just handed to it
        ids, texts = vector_entries(change.added)
        embedded = self._embed(texts)
        if lexical.pending >= LEXICAL_COMMIT_DOCS:
            lexical.commit(generation)  # else with a later batch, or at the end of the drain
        vectors.remove_chunks(change.removed)
        vectors.add(ids, embedded)
        vectors.manifest.generation = -1  # dirty until saved with the store's generation
        return done, len(change.added), len(change.removed)

    def _write_store(
        self, batch: list[tuple[str, int, str]]
    ) -> tuple[int, chunkstore.SourceChange, int]:
        """The batch's chunk rows, its queue rows deleted and the generation bumped, in one
        transaction; returns (sources done, what changed, the new generation)."""
        base = self.settings.redmine.base_url
        with self.store.session() as session:
            loaded: dict[tuple[str, int], tuple[str, list[Chunk]]] = {}
            for kind in ("issue", "wiki"):
                ids = [sid for k, sid, op in batch if k == kind and op == "upsert"]
                if ids:
                    for sid, value in load_sources(session, kind, ids, base).items():
                        loaded[(kind, sid)] = value
        total = chunkstore.SourceChange()
        finished: list[tuple[str, int, str]] = []
        with self.store.write() as session:
            # read under the write lock: a sync that changed a source since it was loaded
            # above has committed by now, and none can commit until this transaction ends
            now = {
                kind: current_hashes(session, kind, [s for k, s, _ in batch if k == kind])
                for kind in {k for k, _, _ in batch}
            }
            for kind, sid, op in batch:
                digest, chunks = loaded.get((kind, sid), (None, []))
                if digest is not None and now[kind].get(sid) != digest:
                    continue  # changed since we read it: leave the queue row for next time
                change = chunkstore.replace_source(session, kind, sid, chunks)
                total.added += change.added
                total.updated += change.updated
                total.removed += change.removed
                finished.append((kind, sid, op))
            chunkstore.dequeue(session, finished)
            generation = store_generation(self.store) + 1
            self.store.set_meta(session, GENERATION_KEY, str(generation))
        return len(finished), total, generation

    def _catch_up(self, vectors: VectorIndex) -> int:
        """Make the FAISS ids equal the ids the store's chunks should have; returns how many
        vectors changed."""
        if (
            vectors.manifest.generation == store_generation(self.store)
            and vectors.count == self._expected_count()
        ):
            return 0
        with self.store.session() as session:
            expected = np.array(chunkstore.vector_ids(session), np.int64)
        added, removed = align(vectors, expected, self.store, self._embed)
        changed = added + removed
        if changed or vectors.manifest.generation != store_generation(self.store):
            log_event(
                log,
                "index_caught_up",
                added=added,
                removed=removed,
                from_generation=vectors.manifest.generation,
                to_generation=store_generation(self.store),
            )
            self._save(vectors, store_generation(self.store))
        return changed

    def _commit_lexical(self, lexical: LexicalWriter) -> None:
        """Commit what the drain's batches left pending, with the store's generation."""
        generation = store_generation(self.store)
        if lexical.pending or lexical_generation(lexical) != generation:
            lexical.commit(generation)

    def _catch_up_lexical(self, lexical: LexicalWriter) -> int:
        return catch_up(lexical, self.store, store_generation(self.store))

    def _expected_count(self) -> int:
        with self.store.session() as session:
            return chunkstore.vector_count(session)

    def repair(self) -> int:
        """Catch the saved indexes up with the store (no queue draining)."""
        with self.locked(), self._lexical() as lexical:
            vectors = open_vectors(self.settings, self.embedder, heal=True)
            return self._catch_up(vectors) + self._catch_up_lexical(lexical)

    def repair_lexical(self) -> bool:
        """Catch the lexical index up unless another writer holds ``index.lock`` (which
        then does it); for a reader that finds it missing or behind. True when done."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            with self._lexical() as lexical:
                self._catch_up_lexical(lexical)
        finally:
            self._lock.release()
        return True

    def rebuild(self) -> dict[str, Any]:
        """Drop every chunk and vector, queue every source, and drain with this embedder."""
        with self.locked():
            with self.store.write() as session:
                session.execute(text("DELETE FROM chunks"))
                session.execute(
                    text(
                        "INSERT OR REPLACE INTO index_queue(source_kind, source_id, op) "
                        "SELECT 'issue', id, 'upsert' FROM issues UNION ALL "
                        "SELECT 'wiki', id, 'upsert' FROM wiki_pages"
                    )
                )
                generation = store_generation(self.store) + 1
                self.store.set_meta(session, GENERATION_KEY, str(generation))
            fresh = VectorIndex(
                Manifest(generation, self.embedder.provider, self.embedder.model, self.embedder.dim)
            )
            self._save(fresh, generation)
            with self._lexical() as lexical:
                lexical.clear()
                lexical.commit(generation)
        return self.drain()


__all__ = [
    "BATCH_SOURCES",
    "GENERATION_KEY",
    "LEXICAL_COMMIT_DOCS",
    "IndexUpdater",
    "store_generation",
]
