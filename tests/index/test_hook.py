"""The sync's index step: chunks embedded ahead while the sync fetches, then the drain.

The index a prefetched drain writes is the one a plain drain writes (same ids, same
vectors); a sync job runs the prefetch while it fetches and uses it; a failing prefetch
only costs the head start.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rrag.index import HashingEmbedder, IndexUpdater, check_consistency
from rrag.index.hook import IndexHook
from rrag.index.vectors import load
from rrag.store.db import Store, open_store
from rrag.sync import create_job, run_job
from tests.index import seed
from tests.sync.fake_redmine import FakeRedmine


def _fill(store: Store, issues: int) -> None:
    seed.project(store, 1)
    for n in range(1, issues + 1):
        notes = [{"id": n * 10 + j, "notes": f"note {j} on disk {n % 7} and mail"} for j in (1, 2)]
        seed.issue(store, n, f"Issue {n} about printer {n % 5}", f"body {n}", notes=notes)


def _vectors(settings: Any) -> dict[int, np.ndarray]:
    index = load(settings.store.index_path)
    ids = index.ids()
    return dict(zip(ids.tolist(), index.index.reconstruct_batch(ids), strict=True))


def test_prefetched_drain_writes_the_same_index_as_a_plain_drain(tmp_path: Path) -> None:
    plain, ahead = (seed.hashing_settings(tmp_path / name) for name in ("plain", "ahead"))
    stores = [open_store(s.store.data_dir) for s in (plain, ahead)]
    try:
        for store in stores:
            _fill(store, 40)
        IndexUpdater(plain, stores[0]).drain()
        hook = IndexHook(ahead, stores[1])
        done = threading.Event()
        worker = threading.Thread(target=hook.prefetch, args=(done,))
        worker.start()
        deadline = time.monotonic() + 30
        # 40 issues x 3 chunks, and each issue's subject vector
        while len(hook.cache) < 160 and time.monotonic() < deadline:
            time.sleep(0.02)
        done.set()
        worker.join()
        assert len(hook.cache) == 160
        hook()
        assert (hook.cache.hits, hook.cache.misses, len(hook.cache)) == (160, 0, 0)
        expected, got = _vectors(plain), _vectors(ahead)
        assert got.keys() == expected.keys() and len(got) == 160
        assert all(np.array_equal(got[i], expected[i]) for i in got)
        assert check_consistency(ahead, stores[1])["ok"]
    finally:
        for store in stores:
            store.close()


def _slow(fake: FakeRedmine, seconds: float) -> Any:
    def handle(request: httpx.Request) -> httpx.Response:
        if seconds and request.url.path.startswith("/issues/"):
            time.sleep(seconds)  # a Redmine that takes a moment per issue, as real ones do
        return fake.handle(request)

    return httpx.MockTransport(handle)


def _full_sync(
    tmp_path: Path, issues: int, hook_class: type[IndexHook], delay_s: float = 0.0
) -> tuple[dict[str, Any], IndexHook, bool]:
    """A full sync job of ``issues`` fake issues with ``hook_class`` as its index step;
    returns the job, the hook and whether the index matches the store afterwards."""
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    fake = FakeRedmine()
    for i in range(1, issues + 1):
        fake.add_issue(i)
    hook = hook_class(settings, store)
    try:
        job = create_job(store, "full", None)
        result = run_job(store, settings, job.id, transport=_slow(fake, delay_s), after_sync=hook)
        return result, hook, bool(check_consistency(settings, store)["ok"])
    finally:
        store.close()


def test_a_sync_job_embeds_while_it_fetches(tmp_path: Path) -> None:
    result, hook, consistent = _full_sync(tmp_path, 800, IndexHook, delay_s=0.004)
    assert result.status == "finished", result
    assert hook.cache.hits > 0  # the prefetch ran during the fetch and the drain used it
    assert hook.cache.hits + hook.cache.misses == 1600  # each issue: its chunk and subject
    assert consistent


class _BrokenPrefetch(IndexHook):
    def prefetch(self, done: threading.Event) -> None:
        raise RuntimeError("prefetch broke")


def test_a_failing_prefetch_only_costs_the_head_start(tmp_path: Path) -> None:
    result, hook, consistent = _full_sync(tmp_path, 120, _BrokenPrefetch)
    assert result.status == "finished", result
    assert (hook.cache.hits, hook.cache.misses) == (0, 240)  # chunk and subject vectors
    assert consistent


class _SlowEmbedder(HashingEmbedder):
    def embed(self, texts: list[str]) -> np.ndarray:
        time.sleep(0.002 * len(texts))  # a model on a busy CPU: 2 ms a text
        return super().embed(texts)


def test_the_prefetch_stops_within_one_embed_batch_when_the_sync_ends(tmp_path: Path) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    try:
        _fill(store, 200)  # 600 chunks: ten batches of 64, 0.13 s each
        hook = IndexHook(settings, store)
        hook._embedder = _SlowEmbedder(settings.embedding.dim)
        done = threading.Event()
        worker = threading.Thread(target=hook.prefetch, args=(done,))
        worker.start()
        while len(hook.cache) == 0:
            time.sleep(0.01)
        done.set()
        stopped = time.monotonic()
        worker.join()
        assert time.monotonic() - stopped < 0.5 and 0 < len(hook.cache) < 600
    finally:
        store.close()
