"""Crashes outside a request (the sync worker's last resort) are logged at error level."""

from __future__ import annotations

import io
import json

from rrag.api.worker import SyncWorker
from rrag.settings import Settings
from rrag.store.db import Store


def test_a_crashed_sync_thread_is_logged_at_error_level(
    store: Store, settings: Settings, json_log: io.StringIO
) -> None:
    def broken_after_sync() -> None:
        raise ZeroDivisionError("the after-sync hook could not be built")

    worker = SyncWorker(store, settings, broken_after_sync)
    job = worker.submit("full", [1])
    assert worker.shutdown(timeout_s=30) == []
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    [crash] = [line for line in lines if line["event"] == "sync_job_crashed"]
    assert (crash["level"], crash["exc_type"], crash["job_id"]) == (
        "error",
        "ZeroDivisionError",
        job.id,
    )
