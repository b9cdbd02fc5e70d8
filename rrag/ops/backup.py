"""``rrag ops backup``: a consistent snapshot of the database and the index, taken live.

Layout: ``OUTPUT_DIR/snapshot-<UTC timestamp>/`` with ``rrag.db``, ``chunks.index``,
``chunks.meta.json``, the lexical index directory ``chunks.lexical/`` and
``manifest.json``. It is assembled under a hidden temp name
(``.tmp-snapshot-...``) and renamed only when complete and fsynced, so a crash never
leaves a directory that looks like a snapshot. Nothing secret is in it: the store holds
no API keys and no settings are copied. It does hold private issue text, so the snapshot
directory is 0700 and its files 0600 whatever the umask (a missing ``OUTPUT_DIR`` is
created 0700 too; an existing one keeps its mode).
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rrag.errors import IndexStateError, InputError, OpsError, StoreBusy
from rrag.logs import get_logger, log_event
from rrag.ops import dbfile
from rrag.ops.durable import copy_synced, fsync_path, write_atomic
from rrag.ops.snapshot import (
    DB_NAME,
    INDEX_FILES,
    INDEX_META_NAME,
    INDEX_NAME,
    LEXICAL_NAME,
    MANIFEST_NAME,
    build_manifest,
    lexical_files,
    seal,
)
from rrag.settings import Settings
from rrag.store.files import fresh_private_dir, private_dir
from rrag.store.locks import INDEX_LOCK, StoreLock, acquire_within

log = get_logger("ops.backup")
SNAPSHOT_PREFIX = "snapshot-"
STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def _snapshot_name(output_dir: Path) -> tuple[str, str]:
    moment = datetime.now(UTC)
    name = SNAPSHOT_PREFIX + moment.strftime(STAMP_FORMAT)
    while (output_dir / name).exists():  # two backups within one microsecond
        name += "-1"
    return name, moment.isoformat(timespec="microseconds")


def _copy_pair(data_dir: Path, work: Path, lock_timeout_s: float) -> int | None:
    """Copy the index files and back up the database while holding the index lock;
    returns the generation the lexical index was committed with (None: there is none).

    Why a lock and not "read the generation before and after and retry": the indexer
    bumps the store's ``index_generation`` in one transaction and saves the index files
    afterwards, and the index is two files replaced one after the other, so an
    optimistic copy can pass its before/after check while holding a database one
    generation ahead of its index (or ``chunks.index`` and ``chunks.meta.json`` of two
    generations). :class:`rrag.index.IndexUpdater` does all of that under ``index.lock``,
    so holding it for the copy pins one generation. It is not the sync lock: a sync may
    run for minutes and its database writes are captured consistently by the online
    backup anyway; only the indexer's short save waits for us. Queries keep running (WAL
    readers are never blocked). :func:`build_manifest` re-checks the pair afterwards.
    """
    lock = StoreLock(data_dir, INDEX_LOCK)
    if not acquire_within(lock, lock_timeout_s):
        raise StoreBusy(
            f"the indexer held {data_dir} for more than {lock_timeout_s:g} s; "
            "retry when it has finished",
            holder=INDEX_LOCK,
        )
    try:
        present = [name for name in INDEX_FILES if (data_dir / name).exists()]
        if len(present) not in (0, len(INDEX_FILES)):
            raise OpsError(
                f"the index in {data_dir} is incomplete (only {', '.join(present)});"
                " run `rrag index` before taking a backup"
            )
        if present:
            copy_synced(data_dir / INDEX_NAME, work / INDEX_NAME)
            _write_sidecar(work)
        _copy_lexical(data_dir, work)
        generation = _lexical_generation(data_dir, work)
        dbfile.online_backup(data_dir / DB_NAME, work / DB_NAME)
        fsync_path(work / DB_NAME)
    finally:
        lock.release()
    return generation


def _copy_lexical(data_dir: Path, work: Path) -> None:
    """Copy the lexical index's files (only the indexer changes them, and it waits for
    its merges before it lets ``index.lock`` go)."""
    names = lexical_files(data_dir)
    if names:
        fresh_private_dir(work / LEXICAL_NAME)
    for name in names:
        copy_synced(data_dir / name, work / name)
    if names:
        fsync_path(work / LEXICAL_NAME)


def _lexical_generation(data_dir: Path, work: Path) -> int | None:
    """The generation of the copied lexical index (None: no copy).

    Read from the live index, under the same ``index.lock`` as the copy, so the two are
    one commit. Not from the copy: opening a tantivy index starts reader threads that
    write ``.tantivy-meta.lock`` beside it, at a moment of their choosing, and a
    snapshot holds data files only.
    """
    if not (work / LEXICAL_NAME).is_dir():
        return None
    from rrag.index.textindex import LexicalIndex  # FAISS-free CLI parsing (see above)

    try:
        generation = LexicalIndex(data_dir / LEXICAL_NAME).generation()
    except (IndexStateError, ValueError) as exc:
        raise OpsError(f"the live lexical index cannot be backed up: {exc}") from None
    if generation is None:
        raise OpsError("the live lexical index has no generation: run `rrag index` first")
    return generation


def _write_sidecar(work: Path) -> None:
    """The snapshot's ``chunks.meta.json``, from the trailer of the copied ``chunks.index``.

    The trailer is the index's own record of its generation (it is replaced with the
    index in one rename); the live sidecar can lag it after a crash between the writer's
    two renames, so copying it could pair a sound index with a stale description.
    """
    # imported here: the rrag.index package loads FAISS, which parsing the CLI must not
    from rrag.index.manifest import read_manifest

    try:
        manifest = read_manifest(work / INDEX_NAME)
    except IndexStateError as exc:
        raise OpsError(f"the live index cannot be backed up: {exc}") from None
    write_atomic(work / INDEX_META_NAME, manifest.to_json().encode())


def _output_dir(path: Path) -> Path:
    """``path``, created 0700 when missing (an existing directory keeps its mode)."""
    try:
        return private_dir(path)
    except OSError as exc:
        raise InputError(
            f"cannot put snapshots in {path}: {exc.strerror or exc}", path=str(path)
        ) from None


def backup(settings: Settings, output_dir: Path, lock_timeout_s: float = 300.0) -> dict[str, Any]:
    """Take a snapshot of the store into ``output_dir``; returns its path and manifest."""
    data_dir = settings.store.data_dir
    if not (data_dir / DB_NAME).is_file():
        raise OpsError(
            f"there is no store to back up: {data_dir / DB_NAME} does not exist", path=str(data_dir)
        )
    output_dir = _output_dir(Path(output_dir))
    name, created_at = _snapshot_name(output_dir)
    work = fresh_private_dir(output_dir / f".tmp-{name}-{os.getpid()}")
    try:
        generation = _copy_pair(data_dir, work, lock_timeout_s)
        manifest = build_manifest(work, created_at, generation)
        write_atomic(work / MANIFEST_NAME, seal(manifest))
        fsync_path(work)
        os.rename(work, output_dir / name)
        fsync_path(output_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    final = output_dir / name
    size = sum(p.stat().st_size for p in final.rglob("*") if p.is_file())
    log_event(
        log,
        "backup_done",
        path=str(final),
        bytes=size,
        index_generation=manifest["index_generation"],
    )
    return {"path": str(final), "bytes": size, "manifest": manifest}


def list_snapshots(output_dir: Path) -> list[Path]:
    """Complete snapshots in ``output_dir``, oldest first (temp dirs are not listed)."""
    if not Path(output_dir).is_dir():
        return []
    found = [
        p
        for p in Path(output_dir).iterdir()
        if p.is_dir() and p.name.startswith(SNAPSHOT_PREFIX) and (p / MANIFEST_NAME).exists()
    ]
    return sorted(found, key=lambda p: p.name)


__all__ = ["SNAPSHOT_PREFIX", "backup", "list_snapshots"]
