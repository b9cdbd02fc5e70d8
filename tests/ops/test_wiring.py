"""The one wiring place: every front end opens a data directory the same safe way."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rrag.cli.context import Context
from rrag.errors import StoreBusy, StoreError
from rrag.ops import restore
from rrag.ops.diagnostics import health_report
from rrag.ops.restore import stage_snapshot
from rrag.ops.runbook import ensure_store
from rrag.ops.swap import SWAP_ORDER, SwapPlan, begin, swap_steps
from rrag.ops.wiring import Workbench
from rrag.settings import Settings
from rrag.store.db import Store, open_store
from rrag.store.locks import SERVE_LOCK, StoreLock
from rrag.sync import jobs
from tests.ops.pairs import make_settings, pair_state

#: how the CLI, the runbooks and ops code open a store (the API: see the serve tests)
OPENERS: dict[str, Callable[[Settings], Store]] = {
    "workbench": lambda s: Workbench(s).store,
    "cli": lambda s: Context(s).store,
    "runbook": ensure_store,
}


def _orphaned_job(settings: Settings) -> str:
    """A job left ``running`` by a process that died (nobody holds ``sync.lock``)."""
    store = open_store(settings.store.data_dir)
    try:
        return jobs.create_job(store, "incremental", None, running=True).id
    finally:
        store.close()


def _status(settings: Settings, job_id: str) -> tuple[str, str | None]:
    store = open_store(settings.store.data_dir)
    try:
        job = jobs.get_job(store, job_id)
        return job.status, job.error_type
    finally:
        store.close()


@pytest.mark.parametrize("opener", sorted(OPENERS))
def test_every_opener_finishes_an_interrupted_restore(
    live: Settings, new_snapshot: dict[str, Any], opener: str
) -> None:
    data_dir = live.store.data_dir
    new_files = stage_snapshot(Path(new_snapshot["path"]), data_dir, new_snapshot["manifest"])
    plan = SwapPlan(str(data_dir), new_files, [n for n in SWAP_ORDER if (data_dir / n).exists()])
    begin(plan)
    for step in swap_steps(plan)[:2]:  # crash with old files half moved aside
        step()

    OPENERS[opener](live).close()

    state = pair_state(data_dir)
    assert state["issues"] == 45 and state["matching"], state["problems"]


@pytest.mark.parametrize("opener", sorted(OPENERS))
def test_every_opener_fails_the_jobs_of_a_dead_worker(live: Settings, opener: str) -> None:
    job_id = _orphaned_job(live)
    OPENERS[opener](live).close()
    assert _status(live, job_id) == ("failed", "worker_lost")


def test_the_workbench_reports_what_it_recovered(live: Settings) -> None:
    job_id = _orphaned_job(live)
    with Workbench(live) as bench:
        bench.open()
        assert bench.recovered_jobs == [job_id] and bench.restore_recovery == "none"


def test_the_health_report_looks_without_touching_jobs(live: Settings) -> None:
    job_id = _orphaned_job(live)
    report = health_report(live)
    assert report["jobs"]["running"] == 1
    assert _status(live, job_id) == ("running", None)


def test_a_serving_workbench_holds_the_serve_lock_until_closed(
    live: Settings, new_snapshot: dict[str, Any]
) -> None:
    data_dir = live.store.data_dir
    bench = Workbench(live, serve=True)
    bench.open()
    try:
        assert StoreLock(data_dir, SERVE_LOCK).held_elsewhere()
        with pytest.raises(StoreBusy, match="API server"):
            restore(live, Path(new_snapshot["path"]), force=True)
    finally:
        bench.close()
    assert not StoreLock(data_dir, SERVE_LOCK).held_elsewhere()
    assert not bench.is_open
    with pytest.raises(StoreError, match="closed"):  # a request racing the shutdown
        bench.retriever()
    assert not StoreLock(data_dir, SERVE_LOCK).held_elsewhere()


def test_a_serving_workbench_refuses_while_a_restore_holds_the_store(live: Settings) -> None:
    restoring = StoreLock(live.store.data_dir, SERVE_LOCK)  # a restore holds it exclusively
    assert restoring.acquire()
    bench = Workbench(live, serve=True)
    try:
        with pytest.raises(StoreBusy, match="restore is replacing"):
            bench.open()
        assert not bench.is_open
    finally:
        restoring.release()
    with bench:
        assert bench.store.path == live.store.db_path


def test_one_retriever_is_shared_by_every_thread(live: Settings) -> None:
    seen: list[Any] = []
    with Workbench(live) as bench:
        threads = [threading.Thread(target=lambda: seen.append(bench.retriever())) for _ in "abcd"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(seen) == 4 and all(r is seen[0] for r in seen)
        assert seen[0].embedder.provider == "hashing"


def test_a_data_dir_that_fails_to_open_leaves_no_lock_held(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "rrag.db").mkdir(parents=True)  # not a database: opening fails
    bench = Workbench(make_settings(data_dir), serve=True)
    with pytest.raises(StoreError, match="cannot prepare the store"):
        bench.open()
    assert not bench.is_open
    assert not StoreLock(data_dir, SERVE_LOCK).held_elsewhere()
