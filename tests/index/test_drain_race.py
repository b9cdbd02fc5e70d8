"""A sync that changes a source while the indexer is between reading and writing it.

The indexer reads a batch's sources, then writes their chunks in a second (write)
transaction; a sync may commit in between. The indexer compares each source's content
hash again under the write lock and leaves a changed source queued, so the next batch
indexes its new text instead of the old one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from rrag.index import IndexUpdater, updater
from rrag.store.db import open_store
from tests.index import seed


def test_a_source_changed_between_read_and_write_is_indexed_with_its_new_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = seed.hashing_settings(tmp_path / "data")
    store = open_store(settings.store.data_dir)
    try:
        seed.project(store, 1)
        seed.issue(store, 1, "Printer jams", "old text about the tray")
        seed.issue(store, 2, "Scanner is slow", "takes a minute a page")
        real_load = updater.load_sources
        calls: list[int] = []

        def load_then_sync_edits(*args: Any, **kwargs: Any) -> Any:
            loaded = real_load(*args, **kwargs)
            if not calls:  # the first read only: a sync commits an edit right after it
                seed.issue(store, 1, "Printer jams", "new text about the fuser")
            calls.append(1)
            return loaded

        monkeypatch.setattr(updater, "load_sources", load_then_sync_edits)
        IndexUpdater(settings, store).drain()
        with store.engine.connect() as conn:
            texts = dict(
                conn.execute(text("SELECT issue_id, text FROM chunks WHERE kind = 'issue'")).all()
            )
            queued = conn.execute(text("SELECT COUNT(*) FROM index_queue")).scalar()
        assert "new text about the fuser" in texts[1] and "old text" not in texts[1]
        assert "takes a minute" in texts[2]
        assert queued == 0 and len(calls) >= 2  # issue 1 was read again, then indexed
    finally:
        store.close()
