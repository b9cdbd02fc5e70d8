"""Search, ask and similar through the app, under each token's visibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from rrag.index import IndexUpdater
from rrag.store.db import open_store
from tests.api.conftest import APP_TOKEN, AppFactory, api_settings, auth
from tests.index.seed import small_corpus

RESULT_KEYS = {
    "issue_id",
    "subject",
    "project_id",
    "status",
    "score",
    "url",
    "snippet",
    "matched_by",
}


@pytest.fixture
def corpus_client(tmp_path: Path, make_client: AppFactory) -> TestClient[Any]:
    settings = api_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    small_corpus(store)
    IndexUpdater(settings, store).drain()
    store.close()
    from tests.api.conftest import OPS_TOKEN

    return make_client(f"{OPS_TOKEN}:private,{APP_TOKEN}:projects=1|2")


def _ids(body: dict[str, Any]) -> set[int]:
    return {r["issue_id"] for r in body["results"]}


def test_search_returns_the_cli_shape(corpus_client: TestClient[Any]) -> None:
    response = corpus_client.post(
        "/v1/search", json={"query": "LDAP login", "k": 5}, headers=auth()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"mode", "took_ms", "results"} and body["mode"] == "hybrid"
    assert body["results"][0]["issue_id"] == 10
    assert all(set(r) >= RESULT_KEYS for r in body["results"])
    assert body["results"][0]["url"] == "http://127.0.0.1:9/issues/10"


@pytest.mark.parametrize("mode", ["lexical", "vector", "hybrid"])
def test_search_applies_the_tokens_visibility(corpus_client: TestClient[Any], mode: str) -> None:
    query = {"query": "zebracorn", "k": 20, "mode": mode}
    ops = corpus_client.post("/v1/search", json=query, headers=auth()).json()
    app = corpus_client.post("/v1/search", json=query, headers=auth(APP_TOKEN)).json()
    assert 12 in _ids(ops)  # private issue: the ops token may see private content
    assert not {12, 13} & _ids(app)  # neither the private issue nor the hidden project
    assert 13 not in _ids(ops)  # project 3 is not public and not in the ops token's scope


def test_ask_quotes_retrieved_text_with_citations(corpus_client: TestClient[Any]) -> None:
    response = corpus_client.post(
        "/v1/ask", json={"question": "Why does LDAP login fail?"}, headers=auth()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grounded"] is True and body["answerer"] == "extractive"
    assert body["citations"][0]["url"].startswith("http://127.0.0.1:9/issues/10")
    assert "[1]" in body["answer"]
    for citation in body["citations"]:
        assert citation["quote"] in body["answer"]


def test_ask_never_quotes_a_private_note_to_a_public_token(
    corpus_client: TestClient[Any],
) -> None:
    question = {"question": "zebracorn password reset workaround for LDAP"}
    ops = corpus_client.post("/v1/ask", json=question, headers=auth()).json()
    app = corpus_client.post("/v1/ask", json=question, headers=auth(APP_TOKEN)).json()
    assert "zebracorn password reset" in ops["answer"]
    assert "zebracorn" not in app["answer"].lower()


def test_similar_excludes_the_issue_and_hides_invisible_ones(
    corpus_client: TestClient[Any],
) -> None:
    response = corpus_client.get("/v1/issues/10/similar?k=3", headers=auth())
    assert response.status_code == 200, response.text
    assert 10 not in _ids(response.json())
    hidden = corpus_client.get("/v1/issues/13/similar", headers=auth())
    assert hidden.status_code == 422
    assert "not visible" in hidden.json()["error"]["message"]


def test_a_repeated_search_gives_the_same_answer(
    corpus_client: TestClient[Any],
) -> None:
    bodies = [
        corpus_client.post(
            "/v1/search", json={"query": "LDAP login timeout", "k": 5, "mode": mode}, headers=auth()
        ).json()
        for mode in ("lexical", "lexical", "lexical", "hybrid", "hybrid")
    ]
    assert bodies[0]["results"] == bodies[1]["results"] == bodies[2]["results"]
    assert bodies[3]["results"] == bodies[4]["results"] and bodies[0]["results"]
