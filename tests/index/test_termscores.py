"""Per-word counts: shares equal FTS5's own bm25 bit for bit, before and after a sync that
adds, edits and deletes chunks, and the cache stays bounded and tied to one store."""

from __future__ import annotations

import numpy as np
import pytest

from rrag.index import IndexUpdater, termscores
from rrag.index.termscores import TermCounts, Totals
from rrag.retrieval import Retriever
from rrag.store.db import open_store
from tests.index import seed

WORDS = ["export", "pdf", "slow", "login", "ldap", "timeout", "gantt", "wiki", "mail", "crash"]
PROBES = ["export", "timeout", "case", "crash", "17", "nothing"]


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    seed.project(store, 1)
    for n in range(1, 121):
        words = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 4 + n % 5))
        seed.issue(store, n, f"{words} case {n}", f"{words} {words} note {n % 7}")
    IndexUpdater(settings, store).drain()
    yield store, settings
    store.close()


def _fts5(conn, term: str) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    rows = conn.exec_driver_sql(
        f"SELECT rowid, {termscores.BM25} FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rowid",
        (termscores.phrase(term),),
    ).all()
    return np.array([r[0] for r in rows], np.int64), -np.array([r[1] for r in rows], np.float64)


def _shares(conn, counts: TermCounts, term: str) -> termscores.Shares:  # type: ignore[no-untyped-def]
    totals = Totals.read(conn)
    df = len(_fts5(conn, term)[0])
    alive = np.array([r[0] for r in conn.exec_driver_sql("SELECT rowid FROM chunks_fts")])
    got = counts.counts(conn, term, df, totals.last_id, lambda: np.sort(alive))
    return termscores.shares(got, counts.sizes(conn, totals.last_id), totals, df)


def _same_as_fts5(conn, counts: TermCounts) -> None:  # type: ignore[no-untyped-def]
    for term in PROBES:
        share = _shares(conn, counts, term)
        ids, scores = _fts5(conn, term)
        assert np.array_equal(share.ids, ids), term
        assert np.array_equal(share.scores, scores), term  # bit for bit, not approximately


def test_totals_are_fts5s(store) -> None:  # type: ignore[no-untyped-def]
    store, _ = store
    with store.engine.connect() as conn:
        totals = Totals.read(conn)
        rows = conn.exec_driver_sql("SELECT count(*), max(rowid) FROM chunks_fts").one()
        tokens = sum(
            sum(termscores.varints(b))
            for (b,) in conn.exec_driver_sql("SELECT sz FROM chunks_fts_docsize")
        )
    assert (totals.rows, totals.last_id, totals.tokens) == (rows[0], rows[1], tokens)
    assert termscores.varints(bytes([0x86, 0x98, 0x7C, 0x05])) == [101_500, 5]


def test_shares_are_fts5_bm25_bit_for_bit_across_a_sync(store) -> None:  # type: ignore[no-untyped-def]
    store, settings = store
    counts = TermCounts()
    with store.engine.connect() as conn:
        _same_as_fts5(conn, counts)
        before = {t: counts.cached(t) for t in PROBES}
    # a sync: new issues, an edited one (its chunk gets a new id), a deleted one
    seed.issue(store, 500, "export timeout case 500", "crash crash pdf")
    seed.issue(store, 7, "ldap case 7 rewritten", "export export export timeout")
    seed.delete_issue(store, 12)
    IndexUpdater(settings, store).drain()
    reads: list[int] = []
    original = counts._read

    def counted(conn, term, old):  # type: ignore[no-untyped-def]
        reads.append(0 if old is None else 1)
        return original(conn, term, old)

    counts._read = counted  # type: ignore[method-assign]
    with store.engine.connect() as conn:
        _same_as_fts5(conn, counts)
    # every word was patched with the rows above what it had, none read whole again
    assert reads and all(r == 1 for r in reads)
    assert all(counts.cached(t).upto > before[t].upto for t in PROBES)  # type: ignore[union-attr]


