"""FTS5 lexical search: filtering after ranking never changes the visible top k, and the
common-term policy leaves out exactly the chunks whose every matching word is common."""

from __future__ import annotations

import pytest

from rrag.index import IndexUpdater, lexical
from rrag.index.termscores import TermCounts
from rrag.retrieval.caller import Caller
from rrag.retrieval.filters import Filters
from rrag.store.db import open_store
from tests.index import seed

WORDS = ["export", "pdf", "slow", "login", "ldap", "timeout", "gantt", "wiki", "mail", "crash"]


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = seed.hashing_settings(tmp_path_factory.mktemp("lex") / "data")
    store = open_store(settings.store.data_dir)
    seed.project(store, 1)
    seed.project(store, 2)
    seed.project(store, 3, public=False)
    for n in range(1, 241):
        words = " ".join(WORDS[(n * k) % len(WORDS)] for k in range(1, 4 + n % 5))
        # private issues and a private project outnumber what a caller sees for some words
        seed.issue(store, n, f"{words} case {n}", words, project_id=1 + n % 3, private=n % 4 == 0)
    IndexUpdater(settings, store).drain()
    yield store
    store.close()


PRUNING = lexical.TermStats(fraction=0.9, min_rows=0)  # "case" is in every subject


def _reference(conn, query: str, limit: int, where: str, params, stats):  # type: ignore[no-untyped-def]
    """Every candidate's full bm25 from FTS5 itself, filtered, sorted: what search returns."""
    terms = lexical.query_terms(query)
    rare, common = lexical.split_terms(conn, terms, stats) if stats else (terms, [])
    scores = dict(lexical._query(conn, lexical._any(rare), 10**6, where, params))
    if common:
        both = f"({lexical._any(rare)}) AND ({lexical._any(common)})"
        scores.update(lexical._query(conn, both, 10**6, where, params))
    return sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:limit]


@pytest.mark.parametrize("stats", [None, PRUNING], ids=["every-term", "common-pruned"])
@pytest.mark.parametrize("caller", [Caller.default(), Caller(frozenset({2}), False)])
@pytest.mark.parametrize("limit", [1, 5, 40, 200])
@pytest.mark.parametrize(
    "query", ["export pdf", "ldap timeout crash", "gantt", "wiki mail slow", "crash case 17 ldap"]
)
def test_fast_path_equals_filtered_query(
    mixed_store,
    caller: Caller,
    limit: int,
    query: str,
    stats: lexical.TermStats | None,  # type: ignore[no-untyped-def]
) -> None:
    filters = Filters(caller)
    with mixed_store.engine.connect() as conn:
        where, params = filters.sql(filters.visible_projects(conn))
        expected = _reference(conn, query, limit, where, dict(params), stats)
        # the FTS5 plan (a common word's first use), then the cached counts, on side reads
        runs = [
            lexical.search(conn, query, limit, where, params, stats, side=mixed_store.engine)
            for _ in range(2)
        ]
        runs.append(lexical.search(conn, query, limit, where, params, stats))
    assert all(got == expected for got in runs)  # the same floats, not approximately
    assert expected and len(expected) <= limit


def _all_scores(conn, match: str) -> dict[int, float]:  # type: ignore[no-untyped-def]
    return dict(lexical._query(conn, match, 10**6, None, {}))


@pytest.mark.parametrize("limit", [3, 10, 40, 240])
def test_common_terms_score_but_do_not_recruit(mixed_store, limit: int) -> None:  # type: ignore[no-untyped-def]
    query = "crash timeout 17 pdf"
    with mixed_store.engine.connect() as conn:
        # "timeout" is in 96 of the 240 chunks: common, yet under half, so it still weighs
        stats = lexical.TermStats(fraction=0.35, min_rows=0)
        assert stats.common(conn, lexical.query_terms(query)) == ["timeout"]
        assert stats.weightless(conn, ["timeout"]) == []
        full = _all_scores(conn, lexical.fts_query(query) or "")
        with_rare = set(_all_scores(conn, '"crash" OR "17" OR "pdf"'))
        first = lexical.search(conn, query, limit, stats=stats)  # the FTS5 plan
        got = lexical.search(conn, query, limit, stats=stats)  # "timeout" from its counts
    assert stats.counts.cached("timeout") is not None and first == got
    expected = sorted(
        ((i, s) for i, s in full.items() if i in with_rare), key=lambda x: (-x[1], x[0])
    )[:limit]
    assert [i for i, _ in got] == [i for i, _ in expected]
    # the score is the OR query's bm25, common term included, not a partial one
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-12)
    assert len(with_rare) < len(full)  # some chunks match only "case": those are left out
    assert set(full) - with_rare and not (set(full) - with_rare) & {i for i, _ in got}


