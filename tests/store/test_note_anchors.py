"""A store chunked before note links used journal ids is rewritten when it is opened."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from rrag.index import IndexUpdater
from rrag.retrieval import Caller, Retriever
from rrag.store.db import open_store
from rrag.store.migrations import MIGRATIONS, V_NOTE_ANCHORS
from tests.index import seed

ADMIN = Caller(project_ids=frozenset({1, 2, 3}), see_private=True)


def _note_urls(data_dir: Path) -> dict[int, str]:
    store = open_store(data_dir)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT journal_id, url FROM chunks WHERE kind = 'note'"))
            return {int(r[0]): str(r[1]) for r in rows}
    finally:
        store.close()


def test_old_counted_note_anchors_become_journal_anchors_on_open(tmp_path: Path) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    data_dir = settings.store.data_dir
    store = open_store(data_dir)
    seed.small_corpus(store)
    IndexUpdater(settings, store).drain()
    version = MIGRATIONS.index(V_NOTE_ANCHORS) + 1
    with store.write() as s:  # as the store looked before: links counted journals
        s.execute(
            text(
                "UPDATE chunks SET url = 'http://127.0.0.1:3000/issues/10#note-3'"
                " WHERE journal_id = 102"
            )
        )
        s.execute(
            text(
                "UPDATE chunks SET url = 'http://127.0.0.1:3000/issues/10#note-1'"
                " WHERE journal_id = 100"
            )
        )
        # the later migrations run again on open: undo what they added (V_EXTRACTIONS)
        s.execute(text("DROP TABLE extractions"))
        s.execute(text("ALTER TABLE sync_jobs DROP COLUMN kind"))
        s.execute(text("ALTER TABLE sync_jobs DROP COLUMN extract_counters"))
        s.execute(text("DELETE FROM schema_version WHERE version >= :v"), {"v": version})
    store.close()

    assert _note_urls(data_dir) == {
        100: "http://127.0.0.1:3000/issues/10#change-100",
        102: "http://127.0.0.1:3000/issues/10#change-102",
    }
    store = open_store(data_dir)
    try:
        top = Retriever(settings, store).search("active directory ldap", caller=ADMIN)
        assert top["results"][0]["url"] == "http://127.0.0.1:3000/issues/10#change-100"
    finally:
        store.close()
