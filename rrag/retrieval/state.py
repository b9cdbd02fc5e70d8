"""What searches read between two reloads: the vectors, the chunk metadata that filters
them, and the lexical term counts, for one (index file, store generation) signature.

A vector index that cannot be used (corrupt or truncated file, another embedder's, too far
behind the store) does not take the state down: ``vectors`` is None and ``unavailable``
says why in words a client may see (no path), so lexical search keeps working and hybrid
answers from lexical alone.

The chunk metadata is read after the vector file and in the same read transaction as the
vector ids the in-memory catch-up aligns to, so every vector the state holds belongs to a
chunk the metadata knows. ``covered`` checks that once per state: a search lets FAISS run
unfiltered only when the caller may see every chunk in the metadata *and* the metadata
covers every vector (fail closed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from rrag.errors import IndexStateError
from rrag.index import chunkstore, lexical
from rrag.index.chunking import CHUNK_ID_MASK
from rrag.index.embedders import Embedder
from rrag.index.manifest import REBUILD_HINT
from rrag.index.updater import align, open_vectors
from rrag.index.vectors import VectorIndex
from rrag.logs import get_logger, log_event
from rrag.retrieval.filters import ChunkMeta
from rrag.settings import Settings
from rrag.store.db import Store

log = get_logger("retrieval")
MAX_MEMORY_CATCH_UP = 20_000
#: the client's word for an index file that cannot be read: the file named within the data
#: dir (an absolute path tells a client how the server is laid out)
UNREADABLE = f"vector index unreadable (chunks.index in RRAG_DATA_DIR): {REBUILD_HINT}"


@dataclass(frozen=True)
class IndexState:
    vectors: VectorIndex | None
    meta: ChunkMeta
    signature: tuple[Any, ...]
    #: term counts for this generation (lexical's common-term policy)
    terms: lexical.TermStats
    #: why ``vectors`` is None, safe to show a client
    unavailable: str | None = None

    @cached_property
    def covered(self) -> bool:
        """Every vector's chunk is in ``meta`` (computed once per state)."""
        if self.vectors is None:
            return True
        return bool(np.isin(self.vectors.ids() & CHUNK_ID_MASK, self.meta.ids).all())

    def require_vectors(self) -> VectorIndex:
        """The vectors, or the IndexStateError that says why there are none."""
        if self.vectors is None:
            raise IndexStateError(self.unavailable or UNREADABLE)
        return self.vectors


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
    terms: lexical.TermStats,
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
    return IndexState(vectors, meta, signature, terms, unavailable)


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
    "MAX_MEMORY_CATCH_UP",
    "UNREADABLE",
    "IndexState",
    "client_message",
    "load_state",
]
