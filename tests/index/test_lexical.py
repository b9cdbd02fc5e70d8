"""FTS5 lexical search: ranking first and filtering after never changes the visible top k."""

from __future__ import annotations

import pytest

from rrag.index import IndexUpdater, lexical
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


@pytest.mark.parametrize("caller", [Caller.default(), Caller(frozenset({2}), False)])
@pytest.mark.parametrize("limit", [1, 5, 40, 200])
@pytest.mark.parametrize("query", ["export pdf", "ldap timeout crash", "gantt", "wiki mail slow"])
def test_fast_path_equals_filtered_query(
    mixed_store,
    caller: Caller,
    limit: int,
    query: str,  # type: ignore[no-untyped-def]
) -> None:
    filters = Filters(caller)
    with mixed_store.engine.connect() as conn:
        where, params = filters.sql(filters.visible_projects(conn))
        got = lexical.search(conn, query, limit, where, params)
        binds = {**params, "match": lexical.fts_query(query)}
        assert got == lexical._filtered(conn, binds, limit, where)
    assert got and len(got) <= limit


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
