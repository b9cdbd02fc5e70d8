"""A store chunked before note links used journal ids is rewritten when it is opened."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from rrag.store.db import open_store
from rrag.store.migrations import MIGRATIONS, V_NOTE_ANCHORS

BASE = "http://127.0.0.1:3000/issues"
#: (kind, journal id, url) as a store before the migration held them
OLD_ROWS = [
    ("issue", None, f"{BASE}/10"),
    ("note", 100, f"{BASE}/10#note-1"),
    ("note", 102, f"{BASE}/10#note-3"),
    ("note", 7, f"{BASE}/2#change-7"),  # already a journal anchor: left alone
]


def _old_store(path: Path) -> None:
    """A store at the schema version before the migration, with counted note anchors."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for number, statements in enumerate(MIGRATIONS[: MIGRATIONS.index(V_NOTE_ANCHORS)], 1):
        for statement in statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_version VALUES (?, ?)", (number, datetime.now(UTC).isoformat())
        )
    for kind, journal_id, url in OLD_ROWS:
        conn.execute(
            "INSERT INTO chunks (source_kind, source_id, kind, issue_id, journal_id, "
            "project_id, url) VALUES ('issue', 10, ?, 10, ?, 1, ?)",
            (kind, journal_id, url),
        )
    conn.close()


def test_old_counted_note_anchors_become_journal_anchors_on_open(tmp_path: Path) -> None:
    _old_store(tmp_path / "rrag.db")
    store = open_store(tmp_path)
    try:
        with store.engine.connect() as conn:
            urls = [r[0] for r in conn.execute(text("SELECT url FROM chunks ORDER BY id"))]
            version = conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()
    finally:
        store.close()
    assert urls == [f"{BASE}/10", f"{BASE}/10#change-100", f"{BASE}/10#change-102", OLD_ROWS[3][2]]
    assert version == len(MIGRATIONS)
