"""Tables and figures the notebooks show, from the library's results as returned."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import msgspec

from rrag.ops.plots import jobs_figure, modes_figure
from rrag.ops.tables import Table, as_row, hits_table, mapping_table, results_of
from rrag.store.db import open_store
from rrag.sync import jobs


class Hit(msgspec.Struct):
    issue_id: int
    subject: str
    score: float


class Pair(NamedTuple):
    name: str
    value: int


@dataclass
class Row:
    name: str


def test_rows_come_from_mappings_structs_named_tuples_and_dataclasses() -> None:
    assert as_row({"a": 1}) == {"a": 1}
    assert as_row(Hit(1, "LDAP", 0.5)) == {"issue_id": 1, "subject": "LDAP", "score": 0.5}
    assert as_row(Pair("x", 2)) == {"name": "x", "value": 2}
    assert as_row(Row("y")) == {"name": "y"}


def test_a_table_renders_as_escaped_html_and_aligned_text() -> None:
    table = Table([{"issue_id": 7, "subject": "<b>x</b> & **ldap** bind", "score": 0.12345}])
    html = table._repr_html_()
    assert "<th>subject</th>" in html and "&lt;b&gt;x&lt;/b&gt; &amp; <b>ldap</b> bind" in html
    assert "<td>0.123</td>" in html  # floats to three digits
    assert str(table).splitlines() == [
        "issue_id  subject                   score",
        "7         <b>x</b> & **ldap** bind  0.123",
    ]


def test_search_responses_as_tables_whatever_their_shape() -> None:
    class Response(msgspec.Struct):
        results: list[Hit]

    as_dict = {"results": [{"issue_id": 3, "subject": "Printer", "score": 1.0, "extra": 1}]}
    typed = Response([Hit(3, "Printer", 1.0)])
    assert results_of(typed) == [{"issue_id": 3, "subject": "Printer", "score": 1.0}]
    assert (
        hits_table(as_dict).cells() == hits_table(typed).cells() == [["3", "Printer", "", "1.000"]]
    )
    assert mapping_table({"issues": 3}).cells() == [["issues", "3"]]


def test_the_quality_chart_has_a_bar_per_mode_and_metric() -> None:
    rows = [{"name": m, "recall": 0.5, "mrr": 0.6, "ndcg": 0.7} for m in ("lexical", "vector")]
    figure = modes_figure(rows)
    ax = figure.axes[0]
    plt.close(figure)
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "lexical",
        "vector",
    ]


def test_the_job_timeline_draws_real_jobs(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        for project, status in ((1, "finished"), (2, "failed")):
            job = jobs.create_job(store, "incremental", [project])
            jobs.mark_running(store, job.id)
            jobs.mark_done(store, job.id, status, jobs.Counters())
        listed = [jobs.job_dict(j) for j in jobs.list_jobs(store, limit=10)]
    finally:
        store.close()
    figure = jobs_figure(listed)
    ax = figure.axes[0]
    plt.close(figure)
    assert len(ax.patches) == 2
    assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == ["failed", "finished"]
    figure = jobs_figure([])
    empty = figure.axes[0]
    plt.close(figure)
    assert [t.get_text() for t in empty.texts] == ["no jobs yet"]
