"""The snapshot manifest: what a snapshot holds, and the checks that prove it is whole.

``manifest.json`` records the format version, rrag and schema versions, the index
generation (the store's, the vector index's and the lexical index's must agree), the
embedder, row counts per table, the chunk count, size and SHA-256 of every file (each
file of the lexical index directory ``chunks.lexical/`` too, by its path within the
snapshot), and ``created_at``. It is written canonically (sorted keys, fixed indent) and
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
from rrag.ops.durable import sha256_file
from rrag.store.migrations import SCHEMA_VERSION

FORMAT_VERSION = 1
DB_NAME = "rrag.db"
INDEX_NAME = "chunks.index"
INDEX_META_NAME = "chunks.meta.json"
MANIFEST_NAME = "manifest.json"
LEXICAL_NAME = "chunks.lexical"
PAIR_FILES = (DB_NAME, INDEX_NAME, INDEX_META_NAME)
INDEX_FILES = (INDEX_NAME, INDEX_META_NAME)
#: what a restore swaps in as whole entries: the files and the lexical index directory
PAIR_ENTRIES = (*PAIR_FILES, LEXICAL_NAME)


def lexical_files(snapshot_dir: Path) -> list[str]:
    """The lexical index's files in ``snapshot_dir``, as ``chunks.lexical/<name>``; tantivy's
    lock files are not data (a reader creates them) and are left out."""
    root = snapshot_dir / LEXICAL_NAME
    if not root.is_dir():
        return []
    return sorted(
        f"{LEXICAL_NAME}/{p.name}" for p in root.iterdir() if p.is_file() and p.suffix != ".lock"
    )


def _is_listed(name: str) -> bool:
    """A name a manifest may list: a pair file or a file right inside ``chunks.lexical/``."""
    parts = name.split("/")
    if len(parts) == 1:
        return name in PAIR_FILES
    return len(parts) == 2 and parts[0] == LEXICAL_NAME and parts[1] not in ("", ".", "..")


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


def check_lexical(db_generation: str | None, lexical: str | None, where: Path) -> None:
    """Refuse a lexical index of another generation than the database's."""
    if lexical is not None and lexical != db_generation:
        raise OpsError(
            f"lexical index generation {lexical} does not match the database's "
            f"{dbfile.GENERATION_KEY} {db_generation} in {where}",
            path=str(where),
        )


def build_manifest(
    snapshot_dir: Path, created_at: str, lexical_generation: int | None = None
) -> dict[str, Any]:
    """Describe the files in ``snapshot_dir`` (checks integrity and generations first).

    ``lexical_generation``: the generation the copied lexical index was committed with
    (None when the snapshot holds none).
    """
    facts = _database_facts(snapshot_dir / DB_NAME)
    index_meta = read_index_meta(snapshot_dir / INDEX_META_NAME)
    check_pair(facts["index_generation"], index_meta, snapshot_dir)
    lexical = _generation(lexical_generation)
    check_lexical(facts["index_generation"], lexical, snapshot_dir)
    names = [n for n in PAIR_FILES if (snapshot_dir / n).exists()] + lexical_files(snapshot_dir)
    files = {
        name: {
            "size": (snapshot_dir / name).stat().st_size,
            "sha256": sha256_file(snapshot_dir / name),
        }
        for name in names
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
        "lexical_generation": lexical,
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
        if not _is_listed(name) or not path.is_file():
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
    _check_lexical_listing(snapshot_dir, manifest, facts["index_generation"])
    return manifest


def _check_lexical_listing(
    snapshot_dir: Path, manifest: dict[str, Any], db_generation: str | None
) -> None:
    """The lexical files the manifest lists are all there are, with its meta.json, and
    their generation (checked when the snapshot was taken) is the database's."""
    listed = sorted(n for n in manifest["files"] if n.startswith(f"{LEXICAL_NAME}/"))
    lexical = manifest.get("lexical_generation")
    if listed != lexical_files(snapshot_dir) or (
        (lexical is None) != (f"{LEXICAL_NAME}/meta.json" not in listed)
    ):
        raise OpsError(f"{snapshot_dir}: the lexical index files are incomplete")
    check_lexical(db_generation, lexical, snapshot_dir)


__all__ = [
    "DB_NAME",
    "FORMAT_VERSION",
    "INDEX_FILES",
    "INDEX_META_NAME",
    "INDEX_NAME",
    "LEXICAL_NAME",
    "MANIFEST_NAME",
    "PAIR_ENTRIES",
    "PAIR_FILES",
    "build_manifest",
    "check_lexical",
    "check_pair",
    "lexical_files",
    "load_manifest",
    "read_index_meta",
    "seal",
    "verify_snapshot",
]
