"""Extraction runs through the real ``ollama`` client against the stand-in, over HTTP:
resumable batches, skipping what is current, version bumps, the concurrency limit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from rrag.extract import run_new_extract_job
from rrag.store.db import Store
from rrag.sync.jobs import list_jobs
from tests.extract.conftest import extract_settings, grounded_reply, issue_of, seed_issues
from tests.index import seed
from tests.llm.ollama_standin import OllamaStandIn


def stored(store: Store) -> dict[int, dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM extractions ORDER BY issue_id")).mappings()
        return {int(r["issue_id"]): dict(r) for r in rows}


def asked(standin: OllamaStandIn, since: int = 0) -> list[int]:
    return [issue_of(r) for r in standin.received[since:]]


def test_a_run_extracts_every_issue_and_stores_version_model_and_hash(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 6))
    job = run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), None)
    assert job.kind == "extract" and job.status == "finished", job
    assert job.counters["extracted"] == 5 and job.counters["failed"] == 0
    rows = stored(store)
    assert sorted(rows) == [1, 2, 3, 4, 5]
    with store.engine.connect() as conn:
        hashes = dict(conn.execute(text("SELECT id, content_hash FROM issues")).all())
    for issue_id, row in rows.items():
        assert row["status"] == "ok" and row["extractor_version"] == "1"
        assert row["model"] == "ollama:llama3.1:8b"
        assert row["content_hash"] == hashes[issue_id]
        assert json.loads(row["fields"])["error_signatures"] == [f"ERR_IMPORT_{issue_id}"]
    # the job is in the one job table, listed with its kind
    assert [j.kind for j in list_jobs(store)] == ["extract"]


def test_a_batch_interrupted_by_the_server_dying_is_resumed_without_redoing_committed_ones(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 11))
    settings = extract_settings(tmp_path, standin.base_url, batch=4, concurrency=1)
    calls = {"n": 0}

    def dies_after_six(request: dict[str, Any]) -> str:
        calls["n"] += 1
        if calls["n"] == 6:
            standin.drop = 10**6  # from here on every connection dies without a reply
        return grounded_reply(request)

    standin.reply = dies_after_six
    first = run_new_extract_job(store, settings, None)
    assert first.status == "failed" and first.error.type == "llm_unavailable", first
    # the first batch (1-4) committed; the one in flight (5-8) is lost as a whole
    assert sorted(stored(store)) == [1, 2, 3, 4]
    assert first.counters["extracted"] == 4

    standin.drop, before = 0, len(standin.received)  # the runtime is back
    second = run_new_extract_job(store, settings, None)
    assert second.status == "finished", second
    assert asked(standin, before) == [5, 6, 7, 8, 9, 10]  # nothing committed is redone
    assert second.counters["unchanged"] == 4 and second.counters["extracted"] == 6
    assert sorted(stored(store)) == list(range(1, 11))


def test_unchanged_issues_are_skipped_and_a_changed_one_is_extracted_again(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 5))
    settings = extract_settings(tmp_path, standin.base_url)
    run_new_extract_job(store, settings, None)
    before = len(standin.received)
    again = run_new_extract_job(store, settings, None)
    assert asked(standin, before) == []
    assert again.counters["unchanged"] == 4 and again.counters["extracted"] == 0
    seed.issue(store, 3, "Importer crash 3", "The importer stops with ERR_IMPORT_3 (case 3).")
    third = run_new_extract_job(store, settings, None)
    assert asked(standin, before) == [3]
    assert third.counters == {**third.counters, "unchanged": 3, "extracted": 1}


def test_a_version_bump_re_extracts_all_and_force_does_too(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 5))
    settings = extract_settings(tmp_path, standin.base_url)
    run_new_extract_job(store, settings, None)
    before = len(standin.received)
    bumped = run_new_extract_job(store, settings, None, version="2")
    assert sorted(asked(standin, before)) == [1, 2, 3, 4]
    assert bumped.counters["extracted"] == 4
    assert {row["extractor_version"] for row in stored(store).values()} == {"2"}
    before = len(standin.received)
    forced = run_new_extract_job(store, settings, None, force=True, version="2")
    assert sorted(asked(standin, before)) == [1, 2, 3, 4] and forced.counters["unchanged"] == 0


def test_project_ids_limit_the_run(tmp_path: Path, store: Store, standin: OllamaStandIn) -> None:
    seed_issues(store, range(1, 3))
    seed_issues(store, range(3, 5), project_id=2)
    job = run_new_extract_job(store, extract_settings(tmp_path, standin.base_url), [2])
    assert sorted(asked(standin)) == [3, 4] and job.project_ids == [2]


def test_at_most_ollama_max_concurrency_requests_are_in_flight_on_the_server(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 13))
    standin.delay_s = 0.15
    settings = extract_settings(tmp_path, standin.base_url, batch=12, concurrency=3)
    job = run_new_extract_job(store, settings, None)
    assert job.counters["extracted"] == 12
    assert standin.max_in_flight == 3  # reached, never passed


def test_a_cancelled_job_stops_between_batches_with_its_batches_committed(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    import threading

    from rrag.extract import run_extract_job
    from rrag.sync.jobs import create_job

    seed_issues(store, range(1, 9))
    cancel = threading.Event()

    def cancel_in_first_batch(request: dict[str, Any]) -> str:
        cancel.set()  # as the API's shutdown does, while a batch is in flight
        return grounded_reply(request)

    standin.reply = cancel_in_first_batch
    settings = extract_settings(tmp_path, standin.base_url, batch=4, concurrency=1)
    job = create_job(store, "incremental", None, kind="extract")
    done = run_extract_job(store, settings, job.id, cancel=cancel)
    assert done.status == "cancelled" and done.counters["extracted"] == 4
    assert sorted(stored(store)) == [1, 2, 3, 4]
