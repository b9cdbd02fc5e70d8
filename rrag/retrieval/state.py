"""What searches read between two reloads: the vectors, the chunk metadata that filters
them, and the lexical index, for one (index file, store generation, lexical commit)
signature.

A vector index that cannot be used (corrupt or truncated file, another embedder's, too far
behind the store) does not take the state down: ``vectors`` is None and ``unavailable``
says why in words a client may see (no path), so lexical search keeps working and hybrid
answers from lexical alone.

The chunk metadata is read after the vector file and in the same read transaction as the
vector ids the in-memory catch-up aligns to, so every vector the state holds belongs to a
chunk the metadata knows. ``covered`` checks that once per state: a search lets FAISS run
unfiltered only when the caller may see every chunk in the metadata *and* the metadata
covers every vector (fail closed).

The lexical index is one tantivy reader per retriever (:class:`LexicalOpener`), reloaded
when a commit changes it. One missing or behind the store is caught up on disk first,
when no indexer holds ``index.lock`` (the one that does is catching it up already): a
store made before the lexical index existed gets it on its first search, with one log
line saying so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from rrag.errors import IndexStateError
from rrag.index import chunkstore
from rrag.index.chunking import CHUNK_ID_MASK
from rrag.index.embedders import Embedder
from rrag.index.manifest import REBUILD_HINT
from rrag.index.textindex import REBUILD, LexicalIndex, exists, lexical_dir
from rrag.index.updater import IndexUpdater
from rrag.index.vectors import VectorIndex
from rrag.index.vectorsync import align, open_vectors
from rrag.logs import get_logger, log_event
from rrag.retrieval.filters import ChunkMeta
from rrag.settings import Settings
from rrag.store.db import Store

log = get_logger("retrieval")
MAX_MEMORY_CATCH_UP = 20_000
#: the client's word for an index file that cannot be read: the file named within the data
#: dir (an absolute path tells a client how the server is laid out)
UNREADABLE = f"vector index unreadable (chunks.index in RRAG_DATA_DIR): {REBUILD_HINT}"
LEXICAL_MISSING = f"no usable lexical index (chunks.lexical in RRAG_DATA_DIR): {REBUILD}"


@dataclass(frozen=True)
class IndexState:
    vectors: VectorIndex | None
    meta: ChunkMeta
    signature: tuple[Any, ...]
    lexical: LexicalIndex | None
    #: why ``vectors`` is None, safe to show a client
    unavailable: str | None = None
    #: why ``lexical`` is None, safe to show a client
    lexical_missing: str | None = None

    @cached_property
    def vector_rows(self) -> np.ndarray:
        """For each vector position, the row of its chunk in ``meta`` (whose ids are sorted),
        or -1 when ``meta`` does not know the chunk (computed once per state)."""
        if self.vectors is None or len(self.meta.ids) == 0:
            return np.full(0 if self.vectors is None else self.vectors.count, -1, np.int64)
        chunks = self.vectors.ids() & CHUNK_ID_MASK
        rows = np.minimum(np.searchsorted(self.meta.ids, chunks), len(self.meta.ids) - 1)
        return np.where(self.meta.ids[rows] == chunks, rows, -1)

    @cached_property
    def covered(self) -> bool:
        """Every vector's chunk is in ``meta``."""
        return bool((self.vector_rows >= 0).all())

    def admitted(self, mask: np.ndarray) -> np.ndarray:
        """One bool per vector position: its chunk is in ``meta`` and ``mask`` (over
        ``meta``'s rows) admits it. A vector of a chunk ``meta`` lacks is left out."""
        rows = self.vector_rows
        return (rows >= 0) & mask[np.maximum(rows, 0)]

    def require_vectors(self) -> VectorIndex:
        """The vectors, or the IndexStateError that says why there are none."""
        if self.vectors is None:
            raise IndexStateError(self.unavailable or UNREADABLE)
        return self.vectors

    def require_lexical(self) -> LexicalIndex:
        """The lexical index, or the IndexStateError that says why there is none."""
        if self.lexical is None:
            raise IndexStateError(self.lexical_missing or LEXICAL_MISSING)
        return self.lexical


