"""Meta values: a read sees the last commit, from any connection or process."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from rrag.store.db import open_store


def test_a_read_sees_what_another_connection_committed_since(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    assert store.get_meta("k", "none") == "none"
    with store.write() as session:
        store.set_meta(session, "k", "1")
    for _ in range(3):  # pooled connections that already read must not keep a snapshot
        assert store.get_meta("k") == "1"
    other = sqlite3.connect(store.path, isolation_level=None)  # as another process writes
    other.execute("UPDATE meta SET value = '2' WHERE key = 'k'")
    other.close()
    assert store.get_meta("k") == "2"
    store.close()


def test_reads_from_many_threads_while_a_writer_commits(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    with store.write() as session:
        store.set_meta(session, "n", "0")
    seen: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        try:
            last = 0
            for _ in range(200):
                value = int(store.get_meta("n") or 0)
                assert value >= last  # never an older commit after a newer one
                last = value
            seen.append(last)
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for n in range(1, 51):
        with store.write() as session:
            store.set_meta(session, "n", str(n))
    for t in readers:
        t.join()
    assert not errors and len(seen) == 4
    assert store.get_meta("n") == "50"
    store.close()
