"""A small offline tracker for the tutorials and runbooks that must run without Redmine.

The issues come from :mod:`rrag.ops.demo_tracker` (about 150 reports in three projects,
three trackers and five statuses, a few near-duplicates and a few private security
reports), dealt round-robin over the problem families so even a small store covers every
area; each issue has one note, so it makes two chunks. A larger store (benchmarks) repeats
the reports, each round's subjects marked "(round N)". Everything is derived from the
text: the same ``issues`` count gives the same store. Indexed with the configured
embedder (the hashing embedder offline). Demo rows go only into an empty store.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from itertools import zip_longest
from typing import Any, NamedTuple

from rrag.errors import OpsError
from rrag.ops.demo_tracker import COMMON_NOTES, FAMILIES, PROJECTS, Family
from rrag.settings import Settings
from rrag.store.db import open_store

STATUSES = (("New", 0), ("In Progress", 0), ("Feedback", 0), ("Resolved", 0), ("Closed", 1))
PRIORITIES = ("Normal", "High", "Normal", "Low", "Urgent")
OPENERS = (
    "Reported by several people this week.",
    "Happens every time; screenshot attached.",
    "Started after Tuesday's deploy.",
    "Not urgent, but it gets in the way daily.",
    "Seen on two machines so far.",
)


class Report(NamedTuple):
    """One demo issue before it becomes a row: its family, its place there and subject."""

    family: int
    position: int
    subject: str
    core: bool  # one of the family's reports of its main problem (a labelled query's answer)
    duplicate: bool  # reworded report of the family's first issue
    private: bool


def _reports(family_no: int, family: Family) -> list[Report]:
    out, core = [], True
    for position, line in enumerate(family.subjects):
        if line == "~":
            core = False  # what follows is the same area, a different problem
            continue
        subject = line.removeprefix("= ").removeprefix("! ")
        mark = line[: len(line) - len(subject)]
        out.append(Report(family_no, position, subject, core, mark == "= ", mark == "! "))
    return out


def all_reports() -> list[Report]:
    """Every demo report, dealt round-robin over the families (the issue id order)."""
    per_family = [_reports(n, f) for n, f in enumerate(FAMILIES)]
    return [r for row in zip_longest(*per_family) for r in row if r is not None]


def _description(report: Report, n: int) -> str:
    family = FAMILIES[report.family]
    if not report.core:
        return f"{report.subject}. {OPENERS[n % len(OPENERS)]}"
    if report.position == 0 or report.duplicate:  # near-duplicates tell the same story
        lead = "Looks like the earlier report again. " if report.duplicate else ""
        return f"{lead}{family.symptoms[0]} {family.symptoms[1]}"
    return f"{family.symptoms[n % 3]} {family.symptoms[(n + 1) % 3]}"


def _note(report: Report, n: int) -> str:
    """The family's own notes on its main problem, someone's everyday note otherwise."""
    notes = FAMILIES[report.family].notes if report.core else COMMON_NOTES
    return notes[n % len(notes)]


def _stamp(n: int, hour: int) -> str:
    return f"2026-{1 + n % 9:02d}-{1 + n % 27:02d}T{hour:02d}:{n % 60:02d}:00Z"


def _issue_row(n: int, report: Report) -> tuple[Any, ...]:
    family = FAMILIES[report.family]
    # ids step through the families, so n alone would give a family one status throughout
    turn = n + n // len(FAMILIES)
    status, closed = STATUSES[turn % len(STATUSES)]
    description = _description(report, n)
    return (n, family.project, report.subject, description, family.tracker, status,
            int(closed), PRIORITIES[turn % len(PRIORITIES)], int(report.private),
            _stamp(n, 9), _stamp(n, 16), f"demo-{n}")  # fmt: skip


def rows(issues: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Issue rows and journal rows for the first ``issues`` demo reports."""
    if issues < 1:
        raise OpsError(f"a demo store needs at least one issue, not {issues}")
    reports = all_reports()
    issue_rows, journal_rows = [], []
    for n in range(1, issues + 1):
        rounds, at = divmod(n - 1, len(reports))
        report = reports[at]
        if rounds:
            report = report._replace(subject=f"{report.subject} (round {rounds + 1})")
        issue_rows.append(_issue_row(n, report))
        journal_rows.append((n, n, _note(report, n), _stamp(n, 17)))
    return issue_rows, journal_rows


def _insert(conn: sqlite3.Connection, issue_rows: list[Any], journal_rows: list[Any]) -> None:
    conn.executemany("INSERT INTO projects(id, identifier, name) VALUES (?, ?, ?)", PROJECTS)
    conn.executemany(
        "INSERT INTO issues(id, project_id, subject, description, tracker, status, is_closed, "
        "priority, is_private, created_on, updated_on, content_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        issue_rows,
    )
    conn.executemany(
        "INSERT INTO journals(id, issue_id, notes, created_on) VALUES (?, ?, ?, ?)", journal_rows
    )
    conn.executemany(
        "INSERT INTO index_queue(source_kind, source_id, op) VALUES ('issue', ?, 'upsert')",
        [(r[0],) for r in issue_rows],
    )


def seed_demo(settings: Settings, issues: int | None = None) -> dict[str, Any]:
    """Fill an empty store with the first ``issues`` demo issues (default: all) and index
    them; returns the counts (issues, journals and the index updater's)."""
    from rrag.index import IndexUpdater

    issue_rows, journal_rows = rows(issues or len(all_reports()))
    store = open_store(settings.store.data_dir)
    try:
        with closing(sqlite3.connect(store.path, isolation_level=None)) as conn:
            if conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]:
                raise OpsError(
                    f"{store.path} already holds issues; demo data goes only into an empty store"
                )
            conn.execute("BEGIN")
            _insert(conn, issue_rows, journal_rows)
            conn.execute("COMMIT")
        stats = IndexUpdater(settings, store).drain()
    finally:
        store.close()
    return {"issues": len(issue_rows), "journals": len(journal_rows), **stats}


def demo_queries(issues: int | None = None) -> list[Any]:
    """One labelled query per problem family, in a user's words; relevant = the family's
    reports of its main problem among the first ``issues`` (a family with none is left out)."""
    from rrag.retrieval.evaluate import LabelledQuery

    reports = all_reports()[: issues or None]  # beyond one round, the first round's labels
    out = []
    for number, family in enumerate(FAMILIES):
        relevant = frozenset(
            n for n, r in enumerate(reports, start=1) if r.family == number and r.core
        )
        if relevant:
            out.append(LabelledQuery(family.query, relevant))
    return out


__all__ = ["all_reports", "demo_queries", "rows", "seed_demo"]
