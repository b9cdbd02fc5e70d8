"""The FAISS vector index, saved atomically with its manifest in a trailer.

``chunks.index`` is a plain FAISS file (``IndexIDMap2`` over exhaustive inner-product search
on normalised vectors stored as float16; a chunk has one vector per slot, at FAISS id
``chunk_id | slot << 40``, see :func:`rrag.index.chunking.vector_texts`) followed by a
trailer holding the manifest JSON (:mod:`rrag.index.manifest`); FAISS's reader stops at
the end of its own data, so the file stays readable by ``faiss.read_index``. Because the
trailer travels inside the one file that ``os.replace`` swaps, a crash mid-save leaves the
whole old or the whole new generation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rrag.errors import IndexStateError
from rrag.index.chunking import CHUNK_ID_MASK, SLOT_SHIFT, SLOTS
from rrag.index.manifest import (
    MAGIC,
    REBUILD_HINT,
    TAIL,
    Manifest,
    corrupt,
    fsync_write,
    split_trailer,
)


def versions() -> dict[str, str]:
    import rrag

    return {"rrag": rrag.__version__, "faiss": faiss.__version__, "numpy": np.__version__}


# One OpenMP thread: a search is one query vector, and on a small busy machine FAISS's
# default (a thread per core) spin-waits for cores other processes hold, an order of
# magnitude slower on a loaded machine (RESULTS.md). OpenMP keeps this setting per thread,
# so :meth:`VectorIndex.search` sets it again in whichever thread searches (API workers,
# side reads): a worker thread left at the default was slower alongside other work.
faiss.omp_set_num_threads(1)


def new_index(dim: int) -> Any:
    """An empty index: exact (exhaustive) search over vectors stored as float16.

    Half of float32's memory and of the bytes each search scans, which is what a search
    over every vector is bound by; on unit vectors a score moves by about 1e-4. Needs no
    training, and removal and id filters work as on a float32 flat index.
    """
    return faiss.IndexIDMap2(
        faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    )


def _as_float16(index: Any, index_path: Path) -> Any:
    """``index`` in :func:`new_index`'s encoding: an index saved as float32 vectors (the
    earlier format) is converted in memory, and the next save writes it as float16."""
    inner = faiss.downcast_index(index.index)
    if (
        isinstance(inner, faiss.IndexScalarQuantizer)
        and inner.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    ):
        return index
    if not isinstance(inner, faiss.IndexFlatIP):
        raise corrupt(index_path)
    converted = new_index(index.d)
    if index.ntotal:
        converted.add_with_ids(
            inner.reconstruct_n(0, index.ntotal), faiss.vector_to_array(index.id_map)
        )
    return converted


def every_slot(chunk_ids: np.ndarray | list[int]) -> np.ndarray:
    """The FAISS ids every slot of ``chunk_ids`` would have."""
    base = np.asarray(chunk_ids, np.int64)
    return np.concatenate([base | (slot << SLOT_SHIFT) for slot in range(SLOTS)])


class VectorIndex:
    """Chunk vectors in FAISS: FAISS ids are vector ids (chunk row id plus slot); the
    vector at position ``p`` of the index has id ``ids()[p]``."""

    def __init__(self, manifest: Manifest, index: Any | None = None) -> None:
        self.manifest = manifest
        self.index = index if index is not None else new_index(manifest.dim)
        self._vectors = faiss.downcast_index(self.index.index)  # searched by position
        self._ids: np.ndarray | None = None  # ids by position, until the next change

    @property
    def count(self) -> int:
        """Vectors held (a chunk may have more than one)."""
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        """Every vector id held, by position (read-only, valid until the next change)."""
        if self._ids is None:
            ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            ids.flags.writeable = False
            self._ids = ids
        return self._ids

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        if len(ids):
            self._ids = None
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64)
            )

    def remove(self, ids: np.ndarray | list[int]) -> None:
        """Drop these vector ids."""
        if len(ids):
            self._ids = None
            self.index.remove_ids(np.asarray(ids, np.int64))

    def remove_chunks(self, chunk_ids: np.ndarray | list[int]) -> None:
        """Drop every vector of these chunks."""
        if len(chunk_ids):
            self.remove(every_slot(chunk_ids))

    def search(
        self, query: np.ndarray, k: int, admit: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk id, score), a chunk scoring its best vector. ``admit``, one bool
        per position (the retriever's visibility, :meth:`rrag.retrieval.state.IndexState.
        admitted`), filters before the cut."""
        if self.count == 0 or k <= 0:
            return []
        faiss.omp_set_num_threads(1)  # this thread's setting (see above); about a microsecond
        params = None
        if admit is not None:
            if len(admit) != self.count:
                raise ValueError(f"admit has {len(admit)} entries for {self.count} vectors")
            if not admit.any():
                return []
            # a bitmap over positions costs one bit test per vector; a set of admitted ids
            # (IDSelectorBatch) was built from every admitted id on every search
            bitmap = np.packbits(admit, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(admit), faiss.swig_ptr(bitmap))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        # The best k chunks' best vectors all rank within the first k * SLOTS vectors.
        scores, positions = self._vectors.search(
            query.reshape(1, -1).astype(np.float32), min(k * SLOTS, self.count), params=params
        )
        ids = self.ids()
        best: dict[int, float] = {}
        for position, score in zip(positions[0], scores[0], strict=True):
            if position >= 0:
                # scores come best first, so a chunk's first hit is its best slot
                best.setdefault(int(ids[position]) & CHUNK_ID_MASK, float(score))
        return list(best.items())[:k]

    def save(self, index_path: Path, meta_path: Path) -> None:
        self.manifest.count = self.count
        self.manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.manifest.versions = versions()
        body = faiss.serialize_index(self.index).data  # a view of the uint8 array, no copy
        manifest = self.manifest.to_json().encode()
        fsync_write(index_path, body, MAGIC + manifest + TAIL.pack(len(manifest)))
        fsync_write(meta_path, manifest)


def load(index_path: Path) -> VectorIndex:
    """Load the index and its manifest (from the trailer); reads only, never writes."""
    try:
        raw = index_path.read_bytes()
    except FileNotFoundError:
        raise IndexStateError(
            f"no vector index at {index_path}: {REBUILD_HINT}", path=str(index_path)
        ) from None
    # one read: the trailer and the body must come from the same generation of the file
    manifest, body = split_trailer(raw, index_path)
    try:
        index = faiss.deserialize_index(np.frombuffer(body, dtype=np.uint8))
    except RuntimeError:
        raise corrupt(index_path) from None
    if index.ntotal != manifest.count or index.d != manifest.dim:
        raise corrupt(index_path)
    return VectorIndex(manifest, _as_float16(index, index_path))


__all__ = ["VectorIndex", "every_slot", "load", "new_index", "versions"]
