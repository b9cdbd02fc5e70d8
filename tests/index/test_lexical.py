"""Lexical search on tantivy: filters apply inside the engine before the top-k cut, user
text is never query syntax, and words are folded and stemmed on both sides."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rrag.index import IndexUpdater, check_consistency, lexical
from rrag.index.chunkstore import chunk_rows
from rrag.index.textindex import LexicalIndex, lexical_dir
from rrag.retrieval.caller import Caller
from rrag.retrieval.filters import Filters
from rrag.retrieval.retriever import Retriever
from rrag.store.db import open_store
from rrag.store.migrations import SCHEMA_VERSION
from tests.index import seed

WORDS = ["export", "pdf", "slow", "login", "ldap", "timeout", "gantt", "wiki", "mail", "crash"]
QUERIES = ["export pdf", "ldap timeout crash", "gantt", "wiki mail slow", "crash case 17 ldap"]
ALL = frozenset({1, 2, 3})


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = seed.hashing_settings(tmp_path_factory.mktemp("lex") / "data")
    store = open_store(settings.store.data_dir)
    seed.project(store, 1)
    seed.project(store, 2)
    seed.project(store, 3, public=False)
    for n in range(1, 241):
        words = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 4 + n % 5))
        # private issues and a private project outnumber what a caller sees for some words
        seed.issue(
            store,
            n,
            f"{words} case {n}",
            words,
            project_id=1 + n % 3,
            private=n % 4 == 0,
            tracker="Bug" if n % 2 else "Feature",
            closed=n % 7 == 0,
            updated_on=f"2024-{1 + n % 12:02d}-01T00:00:00Z",
        )
    IndexUpdater(settings, store).drain()
    yield LexicalIndex(lexical_dir(settings.store.data_dir)), store
    store.close()


def _reference(index: LexicalIndex, store: Any, query: str, limit: int, filters: Filters) -> Any:
    """Rank every match unfiltered, then filter with the SQL rules' twin, then cut."""
    everything = index.search(query, 10_000, Filters(Caller(None, True, every_project=True)), ALL)
    with store.engine.connect() as conn:
        projects = filters.visible_projects(conn)
        rows = chunk_rows(conn, [i for i, _ in everything])
    return [(i, s) for i, s in everything if filters.admits(rows[i], projects)][:limit]


FILTERS = [
    Filters(Caller.default()),
    Filters(Caller(frozenset({2}), False)),
    Filters(Caller(None, True, every_project=True), tracker="FEATURE"),
    Filters(Caller(None, True, every_project=True), status="closed"),
    Filters(Caller(None, True, every_project=True), updated_since="2024-10-01T00:00:00Z"),
]


@pytest.mark.parametrize(
    "filters", FILTERS, ids=["public", "one-project", "tracker", "closed", "since"]
)
@pytest.mark.parametrize("limit", [1, 5, 40])
@pytest.mark.parametrize("query", QUERIES)
def test_filters_apply_before_the_cut(mixed: Any, filters: Filters, limit: int, query: str) -> None:
    index, store = mixed
    expected = _reference(index, store, query, limit, filters)
    with store.engine.connect() as conn:
        projects = filters.visible_projects(conn)
    got = index.search(query, limit, filters, projects)
    # the same chunks in the same order with the same scores: a filter after the engine's
    # cut would return fewer than ``limit`` where hidden chunks rank high
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected])
    assert expected and len(expected) <= limit


def test_user_text_is_never_query_syntax(mixed: Any) -> None:
    index, _ = mixed
    every = Filters(Caller(None, True, every_project=True))
    for hostile in ['subject:ldap AND "crash', "ldap* OR (", "NOT export^9", "text:[ldap TO z]"]:
        assert index.search(hostile, 5, every, ALL)  # plain words, no parse error
    assert index.search("!!! ??? ---", 5, every, ALL) == []


