"""Maintenance shrinks a large WAL to zero and keeps every row."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from rrag.errors import StoreBusy
from rrag.ops.maintenance import maintenance
from rrag.settings import Settings
from rrag.store.locks import StoreLock
from tests.ops.test_cli import _cli


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


@pytest.mark.slow
def test_maintenance_truncates_a_large_wal_and_keeps_every_row(
    live: Settings, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    db = live.store.data_dir / "rrag.db"
    holder = sqlite3.connect(db, isolation_level=None)  # stays open: the WAL is not removed
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    for batch in range(20):
        holder.execute("BEGIN")
        holder.executemany(
            "INSERT INTO issues(id, project_id, subject, description) VALUES (?, 1, ?, ?)",
            [(1000 + batch * 500 + i, f"bulk {i}", "x" * 400) for i in range(500)],
        )
        holder.execute("COMMIT")
        holder.execute("DELETE FROM issues WHERE id % 3 = 0 AND id >= 1000")  # free pages
    wal = live.store.data_dir / "rrag.db-wal"
    assert wal.stat().st_size > 4_000_000
    before = _counts(holder)
    code, out, _ = _cli(live, monkeypatch, capsys, "ops", "maintenance", "--json")
    report = json.loads(out)
    assert code == 0 and report["consistency"]["ok"]
    assert report["before"]["rrag.db-wal"] > 4_000_000
    assert report["after"]["rrag.db-wal"] == 0 and wal.stat().st_size == 0
    assert [s["step"] for s in report["steps"]] == [
        "wal_checkpoint",
        "vacuum",
        "analyze",
        "final_checkpoint",
        "consistency_check",
    ]
    assert report["steps"][3]["busy"] is False
    assert _counts(holder) == {**before, "sqlite_stat1": _counts(holder)["sqlite_stat1"]}
    assert holder.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    holder.close()


def test_maintenance_dry_run_changes_nothing_and_busy_sync_refuses(live: Settings) -> None:
    report = maintenance(live, dry_run=True)
    assert report["steps"][-1]["step"] == "consistency_check" and len(report["steps"]) == 1
    assert report["before"] == report["after"]
    lock = StoreLock(live.store.data_dir)
    assert lock.acquire()
    try:
        with pytest.raises(StoreBusy, match=r"sync\.lock"):
            maintenance(live, lock_timeout_s=0.1)
    finally:
        lock.release()
