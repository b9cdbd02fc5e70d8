"""Search through the Retriever and the CLI on a real store and FAISS file in tmp_path."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rrag.errors import InputError
from rrag.index import IndexUpdater
from rrag.index.textindex import LexicalIndex, lexical_dir
from rrag.retrieval import Caller, SearchResults, search_results
from rrag.store.db import Store
from tests.index import seed
from tests.retrieval.conftest import cli

MODES = ("lexical", "vector", "hybrid")
ADMIN = Caller(project_ids=frozenset({1, 2, 3}), see_private=True)


def _ids(found: SearchResults) -> list[int | None]:
    return [r.issue_id for r in found.results]


@pytest.mark.parametrize("mode", MODES)
def test_finds_issue_with_shape_and_marked_snippet(world: Any, mode: str) -> None:
    _, _, retriever = world
    out = retriever.search("ldap sign in", mode=mode)
    assert isinstance(out, SearchResults)  # typed, as the API and `--json` encode it
    assert out.mode == mode and out.took_ms >= 0
    top = out.results[0]
    assert top.issue_id == 10 and top.url == "http://127.0.0.1:3000/issues/10"
    assert {"subject", "project_id", "status", "score", "snippet", "matched_by"} <= set(
        top.__struct_fields__
    )
    assert "**" in top.snippet
    assert mode in top.matched_by or mode == "hybrid"


@pytest.mark.parametrize("mode", MODES)
def test_private_content_hidden_from_default_caller(world: Any, mode: str) -> None:
    _, _, retriever = world
    default = retriever.search("zebracorn", k=20, mode=mode)
    assert not {12, 13} & set(_ids(default))
    for result in default.results:
        assert (
            "zebracorn" not in msgspec.json.encode(result).decode().lower()
        )  # the private note neither
    admin = retriever.search("zebracorn", k=20, mode=mode, caller=ADMIN)
    assert {10, 12, 13} <= set(_ids(admin))  # 10 via its private note


def test_caller_limited_to_its_projects(world: Any) -> None:
    _, _, retriever = world
    only_two = Caller(project_ids=frozenset({2}), see_private=False)
    assert set(_ids(retriever.search("gantt ldap calendar", k=20, caller=only_two))) == {11}


def test_filters_before_top_k(world: Any) -> None:
    _, _, retriever = world
    assert _ids(retriever.search("calendar week", status="closed")) == [14]
    assert 14 not in _ids(retriever.search("calendar week", k=20, status="open"))
    assert set(_ids(retriever.search("export calendar", k=20, tracker="feature"))) == {14}
    assert _ids(retriever.search("gantt", project_ids=[2])) == [11]
    assert 14 not in _ids(retriever.search("calendar", k=20, updated_since="2023-06-01"))


def test_issue_reference_comes_first(world: Any) -> None:
    _, _, retriever = world
    for q in ("#14", "issue 14", "Issue #14"):
        top = retriever.search(q).results[0]
        assert top.issue_id == 14 and "reference" in top.matched_by
    assert 12 not in _ids(retriever.search("#12"))  # a reference does not bypass visibility


def test_grouped_per_issue_with_attached_chunks(world: Any) -> None:
    _, _, retriever = world
    out = retriever.search("ldap active directory", k=10, caller=ADMIN)
    assert len(_ids(out)) == len(set(_ids(out)))
    first = out.results[0]
    assert first.issue_id == 10 and len(first.chunks) >= 2
    assert any(c.url.endswith("/issues/10#change-100") for c in first.chunks)


@pytest.mark.parametrize(
    "bad",
    [
        {"query": ""},
        {"query": "   \n"},
        {"query": "x" * 2001},
        {"k": 0},
        {"k": 101},
        {"k": "5"},
        {"mode": "fuzzy"},
        {"status": "done"},
        {"updated_since": "yesterday"},
    ],
)
def test_bad_input_is_input_error(world: Any, bad: dict[str, Any]) -> None:
    _, _, retriever = world
    args = {"query": "ldap", **bad}
    with pytest.raises(InputError):
        retriever.search(args.pop("query"), **args)


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.one_of(
        st.text(min_size=1, max_size=80),
        st.sampled_from(
            [
                '"',
                'a"b',
                "NEAR(a b)",
                "a* OR",
                "subject:x",
                "(",
                "-",
                "AND",
                "^x",
                "'; DROP TABLE chunks;--",
                "ldap\x00",
            ]
        ),
    )
)
def test_any_text_answers_or_input_error(world: Any, q: str) -> None:
    _, _, retriever = world
    try:
        out = retriever.search(q, mode="hybrid")
    except InputError:
        assert not q.strip()
        return
    assert len(out.results) <= 10


def test_similar_excludes_itself_and_checks_visibility(world: Any) -> None:
    _, _, retriever = world
    seen = _ids(retriever.similar(10))
    assert 10 not in seen
    assert _ids(retriever.similar(text="sign in fails when LDAP is on"))[0] == 10
    with pytest.raises(InputError):
        retriever.similar(12)  # private: not visible to the default caller
    with pytest.raises(InputError):
        retriever.similar()


def test_cli_search_similar_index(world: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    settings, _, _ = world
    code, out, _ = cli(settings, monkeypatch, capsys, "search", "ldap sign in", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["results"][0]["issue_id"] == 10
    assert set(payload) == {"mode", "took_ms", "results"}
    code, out, _ = cli(settings, monkeypatch, capsys, "search", "zebracorn", "--all", "--json")
    assert 12 in _ids(search_results(json.loads(out)))  # the JSON decodes to the type
    code, out, _ = cli(settings, monkeypatch, capsys, "similar", "10", "--json")
    assert code == 0 and 10 not in _ids(search_results(json.loads(out)))
    code, out, _ = cli(settings, monkeypatch, capsys, "index", "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, err = cli(settings, monkeypatch, capsys, "search", "   ")
    assert code == 2 and "query is empty" in err and "Traceback" not in err
    code, out, err = cli(settings, monkeypatch, capsys, "search", "x", "--k", "500")
    assert code == 2 and "k must be" in err


def test_updates_reach_both_retrievers(world: Any) -> None:
    settings, store, retriever = world
    seed.issue(store, 11, "Timeline printing prints blank sheets", "was gantt", project_id=2)
    seed.delete_issue(store, 14)
    IndexUpdater(settings, store).drain()
    for mode in ("lexical", "vector"):
        assert _ids(retriever.search("timeline printing blank", mode=mode))[0] == 11
        assert 14 not in _ids(retriever.search("calendar week start", k=20, mode=mode))
        assert "Timeline" in retriever.search("timeline", mode=mode).results[0].subject


def test_store_ahead_of_saved_index_is_caught_up_not_served_stale(world: Any) -> None:
    settings, store, retriever = world
    retriever.search("ldap")
    seed.issue(store, 20, "Brand new quokka feature", "quokka", project_id=1)
    updater = IndexUpdater(settings, store)
    # apply the queue to the store but write neither index: the crash window of a drain
    updater._write_store(updater._next_batch())
    assert _ids(retriever.search("quokka", mode="vector"))[0] == 20
    assert _store_gen(store) != json.loads(settings.store.index_meta_path.read_text())["generation"]
    # the lexical index is caught up on disk by the reader (no indexer was running)
    assert _ids(retriever.search("quokka", mode="lexical"))[0] == 20
    assert LexicalIndex(lexical_dir(settings.store.data_dir)).generation() == _store_gen(store)


def _store_gen(store: Store) -> int:
    return int(store.get_meta("index_generation") or 0)


@pytest.mark.parametrize("mode", MODES)
def test_issue_leads_unless_its_note_adds_to_the_query(world: Any, mode: str) -> None:
    # issue 10: "Login fails with LDAP" / "Users cannot sign in when LDAP is enabled", and a
    # note "Same with Active Directory over LDAPS"; every chunk carries the subject, and
    # bm25 prefers the short note on words both share
    _, _, retriever = world
    shared = retriever.search("LDAP login", mode=mode).results[0]
    assert shared.issue_id == 10 and shared.url.endswith("/issues/10"), shared
    own = retriever.search("active directory ldap", mode=mode).results[0]
    assert own.issue_id == 10 and own.url.endswith("/issues/10#change-100"), own
