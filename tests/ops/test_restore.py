"""Restores: round trip, refusals (no --force, busy store), crash at every swap step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rrag.errors import InputError, StoreBusy
from rrag.ops import ServeLock, plan_restore, recover_restore, restore
from rrag.ops.restore import stage_snapshot
from rrag.ops.swap import ASIDE, INTENT, STAGING, SWAP_ORDER, SwapPlan, begin, swap_steps
from rrag.settings import Settings
from rrag.store.locks import RESTORE_LOCK, StoreLock
from tests.ops.pairs import pair_state, tree_state

OLD = {"issues": 30}
NEW = {"issues": 45}
MESSAGES = {
    "sync": "a sync job",
    "index": "the indexer",
    "serve": "the API server",
    "restore": "another restore",
}


def _which(data_dir: Path) -> dict[str, Any]:
    state = pair_state(data_dir)
    assert state["matching"] and state["integrity"] == "ok", state
    return {"issues": state["issues"]}


def test_restore_swaps_in_the_snapshot_pair(live: Settings, new_snapshot: dict[str, Any]) -> None:
    result = restore(live, Path(new_snapshot["path"]), force=True)
    data_dir = live.store.data_dir
    assert _which(data_dir) == NEW
    assert result["index_generation"] == "2" and "rrag.db" in result["replaced"]
    for name, expected in new_snapshot["manifest"]["files"].items():
        assert (data_dir / name).stat().st_size == expected["size"]
    assert not any((data_dir / n).exists() for n in (ASIDE, STAGING, INTENT))
    assert recover_restore(data_dir) == "none"


def test_restore_without_force_names_what_it_would_overwrite(
    live: Settings, new_snapshot: dict[str, Any]
) -> None:
    before = tree_state(live.store.data_dir)
    with pytest.raises(InputError) as info:
        restore(live, Path(new_snapshot["path"]))
    assert "rrag.db" in str(info.value) and "chunks.index" in str(info.value)
    assert "--force" in str(info.value)
    assert tree_state(live.store.data_dir) == before
    plan = plan_restore(live, Path(new_snapshot["path"]))
    assert plan["live_index_generation"] == 1 and len(plan["would_overwrite"]) >= 3


@pytest.mark.parametrize("holder", ["sync", "index", "serve", "restore"])
def test_restore_refuses_while_the_store_is_held(
    live: Settings, new_snapshot: dict[str, Any], holder: str
) -> None:
    data_dir = live.store.data_dir
    lock: StoreLock | ServeLock
    if holder == "serve":
        lock = ServeLock(data_dir)
        lock.acquire()
    else:
        lock = StoreLock(
            data_dir, {"sync": "sync.lock", "index": "index.lock"}.get(holder, RESTORE_LOCK)
        )
        assert lock.acquire()
    before = tree_state(data_dir)
    try:
        with pytest.raises(
            StoreBusy,
            match=MESSAGES[holder],
        ):
            restore(live, Path(new_snapshot["path"]), force=True)
    finally:
        lock.release()
    assert tree_state(data_dir) == before
    assert _which(data_dir) == OLD


def test_api_server_lock_is_refused_during_a_restore(live: Settings) -> None:
    exclusive = StoreLock(live.store.data_dir, "serve.lock")
    assert exclusive.acquire()
    try:
        with pytest.raises(StoreBusy, match="restore is replacing"):
            ServeLock(live.store.data_dir).acquire()
    finally:
        exclusive.release()
    two = [ServeLock(live.store.data_dir), ServeLock(live.store.data_dir)]
    for server in two:  # several API processes share it
        server.acquire()
    for server in two:
        server.release()


def _prepared_swap(live: Settings, snapshot: dict[str, Any]) -> SwapPlan:
    data_dir = live.store.data_dir
    new_files = stage_snapshot(Path(snapshot["path"]), data_dir, snapshot["manifest"])
    old = [n for n in SWAP_ORDER if (data_dir / n).exists()]
    return SwapPlan(str(data_dir), new_files, old)


def test_crash_after_any_swap_step_recovers_to_one_whole_pair(
    live: Settings, new_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    data_dir = live.store.data_dir
    (data_dir / "rrag.db-wal").write_bytes(b"")  # an old WAL companion must move aside too
    steps = len(swap_steps(_prepared_swap(live, new_snapshot)))
    outcomes = []
    for done in range(-1, steps + 1):  # -1: crash while staging, before the journal
        plan = _prepared_swap(live, new_snapshot)
        if done >= 0:
            begin(plan)
            for step in swap_steps(plan)[:done]:
                step()
        outcomes.append(recover_restore(data_dir))
        assert not any((data_dir / n).exists() for n in (ASIDE, STAGING, INTENT))
        assert _which(data_dir) == (OLD if done < 0 else NEW), done
        restore(live, Path(_old_snapshot(live, tmp_path)["path"]), force=True)
        assert _which(data_dir) == OLD
    assert outcomes[0] == "cleaned" and set(outcomes[1:]) == {"completed"}


_OLD_SNAPSHOTS: dict[str, dict[str, Any]] = {}


def _old_snapshot(live: Settings, tmp_path: Path) -> dict[str, Any]:
    from rrag.ops import backup

    key = str(tmp_path)
    if key not in _OLD_SNAPSHOTS:
        _OLD_SNAPSHOTS[key] = backup(live, tmp_path / "old-backups")
    return _OLD_SNAPSHOTS[key]


def test_restore_of_an_index_less_snapshot_removes_the_live_index(
    live: Settings, tmp_path: Path
) -> None:
    from rrag.ops import backup
    from tests.ops.pairs import make_pair

    bare = make_pair(tmp_path / "bare", issues=5, generation=3)
    for name in ("chunks.index", "chunks.meta.json"):
        (bare.store.data_dir / name).unlink()
    snap = backup(bare, tmp_path / "bb")
    assert snap["manifest"]["index_included"] is False
    restore(live, Path(snap["path"]), force=True)
    assert not (live.store.data_dir / "chunks.index").exists()
    assert json.loads(json.dumps(snap["manifest"]["row_counts"]))["issues"] == 5
