"""Search through the app when the vector index is unreadable, and for wordless queries."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.index import IndexUpdater
from rrag.store.db import open_store
from tests.api.conftest import APP_TOKEN, AppFactory, api_settings, auth
from tests.index.seed import small_corpus


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    settings = api_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    small_corpus(store)
    IndexUpdater(settings, store).drain()
    store.close()
    return settings.store.data_dir


@pytest.fixture
def app_client(data_dir: Path, make_client: AppFactory) -> TestClient[Any]:
    return make_client(f"{APP_TOKEN}:projects=1|2")


def _search(client: TestClient[Any], query: str, mode: str) -> Any:
    return client.post(
        "/v1/search", json={"query": query, "k": 5, "mode": mode}, headers=auth(APP_TOKEN)
    )


def test_a_corrupt_vector_index_leaves_lexical_up_and_names_no_path(
    app_client: TestClient[Any], data_dir: Path
) -> None:
    before = _search(app_client, "LDAP login", "lexical").json()["results"]
    (data_dir / "chunks.index").write_bytes(b"\x00garbage" * 64)

    lexical = _search(app_client, "LDAP login", "lexical")
    assert lexical.status_code == 200 and lexical.json()["results"] == before
    hybrid = _search(app_client, "LDAP login", "hybrid")
    assert hybrid.status_code == 200 and hybrid.json()["results"] == before
    assert "chunks.index in RRAG_DATA_DIR" in hybrid.json()["degraded"]
    vector = _search(app_client, "LDAP login", "vector")
    assert vector.status_code == 503, vector.text
    assert vector.json()["error"]["type"] == "index_state"
    assert "rrag index --rebuild" in vector.json()["error"]["message"]
    similar = app_client.get("/v1/issues/10/similar", headers=auth(APP_TOKEN))
    assert similar.status_code == 200 and "degraded" in similar.json()
    for response in (lexical, hybrid, vector, similar):
        assert "/tmp" not in response.text and str(data_dir) not in response.text


def test_a_degraded_search_is_logged_as_the_lexical_search_it_ran(
    app_client: TestClient[Any], data_dir: Path, json_log: io.StringIO
) -> None:
    (data_dir / "chunks.index").write_bytes(b"\x00garbage" * 64)
    assert "degraded" in _search(app_client, "LDAP login", "hybrid").json()
    served = [json.loads(line) for line in json_log.getvalue().splitlines()]
    served = [e for e in served if e["event"] == "search_served"]
    assert [(e["requested_mode"], e["retrieval_mode"]) for e in served] == [("hybrid", "lexical")]


@pytest.mark.parametrize("query", ["?!...", "---", "()"])
def test_a_query_without_words_answers_nothing(app_client: TestClient[Any], query: str) -> None:
    for mode in ("lexical", "vector", "hybrid"):
        response = _search(app_client, query, mode)
        assert response.status_code == 200, response.text
        assert (
            response.json()["results"] == [] and "no letters or digits" in response.json()["note"]
        )
    asked = app_client.post("/v1/ask", json={"question": query}, headers=auth(APP_TOKEN))
    assert asked.status_code == 200, asked.text
    assert asked.json()["sources"] == [] and asked.json()["citations"] == []
