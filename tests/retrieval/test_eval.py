"""The eval harness on a small labelled set the test builds, through the CLI."""

import json
from pathlib import Path
from typing import Any

import pytest

from rrag.retrieval.evaluate import LabelledQuery, evaluate
from tests.retrieval.conftest import cli


def test_metrics_on_a_fixed_ranker() -> None:
    queries = [LabelledQuery("a", frozenset({1})), LabelledQuery("b", frozenset({5}))]
    row = evaluate("fixed", lambda q, k: [2, 1, 3][:k], queries, k=2)
    assert row.recall == 0.5 and row.mrr == 0.25 and 0 < row.ndcg < 1


def test_cli_eval(world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    settings, _, _ = world
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {"q": "cannot sign in with ldap", "relevant": [10]},
                {"q": "gantt pdf export is empty", "relevant": [11]},
                {"q": "week starts on the wrong day", "relevant": [14]},
            ]
        )
    )
    code, out, _ = cli(
        settings, monkeypatch, capsys, "eval", "--queries", str(qfile), "--k", "5", "--json"
    )
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and set(rows) == {"lexical", "vector", "hybrid"}
    assert rows["hybrid"]["recall"] >= 2 / 3 and rows["hybrid"]["queries"] == 3
    qfile.write_text("{not json")
    code, _, err = cli(settings, monkeypatch, capsys, "eval", "--queries", str(qfile))
    assert code == 2 and "q.jsonl:1" in err
