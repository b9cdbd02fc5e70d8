"""Subject vectors: a chunk may hold several FAISS vectors (slots) and scores its best one.

An issue's own chunk has a second vector of its subject alone (``rrag.index.chunking.
vector_texts``). The tests prove the layout in ``VectorIndex`` (one result per chunk, its
best slot, filters and removal covering every slot), that a search through the Retriever
scores an issue by its subject when a long description would dilute the whole-chunk
vector, and that an index saved before the slot existed is caught up, not served short.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rrag.index import IndexUpdater, Manifest, VectorIndex, check_consistency
from rrag.index.chunking import CHUNK_ID_MASK, SLOT_SHIFT
from rrag.index.vectors import load
from rrag.retrieval import Retriever
from rrag.store.db import open_store
from tests.index import seed

SUBJECT = "Printer jams on duplex pages"
# long enough that the subject's words are a small part of the whole-chunk vector
DESCRIPTION = " ".join(
    f"The {w} network switch in building {n} drops packets after the firmware upgrade."
    for n, w in enumerate(("north", "south", "east", "west", "main", "spare") * 4)
)


def admit_chunks(index: VectorIndex, chunk_ids: Any) -> np.ndarray:
    """The search filter admitting the vectors of ``chunk_ids`` (one bool per position)."""
    return np.isin(index.ids() & CHUNK_ID_MASK, np.asarray(chunk_ids, np.int64))


def _unit(rows: list[list[float]]) -> np.ndarray:
    m = np.array(rows, np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_a_chunk_is_returned_once_with_its_best_slot() -> None:
    index = VectorIndex(Manifest(0, "test", "test", 3))
    subject_slot = 1 << SLOT_SHIFT
    index.add(
        [7, 7 | subject_slot, 8, 9],
        _unit([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [0, 0, 1]]),
    )
    query = _unit([[0, 1, 0]])[0]
    hits = index.search(query, 3)
    assert [c for c, _ in hits] == [7, 8, 9]  # 7 by its second slot, once
    # vectors are stored as float16: a unit vector's score is exact to about 1e-3
    assert abs(hits[0][1] - 1.0) < 1e-3 and abs(hits[1][1] - 0.8) < 1e-3
    assert index.search(query, 1) == hits[:1]
    # the filter names chunks; it admits every slot of them
    assert [c for c, _ in index.search(query, 3, admit_chunks(index, [7, 9]))] == [7, 9]
    assert abs(index.search(query, 3, admit_chunks(index, [7]))[0][1] - 1.0) < 1e-3
    index.remove_chunks([7])
    assert sorted(index.ids().tolist()) == [8, 9]


def _world(tmp_path: Path) -> tuple[Any, Any]:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    seed.project(store, 1)
    seed.issue(store, 1, SUBJECT, DESCRIPTION, notes=[{"id": 5, "notes": "seen on floor 2"}])
    seed.issue(store, 2, "Duplex printing option missing from the dialog", "only simplex")
    IndexUpdater(settings, store).drain()
    return settings, store


def test_an_issue_scores_by_its_subject_when_the_description_dilutes_it(
    tmp_path: Path,
) -> None:
    settings, store = _world(tmp_path)
    try:
        report = check_consistency(settings, store)
        # 3 chunks (two issues and a note); each issue also has its subject vector
        assert (report["ok"], report["chunks_in_store"], report["vectors_in_index"]) == (
            True,
            3,
            5,
        )
        top = Retriever(settings, store).search(SUBJECT.lower(), mode="vector").results[0]
        # the query is the subject, so its subject vector is the query's own vector
        assert top.issue_id == 1 and top.score > 0.999, top
        assert top.url.endswith("/issues/1")
    finally:
        store.close()


def _strip_subject_slots(settings: Any) -> None:
    """Save the index as a version without subject vectors would have (same generation)."""
    vectors = load(settings.store.index_path)
    vectors.remove([i for i in vectors.ids().tolist() if i >> SLOT_SHIFT])
    vectors.save(settings.store.index_path, settings.store.index_meta_path)


def test_an_index_saved_without_subject_vectors_is_caught_up(tmp_path: Path) -> None:
    settings, store = _world(tmp_path)
    try:
        _strip_subject_slots(settings)
        report = check_consistency(settings, store)
        assert not report["ok"] and report["vectors_in_index"] == 3
        assert "2 vectors the store's chunks need are missing" in report["problems"][0]
        # a reader catches up in memory rather than scoring without the subject vectors
        top = Retriever(settings, store).search(SUBJECT.lower(), mode="vector").results[0]
        assert top.issue_id == 1 and top.score > 0.999, top
        assert IndexUpdater(settings, store).repair() == 2
        report = check_consistency(settings, store)
        assert report["ok"] and report["vectors_in_index"] == report["vectors_expected"] == 5
    finally:
        store.close()


def test_a_search_in_any_thread_runs_faiss_on_one_openmp_thread() -> None:
    # OpenMP keeps the thread count per thread: a worker thread (API handler, side read)
    # left at the default spin-waits on every core (rrag/index/vectors.py)
    import threading

    import faiss

    index = VectorIndex(Manifest(0, "test", "test", 3))
    index.add([1, 2], _unit([[1, 0, 0], [0, 1, 0]]))
    seen: list[int] = []

    def search() -> None:
        faiss.omp_set_num_threads(max(2, faiss.omp_get_max_threads()))  # a worker's default
        assert [i for i, _ in index.search(_unit([[1, 0.1, 0]])[0], 1)] == [1]
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=search)
    worker.start()
    worker.join()
    assert seen == [1]


def test_vectors_are_stored_as_float16_and_rank_as_exact_search_does() -> None:
    import faiss

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((2_000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(Manifest(0, "test", "test", 64))
    index.add(np.arange(2_000), vectors)
    # 2 bytes a component, plus the ids: half of float32's memory
    assert faiss.downcast_index(index.index.index).code_size == 2 * 64
    for query in vectors[:20]:
        exact = vectors @ query
        order = np.argsort(-exact)[:10]
        hits = index.search(query, 10)
        assert [c for c, _ in hits] == order.tolist()
        assert max(abs(s - exact[c]) for c, s in hits) < 1e-3


def test_an_index_saved_as_float32_loads_as_float16_with_the_same_ids_and_ranking(
    tmp_path: Path,
) -> None:
    import faiss

    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(500, dtype=np.int64) * 3 + (np.arange(500) % 2 << SLOT_SHIFT)
    # the earlier format: float32 vectors in a flat inner-product index
    old = VectorIndex(Manifest(4, "test", "test", 32), faiss.IndexIDMap2(faiss.IndexFlatIP(32)))
    old.add(ids, vectors)
    index_path, meta_path = tmp_path / "chunks.index", tmp_path / "chunks.meta.json"
    old.save(index_path, meta_path)
    expected = [old.search(q, 5) for q in vectors[:10]]

    loaded = load(index_path)
    assert loaded.manifest.generation == 4 and loaded.count == 500
    assert isinstance(faiss.downcast_index(loaded.index.index), faiss.IndexScalarQuantizer)
    assert sorted(loaded.ids().tolist()) == sorted(ids.tolist())
    for query, want in zip(vectors[:10], expected, strict=True):
        got = loaded.search(query, 5)
        assert [c for c, _ in got] == [c for c, _ in want]
    # the next save writes float16: a smaller file that loads without conversion
    loaded.save(index_path, meta_path)
    assert index_path.stat().st_size < 0.7 * (500 * 32 * 4)
    assert [c for c, _ in load(index_path).search(vectors[0], 5)] == [c for c, _ in expected[0]]


def test_a_filter_admits_by_position_and_stays_right_after_vectors_are_removed() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunk_ids = np.arange(1, 301) * 5
    index = VectorIndex(Manifest(0, "test", "test", 16))
    index.add(chunk_ids, vectors)
    assert index.search(vectors[0], 1, admit_chunks(index, chunk_ids))[0][0] == chunk_ids[0]
    # removing vectors moves the later ones to other positions
    index.remove_chunks(chunk_ids[:40])
    visible = chunk_ids[40:][::3]
    admit = admit_chunks(index, visible)
    assert admit.sum() == len(visible)
    for query in vectors[40:50]:
        exact = {int(c): float(v @ query) for c, v in zip(chunk_ids, vectors, strict=True)}
        want = sorted(visible.tolist(), key=lambda c: -exact[c])[:10]
        # the best 10 visible chunks, not the visible part of the best 10
        assert [c for c, _ in index.search(query, 10, admit)] == want
    # nothing admitted finds nothing; a filter of the wrong length is refused
    assert index.search(vectors[0], 5, np.zeros(index.count, bool)) == []
    with pytest.raises(ValueError, match="entries"):
        index.search(vectors[0], 5, admit[:-1])
    # a vector added after the filter was computed needs a new one: positions grew
    index.add([9_999], vectors[:1])
    assert 9_999 in [c for c, _ in index.search(vectors[0], 3, admit_chunks(index, [9_999]))]
