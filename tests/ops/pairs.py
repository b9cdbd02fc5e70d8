"""Build real store + FAISS index pairs in a data dir, and read back which pair is there.

A "pair" is ``rrag.db`` (issues, ``meta.index_generation``) plus ``chunks.index`` (a real
FAISS ``IndexIDMap`` whose ids are the issue ids) and ``chunks.meta.json`` of the same
generation. Tests use it to tell an old pair from a new one and to detect a mix.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rrag.store.db import open_store

DIM = 16


def vectors(ids: list[int]) -> np.ndarray:
    rng = np.random.default_rng(7)
    table = rng.standard_normal((max(ids, default=0) + 1, DIM)).astype("float32")
    return np.ascontiguousarray(table[ids])


def write_index(data_dir: Path, ids: list[int], generation: int) -> None:
    index = faiss.IndexIDMap(faiss.IndexFlatIP(DIM))
    if ids:
        index.add_with_ids(vectors(ids), np.array(ids, dtype="int64"))
    faiss.write_index(index, str(data_dir / "chunks.index"))
    meta = {
        "generation": generation,
        "provider": "hashing",
        "model": "test",
        "dim": DIM,
        "count": len(ids),
    }
    (data_dir / "chunks.meta.json").write_text(json.dumps(meta))


def add_issues(conn: sqlite3.Connection, first: int, count: int, tag: str) -> list[int]:
    conn.execute("INSERT OR IGNORE INTO projects(id, identifier, name) VALUES (1, 'p', 'P')")
    rows = [
        (i, 1, f"{tag} issue {i} about disk {i % 7}", f"body {tag} {i}")
        for i in range(first, first + count)
    ]
    conn.executemany(
        "INSERT INTO issues(id, project_id, subject, description) VALUES (?, ?, ?, ?)", rows
    )
    return [r[0] for r in rows]


def set_generation(conn: sqlite3.Connection, generation: int) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('index_generation', ?) ON CONFLICT(key) "
        "DO UPDATE SET value = excluded.value",
        (str(generation),),
    )


def make_pair(data_dir: Path, issues: int, generation: int, tag: str = "old") -> None:
    """A fresh store with ``issues`` issues and an index of generation ``generation``."""
    open_store(data_dir).close()
    with sqlite3.connect(data_dir / "rrag.db", isolation_level=None) as conn:
        conn.execute("BEGIN")
        ids = add_issues(conn, 1, issues, tag)
        set_generation(conn, generation)
        conn.execute("COMMIT")
    conn.close()
    write_index(data_dir, ids, generation)


def pair_state(data_dir: Path) -> dict[str, Any]:
    """Which pair is live: generations, counts, and whether they belong together."""
    with sqlite3.connect(data_dir / "rrag.db") as conn:
        db_gen = conn.execute("SELECT value FROM meta WHERE key='index_generation'").fetchone()
        issues = conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    meta = json.loads((data_dir / "chunks.meta.json").read_text())
    index = faiss.read_index(str(data_dir / "chunks.index"))
    return {
        "db_generation": db_gen[0] if db_gen else None,
        "issues": issues,
        "index_generation": str(meta["generation"]),
        "vectors": index.ntotal,
        "integrity": check,
        "matching": (
            db_gen is not None
            and db_gen[0] == str(meta["generation"])
            and index.ntotal == meta["count"] == issues
        ),
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
