"""The snapshot manifest: what a snapshot holds, and the checks that prove it is whole.

``manifest.json`` records the format version, rrag and schema versions, the index
generation, the embedder, row counts per table, the chunk count, size and SHA-256 of
every file, and ``created_at``. It is written canonically (sorted keys, fixed indent) and
sealed with ``manifest_sha256`` over its own canonical body, so a flipped byte anywhere
in it — even in whitespace — or a truncation is detected, not just a damaged data file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from rrag import __version__
from rrag.errors import OpsError
from rrag.ops import dbfile
from rrag.ops.files import sha256_file
from rrag.store.migrations import SCHEMA_VERSION

FORMAT_VERSION = 1
DB_NAME = "rrag.db"
INDEX_NAME = "chunks.index"
INDEX_META_NAME = "chunks.meta.json"
MANIFEST_NAME = "manifest.json"
PAIR_FILES = (DB_NAME, INDEX_NAME, INDEX_META_NAME)
INDEX_FILES = (INDEX_NAME, INDEX_META_NAME)


def canonical(body: dict[str, Any]) -> bytes:
    return (json.dumps(body, sort_keys=True, indent=2) + "\n").encode()


def seal(body: dict[str, Any]) -> bytes:
    """The manifest's bytes: canonical JSON including a digest of everything else."""
    rest = {k: v for k, v in body.items() if k != "manifest_sha256"}
    return canonical({**rest, "manifest_sha256": hashlib.sha256(canonical(rest)).hexdigest()})


def read_index_meta(path: Path) -> dict[str, Any] | None:
    """The index manifest (``chunks.meta.json``), None when absent."""
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise OpsError(f"{path.name} is not valid JSON ({exc})", path=str(path)) from None
    if not isinstance(meta, dict):
        raise OpsError(f"{path.name} is not a JSON object", path=str(path))
    return meta


def _generation(value: Any) -> str | None:
    return None if value is None else str(value)


def check_pair(db_generation: str | None, index_meta: dict[str, Any] | None, where: Path) -> None:
    """Refuse a database and index that are not the same generation."""
    if index_meta is None:
        return
    index_generation = _generation(index_meta.get("generation"))
    if index_generation != db_generation:
        raise OpsError(
            f"index generation {index_generation} does not match the database's "
            f"{dbfile.GENERATION_KEY} {db_generation} in {where}",
            path=str(where),
        )


def _database_facts(db: Path) -> dict[str, Any]:
    with dbfile.open_readonly(db) as conn:
        check = dbfile.integrity_check(conn)
        if check != "ok":
            raise OpsError(f"integrity_check failed for {db}: {check[:300]}", path=str(db))
        return {
            "row_counts": dbfile.row_counts(conn),
            "index_generation": dbfile.meta_value(conn, dbfile.GENERATION_KEY),
            "schema_version": dbfile.schema_version(conn),
        }


def build_manifest(snapshot_dir: Path, created_at: str) -> dict[str, Any]:
    """Describe the files in ``snapshot_dir`` (checks integrity and generations first)."""
    facts = _database_facts(snapshot_dir / DB_NAME)
    index_meta = read_index_meta(snapshot_dir / INDEX_META_NAME)
    check_pair(facts["index_generation"], index_meta, snapshot_dir)
    files = {
        name: {
            "size": (snapshot_dir / name).stat().st_size,
            "sha256": sha256_file(snapshot_dir / name),
        }
        for name in PAIR_FILES
        if (snapshot_dir / name).exists()
    }
    embedder = None
    if index_meta is not None:
        embedder = {k: index_meta.get(k) for k in ("provider", "model", "dim")}
    chunk_count = facts["row_counts"].get("chunks", (index_meta or {}).get("count"))
    return {
        "format_version": FORMAT_VERSION,
        "rrag_version": __version__,
        "created_at": created_at,
        "embedder": embedder,
        "chunk_count": chunk_count,
        "index_included": index_meta is not None,
        "files": files,
        **facts,
    }


def load_manifest(snapshot_dir: Path) -> dict[str, Any]:
    """Parse and unseal ``manifest.json``; OpsError when missing, truncated or modified."""
    path = snapshot_dir / MANIFEST_NAME
    if not path.is_file():
        raise OpsError(
            f"{snapshot_dir} has no {MANIFEST_NAME}: not a complete snapshot",
            path=str(snapshot_dir),
        )
    raw = path.read_bytes()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise OpsError(f"{path} is truncated or not JSON", path=str(path)) from None
    if not isinstance(body, dict) or raw != seal(body):
        raise OpsError(f"{path} was modified (its seal does not match)", path=str(path))
    if body.get("format_version") != FORMAT_VERSION:
        raise OpsError(f"{path}: unsupported format_version {body.get('format_version')!r}")
    return body


def _check_files(snapshot_dir: Path, files: dict[str, Any]) -> None:
    if DB_NAME not in files:
        raise OpsError(f"{snapshot_dir}: the manifest lists no {DB_NAME}")
    for name, expected in sorted(files.items()):
        path = snapshot_dir / name
        if name not in PAIR_FILES or not path.is_file():
            raise OpsError(f"{snapshot_dir}: {name} is missing", path=str(path))
        if path.stat().st_size != expected["size"] or sha256_file(path) != expected["sha256"]:
            raise OpsError(f"{snapshot_dir}: {name} does not match its checksum", path=str(path))


def verify_snapshot(snapshot_dir: Path) -> dict[str, Any]:
    """Every check a restore makes before touching anything; returns the manifest.

    Checks: sealed manifest, every file present with its size and SHA-256, SQLite's
    ``integrity_check``, row counts equal to the manifest's, a schema this rrag can open,
    and the index generation equal to the database's.
    """
    snapshot_dir = Path(snapshot_dir)
    if not snapshot_dir.is_dir():
        raise OpsError(f"snapshot directory {snapshot_dir} does not exist", path=str(snapshot_dir))
    manifest = load_manifest(snapshot_dir)
    _check_files(snapshot_dir, manifest["files"])
    if int(manifest.get("schema_version", 0)) > SCHEMA_VERSION:
        raise OpsError(
            f"{snapshot_dir} has schema {manifest['schema_version']}; this rrag "
            f"knows up to {SCHEMA_VERSION}: upgrade rrag first"
        )
    facts = _database_facts(snapshot_dir / DB_NAME)
    for key in ("row_counts", "index_generation", "schema_version"):
        if facts[key] != manifest.get(key):
            raise OpsError(f"{snapshot_dir}: the database's {key} differs from the manifest")
    check_pair(
        facts["index_generation"], read_index_meta(snapshot_dir / INDEX_META_NAME), snapshot_dir
    )
    included = [name for name in INDEX_FILES if name in manifest["files"]]
    if len(included) not in (0, len(INDEX_FILES)) or bool(included) != manifest["index_included"]:
        raise OpsError(f"{snapshot_dir}: the index files are incomplete")
    return manifest


__all__ = [
    "DB_NAME",
    "FORMAT_VERSION",
    "INDEX_FILES",
    "INDEX_META_NAME",
    "INDEX_NAME",
    "MANIFEST_NAME",
    "PAIR_FILES",
    "build_manifest",
    "check_pair",
    "load_manifest",
    "read_index_meta",
    "seal",
    "verify_snapshot",
]
