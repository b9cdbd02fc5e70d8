"""Lexical scores mirror FTS5's ``bm25(chunks_fts, 2.0, 1.0)`` (one weighted row per chunk,
FTS5's idf), checked against SQLite's own FTS5; an index of an older schema is rebuilt."""

from __future__ import annotations

import shutil
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest
import tantivy

from rrag.index import IndexUpdater, check_consistency, lexical
from rrag.index.textindex import LexicalIndex, lexical_dir
from rrag.retrieval.caller import Caller
from rrag.retrieval.filters import Filters
from rrag.retrieval.retriever import Retriever
from rrag.store.db import open_store
from tests.index import seed

EVERY = Filters(Caller(None, True, every_project=True))
WORDS = ["export", "pdf", "slow", "login", "ldap", "timeout", "gantt", "wiki", "mail", "crash"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = seed.hashing_settings(tmp_path_factory.mktemp("score") / "data")
    store = open_store(settings.store.data_dir)
    seed.project(store, 1)
    for n in range(1, 301):
        subject = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 2 + n % 3))
        text = " ".join(WORDS[(n * k + 3) % len(WORDS)] for k in range(1, 3 + n % 7))
        seed.issue(store, n, f"{subject} case {n}", text)
    IndexUpdater(settings, store).drain()
    yield settings, store
    store.close()


def _fts5_weighted_row(db_path: Path, query: str) -> dict[int, float]:
    """SQLite's FTS5 bm25 over one column holding the subject twice and the text."""
    rows = sqlite3.connect(db_path).execute("SELECT id, subject, text FROM chunks").fetchall()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(body, tokenize='porter unicode61')")
    db.executemany(
        "INSERT INTO f(rowid, body) VALUES (?, ?)", [(i, f"{s} {s} {t}") for i, s, t in rows]
    )
    match = " OR ".join(f'"{t}"' for t in lexical.query_terms(query))
    sql = "SELECT rowid, -bm25(f) FROM f WHERE f MATCH ?"
    return {int(i): float(s) for i, s in db.execute(sql, (match,))}


@pytest.mark.parametrize("query", ["ldap", "export pdf", "gantt crash timeout", "mail case 7"])
def test_scores_are_fts5_bm25_of_the_weighted_row(indexed: Any, query: str) -> None:
    settings, _ = indexed
    index = LexicalIndex(lexical_dir(settings.store.data_dir))
    got = dict(index.search(query, 10_000, EVERY, frozenset({1})))
    expected = _fts5_weighted_row(settings.store.db_path, query)
    assert got.keys() == expected.keys()
    # tantivy counts its generation document in the average length: 1 in ~300 here
    for chunk_id, score in expected.items():
        assert got[chunk_id] == pytest.approx(score, rel=5e-3, abs=1e-5)


def test_a_word_in_half_the_chunks_weighs_nothing_and_is_left_out_at_scale(
    indexed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = indexed
    index = LexicalIndex(lexical_dir(settings.store.data_dir))
    searcher = index.index.searcher()
    weightless = index.search("case", 10_000, EVERY, frozenset({1}))  # "case": every chunk
    assert len(weightless) == 300 and max(s for _, s in weightless) < 1e-5
    monkeypatch.setattr(lexical, "COMMON_MIN_ROWS", 100)  # as FTS5 did above 2,000 chunks
    assert [t for t, _ in lexical.weighted_terms(searcher, ["case", "gantt"])] == ["gantt"]
    assert [t for t, _ in lexical.weighted_terms(searcher, ["case"])] == ["case"]


def _previous_format(path: Path, generation: int) -> None:
    """An index as format 2 wrote it (subject and text fields), at ``generation``."""
    shutil.rmtree(path)
    path.mkdir(mode=0o700)
    schema = (
        tantivy.SchemaBuilder()
        .add_integer_field("chunk_id", indexed=True, fast=True)
        .add_text_field("subject", index_option="freq")
        .add_text_field("text", index_option="freq")
        .add_integer_field("generation", fast=True)
        .add_integer_field("format", fast=True)
        .build()
    )
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(15_000_000, 1)
    meta = tantivy.Document()
    meta.add_integer("chunk_id", 0)
    meta.add_integer("generation", generation)
    meta.add_integer("format", zlib.crc32(f"rrag-lexical-2/{lexical.ANALYZER}".encode()))
    writer.add_document(meta)
    writer.commit()
    writer.wait_merging_threads()


@pytest.mark.parametrize("by", ["search", "indexer"])
def test_an_index_of_the_previous_schema_is_rebuilt(tmp_path: Path, by: str) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    try:
        seed.small_corpus(store)
        IndexUpdater(settings, store).drain()
        path = lexical_dir(settings.store.data_dir)
        held = LexicalIndex(path).contents()
        _previous_format(path, LexicalIndex(path).generation() or 0)
        assert LexicalIndex(path).generation() is None  # of another format: not trusted
        if by == "search":
            Retriever(settings, store).search("ldap", mode="lexical")
        else:
            IndexUpdater(settings, store).drain()
        rebuilt = LexicalIndex(path)
        assert rebuilt.generation() is not None and rebuilt.contents() == held
        assert rebuilt.search("ldap", 5, EVERY, frozenset({1, 2, 3}))
        assert check_consistency(settings, store)["ok"]
    finally:
        store.close()