class LexicalOpener:
    """The retriever's one reader of the lexical index, opened, reloaded and (when it is
    missing or behind the store) caught up by :meth:`open`."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder) -> None:
        self.settings, self.store, self.embedder = settings, store, embedder
        self.path = lexical_dir(settings.store.data_dir)
        self._reader: LexicalIndex | None = None

    def open(self, generation: int) -> tuple[LexicalIndex | None, str | None]:
        """The reader at its latest commit, caught up with store ``generation`` if it can
        be; or None and why not (in words for a client)."""
        reader = self._read()
        # behind while a drain runs elsewhere (it commits every few thousand documents):
        # the lock is taken then, and this reader serves the last commit meanwhile; the
        # catch-up, when it runs, logs what it did (lexical_caught_up)
        if (reader is None or reader.generation() != generation) and IndexUpdater(
            self.settings, self.store, self.embedder
        ).repair_lexical():
            reader = self._read()
        if reader is None:
            return None, LEXICAL_MISSING
        return reader, None

    def _read(self) -> LexicalIndex | None:
        if not exists(self.path):  # not built yet: no error, the catch-up builds it
            self._reader = None
            return None
        try:
            if self._reader is None:
                self._reader = LexicalIndex(self.path)
            else:
                self._reader.reload()
        except (IndexStateError, ValueError) as exc:
            log_event(log, "lexical_unavailable", logging.ERROR, error=str(exc))
            self._reader = None
        return self._reader


def client_message(exc: IndexStateError, settings: Settings) -> str:
    """``exc`` in words for a client: an error about a file becomes :data:`UNREADABLE`."""
    if "path" in exc.context:
        return UNREADABLE
    return str(exc).replace(str(settings.store.data_dir), "RRAG_DATA_DIR")


def load_state(
    settings: Settings,
    store: Store,
    embedder: Embedder,
    signature: tuple[Any, ...],
    lexical: LexicalIndex | None = None,
    lexical_missing: str | None = None,
) -> IndexState:
    """Load the state for ``signature``; the vectors are caught up with the store in memory."""
    vectors, unavailable = _open(settings, embedder)
    with store.session() as session:  # one snapshot: the metadata and the ids agree
        meta = ChunkMeta.load(session.connection())
        expected = np.array(chunkstore.vector_ids(session), np.int64)
    if vectors is not None and (
        vectors.manifest.generation != signature[1] or vectors.count != len(expected)
    ):
        try:
            added, removed = align(
                vectors, expected, store, embedder.embed, max_missing=MAX_MEMORY_CATCH_UP
            )
            log_event(log, "retriever_caught_up_in_memory", added=added, removed=removed)
        except IndexStateError as exc:
            vectors, unavailable = None, _unusable(exc, settings)
    if vectors is not None:
        log_event(
            log,
            "retriever_loaded",
            generation=vectors.manifest.generation,
            store_generation=signature[1],
            vectors=vectors.count,
            provider=embedder.provider,
            model=embedder.model,
        )
    return IndexState(vectors, meta, signature, lexical, unavailable, lexical_missing)


def _open(settings: Settings, embedder: Embedder) -> tuple[VectorIndex | None, str | None]:
    try:
        return open_vectors(settings, embedder), None
    except IndexStateError as exc:
        return None, _unusable(exc, settings)


def _unusable(exc: IndexStateError, settings: Settings) -> str:
    # the log (for the operator) keeps the full message, path included
    log_event(log, "retriever_vectors_unavailable", logging.ERROR, error=str(exc))
    return client_message(exc, settings)


__all__ = [
    "LEXICAL_MISSING",
    "MAX_MEMORY_CATCH_UP",
    "UNREADABLE",
    "IndexState",
    "LexicalOpener",
    "client_message",
    "load_state",
]
