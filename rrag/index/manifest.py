"""The index manifest and the trailer that carries it; no FAISS needed to read either.

The manifest (provider, model, dim, count, build time, versions, generation) is written
twice: as a trailer inside ``chunks.index`` (``MAGIC``, JSON, 8-byte length), replaced in
the same rename as the vectors and therefore authoritative, and as ``chunks.meta.json``
for people and ops tools. When the two disagree (a crash between the writer's two
renames) the trailer wins. Only the writer (:class:`rrag.index.IndexUpdater`, under
``index.lock``) rewrites the sidecar, via :func:`heal_sidecar`: a reader that "healed" it
would race the writer's save and could put an older generation's JSON beside a newer
index. Ops (backup) reads trailers here without importing FAISS.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rrag.errors import IndexStateError

MAGIC = b"RRAGMANIFEST1"
TAIL = struct.Struct("<Q")  # manifest length, after the JSON
REBUILD_HINT = "run `rrag index --rebuild`"


@dataclass
class Manifest:
    generation: int
    provider: str
    model: str
    dim: int
    count: int = 0
    built_at: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def fsync_write(path: Path, *parts: bytes | memoryview) -> None:
    """Write ``parts`` to ``path`` atomically: temp file in the same dir, fsync, replace.

    Parts are written one after another rather than joined first: the FAISS body is most of
    the process's memory at save time, and joining would copy it.
    """
    # mkstemp creates the file 0600 whatever the umask: the index (vectors of private
    # issue text) and its manifest stay owner-only, like everything in the data dir
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in parts:
                fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def read_manifest(index_path: Path) -> Manifest:
    """The manifest in the trailer of ``index_path`` (IndexStateError if absent or bad)."""
    if not index_path.exists():
        raise IndexStateError(
            f"no vector index at {index_path}: {REBUILD_HINT}", path=str(index_path)
        )
    with open(index_path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size < TAIL.size:
            raise corrupt(index_path)
        fh.seek(size - TAIL.size)
        (length,) = TAIL.unpack(fh.read(TAIL.size))
        start = size - TAIL.size - length - len(MAGIC)
        if start < 0:
            raise corrupt(index_path)
        fh.seek(start)
        blob = fh.read(len(MAGIC) + length)
    return parse_manifest(blob, index_path)


def parse_manifest(blob: bytes, index_path: Path) -> Manifest:
    if not blob.startswith(MAGIC):
        raise corrupt(index_path)
    try:
        return Manifest(**json.loads(blob[len(MAGIC) :]))
    except (ValueError, TypeError):
        raise corrupt(index_path) from None


def split_trailer(raw: bytes, index_path: Path) -> tuple[Manifest, memoryview]:
    """Manifest and FAISS body from one read of the file (a save may replace it meanwhile).

    The body is a view into ``raw``, not a copy (it is most of the file).
    """
    if len(raw) < TAIL.size:
        raise corrupt(index_path)
    (length,) = TAIL.unpack(raw[-TAIL.size :])
    start = len(raw) - TAIL.size - length - len(MAGIC)
    if start < 0:
        raise corrupt(index_path)
    return parse_manifest(raw[start : len(raw) - TAIL.size], index_path), memoryview(raw)[:start]


def corrupt(path: Path) -> IndexStateError:
    return IndexStateError(f"the vector index at {path} is corrupt: {REBUILD_HINT}", path=str(path))


def heal_sidecar(manifest: Manifest, meta_path: Path) -> bool:
    """Rewrite ``chunks.meta.json`` from the trailer's manifest when they differ.

    Call only while holding ``index.lock`` (the writer's lock). True when rewritten.
    """
    try:
        on_disk = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        on_disk = None
    if on_disk == json.loads(manifest.to_json()):
        return False
    fsync_write(meta_path, manifest.to_json().encode())
    return True


__all__ = [
    "MAGIC",
    "REBUILD_HINT",
    "TAIL",
    "Manifest",
    "corrupt",
    "fsync_write",
    "heal_sidecar",
    "parse_manifest",
    "read_manifest",
    "split_trailer",
]