def test_folding_and_stemming_match_both_ways() -> None:
    assert lexical.stems("Exporting PDF cafés") == ["export", "pdf", "cafe"]
    found = lexical.body_terms("exported cafes", {1: "We EXPORT to the Café", 2: "nothing"})
    assert found == {1: {"exported", "cafes"}, 2: set()}
    text = "Export to café, exports"
    assert [text[a:b] for a, b in lexical.highlight(text, "exporting cafe")] == [
        "Export",
        "café",
        "exports",
    ]


def test_stop_words_only_when_nothing_else() -> None:
    assert lexical.query_terms("the export of a pdf") == ["export", "pdf"]
    assert lexical.query_terms("the of") == ["the", "of"]


def test_a_store_from_before_tantivy_is_migrated_and_indexed_on_first_search(
    tmp_path: Path,
) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    seed.small_corpus(store)
    IndexUpdater(settings, store).drain()
    store.close()
    # what an older rrag left: the FTS5 table, schema one version back, no chunks.lexical
    shutil.rmtree(lexical_dir(settings.store.data_dir))
    conn = sqlite3.connect(settings.store.db_path)
    conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(subject, text)")
    conn.execute("DELETE FROM schema_version WHERE version = ?", (SCHEMA_VERSION,))
    conn.commit()
    conn.close()
    store = open_store(settings.store.data_dir)
    try:
        with store.engine.connect() as c:
            assert (
                c.exec_driver_sql("SELECT name FROM sqlite_master WHERE name = 'chunks_fts'").all()
                == []
            )
        report = check_consistency(settings, store)
        assert not report["ok"] and "no lexical index" in " ".join(report["problems"])
        found = Retriever(settings, store).search("ldap", mode="lexical").results
        assert found and check_consistency(settings, store)["ok"]
    finally:
        store.close()


def test_tantivy_files_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        settings = seed.hashing_settings(tmp_path / "data")
        store = open_store(settings.store.data_dir)
        seed.small_corpus(store)
        IndexUpdater(settings, store).drain()  # the writer's files
        Retriever(settings, store).search("ldap", mode="lexical")  # a reader's lock file
        store.close()
    finally:
        os.umask(old)
    root = lexical_dir(settings.store.data_dir)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in root.iterdir()}
    assert ".tantivy-meta.lock" in modes and "meta.json" in modes
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {}


def _highlight_per_stem(text: str, query: str, limit: int | None = None) -> list[tuple[int, int]]:
    """The scan before it was one pattern for all stems: one pattern and scan per stem."""
    wanted = {t for t in lexical.stems(query) if len(t) >= 3 or t.isdigit()}
    patterns = [
        re.compile(
            r"\b" + (re.escape(t[:-1]) + "[iy]" if t.endswith("i") else re.escape(t)) + r"\w*",
            re.IGNORECASE,
        )
        for t in sorted(wanted)
    ]
    if limit is None and wanted:
        patterns.append(re.compile(r"\w*[^\W\x00-\x7f]\w*"))
    found: set[tuple[int, int]] = set()
    for pattern in patterns:
        mine = 0
        for match in pattern.finditer(text):
            if limit is not None and mine >= limit:
                break
            if wanted.intersection(lexical.analyzer().analyze(match.group(0))):
                found.add(match.span())
                mine += 1
    return sorted(found)[:limit] if limit is not None else sorted(found)


_WORDS = [
    "export", "exports", "Exporting", "query", "queries", "QUERIED", "café", "cafe",
    "Cafés", "select", "selected", "selection", "exp", "ab", "2fa", "v5", "issue_id",
    "ISSUES", "Ошибка", "ошибки", "日本語", "die", "dying", "sky", "skies", "x",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(st.sampled_from([*_WORDS, " ", ", ", "-", "."]), max_size=40).map("".join),
    query=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=5).map(" ".join),
    limit=st.sampled_from([None, 1, 2]),
)
def test_one_scan_for_all_stems_marks_what_a_scan_per_stem_did(
    text: str, query: str, limit: int | None
) -> None:
    assert lexical.highlight(text, query, limit) == _highlight_per_stem(text, query, limit)
