"""Guardrail events: one per (kind, rule, source), counted once however often seen."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from rrag.guardrails import count_events, flush_events, record_event
from rrag.guardrails.events import list_events
from rrag.logs import JsonFormatter
from rrag.store.db import Store, open_store
from rrag.store.migrations import MIGRATIONS, V_GUARDRAIL_DEDUP, migrate


def test_the_same_flag_seen_again_is_one_event_with_a_seen_count(store: Store) -> None:
    for _ in range(6):  # six asks retrieving the same planted passage
        record_event(store, "prompt_injection", "issue:10", {"pattern": "override"})
    record_event(store, "prompt_injection", "issue:10", {"pattern": "exfiltration"})
    record_event(store, "prompt_injection", "issue:11", {"pattern": "override"})
    assert count_events(store)["prompt_injection"] == 3
    events = {(e["rule"], e["source"]): e for e in list_events(store)}
    assert events[("override", "issue:10")]["seen"] == 6
    assert events[("override", "issue:11")]["seen"] == 1


def test_events_without_a_rule_are_told_apart_by_their_detail(store: Store) -> None:
    record_event(store, "ungrounded_claim", "issue:3", {"reason": "not in the cited: 7.0"})
    record_event(store, "ungrounded_claim", "issue:3", {"reason": "a negation"})
    record_event(store, "ungrounded_claim", "issue:3", {"reason": "a negation"})
    assert count_events(store)["ungrounded_claim"] == 2


def test_list_events_filters_by_kind_and_time(store: Store) -> None:
    record_event(store, "unsafe_content", "issue:1", {"rule": "secret:aws_access_key"})
    record_event(store, "prompt_injection", "issue:2", {"pattern": "override"})
    assert [e["kind"] for e in list_events(store, kind="unsafe_content")] == ["unsafe_content"]
    assert list_events(store, since="2999-01-01") == []
    assert len(list_events(store, since="2000-01-01")) == 2


def test_every_event_is_logged_with_reason_and_masked_context(store: Store) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rrag.guardrails")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        key = "AKIA" + "Q3ZC7RL2M9XW4BTE"
        record_event(
            store, "unsafe_content", "issue:9#change-4", {"rule": "secret", "excerpt": key}
        )
        assert flush_events(store, timeout=30)  # the writer thread logs after the upsert
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["guardrail_reason"] == "secret"
    assert line["guardrail_context"]["bucket"] == "unsafe_content"
    assert line["guardrail_context"]["where"] == "issue:9#change-4"
    assert key not in stream.getvalue() and "[masked:aws_access_key]" in stream.getvalue()
    stored = list_events(store)[0]["detail"]
    assert key not in json.dumps(stored)


def test_the_migration_folds_old_duplicate_rows_into_one_event(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    conn.execute("BEGIN")
    dedup = MIGRATIONS.index(V_GUARDRAIL_DEDUP)
    for number, statements in enumerate(MIGRATIONS[:dedup], start=1):
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (?, ?)", (number, "2026-01-01"))
    rows = [("issue:1", "override", "2026-01-01T00:00:00")] * 3 + [
        ("issue:1", "exfiltration", "2026-01-02T00:00:00"),
        ("issue:2", "override", "2026-01-03T00:00:00"),
    ]
    for source, pattern, at in rows:
        conn.execute(
            "INSERT INTO guardrail_events(kind, created_at, source, detail) VALUES (?, ?, ?, ?)",
            ("prompt_injection", at, source, json.dumps({"pattern": pattern})),
        )
    conn.execute("COMMIT")
    migrate(conn)
    folded = conn.execute(
        "SELECT source, rule, seen FROM guardrail_events ORDER BY source, rule"
    ).fetchall()
    conn.close()
    assert folded == [
        ("issue:1", "exfiltration", 1),
        ("issue:1", "override", 3),
        ("issue:2", "override", 1),
    ]


def test_counters_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    record_event(store, "prompt_injection", "issue:1", {"pattern": "override"})
    store.close()
    reopened = open_store(data)
    try:
        assert count_events(reopened)["prompt_injection"] == 1
        record_event(reopened, "prompt_injection", "issue:1", {"pattern": "override"})
        assert [e["seen"] for e in list_events(reopened)] == [2]
    finally:
        reopened.close()


@pytest.mark.parametrize("kind", ["bogus", ""])
def test_an_unknown_kind_is_an_input_error(store: Store, kind: str) -> None:
    from rrag.errors import InputError

    with pytest.raises(InputError, match="guardrail kind"):
        record_event(store, kind, "issue:1", {})
    assert set(count_events(store).values()) == {0}


def test_a_long_detail_is_stored_short_and_still_reads_back(store: Store) -> None:
    key = "AKIA" + "Q3ZC7RL2M9XW4BTE"
    record_event(store, "ungrounded_claim", "issue:8", {"sentence": f"{key} " + "x" * 5000})
    (event,) = list_events(store)  # a cut JSON string would not parse here
    assert event["detail"]["truncated"] and key not in json.dumps(event["detail"])
    assert event["detail"]["excerpt"].startswith("[masked:aws_access_key]")


def test_an_event_without_an_excerpt_gets_one_from_its_source(store: Store) -> None:
    from tests.index import seed

    key = "AKIA" + "Q3ZC7RL2M9XW4BTE"
    seed.project(store, 1)
    filler = "The upload worker retries three times before it gives up on the bucket. " * 3
    note = f"{filler}Our config\u200b uses access key {key} for uploads."
    seed.issue(store, 9, "S3 upload", "Upload fails.", notes=[{"id": 4, "notes": note}])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rrag.guardrails")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        record_event(store, "unsafe_content", "issue:9#change-4", {"rule": "secret:aws"})
        record_event(store, "prompt_injection", "issue:9", {"pattern": "override"})
        assert flush_events(store, timeout=30)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    excerpts = {e["guardrail_context"]["where"]: e["guardrail_context"]["excerpt"] for e in lines}
    assert "uses access key [masked:aws_access_key]" in excerpts["issue:9#change-4"]
    assert excerpts["issue:9"] == "S3 upload: Upload fails."
    assert key not in stream.getvalue() and "\u200b" not in stream.getvalue()
    stored = {e["source"]: e["detail"] for e in list_events(store)}
    assert stored["issue:9#change-4"]["excerpt"] == excerpts["issue:9#change-4"]
