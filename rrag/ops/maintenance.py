"""``rrag ops maintenance``: checkpoint, VACUUM, ANALYZE, then an index/store check.

Steps, each timed: ``PRAGMA wal_checkpoint(TRUNCATE)`` (moves the WAL into the database
and truncates it), ``VACUUM`` (rebuilds the file without free pages), ``ANALYZE``
(refreshes the planner's statistics), and a final ``wal_checkpoint(TRUNCATE)`` because in
WAL mode VACUUM writes the whole database through the WAL. It runs while holding the
sync and index locks, so it never competes with a sync or an index save; queries may
keep reading (a reader that stays in a transaction can keep the WAL from truncating,
which is reported, not hidden).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from rrag.errors import OpsError, StoreBusy
from rrag.logs import get_logger, log_event
from rrag.ops.durable import file_size
from rrag.ops.wiring import store_consistency
from rrag.settings import Settings
from rrag.store.db import BUSY_TIMEOUT_MS
from rrag.store.locks import INDEX_LOCK, SYNC_LOCK, StoreLock, acquire_within

log = get_logger("ops.maintenance")
STEPS = ("wal_checkpoint", "vacuum", "analyze", "final_checkpoint")
_SQL = {
    "wal_checkpoint": "PRAGMA wal_checkpoint(TRUNCATE)",
    "vacuum": "VACUUM",
    "analyze": "ANALYZE",
    "final_checkpoint": "PRAGMA wal_checkpoint(TRUNCATE)",
}


def store_sizes(data_dir: Path) -> dict[str, int]:
    """Bytes of the database, its WAL, and the index files."""
    names = ("rrag.db", "rrag.db-wal", "chunks.index", "chunks.meta.json")
    return {name: file_size(Path(data_dir) / name) for name in names}


@contextmanager
def _locks(data_dir: Path, timeout_s: float) -> Iterator[None]:
    held: list[StoreLock] = []
    try:
        for name in (SYNC_LOCK, INDEX_LOCK):
            lock = StoreLock(data_dir, name)
            if not acquire_within(lock, timeout_s):
                raise StoreBusy(
                    f"{name} in {data_dir} stayed held for {timeout_s:g} s (a sync "
                    "or index update is running); retry later",
                    holder=name,
                )
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()


def _run_step(conn: sqlite3.Connection, step: str) -> dict[str, Any]:
    started = time.perf_counter()
    row = conn.execute(_SQL[step]).fetchone()
    result: dict[str, Any] = {"step": step, "seconds": round(time.perf_counter() - started, 4)}
    if step.endswith("checkpoint") and row is not None:
        result.update(busy=bool(row[0]), wal_frames=int(row[1]), checkpointed=int(row[2]))
    return result


def maintenance(
    settings: Settings, dry_run: bool = False, lock_timeout_s: float = 60.0
) -> dict[str, Any]:
    """Run every step (or, with ``dry_run``, only measure); returns sizes, timings, check."""
    data_dir = settings.store.data_dir
    db = data_dir / "rrag.db"
    if not db.is_file():
        raise OpsError(f"there is no store to maintain: {db} does not exist", path=str(db))
    before = store_sizes(data_dir)
    steps: list[dict[str, Any]] = []
    if not dry_run:
        with (
            _locks(data_dir, lock_timeout_s),
            closing(
                sqlite3.connect(db, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            ) as conn,
        ):
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            steps = [_run_step(conn, step) for step in STEPS]
    started = time.perf_counter()
    consistency = store_consistency(settings)
    steps.append({"step": "consistency_check", "seconds": round(time.perf_counter() - started, 4)})
    report = {
        "dry_run": dry_run,
        "before": before,
        "after": store_sizes(data_dir),
        "steps": steps,
        "consistency": consistency,
    }
    log_event(log, "maintenance_done", dry_run=dry_run, before=before, after=report["after"])
    return report


__all__ = ["STEPS", "maintenance", "store_sizes"]
