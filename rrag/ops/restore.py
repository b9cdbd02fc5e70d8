"""``rrag ops restore``: verify a snapshot, then swap it in as one database + index pair.

Order of business, each a gate for the next: verify the snapshot completely
(:func:`rrag.ops.snapshot.verify_snapshot`: nothing live has been touched yet); refuse a
snapshot whose vector index another embedder built (:mod:`rrag.ops.embedder_match`)
unless ``allow_embedder_change``, and then report the rebuild it needs; refuse
without ``force`` naming what would be overwritten; take the restore, sync and serve
locks (refuse while a sync or the API holds the store); stage verified copies; then
the journaled swap of :mod:`rrag.ops.swap`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rrag.errors import InputError, OpsError
from rrag.logs import get_logger, log_event
from rrag.ops.durable import copy_synced, file_size, fsync_path, human_size, sha256_file
from rrag.ops.embedder_match import configured_embedder, embedder_mismatch, refusal
from rrag.ops.snapshot import DB_NAME, INDEX_META_NAME, read_index_meta, verify_snapshot
from rrag.ops.swap import STAGING, SWAP_ORDER, SwapPlan, recover_locked, run_swap
from rrag.settings import Settings
from rrag.store.files import fresh_private_dir, private_dir
from rrag.store.locks import exclusive_store

log = get_logger("ops.restore")


def _size(path: Path) -> int:
    if path.is_dir():  # the lexical index directory
        return sum(file_size(p) for p in path.iterdir() if p.is_file())
    return file_size(path)


def describe_live(data_dir: Path) -> list[dict[str, Any]]:
    """Live files a restore would replace (without opening the database)."""
    return [
        {"path": str(Path(data_dir) / name), "bytes": _size(Path(data_dir) / name)}
        for name in SWAP_ORDER
        if (Path(data_dir) / name).exists()
    ]


def plan_restore(settings: Settings, source_dir: Path) -> dict[str, Any]:
    """Verify ``source_dir`` and say what a restore would replace; changes nothing.

    ``embedder_change`` is None when the snapshot's index fits the configured embedder,
    else what differs and the rebuild it needs.
    """
    manifest = verify_snapshot(Path(source_dir))
    data_dir = settings.store.data_dir
    live_meta = read_index_meta(data_dir / INDEX_META_NAME) if data_dir.is_dir() else None
    return {
        "source": str(source_dir),
        "manifest": manifest,
        "would_overwrite": describe_live(data_dir),
        "live_index_generation": (live_meta or {}).get("generation"),
        "embedder_change": embedder_mismatch(manifest["embedder"], configured_embedder(settings)),
    }


def _refusal(plan: dict[str, Any]) -> str:
    files = ", ".join(f"{f['path']} ({human_size(f['bytes'])})" for f in plan["would_overwrite"])
    manifest = plan["manifest"]
    return (
        f"restore would overwrite {files or 'nothing (the data dir is empty)'} "
        f"(live index generation {plan['live_index_generation']}) with the snapshot from "
        f"{manifest['created_at']} (index generation {manifest['index_generation']}, "
        f"{manifest['row_counts'].get('issues', 0)} issues); pass --force to do it"
    )


def stage_snapshot(source: Path, data_dir: Path, manifest: dict[str, Any]) -> list[str]:
    """Copy the snapshot's files into staging and re-verify the copies' checksums; returns
    the entries to swap in (a file, or the lexical index directory as one)."""
    staging = data_dir / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    fresh_private_dir(staging)
    for name, expected in manifest["files"].items():
        if "/" in name and not (staging / name).parent.exists():
            fresh_private_dir((staging / name).parent)
        copy_synced(source / name, staging / name)
        if sha256_file(staging / name) != expected["sha256"]:
            raise OpsError(
                f"{source / name} changed while it was being restored; nothing live was touched",
                path=str(source / name),
            )
    for entry in {name.split("/")[0] for name in manifest["files"] if "/" in name}:
        fsync_path(staging / entry)
    fsync_path(staging)
    return sorted({name.split("/")[0] for name in manifest["files"]})


def _check_result(data_dir: Path, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        if sha256_file(data_dir / name) != expected["sha256"]:  # pragma: no cover - defensive
            raise OpsError(f"restored {name} does not match the snapshot", path=str(data_dir))


def restore(
    settings: Settings, source_dir: Path, force: bool = False, allow_embedder_change: bool = False
) -> dict[str, Any]:
    """Replace the store's database and index with the snapshot in ``source_dir``.

    InputError (nothing touched) without ``force``, or when another embedder built the
    snapshot's index and ``allow_embedder_change`` is not set. With it, the result's
    ``embedder_change`` names the rebuild that search needs next.
    """
    source = Path(source_dir)
    plan = plan_restore(settings, source)
    if plan["embedder_change"] and not allow_embedder_change:
        raise InputError(refusal(plan["embedder_change"]))
    if not force:
        raise InputError(_refusal(plan))
    data_dir = settings.store.data_dir
    private_dir(data_dir)
    with exclusive_store(data_dir):
        recover_locked(data_dir)  # a crashed earlier restore is completed first
        new_files = stage_snapshot(source, data_dir, plan["manifest"])
        old_files = [name for name in SWAP_ORDER if (data_dir / name).exists()]
        log_event(log, "restore_swap_begin", source=str(source), data_dir=str(data_dir))
        run_swap(SwapPlan(str(data_dir), new_files, old_files))
        _check_result(data_dir, plan["manifest"])
    log_event(
        log,
        "restore_done",
        source=str(source),
        data_dir=str(data_dir),
        index_generation=plan["manifest"]["index_generation"],
        rebuild_needed=plan["embedder_change"] is not None,
    )
    return {
        "source": str(source),
        "data_dir": str(data_dir),
        "replaced": old_files,
        "restored": new_files,
        "index_generation": plan["manifest"]["index_generation"],
        "row_counts": plan["manifest"]["row_counts"],
        "db_bytes": file_size(data_dir / DB_NAME),
        "embedder_change": plan["embedder_change"],
    }


__all__ = ["describe_live", "plan_restore", "restore", "stage_snapshot"]
