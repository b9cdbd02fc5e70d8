"""Build real store + index pairs in a data dir, and read back which pair is live.

A "pair" is ``rrag.db`` (issues, chunks, ``meta.index_generation``) plus ``chunks.index``
and ``chunks.meta.json`` written by the real :class:`rrag.index.IndexUpdater` (hashing
embedder). Tests tell an old pair from a new one by its issue count and detect a mix
with :func:`rrag.index.check_consistency`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from rrag.index import HashingEmbedder, IndexUpdater, check_consistency
from rrag.settings import EmbeddingSettings, Settings
from rrag.store.db import open_store
from tests.conftest import make_settings as base_settings

DIM = 32
#: environment for CLI runs against a pair (subprocess or in-process ``main``)
ENV = {"EMBEDDING_PROVIDER": "hashing", "EMBEDDING_DIM": str(DIM)}


def make_settings(data_dir: Path) -> Settings:
    """Test settings whose embedder matches the pairs' index (hashing, 32 dimensions)."""
    settings = base_settings(data_dir)
    embedding = EmbeddingSettings(provider="hashing", dim=DIM)
    return settings.model_copy(update={"embedding": embedding})


def add_issues(conn: sqlite3.Connection, first: int, count: int, tag: str) -> list[int]:
    """Insert issues and queue them for indexing (the sync's job in real life)."""
    conn.execute("INSERT OR IGNORE INTO projects(id, identifier, name) VALUES (1, 'p', 'P')")
    rows = [
        (i, 1, f"{tag} issue {i} about disk {i % 7}", f"body {tag} {i} printer {i % 5}", f"h{i}")
        for i in range(first, first + count)
    ]
    conn.executemany(
        "INSERT INTO issues(id, project_id, subject, description, content_hash) "
        "VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany(
        "INSERT OR REPLACE INTO index_queue(source_kind, source_id, op) "
        "VALUES ('issue', ?, 'upsert')",
        [(r[0],) for r in rows],
    )
    return [r[0] for r in rows]


def index_now(settings: Settings) -> dict[str, Any]:
    """Drain the index queue with the real updater (holds ``index.lock``)."""
    store = open_store(settings.store.data_dir)
    try:
        return IndexUpdater(settings, store, HashingEmbedder(DIM)).drain()
    finally:
        store.close()


def make_pair(data_dir: Path, issues: int, tag: str = "old", generation: int = 1) -> Settings:
    """A fresh store with ``issues`` issues, indexed in ``generation`` drains."""
    settings = make_settings(data_dir)
    open_store(data_dir).close()
    per_drain = -(-issues // generation)
    for first in range(1, issues + 1, per_drain):
        conn = sqlite3.connect(data_dir / "rrag.db", isolation_level=None)
        try:
            conn.execute("BEGIN")
            add_issues(conn, first, min(per_drain, issues + 1 - first), tag)
            conn.execute("COMMIT")
        finally:
            conn.close()
        index_now(settings)
    return settings


def pair_state(data_dir: Path) -> dict[str, Any]:
    """Which pair is live, and whether database and index belong together."""
    settings = make_settings(data_dir)
    store = open_store(data_dir)
    try:
        report = check_consistency(settings, store)
        with store.engine.connect() as conn:
            issues = conn.exec_driver_sql("SELECT COUNT(*) FROM issues").scalar_one()
            check = conn.exec_driver_sql("PRAGMA integrity_check").scalar_one()
    finally:
        store.close()
    return {
        "db_generation": str(report["store_generation"]),
        "index_generation": str(report["index_generation"]),
        "issues": issues,
        "vectors": report["vectors_in_index"],
        "integrity": check,
        "matching": bool(report["ok"]) and report["vectors_in_index"] > 0,
        "problems": report["problems"],
    }


def tree_state(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every data file under ``root`` with size, mtime and content (proves nothing changed).

    Empty ``*.lock`` files are left out: they are flock handles, not data.
    """
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix != ".lock"
    }
