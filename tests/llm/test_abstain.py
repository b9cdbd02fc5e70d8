"""Abstention: nothing relevant retrieved means saying so, with no sources shown."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rrag.llm import open_answerer
from rrag.llm.abstain import (
    HASHING_ABSTAIN_SCORE,
    SEMANTIC_ABSTAIN_SCORE,
    abstain_threshold,
    nothing_relevant,
    relevance_bar,
)
from rrag.llm.answer import load_passages
from rrag.retrieval import ChunkHit, Retriever, SearchHit
from rrag.retrieval.caller import Caller
from rrag.store.db import open_store
from tests.llm.test_ask_cli import settings as settings  # the seeded store (a fixture)
from tests.retrieval.conftest import cli


def test_the_extractive_relevance_bar_is_the_threshold_for_semantic_embedders_only(
    settings: Any,
) -> None:
    assert relevance_bar(0.5, "sentence-transformers") == 0.5
    assert relevance_bar(0.6, "ollama") == 0.6
    assert relevance_bar(0.25, "hashing") is None  # its cosine is shared n-grams
    assert open_answerer(settings, "sentence-transformers").relevant_at == SEMANTIC_ABSTAIN_SCORE
    assert open_answerer(settings, "hashing").relevant_at is None


def test_threshold_follows_the_embedder_unless_set() -> None:
    assert abstain_threshold(None, "hashing") == HASHING_ABSTAIN_SCORE
    assert abstain_threshold(None, "sentence-transformers") == SEMANTIC_ABSTAIN_SCORE
    assert abstain_threshold(None, "ollama") == SEMANTIC_ABSTAIN_SCORE
    assert abstain_threshold(0.7, "hashing") == 0.7


def _hit(similarity: float | None) -> SearchHit:
    """A result as retrieval returns it; only its similarity matters here."""
    chunk = ChunkHit(chunk_id=1, kind="issue", url="http://redmine/issues/1", score=1.0)
    return SearchHit(
        issue_id=1,
        subject="s",
        project_id=1,
        project=None,
        tracker=None,
        status=None,
        kind="issue",
        wiki_title=None,
        score=1.0,
        url=chunk.url,
        snippet="s",
        matched_by=["vector"],
        chunks=[chunk],
        similarity=similarity,
    )


@pytest.mark.parametrize(
    "similarities, mode, expected",
    [
        ([], "hybrid", True),
        ([0.2, 0.1], "hybrid", True),
        ([None, None], "hybrid", True),
        ([0.2, 0.55], "hybrid", False),
        ([0.5], "vector", False),
        ([None], "lexical", False),  # no vector side: no comparable score, not judged
    ],
)
def test_nothing_relevant(similarities: list[float | None], mode: str, expected: bool) -> None:
    results = [_hit(s) for s in similarities]
    assert nothing_relevant(results, mode, 0.5) is expected


@pytest.mark.parametrize(
    "question", ["how do I roll back a helm release in kubernetes", "capital of Australia?"]
)
def test_extractive_ask_abstains_without_sources(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any, question: str
) -> None:
    code, out, _err = cli(settings, monkeypatch, capsys, "ask", question, "--json")
    body = json.loads(out)
    assert code == 0
    assert body["abstained"] is True and body["grounded"] is False
    assert body["sources"] == [] and body["citations"] == []
    assert body["answerer"] == "extractive" and body["fallback_reason"] is None
    assert "do not answer" in body["answer"]


def test_a_relevant_question_is_answered_with_sources(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    code, out, _err = cli(settings, monkeypatch, capsys, "ask", "LDAP sign in fails", "--json")
    body = json.loads(out)
    assert code == 0 and body["abstained"] is False and body["sources"]


def test_the_threshold_is_a_setting(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("RETRIEVAL_ABSTAIN_SCORE", "0.99")
    code, out, _err = cli(settings, monkeypatch, capsys, "ask", "LDAP sign in fails", "--json")
    body = json.loads(out)
    assert code == 0 and body["abstained"] is True and body["sources"] == []


def test_passages_carry_their_results_similarity_for_the_extractive_relevance_bar(
    settings: Any,
) -> None:
    store = open_store(settings.store.data_dir)
    try:
        results = Retriever(settings, store).search("LDAP sign in fails", k=5).results
        passages = load_passages(store, results, Caller.default())
    finally:
        store.close()
    assert passages and all(p.similarity is not None for p in passages)
    assert [p.similarity for p in passages] == [results[p.rank].similarity for p in passages]
