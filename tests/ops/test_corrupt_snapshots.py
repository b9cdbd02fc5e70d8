"""Corrupt or incomplete snapshots are refused before any live file changes."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from rrag.errors import OpsError
from rrag.ops import restore, verify_snapshot
from rrag.settings import Settings
from tests.ops.pairs import pair_state, tree_state


def _damage(snapshot: Path, rng: random.Random) -> str:
    # the lexical index's files too (chunks.lexical/...): each is checksummed alone
    files = sorted(p for p in snapshot.rglob("*") if p.is_file())
    kind = rng.choice(["flip", "flip", "missing", "truncated-manifest"])
    if kind == "flip":
        target = rng.choice(files)
        data = bytearray(target.read_bytes())
        offset = rng.randrange(len(data))
        data[offset] ^= 1 << rng.randrange(8)
        target.write_bytes(bytes(data))
        return f"flip {target.name}@{offset}"
    if kind == "missing":
        target = rng.choice(files)
        target.unlink()
        return f"missing {target.name}"
    manifest = snapshot / "manifest.json"
    data = manifest.read_bytes()
    manifest.write_bytes(data[: rng.randrange(len(data))])
    return "truncated manifest"


@pytest.mark.slow
def test_fifty_damaged_snapshots_are_all_refused_untouched(
    live: Settings, new_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    good = Path(new_snapshot["path"])
    verify_snapshot(good)
    data_dir = live.store.data_dir
    before = tree_state(data_dir)
    rng = random.Random(20261129)
    kinds = set()
    for n in range(50):
        copy = tmp_path / f"damaged-{n}"
        shutil.copytree(good, copy)
        what = _damage(copy, rng)
        kinds.add(what.split()[0])
        with pytest.raises(OpsError):
            restore(live, copy, force=True)
        assert tree_state(data_dir) == before, what
        shutil.rmtree(copy)
    assert kinds == {"flip", "missing", "truncated"}
    assert pair_state(data_dir)["matching"]
    restore(live, good, force=True)  # the undamaged original is accepted
    assert pair_state(data_dir)["db_generation"] == "2"
