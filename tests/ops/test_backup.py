"""Backups: layout, manifest, atomic naming, refusal cases, no secrets."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from rrag.errors import OpsError, StoreBusy
from rrag.index import IndexUpdater, check_consistency
from rrag.index.manifest import read_manifest
from rrag.ops import backup, list_snapshots, verify_snapshot
from rrag.ops.snapshot import seal
from rrag.retrieval import Retriever
from rrag.settings import Settings
from rrag.store.db import open_store
from rrag.store.locks import StoreLock
from rrag.store.migrations import SCHEMA_VERSION
from tests.conftest import make_settings
from tests.ops.pairs import add_issues, index_now, pair_state


def test_backup_writes_a_complete_sealed_snapshot(live: Settings, tmp_path: Path) -> None:
    result = backup(live, tmp_path / "b")
    snap = Path(result["path"])
    assert snap.name.startswith("snapshot-") and snap.name.endswith("Z")
    assert sorted(p.name for p in snap.iterdir()) == [
        "chunks.index",
        "chunks.lexical",
        "chunks.meta.json",
        "manifest.json",
        "rrag.db",
    ]
    manifest = json.loads((snap / "manifest.json").read_text())
    assert (snap / "manifest.json").read_bytes() == seal(manifest)
    assert manifest["index_generation"] == "1" and manifest["schema_version"] == SCHEMA_VERSION
    assert (
        manifest["row_counts"]["issues"] == 30
        and manifest["chunk_count"] == manifest["row_counts"]["chunks"] > 0
    )
    assert manifest["embedder"] == {"provider": "hashing", "model": "hashing-v1", "dim": 32}
    lexical = {n for n in manifest["files"] if n.startswith("chunks.lexical/")}
    assert set(manifest["files"]) - lexical == {"rrag.db", "chunks.index", "chunks.meta.json"}
    # every file of the tantivy directory, checksummed one by one; its lock files are not data
    assert "chunks.lexical/meta.json" in lexical and len(lexical) > 3
    assert lexical == {f"chunks.lexical/{p.name}" for p in (snap / "chunks.lexical").iterdir()}
    assert manifest["lexical_generation"] == "1"
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    assert verify_snapshot(snap)["created_at"] == manifest["created_at"]
    assert pair_state(snap)["matching"]
    assert list_snapshots(tmp_path / "b") == [snap]
    assert [p.name for p in (tmp_path / "b").iterdir()] == [snap.name]  # no temp leftovers


def test_backup_contains_no_secret(live: Settings, tmp_path: Path) -> None:
    secret = live.redmine.api_key.get_secret_value()
    snap = Path(backup(live, tmp_path / "b")["path"])
    for path in snap.rglob("*"):
        assert path.is_dir() or secret.encode() not in path.read_bytes()


def test_backup_of_a_missing_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OpsError, match="no store to back up"):
        backup(make_settings(tmp_path / "nothing"), tmp_path / "b")
    assert list_snapshots(tmp_path / "b") == []


def test_backup_waits_for_the_index_lock_then_gives_up(live: Settings, tmp_path: Path) -> None:
    lock = StoreLock(live.store.data_dir, "index.lock")
    assert lock.acquire()
    try:
        with pytest.raises(StoreBusy, match="the indexer held"):
            backup(live, tmp_path / "b", lock_timeout_s=0.2)
    finally:
        lock.release()
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())


def test_backup_refuses_a_store_ahead_of_its_index(live: Settings, tmp_path: Path) -> None:
    # the state a crash between the indexer's commit and its index save leaves behind
    with sqlite3.connect(live.store.db_path) as conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'index_generation'")
    conn.close()
    with pytest.raises(OpsError, match="does not match"):
        backup(live, tmp_path / "b")
    assert list((tmp_path / "b").iterdir()) == []


def test_a_lagging_sidecar_is_described_from_the_index_trailer_and_left_alone(
    live: Settings, tmp_path: Path
) -> None:
    # a crash between the writer's two renames: chunks.index is new, chunks.meta.json old
    meta_path = live.store.data_dir / "chunks.meta.json"
    stale = json.dumps({**json.loads(meta_path.read_text()), "generation": 0})
    meta_path.write_text(stale)
    snap = Path(backup(live, tmp_path / "b")["path"])
    trailer = read_manifest(live.store.index_path)
    assert json.loads((snap / "chunks.meta.json").read_text()) == json.loads(trailer.to_json())
    assert verify_snapshot(snap)["index_generation"] == str(trailer.generation)
    assert meta_path.read_text() == stale  # backup only reads the live store


def test_readers_never_rewrite_the_sidecar(live: Settings) -> None:
    """Only the indexer (under index.lock) heals chunks.meta.json; a reader racing its save
    would otherwise write an older generation's JSON beside the newer index."""
    meta_path = live.store.data_dir / "chunks.meta.json"
    stale = json.dumps({**json.loads(meta_path.read_text()), "generation": 0})
    meta_path.write_text(stale)
    store = open_store(live.store.data_dir)
    try:
        assert check_consistency(live, store)["ok"]
        Retriever(live, store).search("disk", k=3)
        assert meta_path.read_text() == stale
        IndexUpdater(live, store).drain()
    finally:
        store.close()
    assert (
        json.loads(meta_path.read_text())["generation"]
        == read_manifest(live.store.index_path).generation
    )


def test_backup_refuses_a_lexical_index_behind_the_store(live: Settings, tmp_path: Path) -> None:
    data = live.store.data_dir
    shutil.copytree(data / "chunks.lexical", tmp_path / "older")
    conn = sqlite3.connect(data / "rrag.db", isolation_level=None)
    add_issues(conn, 100, 3, "later")
    conn.close()
    index_now(live)  # generation 2 everywhere
    shutil.rmtree(data / "chunks.lexical")
    shutil.copytree(tmp_path / "older", data / "chunks.lexical")  # generation 1 again
    with pytest.raises(OpsError, match="lexical index generation 1 does not match"):
        backup(live, tmp_path / "b")
    assert list_snapshots(tmp_path / "b") == []
