"""Opening the SQLite store: WAL, foreign keys, busy timeout, migrations.

A :class:`Store` owns two SQLAlchemy engines on the same file. Reads use deferred
transactions so they never block the writer under WAL; writes go through
:meth:`Store.write`, which starts ``BEGIN IMMEDIATE`` so a writer waits on the busy
timeout up front instead of failing with ``database is locked`` when a read transaction
tries to upgrade.

Opening also keeps the data directory owner-only (:mod:`rrag.store.files`): the directory
is made 0700, the database file is created 0600 before SQLite opens it (so its ``-wal``
and ``-shm`` inherit 0600), and whatever an older rrag left readable is tightened, with a
``data_dir_tightened`` log line naming what changed.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from rrag.errors import StoreError
from rrag.logs import get_logger, log_event
from rrag.store.files import private_dir, tighten_data_dir, touch_private
from rrag.store.migrations import migrate

log = get_logger("store")

BUSY_TIMEOUT_MS = 30_000


def _configure(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # Driver-level autocommit: SQLAlchemy's "begin" event below emits BEGIN itself,
    # which is the documented way to control SQLite transaction modes.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _engine(path: Path, begin: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=16,
    )
    event.listen(engine, "connect", _configure)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


def _private_data_dir(path: Path) -> None:
    """Data dir 0700 and every file in it 0600 before SQLite creates its companions."""
    try:
        private_dir(path.parent)
        changed = tighten_data_dir(path.parent)
        touch_private(path)
    except OSError as exc:
        raise StoreError(
            f"cannot prepare the store at {path}: {exc.strerror or exc}", path=str(path)
        ) from None
    if changed:
        log_event(
            log,
            "data_dir_tightened",
            level=logging.WARNING,
            data_dir=str(path.parent),
            paths=changed,
            reason="group/other could read them; now owner-only",
        )


def _prepare_file(path: Path) -> None:
    _private_data_dir(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store at {path}: {exc}", path=str(path)) from None
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"the store at {path} is not usable: {exc}", path=str(path)) from None
    finally:
        conn.close()


class Store:
    """The local SQLite store of one ``RRAG_DATA_DIR``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        _prepare_file(self.path)
        self.engine = _engine(self.path, "BEGIN")
        self.write_engine = _engine(self.path, "BEGIN IMMEDIATE")
        self._on_close: list[Callable[[], None]] = []

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session (deferred transaction)."""
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: BEGIN IMMEDIATE, committed on success, rolled back on error."""
        with Session(self.write_engine) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """One meta value, as last committed.

        A single SELECT on a pooled DB-API connection, outside a transaction (the driver
        is in autocommit): every search reads the index generation, and a SQLAlchemy
        connection would wrap that one read in a BEGIN and a rollback.
        """
        conn = self.engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                row = cursor.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            finally:
                cursor.close()
        finally:
            conn.close()  # back to the pool
        return row[0] if row else default

    def set_meta(self, session: Session, key: str, value: str) -> None:
        session.execute(
            text(
                "INSERT INTO meta(key, value) VALUES (:k, :v) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
            ),
            {"k": key, "v": value},
        )

    def integrity_check(self) -> str:
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` at :meth:`close`, before the engines go (a background writer
        flushes what it queued)."""
        self._on_close.append(callback)

    def close(self) -> None:
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()
        self.engine.dispose()
        self.write_engine.dispose()


def open_store(data_dir: Path) -> Store:
    """Open (creating and migrating when needed) ``data_dir/rrag.db``."""
    return Store(Path(data_dir) / "rrag.db")


__all__ = ["BUSY_TIMEOUT_MS", "Store", "open_store"]
