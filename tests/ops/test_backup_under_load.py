"""50 backups while a writer commits, the indexer saves and searches run; plus the control.

Every snapshot must verify (checksums, ``integrity_check``, row counts equal to its
manifest, database and index of one generation). Some snapshots are taken with the
writer paused so "the store it came from" is observable: restored, they must serve the
same search results. The control copies the live database with a plain file copy under
the same load and must be caught failing at least once, proving the checks can see the
problem a raw copy of a WAL database has.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from rrag.ops import backup, restore, verify_snapshot
from rrag.retrieval import Retriever
from rrag.settings import Settings
from rrag.store.db import open_store
from tests.ops.pairs import add_issues, index_now, make_pair, make_settings, pair_state

QUERIES = ("disk", "printer body", "issue about disk 3", "load 77")


class Load:
    """A writer (commits + index saves) and a searcher, both in background threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop, self.paused, self.idle = threading.Event(), threading.Event(), threading.Event()
        self.commits = self.searches = 0
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._guard, args=(f,), daemon=True)
            for f in (self._write, self._search)
        ]

    def _guard(self, work: Any) -> None:
        try:
            work()
        except BaseException as exc:  # surfaced by the test, not swallowed
            self.errors.append(exc)

    def _write(self) -> None:
        conn = sqlite3.connect(self.settings.store.db_path, isolation_level=None, timeout=30)
        next_id = 1000
        while not self.stop.is_set():
            if self.paused.is_set():
                self.idle.set()
                self.stop.wait(0.005)
                continue
            self.idle.clear()
            conn.execute("BEGIN IMMEDIATE")
            add_issues(conn, next_id, 5, "load")
            conn.execute("COMMIT")
            next_id, self.commits = next_id + 5, self.commits + 1
            if self.commits % 4 == 0:
                index_now(self.settings)
        conn.close()

    def _search(self) -> None:
        store = open_store(self.settings.store.data_dir)
        retriever = Retriever(self.settings, store)
        while not self.stop.is_set():
            # no retry: chunks.index is read in one go and replaced by rename, so a
            # reader racing a save sees the old or the new index, never an error
            retriever.search(QUERIES[self.searches % len(QUERIES)], k=5)
            self.searches += 1
        store.close()

    def pause(self) -> None:
        self.paused.set()
        self.idle.clear()
        assert self.idle.wait(30)

    def resume(self) -> None:
        self.paused.clear()


def _results(settings: Settings) -> list[Any]:
    store = open_store(settings.store.data_dir)
    try:
        retriever = Retriever(settings, store)
        return [
            [(r.chunks[0].chunk_id, r.issue_id, r.score) for r in retriever.search(q, k=5).results]
            for q in QUERIES
        ]
    finally:
        store.close()


def _plain_copy_is_sound(settings: Settings, target: Path) -> bool:
    """The control: copy the live file the naive way, then check it like a snapshot."""
    with sqlite3.connect(settings.store.db_path) as conn:
        committed = conn.execute("SELECT COUNT(*) FROM issues").fetchone()[0]
    conn.close()
    shutil.copyfile(settings.store.db_path, target)
    try:
        with sqlite3.connect(target) as copy:
            ok = copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            ok = ok and copy.execute("SELECT COUNT(*) FROM issues").fetchone()[0] >= committed
        copy.close()
    except sqlite3.DatabaseError:
        return False
    return bool(ok)


@pytest.mark.slow
def test_fifty_backups_under_load_verify_and_restore_to_the_same_results(tmp_path: Path) -> None:
    settings = make_pair(tmp_path / "live", issues=200, tag="base")
    load = Load(settings)
    for thread in load.threads:
        thread.start()
    snapshots, expected, control_failures = [], {}, 0
    failure: BaseException | None = None
    try:
        for n in range(50):
            if n % 10 == 9:  # writer paused: the source state is observable
                load.pause()
                snapshots.append(backup(settings, tmp_path / "backups"))
                expected[len(snapshots) - 1] = _results(settings)
                load.resume()
            else:
                snapshots.append(backup(settings, tmp_path / "backups"))
            if not _plain_copy_is_sound(settings, tmp_path / f"plain-{n}.db"):
                control_failures += 1
    except Exception as exc:  # reported below, together with what the load threads hit
        failure = exc
    finally:
        load.stop.set()
        for thread in load.threads:
            thread.join(60)
    assert failure is None and not load.errors, (failure, load.errors)
    assert load.commits > 50 and load.searches > 10
    generations = set()
    for snap in snapshots:
        manifest = verify_snapshot(Path(snap["path"]))
        assert manifest["row_counts"] == snap["manifest"]["row_counts"]
        generations.add(manifest["index_generation"])
    assert len(generations) > 5  # the index really moved on while backups ran
    for position, results in expected.items():
        target = make_settings(tmp_path / f"restored-{position}")
        restore(target, Path(snapshots[position]["path"]), force=True)
        state = pair_state(target.store.data_dir)
        assert state["matching"] and state["integrity"] == "ok", state
        assert _results(target) == results
    print(f"plain-copy control failed {control_failures} of 50 times")
    assert control_failures >= 1, "the plain-copy control never failed: the test is blind"
