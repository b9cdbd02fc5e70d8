"""A failed job's error, which API clients read, names files within the data dir."""

from __future__ import annotations

from pathlib import Path

from rrag.index.hook import IndexHook
from rrag.store.db import open_store
from rrag.sync import create_job, run_job
from tests.index import seed
from tests.sync.fake_redmine import FakeRedmine


def test_an_index_failure_after_a_sync_names_no_absolute_path(tmp_path: Path) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    fake = FakeRedmine()
    fake.add_issue(1)
    settings.store.index_path.write_bytes(b"garbage")
    try:
        job_id = create_job(store, "full", None).id
        hook = IndexHook(settings, store)
        job = run_job(store, settings, job_id, transport=fake.transport(), after_sync=hook)
    finally:
        store.close()
    assert job.status == "failed" and job.error.type == "index_state"
    message = job.error.message
    assert "RRAG_DATA_DIR/chunks.index" in message and "rrag index --rebuild" in message
    assert str(tmp_path) not in message
