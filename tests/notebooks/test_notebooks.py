"""The notebooks in notebooks/ executed by papermill, asserting on what they recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rrag.ops.demo import all_reports, demo_queries
from tests.notebooks.helpers import ROOT, run_runbook


def test_quickstart_offline_searches_three_ways(tmp_path: Path) -> None:
    summary = run_runbook("quickstart", tmp_path, folder="notebooks")
    assert summary["live"] is False and summary["issues"] == len(all_reports())
    assert summary["chunks"] == 2 * summary["issues"]  # each demo issue has one note
    assert all(n > 0 for n in summary["hits"].values()) and summary["similar"] > 0


def test_retrieval_tuning_compares_candidate_pools(tmp_path: Path) -> None:
    summary = run_runbook("retrieval_tuning", tmp_path, folder="notebooks", multipliers=[1, 6])
    assert [r["name"] for r in summary["rows"]] == ["x1", "x6"]
    assert summary["queries"] == len(demo_queries()) and summary["widget_hits"] == 5
    assert summary["chosen"] in ("x1", "x6")


def test_evaluation_scores_every_mode(tmp_path: Path) -> None:
    summary = run_runbook("evaluation", tmp_path, folder="notebooks", k=5)
    assert set(summary["modes"]) == {"lexical", "vector", "hybrid"}
    assert all(0 < m["mrr"] <= 1 for m in summary["modes"].values())
    assert summary["baseline"] is None


@pytest.mark.redmine
@pytest.mark.slow
def test_quickstart_and_evaluation_live(redmine: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(redmine.api_key)
    live = {"redmine_base_url": redmine.base_url, "api_key_file": str(key_file)}
    data = str(tmp_path / "data")
    quick = run_runbook(
        "quickstart",
        tmp_path,
        folder="notebooks",
        data_dir=data,
        project_ids=[1],
        query="ldap",
        **live,
    )
    assert quick["live"] and quick["chunks"] > 100 and quick["hits"]["hybrid"] > 0
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"q": "ldap login timeout", "relevant": [1]}\n')
    scored = run_runbook(
        "evaluation", tmp_path, folder="notebooks", data_dir=data, queries_file=str(queries), **live
    )
    assert scored["baseline"]["queries"] == 1 and scored["modes"]["hybrid"]["queries"] == 1
    assert (ROOT / "notebooks" / "evaluation.ipynb").exists()
