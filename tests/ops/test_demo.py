"""The offline demo tracker: varied, deterministic, and useful to the tours that show it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from rrag.errors import OpsError
from rrag.ops.demo import all_reports, demo_queries, rows, seed_demo
from rrag.ops.demo_tracker import FAMILIES
from rrag.ops.runbook import runbook_settings
from rrag.ops.tables import results_of
from rrag.retrieval import Retriever
from rrag.store.db import open_store

# issue row columns (rrag.ops.demo._issue_row)
ID, PROJECT, SUBJECT, DESCRIPTION, TRACKER, STATUS, CLOSED, PRIORITY, PRIVATE = range(9)


def test_a_realistic_small_tracker() -> None:
    issues, journals = rows(len(all_reports()))
    assert 150 <= len(issues) <= 300 and len(journals) == len(issues)
    # every subject its own, not one title numbered 200 times ("... #1", "... #2")
    assert len({re.sub(r"[\d#]", "", r[SUBJECT]) for r in issues}) == len(issues)
    assert len({r[DESCRIPTION] for r in issues}) > 0.8 * len(issues)
    assert len({r[PROJECT] for r in issues}) == 3 and len({r[TRACKER] for r in issues}) == 3
    assert len({r[STATUS] for r in issues}) >= 4 and any(r[CLOSED] for r in issues)
    ldap = [r for r, report in zip(issues, all_reports(), strict=True) if report.family == 0]
    assert len({r[STATUS] for r in ldap}) >= 3  # not one status per area
    assert 2 <= sum(r[PRIVATE] for r in issues) <= 5
    assert max(Counter(j[2] for j in journals).values()) < len(journals) / 4


def test_the_same_count_gives_the_same_store_and_few_issues_cover_every_area() -> None:
    assert rows(40) == rows(40)
    assert {r.family for r in all_reports()[:40]} == set(range(len(FAMILIES)))


def test_a_bigger_store_repeats_the_reports_with_distinct_subjects() -> None:
    issues, _ = rows(2 * len(all_reports()) + 3)
    assert len({r[SUBJECT] for r in issues}) == len(issues)
    assert issues[len(all_reports())][SUBJECT].endswith("(round 2)")


def test_no_issues_is_a_clear_error() -> None:
    with pytest.raises(OpsError, match="at least one issue"):
        rows(0)


def test_labelled_queries_name_issues_of_the_store() -> None:
    queries = demo_queries(40)
    assert len(queries) == len(FAMILIES)
    assert all(q.relevant and max(q.relevant) <= 40 for q in queries)
    assert len({q.q for q in queries}) == len(queries)


def test_search_and_similar_issues_on_the_seeded_store(tmp_path: Path) -> None:
    settings = runbook_settings(str(tmp_path / "data"))
    seeded = seed_demo(settings)
    assert seeded["issues"] == len(all_reports()) and seeded["added"] == 2 * seeded["issues"]
    store = open_store(settings.store.data_dir)
    try:
        retriever = Retriever(settings, store)
        ldap = demo_queries()[0]
        found = [r["issue_id"] for r in results_of(retriever.search(ldap.q, k=5))]
        assert set(found[:2]) <= ldap.relevant
        # issue 1's near-duplicate (reported again in other words) is among its closest
        duplicate = next(
            n for n, r in enumerate(all_reports(), start=1) if r.family == 0 and r.duplicate
        )
        similar = [r["issue_id"] for r in results_of(retriever.similar(1, k=3))]
        assert duplicate in similar
        private = [r for r in all_reports() if r.private]
        hidden = retriever.search(private[0].subject, k=20)  # the default caller: public only
        assert private[0].subject not in {r["subject"] for r in results_of(hidden)}
    finally:
        store.close()


def test_demo_data_goes_only_into_an_empty_store(tmp_path: Path) -> None:
    settings = runbook_settings(str(tmp_path / "data"))
    seed_demo(settings, 10)
    with pytest.raises(OpsError, match="already holds issues"):
        seed_demo(settings, 10)
