"""Owner-only data: the data dir, store, index, locks, backups and restores, whatever the umask."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from rrag.ops import backup, restore
from rrag.store.db import open_store
from rrag.store.files import open_private, private_dir, touch_private
from rrag.store.locks import ServeLock
from tests.ops.pairs import make_pair, pair_state


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=["umask022", "umask002", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under a permissive umask, restored afterwards."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _readable_by_others(root: Path) -> list[str]:
    """Every path at or under ``root`` with a group or other permission bit set."""
    paths = [root, *root.rglob("*")]
    return [
        f"{p} {stat.filemode(p.lstat().st_mode)}"
        for p in paths
        if not p.is_symlink() and p.lstat().st_mode & 0o077
    ]


def test_store_index_backup_and_restore_are_owner_only(umask: int, tmp_path: Path) -> None:
    live = make_pair(tmp_path / "deep" / "live", issues=12, tag="old", generation=2)
    snapshot = backup(live, tmp_path / "backups" / "nightly")
    other = make_pair(tmp_path / "other", issues=5, tag="new")
    restore(other, Path(snapshot["path"]), force=True)
    lock = ServeLock(tmp_path / "served")  # the server takes its lock before the store
    lock.acquire()
    lock.release()
    data = {p.name for p in live.store.data_dir.iterdir()}
    assert {"rrag.db", "chunks.index", "chunks.meta.json", "index.lock"} <= data
    assert pair_state(other.store.data_dir)["issues"] == 12
    for root in (tmp_path / "deep", tmp_path / "backups", tmp_path / "other", tmp_path / "served"):
        assert _readable_by_others(root) == []


def test_wal_and_shm_inherit_the_private_database_mode(umask: int, tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    try:
        with store.write() as session:  # a write transaction creates -wal and -shm
            store.set_meta(session, "k", "v")
        names = {p.name for p in (tmp_path / "data").iterdir()}
        assert {"rrag.db-wal", "rrag.db-shm"} <= names
        assert _readable_by_others(tmp_path / "data") == []
    finally:
        store.close()


def test_an_existing_readable_data_dir_is_tightened_on_open_and_logged(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    data = tmp_path / "data"
    open_store(data).close()
    (data / "chunks.meta.json").write_text("{}")
    (data / "index.lock").touch()
    (data / ".restore-staging").mkdir()
    (data / ".restore-staging" / "rrag.db").write_bytes(b"staged")
    (data / "notes.txt").write_text("the operator's own file")  # not rrag's: left alone
    for path, mode in [
        (data, 0o755),
        (data / "rrag.db", 0o644),
        (data / "chunks.meta.json", 0o664),
        (data / "index.lock", 0o644),
        (data / ".restore-staging", 0o775),
        (data / ".restore-staging" / "rrag.db", 0o644),
        (data / "notes.txt", 0o644),
    ]:
        os.chmod(path, mode)
    store = open_store(data)
    store.close()
    assert _readable_by_others(data) == [f"{data / 'notes.txt'} -rw-r--r--"]
    assert stat.S_IMODE((data / "rrag.db").stat().st_mode) == 0o600
    [line] = [
        json.loads(raw)
        for raw in json_log.getvalue().splitlines()
        if json.loads(raw)["event"] == "data_dir_tightened"
    ]
    assert line["level"] == "warning" and len(line["paths"]) == 6
    open_store(data).close()  # nothing left to tighten: no second line
    assert json_log.getvalue().count("data_dir_tightened") == 1


def test_helpers_give_exact_modes_and_leave_existing_dirs_alone(umask: int, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)  # like /tmp or a backups mount: not ours to change
    made = private_dir(shared / "a" / "b")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    for directory in (shared / "a", made):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    stale = made / "f"
    stale.write_bytes(b"old")
    os.chmod(stale, 0o644)
    with open_private(stale) as handle:  # an existing file is truncated and tightened
        handle.write(b"new")
    touch_private(made / "g")
    assert stale.read_bytes() == b"new" and (made / "g").read_bytes() == b""
    for path in (stale, made / "g"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_data_dir_reached_through_a_symbolic_link_is_tightened_too(tmp_path: Path) -> None:
    target = tmp_path / "volume"
    target.mkdir()
    os.chmod(target, 0o755)
    (tmp_path / "data").symlink_to(target)
    open_store(tmp_path / "data").close()
    assert _readable_by_others(target) == []
