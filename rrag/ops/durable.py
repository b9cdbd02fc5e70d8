"""Durable file primitives for ops: checksums, fsync, atomic writes, synced copies.

Every file ops writes goes through here so a crash never leaves a half-written file under
its final name: write to a temp name, ``fsync`` the file, ``os.replace``, ``fsync`` the
directory (the rename itself is only durable once the directory entry is on disk).
Every file is created owner-only (0600) whatever the umask (:mod:`rrag.store.files`):
snapshots and staged restores hold the same private issue text as the store.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from rrag.store.files import open_private

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (directories make renames durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via temp file + fsync + os.replace + directory fsync."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open_private(tmp) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def copy_synced(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` (created 0600) and fsync the copy (not the directory)."""
    with open(src, "rb") as source, open_private(dst) as target:
        shutil.copyfileobj(source, target, CHUNK)
        target.flush()
        os.fsync(target.fileno())


def file_size(path: Path) -> int:
    """Size in bytes, 0 when the file does not exist."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def human_size(size: int) -> str:
    """``1536`` → ``'1.5 KiB'``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - loop always returns


__all__ = ["copy_synced", "file_size", "fsync_path", "human_size", "sha256_file", "write_atomic"]
