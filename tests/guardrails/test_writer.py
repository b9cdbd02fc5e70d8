"""Guardrail events are written off the read path: an ask never waits on a writer.

A real store and index (hashing embedder) with an issue carrying an AWS key; another
connection holds SQLite's write lock (``BEGIN IMMEDIATE``) while the question is asked,
as a sync committing a large batch would.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rrag.guardrails import count_events, flush_events, list_events, record_event
from rrag.guardrails.events import _write_batch
from rrag.guardrails.writer import EventWriter
from rrag.index import IndexUpdater
from rrag.llm import Answer, ask
from rrag.retrieval import Caller, Retriever
from rrag.store.db import BUSY_TIMEOUT_MS, Store, open_store
from tests.index import seed

AWS = "AKIA" + "Q3ZC7RL2M9XW4BTE"
QUESTION = "Which access key does the S3 upload use?"


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    seed.small_corpus(store)
    seed.issue(store, 30, "Attachment upload to S3 fails", f"The S3 upload uses access key {AWS}.")
    IndexUpdater(settings, store).drain()
    store.close()
    return settings


def _ask(store: Store, settings: Any) -> Answer:
    return ask(store, Retriever(settings, store).search, QUESTION, 5, Caller.default())


def test_an_ask_answers_while_another_connection_holds_the_write_lock(settings: Any) -> None:
    store = open_store(settings.store.data_dir)
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the write lock, as a long sync batch holds it
    try:
        started = time.perf_counter()
        first = _ask(store, settings)
        took = time.perf_counter() - started
        # a synchronous write would wait the whole busy timeout, then fail "locked"
        assert took < BUSY_TIMEOUT_MS / 1000 / 3
        assert [s.issue_id for s in first.sources][:1] == [30] and AWS not in str(first)
        assert not flush_events(store, timeout=0.2)  # queued, not written yet
        assert count_events(store)["unsafe_content"] == 0  # a reader is not held either
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert flush_events(store, timeout=30)
    assert count_events(store)["unsafe_content"] == 1
    _ask(store, settings)
    _ask(store, settings)
    store.close()  # writes what the last asks queued
    reopened = open_store(settings.store.data_dir)
    try:
        events = list_events(reopened, kind="unsafe_content")
        assert count_events(reopened)["unsafe_content"] == 1  # counted once, after a restart
    finally:
        reopened.close()
    assert [(e["rule"], e["source"], e["seen"]) for e in events] == [
        ("secret:aws_access_key", "issue:30", 3)
    ]


def test_closing_the_store_writes_what_is_queued(store: Store) -> None:
    for n in range(50):
        record_event(store, "prompt_injection", f"issue:{n}", {"pattern": "override"})
    path = store.path
    store.close()
    reopened = Store(path)
    try:
        assert count_events(reopened)["prompt_injection"] == 50
    finally:
        reopened.close()


def test_a_batch_that_could_not_be_written_is_retried_not_lost(store: Store) -> None:
    failures = []

    def locked_once(target: Store, rows: Sequence[dict[str, Any]]) -> None:
        if not failures:  # the first attempt meets a store locked past the busy timeout
            failures.append(len(rows))
            raise sqlite3.OperationalError("database is locked")
        _write_batch(target, rows)

    writer = EventWriter(store, locked_once)
    row = {"kind": "prompt_injection", "rule": "override", "source": "issue:4"}
    writer.put({**row, "at": "2026-01-01T00:00:00.000+00:00", "raw": {"pattern": "override"}})
    assert writer.flush(timeout=30)
    writer.close()
    assert failures == [1]
    assert [(e["source"], e["seen"]) for e in list_events(store)] == [("issue:4", 1)]


def test_flush_with_nothing_recorded_returns_at_once(store: Store) -> None:
    assert flush_events(store, timeout=0)


def test_another_store_on_the_same_file_reads_what_was_queued(store: Store) -> None:
    """The API's store queued it, a reader in the same process opened its own."""
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # so the writer is still waiting when we read
    record_event(store, "prompt_injection", "issue:5", {"pattern": "override"})
    blocker.execute("ROLLBACK")
    blocker.close()
    reader = Store(store.path)
    try:
        assert count_events(reader)["prompt_injection"] == 1
    finally:
        reader.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_records_through_its_own_writer(store: Store) -> None:
    record_event(store, "prompt_injection", "issue:1", {"pattern": "override"})  # parent's
    pid = os.fork()
    if pid == 0:  # the child: the parent's thread is not here; a new one must start
        code = 1
        try:
            record_event(store, "prompt_injection", "issue:2", {"pattern": "override"})
            code = 0 if flush_events(store, timeout=20) else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert {e["source"] for e in list_events(store)} == {"issue:1", "issue:2"}


def test_healthz_counts_while_the_writer_waits_on_the_lock(tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from rrag.api import create_app
    from tests.api.conftest import LOOPBACK_URL, OPS_TOKEN, api_settings, auth

    settings = api_settings(tmp_path / "data", OPS_TOKEN, allowed_hosts=["127.0.0.1"])
    with TestClient(create_app(settings), base_url=LOOPBACK_URL) as client:
        store = open_store(settings.store.data_dir)
        blocker = sqlite3.connect(store.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        record_event(store, "prompt_injection", "issue:1", {"pattern": "override"})
        try:  # the check reads what is stored rather than timing out on the writer
            held = client.get("/healthz?detail=1", headers=auth()).json()["checks"]
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert flush_events(store, timeout=30)
        released = client.get("/healthz?detail=1", headers=auth()).json()["checks"]
        store.close()
    assert held["guardrails"]["status"] == "ok" and held["guardrails"]["prompt_injection"] == 0
    assert released["guardrails"]["prompt_injection"] == 1
