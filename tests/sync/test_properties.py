"""Invariants under Hypothesis: paging covers total_count; upserts are idempotent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from rrag.store.db import open_store
from rrag.sync import writer
from rrag.sync.client import RedmineClient, build_http
from rrag.sync.normalize import issue_bundle
from tests.conftest import make_settings


@settings(max_examples=60, deadline=None)
@given(total=st.integers(0, 450), server_limit=st.integers(1, 100))
def test_paging_covers_total_count_whatever_limit_the_server_uses(
    total: int, server_limit: int
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        rows = [{"id": i} for i in range(offset, min(offset + server_limit, total))]
        body = {"issues": rows, "total_count": total, "offset": offset, "limit": server_limit}
        return httpx.Response(200, content=json.dumps(body).encode())

    cfg = make_settings(Path("/nonexistent"))
    with build_http(cfg, httpx.MockTransport(handler)) as http:
        client = RedmineClient(http, cfg.redmine)
        got = [r["id"] for items, _ in client.iter_pages("/issues.json", "issues") for r in items]
    assert got == list(range(total))


journal = st.fixed_dictionaries(
    {
        "id": st.integers(1, 10_000),
        "notes": st.text(max_size=50),
        "private_notes": st.booleans(),
        "details": st.just([]),
    }
)
issue = st.fixed_dictionaries(
    {
        "id": st.integers(1, 50),
        "project": st.just({"id": 1}),
        "subject": st.text(max_size=40),
        "description": st.text(max_size=80),
        "status": st.sampled_from([{"id": 1, "name": "New"}, {"id": 5, "name": "Closed"}]),
        "journals": st.lists(journal, max_size=3, unique_by=lambda j: j["id"]),
    }
)


def _dump(path: Path) -> dict[str, Any]:
    store = open_store(path)
    try:
        with store.engine.connect() as conn:
            tables = ("issues", "journals", "index_queue")
            return {
                t: conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables
            }
    finally:
        store.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.lists(issue, min_size=1, max_size=6, unique_by=lambda i: i["id"]))
def test_saving_the_same_bundles_twice_changes_nothing(tmp_path_factory: Any, raw: list) -> None:
    # journal ids are global in Redmine: keep them unique across issues
    seen: set[int] = set()
    for item in raw:
        item["journals"] = [
            j for j in item["journals"] if not (j["id"] in seen or seen.add(j["id"]))
        ]
    data = tmp_path_factory.mktemp("idem")
    bundles = [issue_bundle(r, {5}, index_private=False, max_bytes=10_000) for r in raw]
    store = open_store(data)
    with store.write() as session:
        session.execute(text("INSERT INTO projects(id, identifier, name) VALUES (1,'p','P')"))
        writer.save_bundles(session, bundles)
    once = _dump(data)
    with store.write() as session:
        writer.save_bundles(session, bundles)
    store.close()
    assert _dump(data) == once
    assert not any(row[4] for row in once["journals"]), "private notes are never stored"
