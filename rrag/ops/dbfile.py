"""Plain ``sqlite3`` access to database files that are not (or not yet) the live store.

Snapshots are opened read-only and ``immutable`` so that checking one never creates a
``-wal``/``-shm`` next to it or changes a byte of it. The live database is only ever
copied with SQLite's online backup API (:func:`online_backup`), never with a file copy:
a copy of a WAL database taken while it is written misses committed pages that still sit
in the ``-wal`` file, or tears a page that a checkpoint is writing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from rrag.errors import OpsError
from rrag.store.db import BUSY_TIMEOUT_MS
from rrag.store.files import touch_private

GENERATION_KEY = "index_generation"


@contextmanager
def open_readonly(path: Path, immutable: bool = True) -> Iterator[sqlite3.Connection]:
    """A read-only connection; ``immutable`` also skips locking and WAL files (snapshots)."""
    flags = "mode=ro&immutable=1" if immutable else "mode=ro"
    uri = f"file:{quote(str(Path(path).resolve()))}?{flags}"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise OpsError(f"cannot open database {path}: {exc}", path=str(path)) from None
    with closing(conn):
        yield conn


def online_backup(live: Path, target: Path) -> None:
    """Copy the live database to ``target`` consistently, as one self-contained file.

    ``backup(pages=-1)`` copies every page in one step inside one read transaction, so
    the copy is the database as of one commit even while writers keep committing (WAL
    readers never block writers). The copy is switched to rollback-journal mode so the
    snapshot is a single file with no ``-wal`` beside it. ``target`` is created 0600
    before SQLite opens it: SQLite would create it 0644, and gives its ``-journal`` the
    database file's permissions.
    """
    touch_private(target)
    with (
        closing(sqlite3.connect(live, timeout=BUSY_TIMEOUT_MS / 1000)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode = DELETE")
        dst.commit()


def integrity_check(conn: sqlite3.Connection) -> str:
    """``'ok'`` or SQLite's list of problems joined by ``'; '``."""
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return f"not a usable database: {exc}"
    return "; ".join(str(r[0]) for r in rows)


def table_names(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [str(r[0]) for r in rows]


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (every table: each is part of what a restore serves)."""
    return {
        name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
        for name in table_names(conn)
    }


def meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    if "meta" not in table_names(conn):
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def schema_version(conn: sqlite3.Connection) -> int:
    if "schema_version" not in table_names(conn):
        return 0
    return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)


__all__ = [
    "GENERATION_KEY",
    "integrity_check",
    "meta_value",
    "online_backup",
    "open_readonly",
    "row_counts",
    "schema_version",
    "table_names",
]