def test_a_word_missing_rows_is_read_again(store) -> None:  # type: ignore[no-untyped-def]
    store, _ = store
    counts = TermCounts()
    with store.engine.connect() as conn:
        _shares(conn, counts, "export")
        full = counts.cached("export")
        assert full is not None
        # as after a restore from an older backup: a row it never saw, under an old id
        counts._put("export", termscores.Counts(full.ids[1:], full.freq[1:], full.upto))
        _same_as_fts5(conn, counts)
    assert np.array_equal(counts.cached("export").ids, full.ids)  # type: ignore[union-attr]


def test_another_store_starts_over_and_the_cache_is_bounded(store) -> None:  # type: ignore[no-untyped-def]
    store, _ = store
    counts = TermCounts()
    counts.belongs_to(("a", "1"), 5)
    with store.engine.connect() as conn:
        _shares(conn, counts, "export")
        counts.seen.add("export")
        counts.belongs_to(("a", "1"), 6)  # a sync: kept
        assert counts.cached("export") is not None
        counts.belongs_to(("a", "1"), 4)  # restored from a backup: started over
        assert counts.cached("export") is None and not counts.seen and counts.held == 0
        _shares(conn, counts, "export")
        counts.belongs_to(("b", "2"), 9)  # another store
        assert counts.cached("export") is None and counts.held == 0
        small = TermCounts(max_rows=len(_fts5(conn, "export")[0]) + 5)
        _shares(conn, small, "export")
        _shares(conn, small, "timeout")  # over the bound: the least recent word leaves
        assert small.cached("export") is None and small.cached("timeout") is not None
        assert small.held <= small.max_rows
        too_big = TermCounts(max_rows=3)
        _shares(conn, too_big, "case")  # in every chunk: used, never kept
        assert too_big.held == 0


def test_a_retriever_keeps_its_counts_through_a_sync_and_answers_as_a_fresh_one(store) -> None:  # type: ignore[no-untyped-def]
    store, settings = store
    retriever = Retriever(settings, store)
    query = "export timeout crash"
    for _ in range(2):  # the second use reads the counts
        retriever.search(query, k=20, mode="lexical")
    held = retriever.term_counts.held
    assert held > 0
    seed.issue(store, 600, "export timeout crash case 600", "crash")
    seed.issue(store, 3, "rewritten case 3", "nothing of the sort")
    seed.delete_issue(store, 5)
    IndexUpdater(settings, store).drain()
    got = retriever.search(query, k=20, mode="lexical")["results"]
    fresh = Retriever(settings, store).search(query, k=20, mode="lexical")["results"]  # FTS5
    assert [(r["issue_id"], r["score"]) for r in got] == [
        (r["issue_id"], r["score"]) for r in fresh
    ]
    issues = {r["issue_id"] for r in got}
    assert 600 in issues and not {3, 5} & issues
    assert retriever.term_counts.held != held  # patched in place, not dropped


def test_a_row_count_from_a_newer_snapshot_than_the_totals_is_floored() -> None:
    # while a sync commits, a word's count can be read after the state's totals were
    totals = Totals(rows=10, tokens=100, last_id=10)
    assert totals.idf(12) == totals.idf(10) == 1e-6
    assert totals.idf(1) == pytest.approx(np.log(9.5 / 1.5))
    assert Totals(rows=0, tokens=0, last_id=0).avgdl == 1.0  # never a division by zero


def test_retrieval_term_cache_rows_0_keeps_nothing_and_answers_the_same(store) -> None:  # type: ignore[no-untyped-def]
    store, settings = store
    off = seed.hashing_settings(settings.store.data_dir, term_cache_rows=0)
    query = "export timeout crash"
    cached, plain = Retriever(settings, store), Retriever(off, store)
    runs = [r.search(query, k=20, mode="lexical")["results"] for r in (cached,) * 3 + (plain,) * 3]
    assert all(run == runs[0] for run in runs) and runs[0]
    assert cached.term_counts.held > 0 and plain.term_counts.held == 0
