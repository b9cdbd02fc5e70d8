"""Chunk vectors computed ahead of the index drain, keyed by the exact text embedded.

A sync fetches for seconds to minutes while the CPU mostly waits on Redmine; embedding is
the larger half of the drain that follows, nearly all of it with a model.
:class:`rrag.index.hook.IndexHook` embeds queued chunks into this cache while the sync is
still fetching, and the drain takes what it finds here. Correctness never depends on the
cache: a vector is a pure function of the text for a given embedder, a miss is embedded
on the spot, and nothing here is written to disk.
"""

from __future__ import annotations

import threading

import numpy as np

from rrag.index.embedders import Embedder

MAX_VECTORS = 200_000  # ~300 MB of float32 at 384 dims; a bigger first sync embeds the rest late


class EmbeddingCache:
    """Thread-safe ``text -> vector`` for one embedder, bounded by ``max_vectors``."""

    def __init__(self, max_vectors: int = MAX_VECTORS) -> None:
        self.max_vectors = max_vectors
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, text: object) -> bool:
        return text in self._vectors

    def full(self) -> bool:
        return len(self._vectors) >= self.max_vectors

    def put(self, texts: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                if len(self._vectors) >= self.max_vectors:
                    return
                self._vectors[text] = vector

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """Vectors for ``texts``: cached ones taken (and dropped), the rest embedded now."""
        out = np.zeros((len(texts), embedder.dim), np.float32)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._vectors.pop(text, None)
                if vector is None:
                    missing.append(i)
                else:
                    out[i] = vector
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            out[missing] = embedder.embed([texts[i] for i in missing])
        return out


__all__ = ["MAX_VECTORS", "EmbeddingCache"]
