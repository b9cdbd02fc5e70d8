"""The saved vector index: opening it for this embedder, and aligning it with the store.

:func:`align` is the one catch-up of the FAISS ids, for the writer
(:class:`rrag.index.IndexUpdater`, then saved) and for readers (the retriever, in memory).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rrag.errors import IndexStateError
from rrag.index import chunkstore
from rrag.index.embedders import Embedder
from rrag.index.manifest import REBUILD_HINT, Manifest, heal_sidecar
from rrag.index.vectors import VectorIndex, load
from rrag.settings import Settings
from rrag.store.db import Store

CATCH_UP_BATCH = 2048  # vectors embedded per store read during a catch-up


def open_vectors(settings: Settings, embedder: Embedder, heal: bool = False) -> VectorIndex:
    """The saved index, or an empty one when none exists; refuses another embedder's index.

    ``heal`` rewrites a lagging ``chunks.meta.json``: only for the holder of ``index.lock``.
    """
    paths = settings.store
    if not paths.index_path.exists():
        return VectorIndex(Manifest(0, embedder.provider, embedder.model, embedder.dim))
    vectors = load(paths.index_path)
    if heal:
        heal_sidecar(vectors.manifest, paths.index_meta_path)
    m = vectors.manifest
    if (m.provider, m.model, m.dim) != (embedder.provider, embedder.model, embedder.dim):
        raise IndexStateError(
            f"the index was built with {m.provider} {m.model} (dim {m.dim}) but the embedder "
            f"is {embedder.provider} {embedder.model} (dim {embedder.dim}): {REBUILD_HINT}",
            index_provider=m.provider,
            provider=embedder.provider,
        )
    return vectors


def align(
    vectors: VectorIndex,
    expected: np.ndarray,
    store: Store,
    embed: Callable[[list[str]], np.ndarray],
    max_missing: int | None = None,
) -> tuple[int, int]:
    """Make ``vectors`` hold exactly the ``expected`` vector ids: drop the others and embed
    the missing ones from the store's chunk rows. Returns (missing, extra) counts.

    The one catch-up for the writer (:meth:`IndexUpdater.repair`, drains) and for readers
    (the Retriever, in memory); ``max_missing`` refuses a gap too large to fill in memory.
    """
    missing = np.setdiff1d(expected, vectors.ids())
    if max_missing is not None and len(missing) > max_missing:
        raise IndexStateError(
            f"the vector index lags the store by {len(missing)} vectors: run `rrag index`",
            missing=len(missing),
        )
    extra = np.setdiff1d(vectors.ids(), expected)
    vectors.remove(extra)
    for start in range(0, len(missing), CATCH_UP_BATCH):
        with store.session() as session:
            part = missing[start : start + CATCH_UP_BATCH].tolist()
            ids, texts = chunkstore.slot_texts(session, part)
        vectors.add(ids, embed(texts))
    return len(missing), len(extra)


__all__ = ["CATCH_UP_BATCH", "align", "open_vectors"]