def test_small_stores_and_single_kind_queries_are_not_pruned(mixed_store) -> None:  # type: ignore[no-untyped-def]
    with mixed_store.engine.connect() as conn:
        default = lexical.TermStats()  # 240 chunks: no term reaches COMMON_MIN_ROWS
        assert default.common(conn, lexical.query_terms("crash case 17 ldap")) == []
        every = lexical.search(conn, "crash case 17 ldap", 240)
        assert lexical.search(conn, "crash case 17 ldap", 240, stats=default) == every
        only_common = lexical.search(conn, "case", 240, stats=PRUNING)
        assert len(only_common) == 240  # nothing rarer to recruit with: all terms recruit


def test_no_hidden_chunk_in_results(mixed_store) -> None:  # type: ignore[no-untyped-def]
    filters = Filters(Caller.default())
    with mixed_store.engine.connect() as conn:
        where, params = filters.sql(filters.visible_projects(conn))
        found = {i for i, _ in lexical.search(conn, "export pdf slow", 200, where, params)}
        hidden = {
            int(r[0])
            for r in conn.exec_driver_sql(
                "SELECT c.id FROM chunks c JOIN projects p ON p.id = c.project_id "
                "WHERE c.is_private = 1 OR p.is_public = 0"
            )
        }
    assert found and hidden and not found & hidden


def test_term_counts_are_cached_and_the_cache_is_bounded(mixed_store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(lexical, "MAX_CACHED_TERMS", 3)
    stats = lexical.TermStats(fraction=0.9, min_rows=0)
    with mixed_store.engine.connect() as conn:
        stats.common(conn, ["case", "crash", "ldap"])
        assert stats.df["case"] == 240 and len(stats.df) == 3
        stats.common(conn, ["gantt"])  # a fourth term: the cache starts over
        assert list(stats.df) == ["gantt"]


_CASE = '("crash" OR "17" OR "ldap") AND ("case")'


@pytest.mark.parametrize("limit", [3, 10, 40, 240])
def test_weightless_terms_are_left_out_without_changing_the_ranking(
    mixed_store, limit: int
) -> None:  # type: ignore[no-untyped-def]
    query = "crash case 17 ldap"
    with mixed_store.engine.connect() as conn:
        stats = lexical.TermStats(fraction=0.9, min_rows=0)
        # "case" is in every subject: bm25's idf for it is floored at 1e-6
        assert stats.common(conn, lexical.query_terms(query)) == ["case"]
        assert stats.weightless(conn, ["case"]) == ["case"]
        assert lexical.split_terms(conn, lexical.query_terms(query), stats) == (
            ["crash", "17", "ldap"],
            [],
        )
        with_case = lexical._ranked(
            conn,
            ['"crash" OR "17" OR "ldap"', _CASE],
            limit,
            None,
            {},
        )[0]
        got = lexical.search(conn, query, limit, stats=stats)
        exact = _all_scores(conn, _CASE)  # every chunk holds "case": all rare hits, full bm25
        # a query of weightless terms only still finds what holds them
        only = lexical.search(conn, "case", limit, stats=stats)
    # the same scores, position by position, and each chunk its own score within 5e-6;
    # only chunks tied on the other terms may swap (by the 1e-6 share "case" had)
    assert [s for _, s in got] == pytest.approx([s for _, s in with_case], abs=5e-6)
    assert all(abs(exact[i] - s) <= 5e-6 for i, s in got)
    assert len(only) == min(limit, 240)


def test_without_a_term_cache_fts5_ranks_every_query_the_same(mixed_store) -> None:  # type: ignore[no-untyped-def]
    query = "crash timeout 17 pdf"
    with mixed_store.engine.connect() as conn:
        cached = lexical.TermStats(fraction=0.35, min_rows=0)
        off = lexical.TermStats(fraction=0.35, min_rows=0, counts=TermCounts(max_rows=0))
        runs = [lexical.search(conn, query, 40, stats=s) for s in (cached, cached, off, off)]
    assert all(r == runs[0] for r in runs)
    assert cached.counts.held > 0 and off.counts.held == 0  # RETRIEVAL_TERM_CACHE_ROWS=0
