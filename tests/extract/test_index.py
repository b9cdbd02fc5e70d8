"""Extractions are chunks of their own: searchable, shown with their issue, cited with
its URL, private when their issue is, replaced when the extraction changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import text

from rrag.extract import run_new_extract_job
from rrag.index import IndexUpdater
from rrag.retrieval import Caller, Retriever, SearchHit
from rrag.settings import EmbeddingSettings, Settings
from rrag.store.db import Store
from tests.extract.conftest import extract_settings, fields, issue_of, seed_issues
from tests.llm.ollama_standin import OllamaStandIn

PUBLIC = Caller.default()
ADMIN = Caller(every_project=True, see_private=True)
#: plain words (no exact tokens, so grounding keeps them) found only in each extraction
WORD = {1: "wallaby", 2: "quokka"}


def _reply(request: dict[str, Any]) -> str:
    n = issue_of(request)
    summary = f"A {WORD[n]} importer stops on blank lines."  # 4 of its 5 words are grounded
    return json.dumps(fields(summary=summary, symptoms=["stops"]))


def _extract_and_index(tmp_path: Path, store: Store, standin: OllamaStandIn) -> Settings:
    settings = extract_settings(tmp_path, standin.base_url).model_copy(
        update={"embedding": EmbeddingSettings(provider="hashing")}
    )
    updater = IndexUpdater(settings, store)
    job = run_new_extract_job(store, settings, None, after=updater.drain)
    assert job.status == "finished", job
    return settings


def _found(
    settings: Settings, store: Store, query: str, caller: Caller, mode: str = "hybrid"
) -> list[SearchHit]:
    return Retriever(settings, store).search(query, mode=mode, caller=caller).results


def test_a_private_issues_extraction_is_invisible_to_a_public_caller(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 2))
    seed_issues(store, range(2, 3), private=True)
    standin.reply = _reply
    settings = _extract_and_index(tmp_path, store, standin)
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT issue_id, is_private, url FROM chunks WHERE kind = 'extract'")
        ).all()
    assert sorted((r[0], bool(r[1])) for r in rows) == [(1, False), (2, True)]
    assert all(r[2].endswith(f"/issues/{r[0]}") for r in rows)  # cited with the issue
    for mode in ("hybrid", "lexical", "vector"):
        seen = _found(settings, store, "quokka importer", PUBLIC, mode)
        assert all(r.issue_id != 2 for r in seen), (mode, seen)
    mine = _found(settings, store, "quokka", ADMIN)
    assert mine and mine[0].issue_id == 2
    assert b"quokka" not in msgspec.json.encode(_found(settings, store, "quokka", PUBLIC))
    public = _found(settings, store, "wallaby", PUBLIC)
    assert public[0].issue_id == 1 and public[0].chunks[0].kind == "extract"


def test_a_new_extraction_replaces_the_old_chunk(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 2))
    standin.reply = _reply
    settings = _extract_and_index(tmp_path, store, standin)
    standin.reply = lambda _r: json.dumps(fields(summary="A numbat importer stops on blanks."))
    updater = IndexUpdater(settings, store)
    run_new_extract_job(store, settings, None, force=True, after=updater.drain)
    with store.engine.connect() as conn:
        texts = [r[0] for r in conn.execute(text("SELECT text FROM chunks WHERE kind='extract'"))]
    assert len(texts) == 1 and "numbat" in texts[0] and WORD[1] not in texts[0]


def test_a_value_repeated_across_fields_is_indexed_once(
    tmp_path: Path, store: Store, standin: OllamaStandIn
) -> None:
    seed_issues(store, range(1, 2))
    said = "The wallaby importer stops on blank lines."
    standin.reply = lambda _r: json.dumps(
        fields(summary=said, symptoms=[said, "stops"], root_cause=said.upper(), workaround=said)
    )
    _extract_and_index(tmp_path, store, standin)
    with store.engine.connect() as conn:
        texts = [r[0] for r in conn.execute(text("SELECT text FROM chunks WHERE kind='extract'"))]
    assert len(texts) == 1 and texts[0].count("wallaby") == 1, texts
    assert "Symptoms: stops" in texts[0]
