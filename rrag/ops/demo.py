"""A small synthetic store for runbooks and notebooks that must run offline.

Issues with journals in two projects, drawn from a fixed vocabulary so searches have
real hits, indexed with the configured embedder (the hashing embedder offline). Used
only when a runbook is given no data dir; never touches an existing store's rows.
"""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from typing import Any

from rrag.errors import OpsError
from rrag.settings import Settings
from rrag.store.db import open_store

TOPICS = (
    ("LDAP login fails after password change", "users cannot sign in; ldap bind timeout"),
    ("Printer queue stuck", "print spooler hangs on large PDF jobs"),
    ("Disk full on backup server", "nightly backup fails, volume at 100 percent"),
    ("Search results are slow", "full text search takes seconds on the issues page"),
    ("Invoice totals rounded wrong", "billing export rounds cents the wrong way"),
    ("Mobile app crashes on start", "android client crashes after the last update"),
    ("Email notifications delayed", "smtp queue backs up during peak hours"),
    ("Upgrade to 5.0 breaks plugin", "custom plugin fails to load after upgrade"),
)


def _rows(issues: int, seed: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    issue_rows, journal_rows = [], []
    for n in range(1, issues + 1):
        subject, body = TOPICS[n % len(TOPICS)]
        stamp = f"2026-0{1 + n % 9}-{10 + n % 18:02d}T10:00:00Z"
        issue_rows.append(
            (
                n,
                1 + n % 2,
                f"{subject} #{n}",
                f"{body}. case {rng.randint(1, 99)}",
                "Bug" if n % 3 else "Feature",
                "New",
                stamp,
                f"demo-{n}",
            )
        )
        journal_rows.append((n, n, f"checked again: {rng.choice(TOPICS)[1]}", stamp))
    return issue_rows, journal_rows


def seed_demo(settings: Settings, issues: int = 300, seed: int = 1) -> dict[str, Any]:
    """Fill an empty store with ``issues`` demo issues and index them; returns counts."""
    from rrag.index import IndexUpdater

    store = open_store(settings.store.data_dir)
    try:
        with closing(sqlite3.connect(store.path, isolation_level=None)) as conn:
            if conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]:
                raise OpsError(
                    f"{store.path} already holds issues; demo data goes only into an empty store"
                )
            issue_rows, journal_rows = _rows(issues, seed)
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO projects(id, identifier, name) VALUES (?, ?, ?)",
                [(1, "demo", "Demo"), (2, "demo-ops", "Demo Ops")],
            )
            conn.executemany(
                "INSERT INTO issues(id, project_id, subject, description, tracker, status, "
                "updated_on, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                issue_rows,
            )
            conn.executemany(
                "INSERT INTO journals(id, issue_id, notes, created_on) VALUES (?, ?, ?, ?)",
                journal_rows,
            )
            conn.executemany(
                "INSERT INTO index_queue(source_kind, source_id, op) VALUES ('issue', ?, 'upsert')",
                [(r[0],) for r in issue_rows],
            )
            conn.execute("COMMIT")
        stats = IndexUpdater(settings, store).drain()
    finally:
        store.close()
    return {"issues": issues, "journals": issues, **stats}


def demo_queries(issues: int = 300) -> list[Any]:
    """Labelled queries for the demo store: each topic's words, relevant = its issues."""
    from rrag.retrieval.evaluate import LabelledQuery

    phrasing = (
        "cannot sign in with ldap",
        "print jobs hang in the spooler",
        "backup volume is full",
        "issue search is slow",
        "billing rounds cents wrong",
        "android app crash after update",
        "notification emails arrive late",
        "plugin broken after upgrading",
    )
    return [
        LabelledQuery(q, frozenset(n for n in range(1, issues + 1) if n % len(TOPICS) == t))
        for t, q in enumerate(phrasing)
    ]


__all__ = ["TOPICS", "demo_queries", "seed_demo"]
