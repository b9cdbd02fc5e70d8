"""The FAISS vector index and its manifest, saved atomically.

``chunks.index`` is a plain FAISS file (``IndexIDMap2`` over inner-product flat search on
normalised vectors, ids = chunk row ids) followed by a trailer holding the manifest JSON;
FAISS's reader stops at the end of its own data, so the file stays readable by
``faiss.read_index``. Because the trailer travels inside the one file that ``os.replace``
swaps, a crash mid-save leaves the whole old or the whole new generation on disk.
``chunks.meta.json`` is the same manifest for people and ops tools; when it disagrees
with the trailer (a crash between the two replaces), the trailer wins. Only the writer
(:class:`rrag.index.IndexUpdater`, under ``index.lock``) rewrites it, via
:func:`heal_sidecar`: a reader that "healed" it would race the writer's save and could
put an older generation's JSON beside a newer index.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rrag.errors import IndexStateError

MAGIC = b"RRAGMANIFEST1"
_TAIL = struct.Struct("<Q")  # manifest length, after the JSON
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


def versions() -> dict[str, str]:
    import rrag

    return {"rrag": rrag.__version__, "faiss": faiss.__version__, "numpy": np.__version__}


def _fsync_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same dir, fsync, replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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


# One OpenMP thread: a search is one query vector, and on a small busy machine FAISS's
# default (a thread per core) spin-waits for cores other processes hold: measured 32 ms vs
# 3.5 ms p50 for one query over 100k x 256 flat vectors on 2 loaded cores (RESULTS.md).
faiss.omp_set_num_threads(1)


class VectorIndex:
    """Chunk vectors in FAISS, keyed by chunk row id."""

    def __init__(self, manifest: Manifest, index: Any | None = None) -> None:
        self.manifest = manifest
        self.index = (
            index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(manifest.dim))
        )

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(
                np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64)
            )

    def remove(self, ids: np.ndarray | list[int]) -> None:
        if len(ids):
            self.index.remove_ids(np.asarray(ids, np.int64))  # type: ignore[arg-type]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (id, score); ``allowed`` (chunk ids) filters before the cut."""
        if self.count == 0 or k <= 0:
            return []
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            params = faiss.SearchParameters(
                # type: ignore[call-arg]
                sel=faiss.IDSelectorBatch(allowed.astype(np.int64))
            )
        scores, ids = self.index.search(
            query.reshape(1, -1).astype(np.float32), min(k, self.count), params=params
        )
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self, index_path: Path, meta_path: Path) -> None:
        self.manifest.count = self.count
        self.manifest.built_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.manifest.versions = versions()
        body = faiss.serialize_index(self.index).tobytes()
        manifest = self.manifest.to_json().encode()
        _fsync_write(index_path, body + MAGIC + manifest + _TAIL.pack(len(manifest)))
        _fsync_write(meta_path, manifest)


def read_manifest(index_path: Path) -> Manifest:
    """The manifest in the trailer of ``index_path`` (IndexStateError if absent or bad)."""
    if not index_path.exists():
        raise IndexStateError(
            f"no vector index at {index_path}: {REBUILD_HINT}", path=str(index_path)
        )
    with open(index_path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size < _TAIL.size:
            raise _corrupt(index_path)
        fh.seek(size - _TAIL.size)
        (length,) = _TAIL.unpack(fh.read(_TAIL.size))
        start = size - _TAIL.size - length - len(MAGIC)
        if start < 0:
            raise _corrupt(index_path)
        fh.seek(start)
        blob = fh.read(len(MAGIC) + length)
    return _parse_manifest(blob, index_path)


def _parse_manifest(blob: bytes, index_path: Path) -> Manifest:
    if not blob.startswith(MAGIC):
        raise _corrupt(index_path)
    try:
        return Manifest(**json.loads(blob[len(MAGIC) :]))
    except (ValueError, TypeError):
        raise _corrupt(index_path) from None


def _split(raw: bytes, index_path: Path) -> tuple[Manifest, bytes]:
    """Manifest and FAISS body from one read of the file (a save may replace it meanwhile)."""
    if len(raw) < _TAIL.size:
        raise _corrupt(index_path)
    (length,) = _TAIL.unpack(raw[-_TAIL.size :])
    start = len(raw) - _TAIL.size - length - len(MAGIC)
    if start < 0:
        raise _corrupt(index_path)
    return _parse_manifest(raw[start : len(raw) - _TAIL.size], index_path), raw[:start]


def _corrupt(path: Path) -> IndexStateError:
    return IndexStateError(f"the vector index at {path} is corrupt: {REBUILD_HINT}", path=str(path))


def load(index_path: Path) -> VectorIndex:
    """Load the index and its manifest (from the trailer); reads only, never writes."""
    try:
        raw = index_path.read_bytes()
    except FileNotFoundError:
        raise IndexStateError(
            f"no vector index at {index_path}: {REBUILD_HINT}", path=str(index_path)
        ) from None
    # one read: the trailer and the body must come from the same generation of the file
    manifest, body = _split(raw, index_path)
    try:
        index = faiss.deserialize_index(np.frombuffer(body, dtype=np.uint8))
    except RuntimeError:
        raise _corrupt(index_path) from None
    if index.ntotal != manifest.count or index.d != manifest.dim:
        raise _corrupt(index_path)
    return VectorIndex(manifest, index)


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
    _fsync_write(meta_path, manifest.to_json().encode())
    return True


__all__ = [
    "MAGIC",
    "REBUILD_HINT",
    "Manifest",
    "VectorIndex",
    "heal_sidecar",
    "load",
    "read_manifest",
]
